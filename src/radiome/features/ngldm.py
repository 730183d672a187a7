"""Neighbouring grey level dependence matrix features (IBSI 1 section 3.11, family ``REK0``).

For every voxel ``k`` of the ROI intensity mask, its dependence count ``j_k`` is the number of voxels
in its neighbourhood (Chebyshev distance ``delta = 1``: 26 neighbours in 3D, the 8 in-slice ones in
2D) that lie in the ROI and whose discretised grey level differs from the centre's by at most the
coarseness parameter ``alpha``, *plus one for the centre itself* (so ``j_k >= 1``). Neighbours
outside the ROI or the image do not count and incomplete neighbourhoods are kept, so every ROI
voxel gives one neighbourhood (``N_s = N_v``, dependence count percentage = 1). Element ``s_ij`` of
the NGLDM counts the ROI voxels of grey level ``i`` with dependence ``j``; ``i`` and ``j`` in the
formulas are the actual grey level and dependence values (empty rows/columns have no effect).

``alpha`` comes from settings ``ngldm_a`` (default 0) or the option ``alpha``; ``delta`` from the
option ``distance`` (default 1, Chebyshev).

Aggregation (``aggregation``; keys get the suffix ``_2D`` / ``_2_5D`` / ``_3D``):

* ``"2D"`` (``8QNN``): one matrix per axial slice (array axis 0 of ``[z, y, x]``), in-slice
  neighbours only; features computed per slice (slices without ROI voxels skipped) and averaged;
* ``"2_5D"`` (``62GR``): the per-slice matrices summed into one (``N_s``, ``N_v`` summed too), then
  the features;
* ``"3D"`` (``KOBO``): one matrix from the 3D neighbourhood of the whole volume;
* ``None``: all three.

The matrices are built without any loop over voxels: one pass per neighbour offset over shifted
views of the zero-padded level array, then one ``bincount`` over ``(slice, level, count)``.

Reference: Sun C., Wee W.G., "Neighboring gray level dependence matrix for texture classification",
CVGIP 1983; Zwanenburg A. et al., "The Image Biomarker Standardisation Initiative", Radiology 2020
(arXiv:1612.07003), section 3.11.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

import numpy as np

from radiome.features.base import RoiImage

NAME = "ngldm"

#: IBSI tag stems, in the order of the reference tables
STEMS: tuple[str, ...] = (
    "lde",
    "hde",
    "lgce",
    "hgce",
    "ldlge",
    "ldhge",
    "hdlge",
    "hdhge",
    "glnu",
    "glnu_norm",
    "dcnu",
    "dcnu_norm",
    "dc_perc",
    "gl_var",
    "dc_var",
    "dc_entr",
    "dc_energy",
)
AGGREGATIONS: tuple[str, ...] = ("2D", "2_5D", "3D")
TAGS: tuple[str, ...] = tuple(f"ngl_{s}_{a}" for a in AGGREGATIONS for s in STEMS)


class Matrix:
    """An NGLDM ``s[i, j]`` with the grey level value of each row and the dependence of each column."""

    def __init__(self, s: np.ndarray, levels: np.ndarray, counts: np.ndarray, n_v: int) -> None:
        self.s = np.asarray(s, dtype=np.float64)
        self.i = np.asarray(levels, dtype=np.float64)[:, None]
        self.j = np.asarray(counts, dtype=np.float64)[None, :]
        self.n_s = float(self.s.sum())
        self.n_v = float(n_v)
        self.p = self.s / self.n_s
        self.si = self.s.sum(axis=1)  # s_i. per grey level
        self.sj = self.s.sum(axis=0)  # s_.j per dependence count


def lde(m: Matrix) -> float:
    """Low dependence emphasis (SODN): ``sum_j s_.j / j^2 / N_s``."""
    return float(np.sum(m.sj / m.j[0] ** 2) / m.n_s)


def hde(m: Matrix) -> float:
    """High dependence emphasis (IMOQ): ``sum_j j^2 s_.j / N_s``."""
    return float(np.sum(m.j[0] ** 2 * m.sj) / m.n_s)


def lgce(m: Matrix) -> float:
    """Low grey level count emphasis (TL9H): ``sum_i s_i. / i^2 / N_s``."""
    return float(np.sum(m.si / m.i[:, 0] ** 2) / m.n_s)


def hgce(m: Matrix) -> float:
    """High grey level count emphasis (OAE7): ``sum_i i^2 s_i. / N_s``."""
    return float(np.sum(m.i[:, 0] ** 2 * m.si) / m.n_s)


def ldlge(m: Matrix) -> float:
    """Low dependence low grey level emphasis (EQ3F): ``sum_ij s_ij / (i^2 j^2) / N_s``."""
    return float(np.sum(m.s / (m.i**2 * m.j**2)) / m.n_s)


def ldhge(m: Matrix) -> float:
    """Low dependence high grey level emphasis (JA6D): ``sum_ij i^2 s_ij / j^2 / N_s``."""
    return float(np.sum(m.i**2 * m.s / m.j**2) / m.n_s)


def hdlge(m: Matrix) -> float:
    """High dependence low grey level emphasis (NBZI): ``sum_ij j^2 s_ij / i^2 / N_s``."""
    return float(np.sum(m.j**2 * m.s / m.i**2) / m.n_s)


def hdhge(m: Matrix) -> float:
    """High dependence high grey level emphasis (9QMG): ``sum_ij i^2 j^2 s_ij / N_s``."""
    return float(np.sum(m.i**2 * m.j**2 * m.s) / m.n_s)


def glnu(m: Matrix) -> float:
    """Grey level non-uniformity (FP8K): ``sum_i s_i.^2 / N_s``."""
    return float(np.sum(m.si**2) / m.n_s)


def glnu_norm(m: Matrix) -> float:
    """Normalised grey level non-uniformity (5SPA): ``sum_i s_i.^2 / N_s^2``."""
    return float(np.sum(m.si**2) / m.n_s**2)


def dcnu(m: Matrix) -> float:
    """Dependence count non-uniformity (Z87G): ``sum_j s_.j^2 / N_s``."""
    return float(np.sum(m.sj**2) / m.n_s)


def dcnu_norm(m: Matrix) -> float:
    """Normalised dependence count non-uniformity (OKJI): ``sum_j s_.j^2 / N_s^2``."""
    return float(np.sum(m.sj**2) / m.n_s**2)


def dc_perc(m: Matrix) -> float:
    """Dependence count percentage (6XV8): ``N_s / N_v`` (1 under the IBSI definition)."""
    return m.n_s / m.n_v


def gl_var(m: Matrix) -> float:
    """Grey level variance (1PFV): ``sum_ij (i - mu)^2 p_ij`` with ``mu = sum_ij i p_ij``."""
    mu = np.sum(m.i * m.p)
    return float(np.sum((m.i - mu) ** 2 * m.p))


def dc_var(m: Matrix) -> float:
    """Dependence count variance (DNX2): ``sum_ij (j - mu)^2 p_ij`` with ``mu = sum_ij j p_ij``."""
    mu = np.sum(m.j * m.p)
    return float(np.sum((m.j - mu) ** 2 * m.p))


def dc_entr(m: Matrix) -> float:
    """Dependence count entropy (FCBV): ``-sum_ij p_ij log2 p_ij`` over ``p_ij > 0``."""
    p = m.p[m.p > 0]
    return float(-np.sum(p * np.log2(p)))


def dc_energy(m: Matrix) -> float:
    """Dependence count energy (CAS9): ``sum_ij p_ij^2``."""
    return float(np.sum(m.p**2))


_FEATURES: dict[str, Callable[[Matrix], float]] = {
    "lde": lde,
    "hde": hde,
    "lgce": lgce,
    "hgce": hgce,
    "ldlge": ldlge,
    "ldhge": ldhge,
    "hdlge": hdlge,
    "hdhge": hdhge,
    "glnu": glnu,
    "glnu_norm": glnu_norm,
    "dcnu": dcnu,
    "dcnu_norm": dcnu_norm,
    "dc_perc": dc_perc,
    "gl_var": gl_var,
    "dc_var": dc_var,
    "dc_entr": dc_entr,
    "dc_energy": dc_energy,
}


def matrix_features(m: Matrix) -> dict[str, float]:
    """All NGLDM features of one matrix, keyed by tag stem (``lde``, ...)."""
    return {k: f(m) for k, f in _FEATURES.items()}


def _offsets(distance: int, two_d: bool) -> list[tuple[int, ...]]:
    """All non-zero offsets ``(z, y, x)`` with Chebyshev norm <= ``distance`` (in-slice only for 2D)."""
    r = range(-distance, distance + 1)
    out = [o for o in product(r, repeat=3) if any(o)]
    if two_d:
        out = [o for o in out if o[0] == 0]
    return out


def dependence_counts(levels: np.ndarray, alpha: float = 0, distance: int = 1, two_d: bool = False) -> np.ndarray:
    """Dependence count ``j_k`` (centre included) of every voxel of a 3D level array (0 outside the ROI).

    Returns an int array of the shape of ``levels``, 0 outside the ROI.
    """
    lv = np.asarray(levels)
    if lv.ndim != 3:
        raise ValueError("levels must be a 3D array [z, y, x]")
    d = int(distance)
    padded = np.pad(lv.astype(np.int64), d, mode="constant", constant_values=0)
    inside = lv > 0
    centre = lv.astype(np.int64)
    count = inside.astype(np.int64)  # the centre voxel itself
    shape = lv.shape
    for o in _offsets(d, two_d):
        nb = padded[tuple(slice(d + c, d + c + n) for c, n in zip(o, shape))]
        count += (nb > 0) & (np.abs(nb - centre) <= alpha)
    count[~inside] = 0
    return count


def ngldm_matrices(
    levels: np.ndarray, alpha: float = 0, distance: int = 1, two_d: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NGLDMs per axial slice (``two_d``) or one for the volume.

    Returns ``(S, level_values, count_values, n_voxels)`` with ``S[g, i, j]`` for group ``g`` (slices
    holding ROI voxels, or the single volume), rows the grey levels present in the ROI and columns the
    dependence counts present; ``n_voxels[g]`` the ROI voxels of each group.
    """
    lv = np.asarray(levels)
    cnt = dependence_counts(lv, alpha, distance, two_d)
    inside = lv > 0
    z = np.nonzero(inside)[0]
    gl = lv[inside]
    jk = cnt[inside]
    glv, gi = np.unique(gl, return_inverse=True)
    jv, ji = np.unique(jk, return_inverse=True)
    if two_d:
        zv, zi = np.unique(z, return_inverse=True)
    else:
        zv, zi = np.zeros(1, dtype=np.int64), np.zeros(gl.size, dtype=np.int64)
    G, J, Z = glv.size, jv.size, zv.size
    flat = np.bincount((zi * G + gi) * J + ji, minlength=Z * G * J)
    S = flat.reshape(Z, G, J)
    n_vox = S.sum(axis=(1, 2))
    return S, glv, jv, n_vox


