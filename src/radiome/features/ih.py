"""Intensity histogram features (IBSI 1 section 3.4, family ``ZVCW``).

The intensity histogram is the histogram of the *discretised* intensities ``X_d`` of the ``N_v``
voxels in the ROI intensity mask (``roi.levels``: IBSI fixed bin size / fixed bin number under
``profile: "ibsi"``, see :mod:`radiome.preprocess.discretise`). With ``n_i`` the number of voxels of
grey level ``i`` and ``p_i = n_i / N_v``:

* moments (mean, variance, skewness, excess kurtosis) are population moments, no bias correction;
  skewness and kurtosis are 0 when the variance is 0;
* percentiles are the sample percentiles of ``X_d`` with linear interpolation between order
  statistics (``numpy.percentile``'s default, as the IBSI reference implementations); the median,
  P10, P25, P75 and P90 all use it;
* the mode is the most frequent level; ties go to the level closest to the mean and, if two are
  equally close, to the lower one (IBSI ``AMMC``);
* the histogram gradient ``H'`` is taken on the *non-sparse* histogram over the levels
  ``1, 2, ..., max(X_d)`` (empty bins kept, levels start at 1 by the IBSI discretisation):
  ``H'_1 = n_2 - n_1``, ``H'_i = (n_{i+1} - n_{i-1}) / 2`` inside, ``H'_N = n_N - n_{N-1}`` at the
  top (``numpy.gradient``); a histogram with a single bin has ``H' = 0``. The "gradient intensity"
  features return the first level at which the extremum occurs.

IBSI recommends the 3D volume (``DHQ4``) as the only aggregation; ``aggregation`` may be ``None``
or ``"3D"``. Keys of :func:`compute_ibsi` are the IBSI reference tags (``ih_mean``, ...).

Reference: Zwanenburg A. et al., "The Image Biomarker Standardisation Initiative", Radiology 2020
(arXiv:1612.07003), section 3.4.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from radiome.features.base import RoiImage

NAME = "ih"

TAGS: tuple[str, ...] = (
    "ih_mean",
    "ih_var",
    "ih_skew",
    "ih_kurt",
    "ih_median",
    "ih_min",
    "ih_p10",
    "ih_p90",
    "ih_max",
    "ih_mode",
    "ih_iqr",
    "ih_range",
    "ih_mad",
    "ih_rmad",
    "ih_medad",
    "ih_cov",
    "ih_qcod",
    "ih_entropy",
    "ih_uniformity",
    "ih_max_grad",
    "ih_max_grad_g",
    "ih_min_grad",
    "ih_min_grad_g",
)


class _Hist:
    """The discretised ROI intensities and their non-sparse histogram (levels 1..max)."""

    def __init__(self, xd: np.ndarray) -> None:
        self.x = np.asarray(xd, dtype=np.float64)
        self.n_v = self.x.size
        top = int(self.x.max())
        self.levels = np.arange(1, top + 1, dtype=np.float64)
        self.counts = np.bincount(self.x.astype(np.int64), minlength=top + 1)[1:].astype(np.float64)
        self.p = self.counts / self.n_v
        self.mu = float(np.sum(self.levels * self.p))
        self.var = float(np.sum((self.levels - self.mu) ** 2 * self.p))
        self.sigma = float(np.sqrt(self.var))
        q = np.percentile(self.x, [10, 25, 50, 75, 90])
        self.p10, self.p25, self.median, self.p75, self.p90 = (float(v) for v in q)
        self.grad = np.gradient(self.counts) if self.counts.size > 1 else np.zeros(1)


def mean(h: _Hist) -> float:
    """Mean discretised intensity (X6K6): ``sum_i i p_i``."""
    return h.mu


def variance(h: _Hist) -> float:
    """Discretised intensity variance (CH89): ``sum_i (i - mu)^2 p_i``, no bias correction."""
    return h.var


def skewness(h: _Hist) -> float:
    """Discretised intensity skewness (88K1): third standardised moment; 0 if the variance is 0."""
    if h.var == 0.0:
        return 0.0
    return float(np.sum((h.levels - h.mu) ** 3 * h.p) / h.sigma**3)


def kurtosis(h: _Hist) -> float:
    """(Excess) discretised intensity kurtosis (C3I7): fourth standardised moment - 3; 0 if the variance is 0."""
    if h.var == 0.0:
        return 0.0
    return float(np.sum((h.levels - h.mu) ** 4 * h.p) / h.var**2 - 3.0)


def median(h: _Hist) -> float:
    """Median discretised intensity (WIFQ): sample median of ``X_d``."""
    return h.median


def minimum(h: _Hist) -> float:
    """Minimum discretised intensity (1PR8): ``min(X_d)``."""
    return float(h.x.min())


def p10(h: _Hist) -> float:
    """10th discretised intensity percentile (GPMT): ``P10(X_d)``, linear interpolation.

    The IBSI readthedocs page (and so the long reference table) shows the code ``1PR8`` here by a
    layout slip; the manual and DICOM CID 7467 give GPMT.
    """
    return h.p10


def p90(h: _Hist) -> float:
    """90th discretised intensity percentile (OZ0C): ``P90(X_d)``, linear interpolation."""
    return h.p90


def maximum(h: _Hist) -> float:
    """Maximum discretised intensity (3NCY): ``max(X_d)``."""
    return float(h.x.max())


def mode(h: _Hist) -> float:
    """Intensity histogram mode (AMMC): the most frequent level; ties -> closest to the mean, then the lower."""
    cand = h.levels[h.counts == h.counts.max()]
    dist = np.abs(cand - h.mu)
    return float(cand[np.flatnonzero(dist == dist.min())[0]])


def iqr(h: _Hist) -> float:
    """Discretised intensity interquartile range (WR0O): ``P75 - P25``."""
    return h.p75 - h.p25


def intensity_range(h: _Hist) -> float:
    """Discretised intensity range (5Z3W): ``max(X_d) - min(X_d)``."""
    return float(h.x.max() - h.x.min())


def mad(h: _Hist) -> float:
    """Intensity histogram mean absolute deviation (D2ZX): ``mean |X_d - mu|``."""
    return float(np.mean(np.abs(h.x - h.mu)))


def rmad(h: _Hist) -> float:
    """Intensity histogram robust mean absolute deviation (WRZB): MAD of the voxels with ``P10 <= X_d <= P90``."""
    sel = h.x[(h.x >= h.p10) & (h.x <= h.p90)]
    return float(np.mean(np.abs(sel - sel.mean())))


def medad(h: _Hist) -> float:
    """Intensity histogram median absolute deviation (4RNL): ``mean |X_d - median|``."""
    return float(np.mean(np.abs(h.x - h.median)))


def cov(h: _Hist) -> float:
    """Intensity histogram coefficient of variation (CWYJ): ``sigma / mu``."""
    return h.sigma / h.mu if h.mu != 0.0 else float("nan")


def qcod(h: _Hist) -> float:
    """Intensity histogram quartile coefficient of dispersion (SLWD): ``(P75 - P25) / (P75 + P25)``."""
    den = h.p75 + h.p25
    return (h.p75 - h.p25) / den if den != 0.0 else float("nan")


def entropy(h: _Hist) -> float:
    """Discretised intensity entropy (TLU2): ``-sum_i p_i log2 p_i`` over ``p_i > 0``."""
    p = h.p[h.p > 0]
    return float(-np.sum(p * np.log2(p)))


def uniformity(h: _Hist) -> float:
    """Discretised intensity uniformity (BJ5W): ``sum_i p_i^2``."""
    return float(np.sum(h.p**2))


def max_grad(h: _Hist) -> float:
    """Maximum histogram gradient (12CE): ``max(H')``."""
    return float(h.grad.max())


def max_grad_g(h: _Hist) -> float:
    """Maximum histogram gradient intensity (8E6O): the level ``i`` at which ``H'`` is maximal."""
    return float(h.levels[int(np.argmax(h.grad))])


def min_grad(h: _Hist) -> float:
    """Minimum histogram gradient (VQB3): ``min(H')``."""
    return float(h.grad.min())


def min_grad_g(h: _Hist) -> float:
    """Minimum histogram gradient intensity (RHQZ): the level ``i`` at which ``H'`` is minimal."""
    return float(h.levels[int(np.argmin(h.grad))])


_FEATURES: dict[str, Callable[[_Hist], float]] = {
    "ih_mean": mean,
    "ih_var": variance,
    "ih_skew": skewness,
    "ih_kurt": kurtosis,
    "ih_median": median,
    "ih_min": minimum,
    "ih_p10": p10,
    "ih_p90": p90,
    "ih_max": maximum,
    "ih_mode": mode,
    "ih_iqr": iqr,
    "ih_range": intensity_range,
    "ih_mad": mad,
    "ih_rmad": rmad,
    "ih_medad": medad,
    "ih_cov": cov,
    "ih_qcod": qcod,
    "ih_entropy": entropy,
    "ih_uniformity": uniformity,
    "ih_max_grad": max_grad,
    "ih_max_grad_g": max_grad_g,
    "ih_min_grad": min_grad,
    "ih_min_grad_g": min_grad_g,
}


def features_from_levels(xd: np.ndarray) -> dict[str, float]:
    """All intensity histogram features of a 1-D array of discretised intensities (integers >= 1)."""
    xd = np.asarray(xd).ravel()
    if xd.size == 0:
        return {t: float("nan") for t in TAGS}
    if np.any(xd < 1) or np.any(xd != np.round(xd)):
        raise ValueError("discretised intensities must be integers >= 1")
    h = _Hist(xd)
    return {tag: float(f(h)) for tag, f in _FEATURES.items()}


def compute_ibsi(roi: RoiImage, aggregation: str | None = None, **options: object) -> dict[str, float]:
    """IBSI intensity histogram features of ``roi.levels`` (3D), keyed by IBSI tag (``ih_mean``, ...).

    ``aggregation`` must be ``None`` or ``"3D"``; no options are used.
    """
    if aggregation not in (None, "3D"):
        raise ValueError(f"intensity histogram features are computed in 3D only, not {aggregation!r}")
    lv = roi.levels
    return features_from_levels(lv.array[roi.mask])
