"""Minimum-redundancy maximum-relevance feature selection (Peng, Long & Ding 2005).

Greedy forward selection: the first feature maximises the relevance ``V(j)``; each next one
maximises, over the features not yet chosen,

* ``MID``: ``V(j) - W(j)`` (mutual information difference), or
* ``MIQ``: ``V(j) / W(j)`` (mutual information quotient; ``W`` floored at 1e-12 — note that the
  kNN estimates are truncated at 0 like scikit-learn's, so with them a feature whose redundancy
  estimate is exactly 0 gets a huge quotient however small its relevance; prefer ``MID``, the
  default, or binned MI with ``MIQ``),

with ``W(j)`` the mean redundancy of ``j`` with the features already selected. Ties go to the
lower column index, so the selection is deterministic.

Relevance / redundancy
    ``relevance="mi"``: ``V`` = mutual information between feature and class, ``W`` = mean mutual
    information between features. By default (``discretize=None``) MI is estimated exactly as
    scikit-learn's ``mutual_info_classif`` (Ross 2014 kNN estimator) and
    ``mutual_info_regression`` (Kraskov et al. 2004 KSG estimator, ``n_neighbors=3``) do, after
    the same preprocessing (each feature scaled to unit population SD and jittered by
    ``1e-10 * max(1, mean|x|)`` Gaussian noise drawn from ``random_state``) — the estimators are
    re-implemented vectorised over features, which makes mRMR on 1500 features about 10 times
    faster, and are tested to return scikit-learn's values. With ``discretize=b`` every feature
    is cut at its training quantiles into ``b`` equal-frequency bins and MI is the plug-in
    estimate from the contingency tables (Peng et al.'s discretised mRMR; deterministic).
    ``relevance="f"``: ``V`` = ANOVA F statistic of the feature between the classes
    (``f_classif``), ``W`` = mean absolute Pearson correlation (Ding & Peng's FCD/FCQ variants).
    All MI values are in nats.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import digamma
from sklearn.feature_selection import f_classif
from sklearn.utils import check_random_state

from radiome.select._base import BaseSelector, binary_target, check_X

__all__ = ["MRMR", "mi_classif", "mi_pairwise", "ksg_preprocess"]

_BATCH_ELEMENTS = 2_000_000  # float64 entries of one (batch, n, n) distance block
_CACHE_ELEMENTS = 400_000  # smaller, cache-friendly blocks for the pairwise estimator


def ksg_preprocess(X: np.ndarray, random_state) -> np.ndarray:
    """scikit-learn's ``_estimate_mi`` preprocessing of continuous features: unit SD, tiny jitter."""
    X = np.array(X, dtype=float, copy=True)
    n, p = X.shape
    sd = X.std(axis=0)
    X /= np.where(sd > 0, sd, 1.0)
    means = np.maximum(1.0, np.mean(np.abs(X), axis=0))
    rng = check_random_state(random_state)
    X += 1e-10 * means * rng.standard_normal(size=(n, p))
    return X


def _kth_smallest_last(a: np.ndarray, k: int) -> np.ndarray:
    """k-th smallest (1-based) along the last axis; ``a`` is overwritten (found minima -> inf)."""
    if k > 3:
        return np.partition(a, k - 1, axis=-1)[..., k - 1]
    lead = np.indices(a.shape[:-1], sparse=True)
    for _ in range(k - 1):
        am = np.argmin(a, axis=-1)
        a[(*lead, am)] = np.inf
    return np.min(a, axis=-1)