def compute_matrices_features(
    levels: np.ndarray, aggregation: str, alpha: float = 0, distance: int = 1
) -> dict[str, float]:
    """NGLDM features of a level array for one IBSI aggregation, keyed by tag stem."""
    if aggregation not in AGGREGATIONS:
        raise ValueError(f"unknown NGLDM aggregation {aggregation!r}; use one of {', '.join(AGGREGATIONS)}")
    if not np.any(np.asarray(levels) > 0):
        return {k: float("nan") for k in STEMS}
    S, glv, jv, n_vox = ngldm_matrices(levels, alpha, distance, two_d=aggregation != "3D")
    if aggregation == "2D":
        per = [matrix_features(Matrix(S[g], glv, jv, int(n_vox[g]))) for g in range(S.shape[0])]
        return {k: float(np.mean([f[k] for f in per])) for k in STEMS}
    return matrix_features(Matrix(S.sum(axis=0), glv, jv, int(n_vox.sum())))


def compute_ibsi(roi: RoiImage, aggregation: str | None = None, **options: Any) -> dict[str, float]:
    """IBSI NGLDM features keyed ``ngl_<feature>_<aggregation>`` (``ngl_lde_3D``, ...).

    ``aggregation``: ``"2D"``, ``"2_5D"``, ``"3D"`` or ``None`` (all three). Options: ``alpha``
    (coarseness, default settings ``ngldm_a`` or 0) and ``distance`` (Chebyshev, default 1).
    """
    aggs = AGGREGATIONS if aggregation is None else (aggregation,)
    alpha = options.get("alpha", roi.settings.get("ngldm_a", 0))
    alpha = 0 if alpha is None else alpha
    distance = int(options.get("distance", 1))
    lv = roi.levels.array
    out: dict[str, float] = {}
    for agg in aggs:
        feats = compute_matrices_features(lv, agg, alpha, distance)
        out.update({f"ngl_{k}_{agg}": v for k, v in feats.items()})
    return out
