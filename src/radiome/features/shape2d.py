"""2D shape features: PyRadiomics class ``shape2D`` (no IBSI counterpart; IBSI defines 3D morphology).

Input: a 2D mask, or a 3D mask with ``force2D: true`` that is a single slice thick along
``force2Ddimension`` (that axis is dropped, as PyRadiomics does; otherwise ``ValueError``, as
PyRadiomics raises). Arrays and spacing are in ``[z, y, x]`` order.

Contour (PyRadiomics ``cshape.c``, ``calculate_coefficients2D``)
---------------------------------------------------------------
The mask is cropped to its bounding box and padded with one background pixel. Marching squares
runs on pixel centres: each 2x2 cell gets a 4-bit index (corner ``i`` sets bit ``i``; corners as
``[row, col]`` offsets ``00, 01, 11, 10``) and holds one line segment per cyclic run of ROI corners,
from the mid-point of the edge before the run to the mid-point of the edge after it (so the two
saddle cells, ``0101`` and ``1010``, separate their ROI corners). This orientation makes the signed
areas of the triangles (origin, a, b) add up to the enclosed area. The table is generated from that
rule rather than stored.

As in :mod:`radiome.features.shape`, sums are vectorised per cell index: the perimeter is
``sum_k count_k * length_k``; the signed area ``sum (a x b) / 2`` with cell origin ``p`` and
doubled vertex offsets ``A``, ``B`` is ``(2 p x (B - A) + A x B) / 8`` per segment, accumulated
exactly in integers and scaled by the pixel area.

Features (PyRadiomics names; ``A`` mesh surface, ``P`` perimeter):

* ``MeshSurface``: ``A``; ``PixelSurface``: ``N_p * pixel area``; ``Perimeter``: ``P``
* ``PerimeterSurfaceRatio``: ``P / A``
* ``Sphericity``: ``2 sqrt(pi A) / P`` (the 2D analogue of IBSI sphericity QCFX)
* ``SphericalDisproportion``: ``1 / Sphericity`` (deprecated)
* ``MaximumDiameter``: largest distance between contour vertices (edge mid-points between an ROI
  and a background pixel); for large contours only convex-hull vertices are compared
* ``MajorAxisLength`` / ``MinorAxisLength``: ``4 sqrt(lambda)`` of the population covariance of the
  pixel-centre positions (mm); ``Elongation``: ``sqrt(lambda_minor / lambda_major)``
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiome.features.base import RoiImage
from radiome.features.shape import (
    _hull_candidates_2d,
    _select,
    edge_vertices,
    max_sqdist,
    padded_mask,
    pca_eigenvalues,
)

NAME = "shape2D"
FEATURES: tuple[str, ...] = (
    "MeshSurface",
    "PixelSurface",
    "Perimeter",
    "PerimeterSurfaceRatio",
    "Sphericity",
    "SphericalDisproportion",
    "MaximumDiameter",
    "MajorAxisLength",
    "MinorAxisLength",
    "Elongation",
)
DEPRECATED: frozenset[str] = frozenset({"SphericalDisproportion"})

_CORNERS = np.array([(0, 0), (0, 1), (1, 1), (1, 0)], dtype=np.int64)  # [row, col]; corner i -> bit i
# Edge i joins corner i and corner i + 1 (cyclic); doubled mid-points.
_EDGE_MID2 = np.array([_CORNERS[i] + _CORNERS[(i + 1) % 4] for i in range(4)], dtype=np.int64)


def _line_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell index, from-edge, to-edge) of every contour segment of the 16 cell indices."""
    cfg, e_from, e_to = [], [], []
    for k in range(1, 15):
        inside = [(k >> i) & 1 for i in range(4)]
        for start in range(4):
            if inside[start] and not inside[(start - 1) % 4]:
                end = start
                while inside[(end + 1) % 4]:
                    end = (end + 1) % 4
                cfg.append(k)
                e_from.append((start - 1) % 4)  # edge before the run of ROI corners
                e_to.append(end)  # edge after it
    return np.array(cfg), np.array(e_from), np.array(e_to)


_SEG_CFG, _SEG_FROM, _SEG_TO = _line_table()
_SEG_A2 = _EDGE_MID2[_SEG_FROM]
_SEG_B2 = _EDGE_MID2[_SEG_TO]
_CFG_AXB = np.zeros(16, dtype=np.int64)  # sum of A x B per cell index
np.add.at(_CFG_AXB, _SEG_CFG, _SEG_A2[:, 0] * _SEG_B2[:, 1] - _SEG_B2[:, 0] * _SEG_A2[:, 1])
_CFG_BMA = np.zeros((16, 2), dtype=np.int64)  # sum of (B - A) per cell index
np.add.at(_CFG_BMA, _SEG_CFG, _SEG_B2 - _SEG_A2)