def mi_classif(X: np.ndarray, labels: np.ndarray, n_neighbors: int = 3) -> np.ndarray:
    """MI between each (already preprocessed) continuous column and a discrete label (Ross 2014).

    The computation of scikit-learn's ``_compute_mi_cd`` for every column at once.
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    labels = np.asarray(labels)
    radius = np.zeros((p, n))
    k_all = np.zeros(n)
    label_counts = np.zeros(n)
    XT = np.ascontiguousarray(X.T)  # (p, n)
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        cnt = idx.size
        label_counts[idx] = cnt
        if cnt <= 1:
            continue
        k = min(n_neighbors, cnt - 1)
        k_all[idx] = k
        Xc = XT[:, idx]  # (p, cnt)
        diag = np.arange(cnt)
        step = max(1, _BATCH_ELEMENTS // (cnt * cnt))
        for s in range(0, p, step):
            blk = Xc[s : s + step]  # (b, cnt)
            d = np.abs(blk[:, :, None] - blk[:, None, :])  # (b, cnt, cnt)
            d[:, diag, diag] = np.inf
            radius[s : s + step][:, idx] = np.nextafter(_kth_smallest_last(d, k), 0)
    keep = label_counts > 1
    nk = int(keep.sum())
    Xk, rk = XT[:, keep], radius[:, keep]  # (p, nk)
    m_all = np.zeros((p, nk))
    step = max(1, _BATCH_ELEMENTS // max(1, nk * nk))
    for s in range(0, p, step):
        blk = Xk[s : s + step]
        d = np.abs(blk[:, :, None] - blk[:, None, :])  # (b, nk, nk)
        m_all[s : s + step] = np.count_nonzero(d <= rk[s : s + step, :, None], axis=2)
    mi = (
        digamma(nk)
        + np.mean(digamma(k_all[keep]))
        - np.mean(digamma(label_counts[keep]))
        - np.mean(digamma(m_all), axis=1)
    )
    return np.maximum(mi, 0.0)


def mi_pairwise(x: np.ndarray, Y: np.ndarray, n_neighbors: int = 3) -> np.ndarray:
    """KSG MI between one (preprocessed) continuous vector ``x`` and every column of ``Y``.

    The computation of scikit-learn's ``_compute_mi_cc`` (Chebyshev joint space) for all columns.
    """
    x = np.asarray(x, dtype=float)
    YT = np.ascontiguousarray(np.asarray(Y, dtype=float).T)  # (p, n)
    p, n = YT.shape
    dx = np.abs(x[:, None] - x[None, :])  # (n, n)
    dx_sorted = np.sort(dx, axis=1)
    diag = np.arange(n)
    r_all = np.empty((p, n))
    ny = np.empty((p, n))
    step = max(1, min(p, _CACHE_ELEMENTS // (n * n)))
    dy_buf = np.empty((step, n, n))
    joint_buf = np.empty((step, n, n))
    le_buf = np.empty((step, n, n), dtype=bool)
    for s in range(0, p, step):
        blk = YT[s : s + step]  # (b, n)
        b = blk.shape[0]
        dy, joint, le = dy_buf[:b], joint_buf[:b], le_buf[:b]
        np.subtract(blk[:, :, None], blk[:, None, :], out=dy)
        np.abs(dy, out=dy)
        np.maximum(dy, dx[None], out=joint)
        joint[:, diag, diag] = np.inf
        r = np.nextafter(_kth_smallest_last(joint, n_neighbors), 0)  # (b, n)
        r_all[s : s + step] = r
        np.less_equal(dy, r[:, :, None], out=le)
        ny[s : s + step] = np.count_nonzero(le, axis=2) - 1.0
    # nx: the same comparisons |x_l - x_i| <= r, counted in the sorted rows of dx
    nx = np.empty((p, n))
    for i in range(n):
        nx[:, i] = np.searchsorted(dx_sorted[i], r_all[:, i], side="right") - 1.0
    mi = digamma(n) + digamma(n_neighbors) - digamma(nx + 1).mean(axis=1) - digamma(ny + 1).mean(axis=1)
    return np.maximum(mi, 0.0)


def _quantile_codes(X: np.ndarray, n_bins: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Equal-frequency bin codes 0..n_bins-1 of every column (edges at the empirical quantiles)."""
    qs = np.linspace(0, 1, n_bins + 1)[1:-1]
    edges = np.quantile(X, qs, axis=0)  # (n_bins - 1, p)
    codes = np.empty(X.shape, dtype=np.int64)
    for j in range(X.shape[1]):
        codes[:, j] = np.searchsorted(np.unique(edges[:, j]), X[:, j], side="right")
    return codes, [edges[:, j] for j in range(X.shape[1])]


def _plugin_mi(a: np.ndarray, B: np.ndarray, na: int, nb: int) -> np.ndarray:
    """Plug-in MI (nats) between integer codes ``a`` (n,) in [0, na) and each column of ``B``."""
    n, p = B.shape
    joint = a[:, None] * nb + B  # (n, p) cell index in [0, na*nb)
    flat = joint + (np.arange(p) * (na * nb))[None, :]
    counts = np.bincount(flat.ravel(), minlength=p * na * nb).reshape(p, na, nb) / n
    pa = counts.sum(axis=2, keepdims=True)
    pb = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, counts * np.log(counts / (pa * pb)), 0.0)
    return np.maximum(terms.sum(axis=(1, 2)), 0.0)


