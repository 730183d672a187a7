"""First-order features: PyRadiomics class ``firstorder``; IBSI "Intensity-based statistical
features" (family UHIW) and two "Intensity histogram features" (family ZVCW).

``X`` are the ``N_p`` ROI intensities (``roi.values``, float64), ``c`` the ``voxelArrayShift``
setting (default 0), ``p(i)`` the fraction of ROI voxels in discretised grey level ``i``
(``roi.levels``: ``binWidth``/``binCount`` binning of the active profile). Moments are population
moments (divided by ``N_p``); percentiles are ``numpy.percentile``'s linear interpolation.

PyRadiomics name -> IBSI feature (code), with PyRadiomics' departures
--------------------------------------------------------------------
* ``Energy`` -> energy (N8CA), ``sum (X + c)^2``; IBSI has no shift ``c``
* ``TotalEnergy``: ``Energy * voxel volume`` (mm^3); not in IBSI
* ``Entropy`` -> intensity histogram entropy (TLU2), ``-sum p log2(p + eps)``, ``eps = 2.2e-16``
  (PyRadiomics); the ``ibsi`` profile uses ``-sum p log2 p``
* ``Uniformity`` -> intensity histogram uniformity (BJ5W), ``sum p^2``
* ``Minimum`` (1GSF), ``10Percentile`` (QG58), ``90Percentile`` (8DWT), ``Maximum`` (84IY),
  ``Mean`` (Q4LE), ``Median`` (Y12H), ``InterquartileRange`` (SALO, ``P75 - P25``),
  ``Range`` (2OJQ)
* ``MeanAbsoluteDeviation`` -> mean absolute deviation (4FUA), ``mean |X - mean(X)|``
* ``RobustMeanAbsoluteDeviation`` -> robust mean absolute deviation (1128): the same over the
  voxels with ``P10 <= X <= P90``
* ``RootMeanSquared`` -> root mean square (5ZWQ), ``sqrt(sum (X + c)^2 / N_p)``
* ``StandardDeviation``: ``sqrt(variance)``; not in IBSI; deprecated in PyRadiomics (computed only
  when asked for by name)
* ``Skewness`` -> skewness (KE2A), ``mu3 / mu2^1.5``; 0 for a flat ROI
* ``Kurtosis`` -> (excess) kurtosis (IPH6): PyRadiomics returns ``mu4 / mu2^2`` *without* the
  ``-3`` (3 more than IBSI); the ``ibsi`` profile returns the excess kurtosis. 0 for a flat ROI
  under both profiles (as PyRadiomics).
* ``Variance`` -> variance (ECT3), ``mu2`` (population variance)

Profiles: ``settings["profile"] == "ibsi"`` changes only ``Kurtosis`` (excess) and ``Entropy`` (no
``eps``); discretisation for ``Entropy``/``Uniformity`` follows the profile through ``roi.levels``.
``voxelArrayShift`` is applied under both profiles when set (IBSI compliance needs it at 0, its
default).

:func:`compute_ibsi` returns the IBSI intensity statistics (``stat_*`` tags) of the raw ROI
intensities, including those without a PyRadiomics counterpart: median absolute deviation (N72L,
``mean |X - median(X)|``), coefficient of variation (7TET, ``sigma / mean``) and quartile
coefficient of dispersion (9S40, ``(P75 - P25) / (P75 + P25)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from radiome.features.base import RoiImage

NAME = "firstorder"
FEATURES: tuple[str, ...] = (
    "Energy",
    "TotalEnergy",
    "Entropy",
    "Minimum",
    "10Percentile",
    "90Percentile",
    "Maximum",
    "Mean",
    "Median",
    "InterquartileRange",
    "Range",
    "MeanAbsoluteDeviation",
    "RobustMeanAbsoluteDeviation",
    "RootMeanSquared",
    "StandardDeviation",
    "Skewness",
    "Kurtosis",
    "Variance",
    "Uniformity",
)
DEPRECATED: frozenset[str] = frozenset({"StandardDeviation"})

IBSI_TAGS: tuple[str, ...] = (
    "stat_mean",
    "stat_var",
    "stat_skew",
    "stat_kurt",
    "stat_median",
    "stat_min",
    "stat_p10",
    "stat_p90",
    "stat_max",
    "stat_iqr",
    "stat_range",
    "stat_mad",
    "stat_rmad",
    "stat_medad",
    "stat_cov",
    "stat_qcod",
    "stat_energy",
    "stat_rms",
)

_EPS = np.spacing(1)


def _select(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [n for n in FEATURES if n not in DEPRECATED]
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown firstorder feature(s): {unknown}")
    return list(dict.fromkeys(names))


class _Stats:
    """Lazily computed moments/percentiles of one intensity vector (each computed once)."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self._cache: dict[object, float] = {}

    def _get(self, key: object, fn: Callable[[], float]) -> float:
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def mean(self) -> float:
        return self._get("mean", lambda: np.mean(self.x))

    def pct(self, q: float) -> float:
        return self._get(("pct", q), lambda: np.percentile(self.x, q))

    def moment(self, k: int) -> float:
        """Central moment ``mean((X - mean)^k)``."""
        return self._get(("m", k), lambda: np.mean(np.power(self.x - self.mean, k)))

    @property
    def std(self) -> float:
        return self._get("std", lambda: np.std(self.x))

    def skewness(self) -> float:
        m2 = self.moment(2)
        return self.moment(3) / m2**1.5 if m2 != 0 else 0.0  # m2 == 0 only if all deviations are 0

    def kurtosis(self) -> float:
        """``mu4 / mu2^2`` (no -3); 0 for a flat ROI."""
        m2 = self.moment(2)
        return self.moment(4) / m2**2.0 if m2 != 0 else 0.0

    def rmad(self) -> float:
        lo, hi = self.pct(10), self.pct(90)
        sub = self.x[(self.x >= lo) & (self.x <= hi)]
        if sub.size == 0:  # possible for 2 voxels: both fall outside [P10, P90]; NaN as PyRadiomics
            return float("nan")
        return np.mean(np.absolute(sub - np.mean(sub)))


