"""Intensity-volume histogram features (IBSI 1 section 3.5, family ``P88C``).

The (cumulative) intensity-volume histogram (IVH) relates an intensity ``i`` to the fraction ``nu_i``
of the ROI intensity mask with an intensity of at least ``i``. It is built from the ROI intensities
``X_gl`` (``roi.values``, *not* ``roi.levels``: the IVH has its own, finer discretisation) after
turning them into a set ``X_d,gl`` with a range ``G`` and a step ``w_d``:

=================================  ================================  ===============================  =====
settings                           ``X_d,gl``                        ``G``                            ``w_d``
=================================  ================================  ===============================  =====
neither (discrete intensities,     ``X_gl`` as it is                 the re-segmentation range if     1
e.g. CT)                                                             there is one (open top:
                                                                     ``max X_gl``), else
                                                                     ``[min X_gl, max X_gl]``
``ivhBinWidth = w`` (fixed bin     bin centres                       ``[X_min + w/2, X_max - w/2]``   ``w``
size, e.g. PET 0.1 SUV, CT 2.5)    ``X_min + (X_d - 0.5) w``
``ivhBinCount = N`` (fixed bin     bin numbers ``X_d`` in 1..N       ``[1, N]``                       1
number, arbitrary units)           (IBSI FBN over the ROI range)
=================================  ================================  ===============================  =====

For fixed bin size ``X_d = floor((X_gl - X_min) / w) + 1``, where ``X_min`` / ``X_max`` are the
bounds of the re-segmentation range (settings ``resegmentRange`` with ``resegmentMode`` absolute,
the default) or else the ROI minimum / maximum. ``ivhBinCount`` takes precedence over
``ivhBinWidth``. The options may also be passed as keyword arguments of :func:`compute_ibsi`
(``ivh_bin_width``, ``ivh_bin_count``), which override the settings.

The IVH is evaluated at every ``i`` in ``G_min, G_min + w_d, ..., G_max`` (intensities absent from the
ROI included): ``nu_i = 1 - #{X_d,gl < i} / N_v`` and the intensity fraction
``gamma_i = (i - G_min) / (G_max - G_min)``.

* ``V_x`` (volume at intensity fraction) is the largest ``nu_i`` with ``gamma_i >= x``;
* ``I_x`` (intensity at volume fraction) is the smallest ``i`` with ``nu_i <= x``. If no ``i`` of the
  grid qualifies (the top level holds more than ``x`` of the volume) the grid is continued one step
  past ``max(X_d,gl)``, where ``nu = 0`` by definition, and that intensity is returned;
* the differences ``V10 - V90`` and ``I10 - I90``;
* the area under the IVH curve (``ivh_auc``), trapezoidal rule over ``(gamma_i, nu_i)``; 0 when the
  range holds a single intensity. IBSI gives no reference value for every configuration.

A degenerate range (``G_max <= G_min``: one intensity, no re-segmentation range) has no intensity
fraction; then ``gamma = 1`` at the single grid point, so ``V_x = 1``.

Aggregation: 3D only (``DHQ4``); ``aggregation`` may be ``None`` or ``"3D"``.

Reference: Zwanenburg A. et al., "The Image Biomarker Standardisation Initiative", Radiology 2020
(arXiv:1612.07003), section 3.5; El Naqa et al. 2009; van Velden et al. 2011.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiome.features.base import RoiImage
from radiome.preprocess.discretise import discretise

NAME = "ivh"

TAGS: tuple[str, ...] = (
    "ivh_v10",
    "ivh_v90",
    "ivh_i10",
    "ivh_i90",
    "ivh_diff_v10_v90",
    "ivh_diff_i10_i90",
    "ivh_auc",
)

# guard against representation error when comparing the intensity fraction with x
_EPS = 1e-9


@dataclass(frozen=True)
class IVH:
    """The intensity-volume histogram on its grid: intensities ``i``, fractions ``gamma``, volumes ``nu``."""

    intensity: np.ndarray  # grid intensities i (X_d,gl units)
    gamma: np.ndarray  # intensity fractions
    nu: np.ndarray  # volume fractions (non-increasing)
    step: float  # w_d
    top: float  # max(X_d,gl)

    def volume_at(self, x: float) -> float:
        """``V_x``: the largest volume fraction whose intensity fraction is at least ``x`` (0..1)."""
        sel = self.gamma >= x - _EPS
        return float(self.nu[sel].max()) if np.any(sel) else 0.0

    def intensity_at(self, x: float) -> float:
        """``I_x``: the lowest intensity present in at most a fraction ``x`` (0..1) of the volume."""
        sel = np.flatnonzero(self.nu <= x + _EPS)
        if sel.size:
            return float(self.intensity[sel[0]])
        return float(self.top + self.step)

    def auc(self) -> float:
        """Area under the IVH curve (9CMM), trapezoidal rule; 0 for a single grid point."""
        if self.nu.size < 2:
            return 0.0
        g, n = self.gamma, self.nu
        return float(np.sum(np.diff(g) * (n[1:] + n[:-1]) / 2.0))


def _range_bounds(settings: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Bounds of an absolute re-segmentation range (None where absent / open)."""
    rr = settings.get("resegmentRange")
    if not rr or settings.get("resegmentMode", "absolute") != "absolute":
        return None, None
    lims = sorted(float(v) for v in rr)
    lo = lims[0]
    hi = lims[1] if len(lims) == 2 and np.isfinite(lims[1]) else None
    return (lo if np.isfinite(lo) else None), hi


