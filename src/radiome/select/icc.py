"""Intraclass correlation (Shrout & Fleiss 1979) and the reproducibility filter built on it.

Measurements are arranged ``(n_subjects, k_raters)``. From the two-way ANOVA without replication
(mean squares ``MSR`` subjects, ``MSC`` raters, ``MSE`` residual, ``MSW`` within subjects):

* ``ICC(1,1) = (MSR - MSW) / (MSR + (k-1) MSW)`` — one-way random;
* ``ICC(2,1) = (MSR - MSE) / (MSR + (k-1) MSE + k (MSC - MSE) / n)`` — two-way random effects,
  single rater, **absolute agreement** (McGraw & Wong's ICC(A,1));
* ``ICC(3,1) = (MSR - MSE) / (MSR + (k-1) MSE)`` — two-way mixed effects, single rater,
  **consistency** (ICC(C,1));
* ``ICC(1,k)``, ``ICC(2,k)``, ``ICC(3,k)``: the same for the mean of the k raters.

95 % confidence intervals are the F-based ones of Shrout & Fleiss (1979) / McGraw & Wong (1996),
exactly as R's ``psych::ICC`` computes them (and ``irr::icc``): for ICC(1,1) and ICC(3,1) from
``F = MSR/MSW`` resp. ``MSR/MSE`` and the F quantiles; for ICC(2,1) from Satterthwaite's
approximate degrees of freedom ``v``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from radiome.select._base import BaseSelector, check_X

__all__ = ["ICCFilter", "ICCResult", "icc", "icc_table", "icc_features"]

KINDS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)")
_ALIASES = {
    "ICC1": "ICC(1,1)",
    "ICC2": "ICC(2,1)",
    "ICC3": "ICC(3,1)",
    "ICC1k": "ICC(1,k)",
    "ICC2k": "ICC(2,k)",
    "ICC3k": "ICC(3,k)",
}


def _kind(kind: str) -> str:
    k = _ALIASES.get(kind, kind)
    if k not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return k


@dataclass(frozen=True)
class ICCResult:
    """One intraclass correlation with its ``1 - alpha`` confidence interval and F test."""

    kind: str
    icc: float
    lower: float
    upper: float
    F: float
    df1: float
    df2: float
    p: float


def _mean_squares(Y: np.ndarray) -> dict[str, np.ndarray]:
    """Mean squares of the two-way ANOVA; ``Y`` is ``(n, k)`` or ``(n, k, p)`` (features last)."""
    n, k = Y.shape[0], Y.shape[1]
    gm = Y.mean(axis=(0, 1))
    row = Y.mean(axis=1)  # (n, ...)
    col = Y.mean(axis=0)  # (k, ...)
    sst = ((Y - gm) ** 2).sum(axis=(0, 1))
    ssr = k * ((row - gm) ** 2).sum(axis=0)
    ssc = n * ((col - gm) ** 2).sum(axis=0)
    sse = sst - ssr - ssc
    ssw = sst - ssr
    return {
        "MSR": ssr / (n - 1),
        "MSC": ssc / (k - 1),
        "MSE": sse / ((n - 1) * (k - 1)),
        "MSW": ssw / (n * (k - 1)),
        "n": n,
        "k": k,
    }


def _icc_from_ms(ms: dict, kind: str, alpha: float) -> dict[str, np.ndarray]:
    """ICC, CI and F test of ``kind`` (vectorised over features) — psych::ICC's formulas."""
    MSR, MSC, MSE, MSW, n, k = ms["MSR"], ms["MSC"], ms["MSE"], ms["MSW"], ms["n"], ms["k"]
    q = 1.0 - alpha / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind in ("ICC(1,1)", "ICC(1,k)"):
            F = MSR / MSW
            df1, df2 = n - 1.0, n * (k - 1.0)
            FL = F / stats.f.ppf(q, df1, df2)
            FU = F * stats.f.ppf(q, df2, df1)
            if kind == "ICC(1,1)":
                val = (MSR - MSW) / (MSR + (k - 1) * MSW)
                lo, up = (FL - 1) / (FL + (k - 1)), (FU - 1) / (FU + (k - 1))
            else:
                val = (MSR - MSW) / MSR
                lo, up = 1 - 1 / FL, 1 - 1 / FU
        elif kind in ("ICC(3,1)", "ICC(3,k)"):
            F = MSR / MSE
            df1, df2 = n - 1.0, (n - 1.0) * (k - 1.0)
            FL = F / stats.f.ppf(q, df1, df2)
            FU = F * stats.f.ppf(q, df2, df1)
            if kind == "ICC(3,1)":
                val = (MSR - MSE) / (MSR + (k - 1) * MSE)
                lo, up = (FL - 1) / (FL + (k - 1)), (FU - 1) / (FU + (k - 1))
            else:
                val = (MSR - MSE) / MSR
                lo, up = 1 - 1 / FL, 1 - 1 / FU
        else:  # ICC(2,1) / ICC(2,k): Satterthwaite approximation (Shrout & Fleiss eq. 9)
            F = MSR / MSE
            df1, df2 = n - 1.0, (n - 1.0) * (k - 1.0)
            icc2 = (MSR - MSE) / (MSR + (k - 1) * MSE + k * (MSC - MSE) / n)
            Fj = MSC / MSE
            vn = (k - 1) * (n - 1) * (k * icc2 * Fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            vd = (n - 1) * k**2 * icc2**2 * Fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
            v = vn / vd
            FU2 = stats.f.ppf(q, n - 1, v)
            FL2 = stats.f.ppf(q, v, n - 1)
            den = k * MSC + (k * n - k - n) * MSE
            lo = n * (MSR - FU2 * MSE) / (FU2 * den + n * MSR)
            up = n * (FL2 * MSR - MSE) / (den + n * FL2 * MSR)
            if kind == "ICC(2,1)":
                val = icc2
            else:
                val = (MSR - MSE) / (MSR + (MSC - MSE) / n)
                lo, up = lo * k / (1 + lo * (k - 1)), up * k / (1 + up * (k - 1))
        p = stats.f.sf(F, df1, df2)
    return {"icc": val, "lower": lo, "upper": up, "F": F, "df1": df1, "df2": df2, "p": p}


def _as_matrix(measurements) -> np.ndarray:
    Y = np.asarray(measurements, dtype=float)
    if Y.ndim != 2:
        raise ValueError("measurements must be a 2-D array (n_subjects, k_raters)")
    n, k = Y.shape
    if n < 2 or k < 2:
        raise ValueError(f"need at least 2 subjects and 2 raters, got {n} x {k}")
    if not np.all(np.isfinite(Y)):
        raise ValueError("measurements contain NaN or infinite values (complete cases are needed)")
    return Y


def icc(measurements, kind: str = "ICC(2,1)", alpha: float = 0.05) -> ICCResult:
    """Intraclass correlation of ``measurements`` (n_subjects, k_raters), with its CI.

    ``kind`` is one of ``"ICC(1,1)", "ICC(2,1)", "ICC(3,1)", "ICC(1,k)", "ICC(2,k)", "ICC(3,k)"``
    (or psych's names ``ICC1``...``ICC3k``). The default ICC(2,1) — two-way random effects,
    absolute agreement, single rater — is the usual choice for inter-observer reproducibility of
    radiomic features (Koo & Li 2016).
    """
    kind = _kind(kind)
    res = _icc_from_ms(_mean_squares(_as_matrix(measurements)), kind, alpha)
    return ICCResult(kind=kind, **{key: float(val) for key, val in res.items()})


def icc_table(measurements, alpha: float = 0.05) -> pd.DataFrame:
    """All six Shrout-Fleiss ICCs with CIs and F tests, one row each (like ``psych::ICC``)."""
    ms = _mean_squares(_as_matrix(measurements))
    rows = []
    for kind in KINDS:
        res = _icc_from_ms(ms, kind, alpha)
        rows.append({"type": kind, **{key: float(val) for key, val in res.items()}})
    return pd.DataFrame(rows).set_index("type")


def icc_features(readers: Sequence, kind: str = "ICC(2,1)", alpha: float = 0.05) -> pd.DataFrame:
    """ICC of every feature from k repeated measurement matrices (each n_subjects x n_features).

    Returns a DataFrame indexed by feature (names from the first reader if it is a DataFrame)
    with columns ``icc, lower, upper, F, df1, df2, p``. A feature constant in all readers has an
    undefined (NaN) ICC.
    """
    kind = _kind(kind)
    if len(readers) < 2:
        raise ValueError("need the measurements of at least 2 raters / repetitions")
    names = list(readers[0].columns) if isinstance(readers[0], pd.DataFrame) else None
    mats = []
    for r in readers:
        if isinstance(r, pd.DataFrame) and names is not None:
            r = r.loc[:, names]
        mats.append(np.asarray(r, dtype=float))
    shapes = {m.shape for m in mats}
    if len(shapes) != 1 or mats[0].ndim != 2:
        raise ValueError(f"all readers must be 2-D with the same shape, got {sorted(shapes)}")
    Y = np.stack(mats, axis=1)  # (n, k, p)
    if Y.shape[0] < 2:
        raise ValueError("need at least 2 subjects")
    if not np.all(np.isfinite(Y)):
        raise ValueError("reader matrices contain NaN or infinite values")
    res = _icc_from_ms(_mean_squares(Y), kind, alpha)
    p = Y.shape[2]
    index = names if names is not None else [f"x{i}" for i in range(p)]
    return pd.DataFrame({key: np.broadcast_to(val, (p,)) for key, val in res.items()}, index=index)


class ICCFilter(BaseSelector):
    """Keep the features whose inter/intra-observer reproducibility ICC reaches ``threshold``.

    The ICC does not use the outcome, and comes from a *reproducibility set*: the same subjects'
    features measured by two (or k) readers / segmentations / scans. Give it either

    * at construction, ``reference=[X_reader1, X_reader2, ...]`` (each n_subjects x features;
      DataFrames are matched to the columns of ``X`` by name, arrays by position), or a mapping /
      Series of precomputed ICCs ``{feature name: icc}`` — the form to use inside a ``Pipeline``
      (ICCs are invariant to the per-feature affine maps of ``ZScore``); or
    * at fit time, ``fit(X_reader1, y, X_reader2=X_reader2)`` where ``X`` itself is the first
      reader's measurements and ``X_reader2`` is one matrix or a list of further readers' ones.

    Parameters
    ----------
    threshold : float, default 0.75
        "Good" reliability of Koo & Li (2016).
    kind : {"ICC(2,1)", "ICC(3,1)", "ICC(1,1)", ...}, default "ICC(2,1)"
        Two-way random absolute agreement (default) or two-way mixed consistency etc.
    reference : sequence of matrices, mapping, Series or None
    use : {"estimate", "lower"}, default "estimate"
        Compare the point estimate, or the lower confidence bound (stricter), with ``threshold``.
    alpha : float, default 0.05
        For the ``1 - alpha`` confidence interval.

    Attributes
    ----------
    icc_ : DataFrame
        Per input feature: ``icc, lower, upper, F, df1, df2, p`` (NaN where unknown).
    support_ : ndarray of bool
        ``icc >= threshold`` (NaN ICC: dropped).
    """

    def __init__(
        self,
        threshold: float = 0.75,
        kind: str = "ICC(2,1)",
        reference=None,
        use: str = "estimate",
        alpha: float = 0.05,
    ):
        self.threshold = threshold
        self.kind = kind
        self.reference = reference
        self.use = use
        self.alpha = alpha

    def fit(self, X, y=None, X_reader2=None):
        if self.use not in ("estimate", "lower"):
            raise ValueError(f"use must be 'estimate' or 'lower', got {self.use!r}")
        kind = _kind(self.kind)
        check_X(self, X, reset=True)
        names = self._feature_labels()
        has_names = hasattr(self, "feature_names_in_")
        ref = self.reference
        if ref is not None and X_reader2 is not None:
            raise ValueError("give either reference= at construction or X_reader2= to fit, not both")
        if ref is None and X_reader2 is None:
            raise ValueError("ICCFilter needs repeated measurements: reference=... or fit(..., X_reader2=...)")
        if isinstance(ref, (Mapping, pd.Series)):
            values = pd.Series(ref, dtype=float)
            if has_names:
                missing = [n for n in names if n not in values.index]
                if missing:
                    raise ValueError(f"no ICC given for feature(s) {missing[:5]}")
                vals = values.loc[names].to_numpy()
            else:
                vals = values.to_numpy()
                if vals.size != len(names):
                    raise ValueError("precomputed ICCs must match the number of features")
            table = pd.DataFrame({"icc": vals}, index=names)
            for col in ("lower", "upper", "F", "df1", "df2", "p"):
                table[col] = np.nan
        else:
            if ref is not None:
                readers = list(ref)
            else:
                extra = X_reader2 if isinstance(X_reader2, (list, tuple)) else [X_reader2]
                readers = [X, *extra]
            aligned = []
            for r in readers:
                if isinstance(r, pd.DataFrame) and has_names:
                    missing = [n for n in names if n not in r.columns]
                    if missing:
                        raise ValueError(f"reproducibility data lack feature(s) {missing[:5]}")
                    aligned.append(r.loc[:, names].to_numpy(dtype=float))
                else:
                    a = np.asarray(r, dtype=float)
                    if a.ndim != 2 or a.shape[1] != len(names):
                        raise ValueError(
                            f"each reader matrix needs {len(names)} feature columns, got shape {a.shape}"
                        )
                    aligned.append(a)
            table = icc_features(aligned, kind=kind, alpha=self.alpha)
            table.index = names
        crit = table["icc"] if self.use == "estimate" else table["lower"]
        support = np.asarray(crit.to_numpy() >= self.threshold)
        if not support.any():
            raise ValueError(f"no feature reaches {kind} >= {self.threshold}")
        self.icc_ = table
        self.support_ = support
        return self
