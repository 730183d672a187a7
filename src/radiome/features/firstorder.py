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

from collections.abc import Sequence
from functools import cached_property

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


_PERCENTILES = (10, 25, 75, 90)
_QUANTILES = np.true_divide(_PERCENTILES, 100)  # as np.percentile turns them into quantiles


def _mean(a: np.ndarray) -> np.float64:
    """``np.mean`` of a 1-D float64 array (the same pairwise sum and division, without its overhead)."""
    return np.add.reduce(a) / a.size


class _Stats:
    """Moments and order statistics of one intensity vector, each computed once on first use.

    Cost: one sort gives minimum, maximum, median, the four percentiles (numpy's linear
    interpolation between the same order statistics, bit-identical to PyRadiomics' separate
    ``nanpercentile`` calls) and the robust-MAD subset (a slice between two ``searchsorted``
    bounds); the central moments share one deviation vector (``d * d``, ``d * d * d`` instead of
    ``np.power``, which differ from it by an ulp).
    """

    PERCENTILES = _PERCENTILES

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    @cached_property
    def sorted(self) -> np.ndarray:
        return np.sort(self.x)

    @cached_property
    def mean(self) -> np.float64:
        return _mean(self.x)

    @cached_property
    def dev(self) -> np.ndarray:
        return self.x - self.mean

    @cached_property
    def _moments(self) -> tuple[np.float64, np.float64, np.float64]:
        d2 = self.dev * self.dev
        return _mean(d2), _mean(d2 * self.dev), _mean(d2 * d2)

    def moment(self, k: int) -> np.float64:
        """Central moment ``mean((X - mean)^k)``, ``k`` = 2, 3 or 4."""
        return self._moments[k - 2]

    @cached_property
    def _percentiles(self) -> dict[int, np.float64]:
        """``np.percentile``'s default ("linear", Hyndman & Fan type 7) on the sorted values.

        The arithmetic is numpy's own (``numpy.lib._function_base_impl._quantile`` / ``_lerp``):
        virtual index ``(n - 1) q``, its floor and the next order statistic, and the interpolation
        ``a + (b - a) g`` (``b - (b - a)(1 - g)`` for ``g >= 0.5``), so the values are bit-identical
        to ``np.percentile`` / ``np.nanpercentile`` (PyRadiomics) without their call overhead.
        """
        xs = self.sorted
        n = xs.size
        if n == 1:
            return dict.fromkeys(self.PERCENTILES, xs[0])
        virtual = (n - 1) * _QUANTILES
        below = np.floor(virtual)
        gamma = virtual - below
        a = xs[below.astype(np.intp)]
        b = xs[below.astype(np.intp) + 1]
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        return dict(zip(self.PERCENTILES, value))

    def pct(self, q: int) -> np.float64:
        return self._percentiles[q]

    @cached_property
    def median(self) -> np.float64:
        """As ``np.median``: the middle value, or the mean of the two middle values."""
        xs = self.sorted
        h = xs.size // 2
        return xs[h] if xs.size % 2 else (xs[h - 1] + xs[h]) / 2

    @property
    def minimum(self) -> np.float64:
        return self.sorted[0]

    @property
    def maximum(self) -> np.float64:
        return self.sorted[-1]

    def skewness(self) -> np.float64:
        m2 = self.moment(2)
        return self.moment(3) / m2**1.5 if m2 != 0 else 0.0  # m2 == 0 only if all deviations are 0

    def kurtosis(self) -> np.float64:
        """``mu4 / mu2^2`` (no -3); 0 for a flat ROI."""
        m2 = self.moment(2)
        return self.moment(4) / m2**2.0 if m2 != 0 else 0.0

    def mad(self) -> np.float64:
        return _mean(np.absolute(self.dev))

    def rmad(self) -> float:
        """Mean absolute deviation of the voxels with ``P10 <= X <= P90`` (a slice of the sorted values)."""
        xs = self.sorted
        lo = np.searchsorted(xs, self.pct(10), side="left")
        hi = np.searchsorted(xs, self.pct(90), side="right")
        sub = xs[lo:hi]
        if sub.size == 0:  # possible for 2 voxels: both fall outside [P10, P90]; NaN as PyRadiomics
            return float("nan")
        return _mean(np.absolute(sub - _mean(sub)))


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
    p = None
    for name in selected:
        if name in ("Energy", "TotalEnergy", "RootMeanSquared"):
            if energy is None:
                xs = x + shift if shift else x
                energy = np.sum(xs * xs)
            if name == "Energy":
                val = energy
            elif name == "TotalEnergy":
                val = energy * np.multiply.reduce(tuple(roi.spacing)[::-1])  # voxel volume, mm^3
            else:
                val = np.sqrt(energy / x.size)
        elif name in ("Entropy", "Uniformity"):
            if p is None:
                counts = roi.levels.counts  # voxels per grey level present
                p = counts / counts.sum()
            if name == "Uniformity":
                val = np.sum(p * p)
            elif ibsi:
                val = -np.sum(p * np.log2(p))
            else:
                val = -1.0 * np.sum(p * np.log2(p + _EPS))
        elif name == "Minimum":
            val = st.minimum
        elif name == "Maximum":
            val = st.maximum
        elif name == "Range":
            val = st.maximum - st.minimum
        elif name == "10Percentile":
            val = st.pct(10)
        elif name == "90Percentile":
            val = st.pct(90)
        elif name == "Median":
            val = st.median
        elif name == "InterquartileRange":
            val = st.pct(75) - st.pct(25)
        elif name == "Mean":
            val = st.mean
        elif name == "MeanAbsoluteDeviation":
            val = st.mad()
        elif name == "RobustMeanAbsoluteDeviation":
            val = st.rmad()
        elif name == "StandardDeviation":
            val = np.sqrt(st.moment(2))
        elif name == "Variance":
            val = st.moment(2)
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
    med = st.median
    energy = np.sum(x * x)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "stat_mean": st.mean,
            "stat_var": st.moment(2),
            "stat_skew": st.skewness(),
            "stat_kurt": st.kurtosis() - 3.0 if st.moment(2) != 0 else 0.0,
            "stat_median": med,
            "stat_min": st.minimum,
            "stat_p10": st.pct(10),
            "stat_p90": st.pct(90),
            "stat_max": st.maximum,
            "stat_iqr": p75 - p25,
            "stat_range": st.maximum - st.minimum,
            "stat_mad": st.mad(),
            "stat_rmad": st.rmad(),
            "stat_medad": np.mean(np.absolute(x - med)),
            "stat_cov": np.float64(np.sqrt(st.moment(2))) / np.float64(st.mean),
            "stat_qcod": np.float64(p75 - p25) / np.float64(p75 + p25),
            "stat_energy": energy,
            "stat_rms": np.sqrt(energy / x.size),
        }
    return {t: float(out[t]) for t in IBSI_TAGS}