def build_ivh(
    values: np.ndarray,
    *,
    bin_width: float | None = None,
    bin_count: int | None = None,
    range_min: float | None = None,
    range_max: float | None = None,
) -> IVH:
    """The IVH of ROI intensities ``values`` (see the module docstring for the three regimes)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if x.size == 0:
        raise ValueError("empty ROI")
    if bin_count is not None:
        xd = discretise(x, bin_count=int(bin_count), profile="ibsi").astype(np.float64)
        g_min, g_max, step = 1.0, float(bin_count), 1.0
        vals = xd
    elif bin_width is not None:
        w = float(bin_width)
        if w <= 0:
            raise ValueError("ivhBinWidth must be positive")
        x_min = float(x.min()) if range_min is None else float(range_min)
        x_max = float(x.max()) if range_max is None else float(range_max)
        k = np.floor((x - x_min) / w) + 1  # bin numbers
        # work in bin numbers (exact integers) and convert to bin-centre intensities at the end
        k_top = max(int(np.floor((x_max - x_min) / w + _EPS)), 1)  # bins with centre <= X_max - w/2
        grid_k = np.arange(1, k_top + 1, dtype=np.float64)
        nu = _nu(k, grid_k)
        centre = x_min + (grid_k - 0.5) * w
        # gamma = (centre - G_min) / (G_max - G_min), G = [X_min + w/2, X_max - w/2]
        gamma = _gamma((grid_k - 1.0) * w, 0.0, x_max - x_min - w)
        return IVH(centre, gamma, nu, w, float(x_min + (k.max() - 0.5) * w))
    else:
        g_min = float(x.min()) if range_min is None else float(range_min)
        g_max = float(x.max()) if range_max is None else float(range_max)
        step = 1.0
        vals = x
    n = int(np.floor((g_max - g_min) / step + _EPS)) + 1 if g_max > g_min else 1
    grid = g_min + step * np.arange(n, dtype=np.float64)
    return IVH(grid, _gamma(grid, g_min, g_max), _nu(vals, grid), step, float(vals.max()))


def _nu(vals: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Fraction of ``vals`` that are >= each grid value."""
    s = np.sort(vals)
    below = np.searchsorted(s, grid, side="left")
    return 1.0 - below / s.size


def _gamma(grid: np.ndarray, g_min: float, g_max: float) -> np.ndarray:
    if g_max <= g_min:
        return np.ones_like(grid)
    return (grid - g_min) / (g_max - g_min)


def volume_at_intensity_fraction(ivh: IVH, x: float) -> float:
    """Volume at intensity fraction (BC2M): ``V_x``; ``V10`` is NK6P, ``V90`` is 4279."""
    return ivh.volume_at(x)


def intensity_at_volume_fraction(ivh: IVH, x: float) -> float:
    """Intensity at volume fraction (GBPN): ``I_x``; ``I10`` is PWN1, ``I90`` is BOHI."""
    return ivh.intensity_at(x)


def volume_fraction_difference(ivh: IVH, a: float, b: float) -> float:
    """Volume fraction difference between intensity fractions (DDTU): ``V_a - V_b``; V10-V90 is WITY."""
    return ivh.volume_at(a) - ivh.volume_at(b)


def intensity_fraction_difference(ivh: IVH, a: float, b: float) -> float:
    """Intensity fraction difference between volume fractions (CNV2): ``I_a - I_b``; I10-I90 is JXJA."""
    return ivh.intensity_at(a) - ivh.intensity_at(b)


def area_under_curve(ivh: IVH) -> float:
    """Area under the IVH curve (9CMM): trapezoidal integral of ``nu`` over ``gamma``."""
    return ivh.auc()


def features_from_ivh(ivh: IVH) -> dict[str, float]:
    return {
        "ivh_v10": volume_at_intensity_fraction(ivh, 0.10),
        "ivh_v90": volume_at_intensity_fraction(ivh, 0.90),
        "ivh_i10": intensity_at_volume_fraction(ivh, 0.10),
        "ivh_i90": intensity_at_volume_fraction(ivh, 0.90),
        "ivh_diff_v10_v90": volume_fraction_difference(ivh, 0.10, 0.90),
        "ivh_diff_i10_i90": intensity_fraction_difference(ivh, 0.10, 0.90),
        "ivh_auc": area_under_curve(ivh),
    }


def compute_ibsi(roi: RoiImage, aggregation: str | None = None, **options: Any) -> dict[str, float]:
    """IBSI intensity-volume histogram features of the ROI intensities, keyed by IBSI tag.

    The IVH discretisation comes from ``roi.settings`` (``ivhBinWidth``, ``ivhBinCount``,
    ``resegmentRange``/``resegmentMode``), overridable by the options ``ivh_bin_width``,
    ``ivh_bin_count``, ``range_min`` and ``range_max``. ``aggregation`` must be ``None`` or ``"3D"``.
    """
    if aggregation not in (None, "3D"):
        raise ValueError(f"intensity-volume histogram features are computed in 3D only, not {aggregation!r}")
    s = roi.settings
    lo, hi = _range_bounds(s)
    bin_width = options.get("ivh_bin_width", s.get("ivhBinWidth"))
    bin_count = options.get("ivh_bin_count", s.get("ivhBinCount"))
    lo = options.get("range_min", lo)
    hi = options.get("range_max", hi)
    vals = roi.values
    if vals.size == 0:
        return {t: float("nan") for t in TAGS}
    ivh = build_ivh(vals, bin_width=bin_width, bin_count=bin_count, range_min=lo, range_max=hi)
    return features_from_ivh(ivh)
