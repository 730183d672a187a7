"""Neighbourhood grey tone difference matrix (NGTDM) features, IBSI family ``IPET``.

Definition (IBSI reference manual, Zwanenburg et al. 2020, "Neighbourhood grey tone difference
based features"; Amadasun & King 1989): for voxel ``k`` with grey level ``X(k)``, ``A(k)`` is the
mean grey level of its neighbours within Chebyshev distance ``delta`` that lie in the ROI
(``W_k`` of them). For grey level ``i``, ``n_i`` counts voxels and ``s_i = sum |i - A(k)|`` over
those voxels; ``p_i = n_i / N_vc``, ``N_gp`` = number of grey levels with ``p_i > 0``.

Computation: ``W_k`` and the neighbour grey-level sums come from the shared neighbour pairs
(:func:`radiome.features._neighbours.neighbourhood`, shared with GLCM and GLDM; all 26
neighbours, i.e. bidirectional angles, at the requested ``distances``; in-plane with ``force2D``).
Both the neighbour counts ``W_k`` and the sparse matrix ``A`` of the pairs of ROI voxels (one per
pair of opposite offsets, and its transpose) depend on the mask only and are built once per ROI
for all image types (the extractor's mask store); per image type the neighbour sums are
``A @ X + A^T @ X``, exact (integers in float64). ``n_i`` are the voxel counts of the grey levels and ``s_i``
one weighted ``np.bincount`` over the grey-level index of the ROI voxels (it sums the
``|i - A(k)|`` in the voxels' C order, as PyRadiomics' C loop does, so ``s_i`` is bit-identical).
No loop runs over voxels.

Features (PyRadiomics name = IBSI feature, code):

* ``Coarseness`` (QCDE) ``1 / sum p_i s_i``, ``1e6`` when the sum is 0
* ``Contrast`` (65HE) ``[sum p_i p_j (i-j)^2 / (N_gp (N_gp - 1))] * sum s_i / N_vc``, 0 if ``N_gp = 1``
* ``Busyness`` (NQ30) ``sum p_i s_i / sum |i p_i - j p_j|``, 0 when the denominator is 0
* ``Complexity`` (HDEZ) ``sum |i - j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_vc``
* ``Strength`` (1X9X) ``sum (p_i + p_j)(i - j)^2 / sum s_i``, 0 when ``sum s_i = 0``

(double sums over grey levels with ``p > 0``).

PyRadiomics departures from IBSI (``radiomics/ngtdm.py``, ``cmatrices.c``), reproduced by
:func:`compute`: a voxel with no ROI neighbour is *counted* in ``n_i`` (its difference is taken as
0), so ``N_vc`` is the number of ROI voxels, whereas IBSI counts only voxels with ``W_k > 0``; and
PyRadiomics has a single matrix: 3D, or with ``force2D`` in-plane neighbourhoods pooled over all
slices, which is IBSI's 2.5D (merged) aggregation; IBSI's per-slice 2D aggregation (features
averaged over slices) has no PyRadiomics counterpart. When every ROI voxel has a neighbour (e.g.
the IBSI digital phantom) PyRadiomics' 3D and ``force2D`` values equal IBSI's ``3D`` and ``2_5D``.

IBSI profile (:func:`compute_ibsi`): only voxels with at least one ROI neighbour enter ``n_i``.
Aggregations: ``3D`` (KOBO, 26-neighbourhood, one volume matrix), ``2D`` (8QNN, in-plane
8-neighbourhood per axial slice, features averaged over slices) and ``2_5D`` (62GR, the per-slice
matrices merged by summing ``n_i`` and ``s_i``). Keys are ``ngt_<feature>_<3D|2D|2_5D>``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiome.features._neighbours import Neighbourhood, ibsi_neighbourhood, neighbourhood
from radiome.features.base import RoiImage

NAME = "ngtdm"

FEATURES: tuple[str, ...] = ("Busyness", "Coarseness", "Complexity", "Contrast", "Strength")
DEPRECATED: frozenset[str] = frozenset()

IBSI_FEATURES: dict[str, str] = {
    "coarseness": "Coarseness",
    "contrast": "Contrast",
    "busyness": "Busyness",
    "complexity": "Complexity",
    "strength": "Strength",
}
# IBSI aggregation names accepted by compute_ibsi -> the NGTDM aggregation they denote
IBSI_AGGREGATIONS: dict[str, str] = {
    "3D": "3D",
    "3D_avg": "3D",
    "3D_comb": "3D",
    "2D": "2D",
    "2D_avg": "2D",
    "2D_comb": "2D",
    "2_5D": "2_5D",
    "2_5D_avg": "2_5D",
    "2_5D_comb": "2_5D",
}


def _select(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return list(FEATURES)
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown NGTDM feature(s): {', '.join(unknown)}")
    return list(names)


def _differences(nb: Neighbourhood) -> np.ndarray:
    """``|X(k) - A(k)|`` per ROI voxel, 0 for a voxel without ROI neighbour (as cmatrices.c)."""
    level = nb.gray_levels[nb.voxel_level].astype(np.float64)
    n = nb.n_neighbours
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.abs(level - nb.neighbour_sum / n)
    diff[n == 0] = 0.0
    return diff


def ngtdm_matrix(roi: RoiImage) -> np.ndarray:
    """PyRadiomics' ``P_ngtdm``: rows ``(n_i, s_i, i)`` for the grey levels present."""
    nb = neighbourhood(roi)
    n_i = roi.levels.counts.astype(np.float64)  # voxels per grey level present (all > 0)
    s_i = np.bincount(nb.voxel_level, weights=_differences(nb), minlength=n_i.size)
    return np.stack([n_i, s_i, nb.gray_levels.astype(np.float64)], axis=1)