def _histogram(roi: RoiImage) -> np.ndarray:
    """Fractions ``p(i)`` of the ROI voxels in each discretised grey level present."""
    lv = roi.levels
    counts = np.unique(lv.array[roi.mask], return_counts=True)[1]
    return counts / counts.sum()


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """First-order features of ``roi`` (``names`` None: all non-deprecated); see module docstring.

    An empty ROI gives NaN for every feature.
    """
    selected = _select(names)
    if not selected:
        return {}
    x = roi.values
    if x.size == 0:
        return {n: float("nan") for n in selected}
    ibsi = roi.profile == "ibsi"
    shift = roi.settings.get("voxelArrayShift", 0) or 0
    st = _Stats(x)
    out: dict[str, float] = {}
    energy = None
    for name in selected:
        if name in ("Energy", "TotalEnergy", "RootMeanSquared"):
            if energy is None:
                energy = np.sum((x + shift) ** 2)
            if name == "Energy":
                val = energy
            elif name == "TotalEnergy":
                val = energy * np.multiply.reduce(tuple(roi.spacing)[::-1])  # voxel volume, mm^3
            else:
                val = np.sqrt(energy / x.size)
        elif name in ("Entropy", "Uniformity"):
            p = roi.cache("firstorder.histogram", lambda: _histogram(roi))
            if name == "Uniformity":
                val = np.sum(p**2)
            elif ibsi:
                val = -np.sum(p * np.log2(p))
            else:
                val = -1.0 * np.sum(p * np.log2(p + _EPS))
        elif name == "Minimum":
            val = np.min(x)
        elif name == "Maximum":
            val = np.max(x)
        elif name == "Range":
            val = np.max(x) - np.min(x)
        elif name == "10Percentile":
            val = st.pct(10)
        elif name == "90Percentile":
            val = st.pct(90)
        elif name == "Median":
            val = np.median(x)
        elif name == "InterquartileRange":
            val = st.pct(75) - st.pct(25)
        elif name == "Mean":
            val = st.mean
        elif name == "MeanAbsoluteDeviation":
            val = np.mean(np.absolute(x - st.mean))
        elif name == "RobustMeanAbsoluteDeviation":
            val = st.rmad()
        elif name == "StandardDeviation":
            val = st.std
        elif name == "Variance":
            val = st.std**2
        elif name == "Skewness":
            val = st.skewness()
        elif name == "Kurtosis":
            val = st.kurtosis() - 3.0 if ibsi and st.moment(2) != 0 else st.kurtosis()
        else:  # pragma: no cover - _select guarantees a known name
            raise KeyError(name)
        out[name] = float(val)
    return out


def compute_ibsi(roi: RoiImage) -> dict[str, float]:
    """IBSI intensity-based statistical features (``stat_*`` tags) of the ROI intensities.

    No shift, no discretisation. Flat ROI: skewness and kurtosis 0 (as PyRadiomics); an empty ROI
    gives NaN everywhere; ``stat_cov``/``stat_qcod`` are NaN when their denominator is 0.
    """
    x = roi.values
    if x.size == 0:
        return {t: float("nan") for t in IBSI_TAGS}
    st = _Stats(x)
    p25, p75 = st.pct(25), st.pct(75)
    med = np.median(x)
    energy = np.sum(x**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "stat_mean": st.mean,
            "stat_var": st.moment(2),
            "stat_skew": st.skewness(),
            "stat_kurt": st.kurtosis() - 3.0 if st.moment(2) != 0 else 0.0,
            "stat_median": med,
            "stat_min": np.min(x),
            "stat_p10": st.pct(10),
            "stat_p90": st.pct(90),
            "stat_max": np.max(x),
            "stat_iqr": p75 - p25,
            "stat_range": np.max(x) - np.min(x),
            "stat_mad": np.mean(np.absolute(x - st.mean)),
            "stat_rmad": st.rmad(),
            "stat_medad": np.mean(np.absolute(x - med)),
            "stat_cov": np.float64(np.sqrt(st.moment(2))) / np.float64(st.mean),
            "stat_qcod": np.float64(p75 - p25) / np.float64(p75 + p25),
            "stat_energy": energy,
            "stat_rms": np.sqrt(energy / x.size),
        }
    return {t: float(out[t]) for t in IBSI_TAGS}