class MRMR(BaseSelector):
    """Select ``k`` features by minimum redundancy - maximum relevance (Peng et al. 2005).

    Parameters
    ----------
    k : int, default 20
        Number of features to select (all of them if fewer are given).
    scheme : {"MID", "MIQ"}, default "MID"
    relevance : {"mi", "f"}, default "mi"
        Mutual information (with MI redundancy) or the F statistic (with |Pearson r| redundancy).
    discretize : int or None, default None
        ``None``: continuous kNN MI estimators (scikit-learn's); an int: number of equal-frequency
        bins for plug-in MI.
    n_neighbors : int, default 3
        k of the kNN MI estimators.
    random_state : int, RandomState or None, default 0
        Seeds the jitter of the kNN MI estimators (unused otherwise).

    Attributes
    ----------
    ranking_ : ndarray of int
        Column indices in order of selection.
    scores_ : ndarray
        Criterion value (``MID``/``MIQ``) of each selected feature when it was chosen (the first
        one's is its relevance).
    relevance_ : ndarray of shape (n_features,)
    support_ : ndarray of bool
    """

    def __init__(
        self,
        k: int = 20,
        scheme: str = "MID",
        relevance: str = "mi",
        discretize: int | None = None,
        n_neighbors: int = 3,
        random_state=0,
    ):
        self.k = k
        self.scheme = scheme
        self.relevance = relevance
        self.discretize = discretize
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, X, y):
        Xa, y = check_X(self, X, y=y, reset=True, requires_y=True)
        self.classes_, y01 = binary_target(y)
        if self.scheme not in ("MID", "MIQ"):
            raise ValueError(f"scheme must be 'MID' or 'MIQ', got {self.scheme!r}")
        if self.relevance not in ("mi", "f"):
            raise ValueError(f"relevance must be 'mi' or 'f', got {self.relevance!r}")
        n, p = Xa.shape
        k = min(int(self.k), p)
        if k < 1:
            raise ValueError("k must be at least 1")

        if self.relevance == "f":
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # constant features: F undefined -> 0
                rel = np.nan_to_num(f_classif(Xa, y01)[0], nan=0.0)
            sd = Xa.std(axis=0)
            Zs = (Xa - Xa.mean(axis=0)) / np.where(sd > 0, sd, 1.0)

            def redundancy(j: int, cand: np.ndarray) -> np.ndarray:
                return np.abs(Zs[:, cand].T @ Zs[:, j]) / n

        elif self.discretize is None:
            Xp = ksg_preprocess(Xa, self.random_state)
            rel = mi_classif(Xp, y01, self.n_neighbors)

            def redundancy(j: int, cand: np.ndarray) -> np.ndarray:
                return mi_pairwise(Xp[:, j], Xp[:, cand], self.n_neighbors)

        else:
            nb = int(self.discretize)
            if nb < 2:
                raise ValueError("discretize must be None or an int >= 2")
            codes, _ = _quantile_codes(Xa, nb)
            rel = _plugin_mi(y01.astype(np.int64), codes, 2, nb)

            def redundancy(j: int, cand: np.ndarray) -> np.ndarray:
                return _plugin_mi(codes[:, j], codes[:, cand], nb, nb)

        selected = [int(np.argmax(rel))]
        scores = [float(rel[selected[0]])]
        red_sum = np.zeros(p)
        remaining = np.ones(p, bool)
        remaining[selected[0]] = False
        while len(selected) < k:
            cand = np.flatnonzero(remaining)
            red_sum[cand] += redundancy(selected[-1], cand)
            w = red_sum[cand] / len(selected)
            if self.scheme == "MID":
                crit = rel[cand] - w
            else:
                crit = rel[cand] / np.maximum(w, 1e-12)
            best = int(np.argmax(crit))  # first maximum: lowest column index wins ties
            j = int(cand[best])
            selected.append(j)
            scores.append(float(crit[best]))
            remaining[j] = False
        support = np.zeros(p, bool)
        support[selected] = True
        self.relevance_ = rel
        self.ranking_ = np.asarray(selected)
        self.scores_ = np.asarray(scores)
        self.support_ = support
        return self