def _features(n_i: np.ndarray, s_i: np.ndarray, levels: np.ndarray, names: Sequence[str]) -> dict[str, float]:
    """NGTDM features from one matrix (rows with ``n_i > 0`` only), PyRadiomics' arithmetic."""
    Nvp = n_i.sum()
    p = n_i / Nvp
    Ngp = int(np.count_nonzero(n_i))
    ps = p * s_i
    sum_ps = ps.sum()
    sum_s = s_i.sum()
    want = set(names)
    if want & {"Contrast", "Complexity", "Strength"}:
        dl = levels[:, None] - levels[None, :]
    if want & {"Complexity", "Strength"}:
        pp = p[:, None] + p[None, :]
    out: dict[str, float] = {}
    for name in names:
        if name == "Coarseness":
            v = 1 / sum_ps if sum_ps != 0 else 1e6
        elif name == "Contrast":
            div = Ngp * (Ngp - 1)
            if div == 0:
                v = 0.0
            else:
                v = np.sum(p[:, None] * p[None, :] * dl**2) * sum_s / Nvp
                v /= div
        elif name == "Busyness":
            ip = levels * p
            absdiff = np.sum(np.abs(ip[:, None] - ip[None, :]))
            v = sum_ps / absdiff if absdiff != 0 else 0.0
        elif name == "Complexity":
            v = np.sum(np.abs(dl) * (ps[:, None] + ps[None, :]) / pp) / Nvp
        elif name == "Strength":
            v = np.sum(pp * dl**2)
            v = v / sum_s if sum_s != 0 else 0.0
        else:  # pragma: no cover - _select guards the names
            raise ValueError(name)
        out[name] = float(v)
    return out


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible NGTDM features of ``roi`` (``names`` None: all)."""
    selected = _select(names)
    if not selected:
        return {}
    if roi.levels.gray_levels.size == 0:
        return {n: float("nan") for n in selected}
    P = ngtdm_matrix(roi)
    return _features(P[:, 0], P[:, 1], P[:, 2], selected)


def compute_ibsi(roi: RoiImage, aggregation: str) -> dict[str, float]:
    """IBSI NGTDM features keyed by IBSI tag (``ngt_<feature>_<3D|2D|2_5D>``).

    ``aggregation``: ``3D``, ``2D`` or ``2_5D``; the directional names ``3D_avg``/``3D_comb``,
    ``2D_avg``/``2D_comb`` and ``2_5D_avg``/``2_5D_comb`` are accepted as aliases (NGTDM has no
    directions, so each pair denotes the same aggregation). Voxels without an ROI neighbour are
    left out (IBSI), unlike :func:`compute`.
    """
    if aggregation not in IBSI_AGGREGATIONS:
        raise ValueError(f"unknown IBSI aggregation {aggregation!r}; expected one of {tuple(IBSI_AGGREGATIONS)}")
    agg = IBSI_AGGREGATIONS[aggregation]
    tags = {f"ngt_{k}_{agg}": v for k, v in IBSI_FEATURES.items()}
    nan = {t: float("nan") for t in tags}
    gl = roi.levels.gray_levels
    if gl.size == 0:
        return nan
    nb = ibsi_neighbourhood(roi, "3D" if agg == "3D" else "2D")
    G = gl.size
    valid = nb.n_neighbours > 0
    diff = _differences(nb)
    if agg == "2D":
        key = nb.voxel_slice[valid] * G + nb.voxel_level[valid]
        n_slices = int(nb.voxel_slice.max()) + 1 if nb.voxel_slice.size else 0
    else:
        key = nb.voxel_level[valid]
        n_slices = 1
    n_is = np.bincount(key, minlength=n_slices * G).reshape(n_slices, G).astype(np.float64)
    s_is = np.bincount(key, weights=diff[valid], minlength=n_slices * G).reshape(n_slices, G)
    levels = gl.astype(np.float64)
    values = []
    for z in range(n_slices):  # one matrix per slice (2D) or a single one
        keep = n_is[z] > 0
        if keep.any():
            values.append(_features(n_is[z][keep], s_is[z][keep], levels[keep], list(IBSI_FEATURES.values())))
    if not values:
        return nan
    return {t: float(np.mean([v[name] for v in values])) for t, name in tags.items()}