def _plane(roi: RoiImage) -> tuple[np.ndarray, np.ndarray]:
    """The 2D mask and its [row, col] spacing, as PyRadiomics' shape2D prepares them."""
    mask = np.asarray(roi.mask, dtype=bool)
    spacing = np.asarray(roi.spacing, dtype=np.float64)
    if mask.ndim == 2:
        return mask, spacing
    if mask.ndim != 3:
        raise ValueError("shape2D needs a 2D mask or a 3D mask with force2D")
    if not roi.settings.get("force2D", False):
        raise ValueError("shape2D can only be calculated when input is 2D or 3D with `force2D=True`")
    dim = int(roi.settings.get("force2Ddimension", 0))
    if mask.shape[dim] > 1:
        raise ValueError(f"size of the mask in dimension {dim} is more than 1, cannot compute 2D shape")
    keep = [a for a in range(3) if a != dim]
    return np.squeeze(mask, axis=dim), spacing[keep]


def contour(mask2d: np.ndarray, spacing: np.ndarray) -> tuple[float, float, float]:
    """(perimeter, signed enclosed area, maximum diameter) of a non-empty 2D mask, in mm / mm^2."""
    padded = padded_mask(mask2d)
    ny, nx = padded.shape
    m = padded.view(np.uint8)
    cell = np.zeros((ny - 1, nx - 1), dtype=np.uint8)
    for bit, (dy, dx) in enumerate(_CORNERS):
        cell |= m[dy : ny - 1 + dy, dx : nx - 1 + dx] << np.uint8(bit)
    edge = (cell != 0) & (cell != 15)
    pos = np.argwhere(edge)
    k = cell[edge].astype(np.int64)
    bma = _CFG_BMA[k]
    twice8 = int(np.sum(2 * (pos[:, 0] * bma[:, 1] - pos[:, 1] * bma[:, 0]) + _CFG_AXB[k]))
    surface = float(spacing[0] * spacing[1] * twice8 / 8.0)
    seg = (_SEG_A2 - _SEG_B2) * (spacing / 2.0)
    seg_len = np.sqrt(seg[:, 0] ** 2 + seg[:, 1] ** 2)
    cfg_len = np.bincount(_SEG_CFG, weights=seg_len, minlength=16)
    perimeter = float(np.dot(np.bincount(k, minlength=16).astype(np.float64), cfg_len))
    v2 = edge_vertices(padded)
    if len(v2) > 400:  # below that, all pairs are cheaper than the hull peeling
        v2 = v2[_hull_candidates_2d(np.zeros(len(v2), dtype=np.int64), v2[:, 0], v2[:, 1])]
    cand = v2
    diameter = float(np.sqrt(max_sqdist((cand / 2.0) * spacing)))
    return perimeter, surface, diameter


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible 2D shape features of ``roi`` (``names`` None: all non-deprecated).

    Raises ``ValueError`` for a 3D mask without ``force2D`` or thicker than one slice along
    ``force2Ddimension``. An empty mask gives NaN for every feature.
    """
    selected = _select(names, FEATURES, DEPRECATED)
    if not selected:
        return {}
    mask2d, spacing = _plane(roi)
    if not mask2d.any():
        return {n: float("nan") for n in selected}

    def products() -> tuple[float, float, float, np.ndarray, int]:
        perimeter, surface, diameter = contour(mask2d, spacing)
        padded = padded_mask(mask2d)
        return perimeter, surface, diameter, pca_eigenvalues(padded, spacing), int(padded.sum())

    P, A, D, ev, n = roi.cache("shape2D.products", products)
    P = np.float64(P)
    A = np.float64(A)
    out: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        sph = (2 * np.sqrt(np.pi * A)) / P
        for name in selected:
            if name == "MeshSurface":
                val = A
            elif name == "PixelSurface":
                y, x = spacing
                val = n * (x * y)
            elif name == "Perimeter":
                val = P
            elif name == "PerimeterSurfaceRatio":
                val = P / A
            elif name == "Sphericity":
                val = sph
            elif name == "SphericalDisproportion":
                val = 1.0 / sph
            elif name == "MaximumDiameter":
                val = D
            elif name == "MajorAxisLength":
                val = np.sqrt(ev[1]) * 4 if ev[1] >= 0 else np.nan
            elif name == "MinorAxisLength":
                val = np.sqrt(ev[0]) * 4 if ev[0] >= 0 else np.nan
            else:  # Elongation
                val = np.sqrt(ev[0] / ev[1]) if ev[0] >= 0 and ev[1] >= 0 else np.nan
            out[name] = float(val)
    return out
