"""ROC analysis: AUC with DeLong or bootstrap confidence intervals, the paired DeLong test, the
Youden-optimal threshold and the confusion-matrix metrics at a threshold.

Conventions (those of R's pROC with ``levels = c(0, 1), direction = "<"``, the settings of the
reference values in ``tests/data/stats``):

* ``y == 1`` are the *cases*, ``y == 0`` the *controls*; cases are expected to have the higher
  scores. The direction is never flipped automatically (pROC's ``direction = "auto"`` would), so a
  marker that is lower in cases gets an AUC below 0.5.
* A subject is called positive when ``p >= threshold`` (pROC: ``controls < t <= cases``; dcurves
  uses the same rule for net benefit).
* The AUC is the Mann-Whitney probability ``P(X > Y) + P(X = Y) / 2`` (``X`` a case score, ``Y`` a
  control score): ties count one half, i.e. midranks.

References
----------
* DeLong ER, DeLong DM, Clarke-Pearson DL (1988). Comparing the areas under two or more correlated
  receiver operating characteristic curves: a nonparametric approach. *Biometrics* 44:837-845.
* Sun X, Xu W (2014). Fast implementation of DeLong's algorithm for comparing the areas under
  correlated receiver operating characteristic curves. *IEEE Signal Processing Letters*
  21(11):1389-1393. doi:10.1109/LSP.2014.2337313
* Robin X, Turck N, Hainard A, et al. (2011). pROC: an open-source package for R and S+ to analyze
  and compare ROC curves. *BMC Bioinformatics* 12:77 (``ci.auc``, ``roc.test``, ``coords``).
* Youden WJ (1950). Index for rating diagnostic tests. *Cancer* 3:32-35.
* Efron B, Tibshirani RJ (1993). *An Introduction to the Bootstrap*, ch. 13 (percentile interval).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from radiome.evaluate._validation import check_level, check_outcome, check_pair, check_scores

__all__ = [
    "AUCResult",
    "DeLongResult",
    "Threshold",
    "delong_test",
    "roc_auc",
    "roc_auc_ci",
    "roc_curve",
    "threshold_metrics",
    "youden",
]

SeedLike = int | np.random.Generator | None


@dataclass(frozen=True)
class AUCResult:
    """Area under the ROC curve with its confidence interval.

    ``se`` is the DeLong standard error (``method="delong"``) or the standard deviation of the
    bootstrap replicates (``method="bootstrap"``, pROC's ``var(method="bootstrap")``).
    """

    auc: float
    lower: float
    upper: float
    method: str
    level: float = 0.95
    se: float | None = None
    n_boot: int | None = None
    n_cases: int = 0
    n_controls: int = 0


@dataclass(frozen=True)
class DeLongResult:
    """Paired DeLong comparison of two AUCs on the same subjects.

    ``difference = auc1 - auc2``, ``se`` its DeLong standard error, ``z = difference / se``,
    ``p_value`` two-sided; ``lower``/``upper`` the normal CI of the difference (pROC
    ``roc.test(..., method = "delong", paired = TRUE)$conf.int``).
    """

    auc1: float
    auc2: float
    z: float
    p_value: float
    difference: float = 0.0
    se: float = 0.0
    lower: float = float("nan")
    upper: float = float("nan")
    level: float = 0.95


@dataclass(frozen=True)
class Threshold:
    """An operating point: positive when ``p >= threshold``.

    ``ties`` lists every threshold reaching the same optimum (pROC's ``coords(..., "best")`` returns
    them all); ``threshold`` is the lowest of them, i.e. the most sensitive.
    """

    threshold: float
    sensitivity: float
    specificity: float
    ties: tuple[float, ...] = field(default=())

    @property
    def youden_index(self) -> float:
        """Youden's J = sensitivity + specificity - 1."""
        return self.sensitivity + self.specificity - 1.0


# --------------------------------------------------------------------------------------------
# DeLong placements by Sun & Xu's algorithm
# --------------------------------------------------------------------------------------------


def _midranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Midranks of ``x`` (1-based; tied values share the mean of their ranks).

    Sun & Xu (2014), Algorithm 1: sort once, then give each run of equal values the average of the
    positions it occupies, ``(first + last) / 2`` in 1-based positions.
    """
    n = x.size
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(z[1:], z[:-1], out=new[1:])
    starts = np.flatnonzero(new)  # 0-based first position of each run
    ends = np.append(starts[1:], n)  # 0-based one-past-last = 1-based last position
    mid = (starts + 1 + ends) / 2.0
    out = np.empty(n, dtype=np.float64)
    out[order] = mid[np.cumsum(new) - 1]
    return out


def _placements(
    cases: NDArray[np.float64], controls: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """AUC and DeLong's structural components by Sun & Xu's Theorem 1.

    With ``T_z`` the midranks in the pooled sample, ``T_x`` within the ``m`` cases and ``T_y`` within
    the ``n`` controls::

        V10_i = (T_z[i] - T_x[i]) / n          (fraction of controls below case i, ties 1/2)
        V01_j = 1 - (T_z[m + j] - T_y[j]) / m  (fraction of cases above control j, ties 1/2)
        AUC   = mean(V10) = mean(V01)

    These are DeLong et al.'s (1988) ``V10(X_i)`` and ``V01(Y_j)``, obtained in
    ``O((m + n) log(m + n))`` instead of the ``O(mn)`` pairwise kernel.
    """
    m, n = cases.size, controls.size
    tz = _midranks(np.concatenate([cases, controls]))
    tx = _midranks(cases)
    ty = _midranks(controls)
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    auc = (tz[:m].sum() - m * (m + 1) / 2.0) / (m * n)
    return float(auc), v10, v01


def _delong_cov(
    y: NDArray[np.int64], scores: list[NDArray[np.float64]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """AUCs of ``k`` scores on the same subjects and their ``k x k`` DeLong covariance.

    ``S = S10 / m + S01 / n`` with ``S10``, ``S01`` the sample covariances (denominators ``m - 1``,
    ``n - 1``) of the placements of cases and of controls (DeLong et al. 1988, eq. 3-4; pROC
    ``ci_auc_delong`` / ``delong.paired.calculations``).
    """
    pos, neg = y == 1, y == 0
    m, n = int(pos.sum()), int(neg.sum())
    aucs, v10s, v01s = [], [], []
    for s in scores:
        a, v10, v01 = _placements(s[pos], s[neg])
        aucs.append(a)
        v10s.append(v10)
        v01s.append(v01)
    theta = np.array(aucs)
    if m < 2 or n < 2:
        return theta, np.full((len(scores), len(scores)), np.nan)
    d10 = np.vstack(v10s) - theta[:, None]
    d01 = np.vstack(v01s) - theta[:, None]
    s10 = d10 @ d10.T / (m - 1)
    s01 = d01 @ d01.T / (n - 1)
    return theta, s10 / m + s01 / n


# --------------------------------------------------------------------------------------------
# AUC and its confidence interval
# --------------------------------------------------------------------------------------------


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the empirical ROC curve (Mann-Whitney, ties count 1/2).

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    yy, pp = check_pair(y, p)
    return _placements(pp[yy == 1], pp[yy == 0])[0]


def _rng(seed: SeedLike) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _bootstrap_aucs(
    yy: NDArray[np.int64], pp: NDArray[np.float64], n_boot: int, stratified: bool, rng: np.random.Generator
) -> NDArray[np.float64]:
    """AUC of ``n_boot`` bootstrap resamples (vectorised over replicates, in memory-bounded chunks).

    Stratified (pROC ``boot.stratified = TRUE``): the cases and the controls are resampled
    separately, keeping their numbers. Otherwise subjects are resampled; a resample without a case
    or without a control gives NaN (pROC drops those with a warning).
    """
    cases, controls = pp[yy == 1], pp[yy == 0]
    m, n = cases.size, controls.size
    N = m + n
    chunk = max(1, min(n_boot, 2_000_000 // N))
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        if stratified:
            vals = np.concatenate(
                [cases[rng.integers(0, m, size=(b, m))], controls[rng.integers(0, n, size=(b, n))]], axis=1
            )
            ranks = stats.rankdata(vals, axis=1)
            out[start : start + b] = (ranks[:, :m].sum(axis=1) - m * (m + 1) / 2.0) / (m * n)
        else:
            idx = rng.integers(0, N, size=(b, N))
            yb = yy[idx]
            ranks = stats.rankdata(pp[idx], axis=1)
            mb = yb.sum(axis=1).astype(np.float64)
            nb = N - mb
            with np.errstate(invalid="ignore", divide="ignore"):
                a = ((ranks * yb).sum(axis=1) - mb * (mb + 1) / 2.0) / (mb * nb)
            a[(mb == 0) | (nb == 0)] = np.nan
            out[start : start + b] = a
    return out


def roc_auc_ci(
    y: ArrayLike,
    p: ArrayLike,
    method: str = "delong",
    level: float = 0.95,
    n_boot: int = 2000,
    stratified: bool = True,
    seed: SeedLike = None,
) -> AUCResult:
    """AUC with a confidence interval, as pROC's ``ci.auc``.

    Parameters
    ----------
    y : array of 0/1
        Outcome; 1 = case (event).
    p : array of float
        Score or predicted probability; higher means more likely a case.
    method : {"delong", "bootstrap"}
        ``"delong"``: ``AUC -/+ z_{1-a/2} * SE`` with DeLong et al.'s (1988) variance computed by
        Sun & Xu's (2014) fast algorithm, clipped to [0, 1] (pROC ``ci.auc(method = "delong")``).
        ``"bootstrap"``: percentile interval of ``n_boot`` bootstrap AUCs (R's type-7 quantiles, as
        pROC ``ci.auc(method = "bootstrap")``).
    level : float
        Confidence level.
    n_boot : int
        Bootstrap replicates.
    stratified : bool
        Resample cases and controls separately (pROC ``boot.stratified = TRUE``, the default).
    seed : int, numpy Generator or None
        Seed of the bootstrap's :func:`numpy.random.default_rng`; the same seed gives the same
        interval. (pROC's draws come from R's RNG, so its bootstrap limits differ from ours by
        Monte-Carlo error only.)

    Returns
    -------
    AUCResult

    Examples
    --------
    >>> r = roc_auc_ci([0, 0, 0, 1, 1, 1], [0.1, 0.3, 0.6, 0.4, 0.7, 0.9])
    >>> round(r.auc, 4), r.method
    (0.8889, 'delong')
    >>> b = roc_auc_ci([0, 0, 0, 1, 1, 1], [0.1, 0.3, 0.6, 0.4, 0.7, 0.9], method="bootstrap",
    ...                n_boot=500, seed=1)
    >>> b.lower <= b.auc <= b.upper
    True
    """
    yy, pp = check_pair(y, p)
    level = check_level(level)
    alpha = 1.0 - level
    m, n = int(yy.sum()), int(yy.size - yy.sum())
    if method == "delong":
        theta, cov = _delong_cov(yy, [pp])
        auc = float(theta[0])
        se = float(np.sqrt(cov[0, 0]))
        z = stats.norm.ppf(1.0 - alpha / 2.0)
        lower, upper = float(max(auc - z * se, 0.0)), float(min(auc + z * se, 1.0))
        return AUCResult(auc, lower, upper, "delong", level, se, None, m, n)
    if method == "bootstrap":
        if int(n_boot) < 1:
            raise ValueError(f"n_boot must be >= 1, got {n_boot}")
        auc = _placements(pp[yy == 1], pp[yy == 0])[0]
        aucs = _bootstrap_aucs(yy, pp, int(n_boot), stratified, _rng(seed))
        bad = np.isnan(aucs)
        if bad.any():
            warnings.warn(
                f"{int(bad.sum())} bootstrap resample(s) without a case or a control were ignored",
                RuntimeWarning,
                stacklevel=2,
            )
            aucs = aucs[~bad]
        lower, upper = np.quantile(aucs, [alpha / 2.0, 1.0 - alpha / 2.0])
        se = float(np.std(aucs, ddof=1)) if aucs.size > 1 else float("nan")
        return AUCResult(auc, float(lower), float(upper), "bootstrap", level, se, int(n_boot), m, n)
    raise ValueError(f"method must be 'delong' or 'bootstrap', got {method!r}")


def delong_test(y: ArrayLike, p1: ArrayLike, p2: ArrayLike, level: float = 0.95) -> DeLongResult:
    """Paired two-sided DeLong test of ``AUC(p1) = AUC(p2)`` on the same subjects.

    ``z = (AUC1 - AUC2) / sqrt(L S L')`` with ``S`` the 2 x 2 DeLong covariance of the two AUCs and
    ``L = (1, -1)`` (DeLong et al. 1988, section 3; Sun & Xu 2014 for the placements); ``p = 2
    Phi(-|z|)``. As pROC's ``roc.test(r1, r2, method = "delong", paired = TRUE)``: identical curves
    give ``z = 0``, ``p = 1``.

    Examples
    --------
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> r = delong_test(y, [1, 2, 3, 4, 3.5, 5, 6, 7], [4, 1, 2, 3, 2.5, 1.5, 6, 7])
    >>> round(r.auc1, 4), round(r.auc2, 4)
    (0.9375, 0.6875)
    """
    yy = check_outcome(y)
    s1 = check_scores(p1, yy.size, name="p1")
    s2 = check_scores(p2, yy.size, name="p2")
    level = check_level(level)
    theta, cov = _delong_cov(yy, [s1, s2])
    d = float(theta[0] - theta[1])
    var = float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0.0:
        z = 0.0 if d == 0.0 else float(np.copysign(np.inf, d))
    else:
        z = d / se
    pval = float(2.0 * stats.norm.sf(abs(z)))
    q = stats.norm.ppf(1.0 - (1.0 - level) / 2.0)
    return DeLongResult(
        float(theta[0]), float(theta[1]), float(z), pval, d, se, float(d - q * se), float(d + q * se), level
    )


# --------------------------------------------------------------------------------------------
# Thresholds
# --------------------------------------------------------------------------------------------


def _candidate_thresholds(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """pROC's thresholds: -Inf, the midpoints between adjacent distinct values, +Inf."""
    u = np.unique(p)
    lo, hi = np.concatenate([[-np.inf], u]), np.concatenate([u, [np.inf]])
    with np.errstate(over="ignore", invalid="ignore"):
        mid = (lo + hi) / 2.0
        alt = lo / 2.0 + hi / 2.0  # no overflow for huge values
    mid = np.where(np.isfinite(mid) | ~np.isfinite(alt), mid, alt)
    mid[0], mid[-1] = -np.inf, np.inf
    return mid


def _se_sp(
    yy: NDArray[np.int64], pp: NDArray[np.float64], thresholds: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    cases = np.sort(pp[yy == 1])
    controls = np.sort(pp[yy == 0])
    tp = cases.size - np.searchsorted(cases, thresholds, side="left")  # cases >= t
    tn = np.searchsorted(controls, thresholds, side="left")  # controls < t
    return tp / cases.size, tn / controls.size


def roc_curve(y: ArrayLike, p: ArrayLike) -> pd.DataFrame:
    """The empirical ROC curve at pROC's thresholds (increasing, from -Inf to +Inf).

    Columns ``threshold``, ``sensitivity``, ``specificity``; positive when ``p >= threshold``.

    >>> roc_curve([0, 1, 1], [0.2, 0.6, 0.9])["threshold"].tolist()
    [-inf, 0.4, 0.75, inf]
    """
    yy, pp = check_pair(y, p)
    t = _candidate_thresholds(pp)
    se, sp = _se_sp(yy, pp, t)
    return pd.DataFrame({"threshold": t, "sensitivity": se, "specificity": sp})


def youden(y: ArrayLike, p: ArrayLike) -> Threshold:
    """Threshold maximising Youden's J = sensitivity + specificity - 1.

    As pROC's ``coords(roc, "best", best.method = "youden")`` (default ``best.weights``): candidate
    thresholds are midway between adjacent distinct values of ``p`` (plus -Inf/+Inf), a subject is
    positive when ``p >= threshold``, and the criterion is ``sensitivity + specificity``.

    Chosen on the data it is reported on, the threshold is optimistic; fix it in training data and
    report :func:`threshold_metrics` at it in validation data.

    >>> t = youden([0, 0, 0, 1, 1, 1, 1], [0.1, 0.3, 0.7, 0.4, 0.8, 0.9, 0.95])
    >>> t.threshold, t.sensitivity, t.specificity
    (0.75, 0.75, 1.0)
    """
    yy, pp = check_pair(y, p)
    t = _candidate_thresholds(pp)
    se, sp = _se_sp(yy, pp, t)
    crit = se + sp
    best = np.flatnonzero(crit == crit.max())
    i = int(best[0])
    return Threshold(float(t[i]), float(se[i]), float(sp[i]), tuple(float(v) for v in t[best]))


def threshold_metrics(y: ArrayLike, p: ArrayLike, threshold: float) -> dict[str, float | int]:
    """Confusion-matrix metrics when a subject is called positive at ``p >= threshold``.

    Keys: ``threshold``, ``n``, ``tp``, ``fp``, ``tn``, ``fn`` (counts), ``sensitivity`` (TP/(TP+FN)),
    ``specificity`` (TN/(TN+FP)), ``ppv`` (TP/(TP+FP)), ``npv`` (TN/(TN+FN)), ``accuracy``
    ((TP+TN)/n), ``balanced_accuracy``, ``f1`` (2TP/(2TP+FP+FN)) and ``youden_index``. A ratio whose
    denominator is 0 (e.g. PPV with no positive call) is NaN.

    >>> m = threshold_metrics([0, 0, 1, 1], [0.2, 0.6, 0.5, 0.9], 0.5)
    >>> m["tp"], m["fp"], m["sensitivity"], m["ppv"]
    (2, 1, 1.0, 0.6666666666666666)
    """
    yy, pp = check_pair(y, p)
    thr = float(threshold)
    if np.isnan(thr):
        raise ValueError("threshold is NaN")
    pos = pp >= thr
    tp = int(np.sum(pos & (yy == 1)))
    fp = int(np.sum(pos & (yy == 0)))
    fn = int(np.sum(~pos & (yy == 1)))
    tn = int(np.sum(~pos & (yy == 0)))

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")

    se, sp = ratio(tp, tp + fn), ratio(tn, tn + fp)
    return {
        "threshold": thr,
        "n": int(yy.size),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "sensitivity": se,
        "specificity": sp,
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "accuracy": (tp + tn) / yy.size,
        "balanced_accuracy": (se + sp) / 2.0,
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "youden_index": se + sp - 1.0,
    }
