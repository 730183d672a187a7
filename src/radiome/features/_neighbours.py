"""One vectorised pass over neighbour offsets, shared by GLCM, GLDM and NGTDM.

The three families only differ in what they tally about pairs of ROI voxels at a given offset:

* GLCM (IBSI ``LFYI``) counts, per direction, how often grey level ``i`` at a voxel ``k`` meets
  grey level ``j`` at ``k + m``;
* GLDM (PyRadiomics' variant of the IBSI NGLDM ``REK0``) counts, per voxel, the neighbours whose grey
  level differs from the centre by at most ``alpha``;
* NGTDM (IBSI ``IPET``) needs, per voxel, the number and the sum of the grey levels of its neighbours
  inside the ROI.

Pairs (GLCM, GLDM) are read off one neighbour lookup per offset. The discretised array is copied,
as grey-level *indices* (0..G-1, ``G`` = number of grey levels present; ``G`` itself marks "outside
the ROI"), into an array padded by the longest offset, and flattened. An offset ``m`` then is a
constant shift ``s`` of the flat index, so the neighbours at ``+m`` of all ROI voxels are one gather
``flat[pos + s]`` (the array shifted by ``m``, read at the ROI voxels) and those at ``-m`` are
``flat[pos - s]``. Offsets are taken one of each opposite pair (13 for Chebyshev distance 1 in 3D)
and stacked in blocks, so a block of directions costs a handful of numpy calls, with no loop over
voxels:

* the co-occurrence counts of all directions of a block are one ``np.bincount`` of
  ``(direction * (G + 1) + i) * (G + 1) + j``; the "outside" row/column is dropped afterwards, so
  no masking is needed, and because ``i``/``j`` index the grey levels present the matrices come out
  with PyRadiomics' empty grey levels already removed;
* the dependence count of each voxel adds ``neighbour == centre`` (``alpha = 0``; otherwise
  ``|X(k) - X(k + m)| <= alpha`` with "outside" never within ``alpha``) over both signs ``+m`` and
  ``-m``, i.e. over all 26 neighbours.

Only ROI voxels are visited, so this costs (ROI voxels) x (offsets), whatever fraction of the
bounding box the ROI fills. NGTDM's per-voxel neighbour count and grey-level sum are sums over the
whole neighbourhood, so they are taken as separable box sums (a Chebyshev shell ``d`` is the box of
half-width ``d`` minus the box of half-width ``d - 1``) of the packed integer ``level * 2^b + inside``
(zero outside the ROI): 2 shifted in-place additions per axis and distance, exact in integers.

The result is cached on the :class:`~radiome.features.base.RoiImage` (``roi.cache``) under a key
holding every setting that changes it, so that extracting the three families together costs one
pass. The offsets are those of PyRadiomics' C extension (``radiomics/src/cmatrices.c``): every
offset of the requested Chebyshev distances, except offsets along the ``force2Ddimension`` axis (with
``force2D``) and offsets at least as long as the bounding box along some axis (which could never
hold a pair).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiome.features._texture import angles
from radiome.features.base import RoiImage

# offsets are processed in blocks so that one block of neighbour indices stays near this many elements
_BLOCK_ELEMENTS = 1 << 20


@dataclass(frozen=True, eq=False)
class Neighbourhood:
    """Everything the neighbour pass produces.

    ``cooccurrence[d, i, j]`` counts ROI voxels of grey level index ``i`` whose neighbour at
    ``+offsets[d]`` is in the ROI with grey level index ``j`` (not symmetrised). With ``by_slice``
    it has an extra axis after ``d``: ``cooccurrence[d, z, i, j]``, the pair counted in the slice
    (axis-0 index) of the centre voxel. Per-voxel arrays list the ROI voxels in C order and cover
    both directions ``+m`` and ``-m`` of every offset (26 neighbours for distance 1 in 3D).
    """

    offsets: np.ndarray  # (n_dir, ndim) one of each opposite pair, PyRadiomics' order
    gray_levels: np.ndarray  # (G,) grey levels present in the ROI, ascending
    cooccurrence: np.ndarray  # (n_dir, G, G) or (n_dir, n_slices, G, G), int64
    voxel_level: np.ndarray  # (N,) index into gray_levels of each ROI voxel
    voxel_slice: np.ndarray  # (N,) axis-0 index of each ROI voxel
    n_neighbours: np.ndarray  # (N,) neighbours inside the ROI
    neighbour_sum: np.ndarray  # (N,) sum of the grey levels of those neighbours
    n_dependent: np.ndarray  # (N,) neighbours with |grey level difference| <= alpha


def texture_offsets(
    shape: Sequence[int],
    distances: Sequence[int] = (1,),
    *,
    force2D: bool = False,
    force2Ddimension: int = 0,
) -> np.ndarray:
    """Offsets (one of each opposite pair) as PyRadiomics' C code builds them for this crop.

    :func:`radiome.features._texture.angles` gives the set and order; offsets that reach beyond the
    bounding box along some axis are dropped, as ``build_angles`` in ``cmatrices.c`` does. The
    result is memoised and read-only.
    """
    key = tuple(int(n) for n in shape), tuple(sorted({int(d) for d in distances})), bool(force2D), int(force2Ddimension)
    return _texture_offsets(*key)


@functools.lru_cache(maxsize=256)
def _texture_offsets(shape: tuple[int, ...], distances: tuple[int, ...], force2D: bool, dim: int) -> np.ndarray:
    offs = angles(shape, distances, bidirectional=False, force2D=force2D, force2Ddimension=dim)
    if offs.size:
        keep = np.all(np.abs(offs) < np.asarray(shape)[None, :], axis=1)
        offs = offs[keep]
    offs.setflags(write=False)
    return offs


def _box_sum(x: np.ndarray, halfwidths: Sequence[int]) -> np.ndarray:
    """Exact sum of ``x`` over the box ``[-h_a, h_a]`` along every axis ``a`` (zero outside)."""
    r = x
    for ax, h in enumerate(halfwidths):
        n = r.shape[ax]
        h = min(int(h), n - 1)
        if h <= 0:
            continue
        acc = r.copy()
        for k in range(1, h + 1):  # loop over the offsets of one axis, not over voxels
            lo = [slice(None)] * r.ndim
            hi = [slice(None)] * r.ndim
            lo[ax], hi[ax] = slice(0, n - k), slice(k, n)
            acc[tuple(hi)] += r[tuple(lo)]
            acc[tuple(lo)] += r[tuple(hi)]
        r = acc
    return r


def _shell_sums(x: np.ndarray, distances: Sequence[int], flat_axes: Sequence[int]) -> np.ndarray:
    """Sum of ``x`` over the neighbours at Chebyshev distance in ``distances`` (none along
    ``flat_axes``), as differences of box sums: shell ``d`` = box ``d`` - box ``d - 1``."""
    out = np.zeros(x.shape, dtype=x.dtype)
    for d in sorted({int(d) for d in distances}):
        outer = [0 if ax in flat_axes else d for ax in range(x.ndim)]
        inner = [0 if ax in flat_axes else d - 1 for ax in range(x.ndim)]
        out += _box_sum(x, outer)
        out -= _box_sum(x, inner)  # d = 1: the centre itself
    return out


def neighbour_pass(
    levels: np.ndarray,
    gray_levels: np.ndarray,
    offsets: np.ndarray,
    *,
    alpha: float = 0,
    by_slice: bool = False,
) -> Neighbourhood:
    """Run the shared pass over ``offsets`` on a discretised array (0 outside the ROI).

    ``gray_levels`` are the levels present in the ROI (ascending). ``offsets`` (one of each opposite
    pair) define the neighbourhood; it must be a union of Chebyshev shells, optionally without one
    axis (as :func:`texture_offsets` returns), since the neighbour sums are taken as box sums.
    ``alpha`` is the GLDM coarseness parameter (``gldm_a``). ``by_slice`` resolves the co-occurrence
    counts by the axis-0 slice of the centre voxel (IBSI 2D / 2.5D aggregations, in-plane offsets).
    """
    levels = np.asarray(levels)
    shape = np.array(levels.shape, dtype=np.intp)
    nd = levels.ndim
    gl = np.asarray(gray_levels, dtype=np.int64)
    G = int(gl.size)
    offsets = np.asarray(offsets, dtype=np.intp).reshape(-1, nd)
    n_dir = len(offsets)
    inroi = levels > 0

    # grey-level index 0..G-1 (G: outside the ROI) in a copy padded by the longest offset, flattened
    lut = np.full((int(gl.max()) + 1) if G else 1, G, dtype=np.int32)
    lut[gl] = np.arange(G, dtype=np.int32)
    pad = np.abs(offsets).max(axis=0) if n_dir else np.zeros(nd, dtype=np.intp)
    padded = np.full(shape + 2 * pad, G, dtype=np.int32)
    padded[tuple(slice(p, p + n) for p, n in zip(pad, shape))] = lut[levels]
    flat = padded.ravel()
    strides = np.array([int(np.prod(padded.shape[k + 1 :])) for k in range(nd)], dtype=np.intp)
    pos = np.flatnonzero(flat < G)  # ROI voxels, C order
    N = pos.size
    centre = flat[pos]
    voxel_slice = pos // strides[0] - pad[0]

    # co-occurrences and dependence counts: one gather per offset and sign
    n_slices = int(shape[0]) if by_slice else 1
    cells = n_slices * (G + 1) ** 2
    row_code = centre.astype(np.int64)
    if by_slice:
        row_code += voxel_slice * (G + 1)
    row_code *= G + 1
    cooc = np.zeros(n_dir * cells, dtype=np.int64)
    dependent = np.zeros(N, dtype=np.int32)
    if alpha != 0:
        level_of = np.append(gl, -(1 << 40))  # "outside" is never within alpha
        centre_level = gl[centre]
    shifts = offsets @ strides
    block = max(1, min(n_dir, _BLOCK_ELEMENTS // max(N, 1)))
    for b0 in range(0, n_dir, block):
        s = shifts[b0 : b0 + block, None]
        for sign in (1, -1):
            nb = np.take(flat, pos + sign * s)  # (b, N) grey-level index of the neighbour, G outside
            if alpha == 0:
                dep = nb == centre
            else:
                dep = np.abs(np.take(level_of, nb) - centre_level) <= alpha
            dependent += dep.view(np.int8).sum(axis=0, dtype=np.int32)
            if sign == 1:
                nblk = nb.shape[0]
                code = nb.astype(np.int64)
                code += row_code
                code += np.arange(nblk, dtype=np.int64)[:, None] * cells
                cooc[b0 * cells : (b0 + nblk) * cells] += np.bincount(code.ravel(), minlength=nblk * cells)
    side = (n_dir, n_slices, G + 1, G + 1) if by_slice else (n_dir, G + 1, G + 1)
    cooc = cooc.reshape(side)[..., :G, :G]

    # NGTDM neighbour count and grey-level sum: box sums of (level * K + in ROI), exact integers
    flat_axes = [int(a) for a in np.flatnonzero(np.all(offsets == 0, axis=0))] if n_dir else list(range(nd))
    dmax = int(np.abs(offsets).max()) if n_dir else 0
    bits = int((2 * dmax + 1) ** nd).bit_length()
    packed = (levels.astype(np.int64) << bits) | inroi
    sums = _shell_sums(packed, _chebyshev_shells(offsets), flat_axes)[inroi]
    return Neighbourhood(
        offsets=offsets.astype(np.int64),
        gray_levels=gl,
        cooccurrence=np.ascontiguousarray(cooc),
        voxel_level=centre.astype(np.intp),
        voxel_slice=voxel_slice,
        n_neighbours=sums & ((1 << bits) - 1),
        neighbour_sum=sums >> bits,
        n_dependent=dependent,
    )


def _chebyshev_shells(offsets: np.ndarray) -> list[int]:
    return sorted({int(v) for v in np.abs(offsets).max(axis=1)}) if len(offsets) else []


def _settings_key(settings: Any) -> tuple[tuple[int, ...], bool, int, float]:
    distances = tuple(sorted({int(d) for d in settings.get("distances", [1]) or [1]}))
    force2D = bool(settings.get("force2D", False))
    dim = int(settings.get("force2Ddimension", 0))
    alpha = settings.get("gldm_a", 0)
    return distances, force2D, dim, alpha


def neighbourhood(roi: RoiImage) -> Neighbourhood:
    """The PyRadiomics-style neighbour pass of ``roi`` (3D, or 2D with ``force2D``), cached.

    Uses the settings ``distances``, ``force2D``, ``force2Ddimension`` and ``gldm_a``; the cache key
    holds all four so that differently configured calls never share a result.
    """
    distances, force2D, dim, alpha = _settings_key(roi.settings)

    def factory() -> Neighbourhood:
        lv = roi.levels
        offs = texture_offsets(lv.array.shape, distances, force2D=force2D, force2Ddimension=dim)
        return neighbour_pass(lv.array, lv.gray_levels, offs, alpha=alpha)

    return roi.cache(("neighbourhood", distances, force2D, dim, alpha), factory)


def ibsi_neighbourhood(roi: RoiImage, mode: str) -> Neighbourhood:
    """The neighbour pass for the IBSI aggregations, cached.

    ``mode`` ``"3D"``: all 3D offsets (13 for distance 1), counts over the volume. ``"2D"``: in-plane
    offsets only (axial slices, axis 0 of the ``[z, y, x]`` array; 4 directions for distance 1),
    co-occurrence counts resolved by slice. Distances come from the ``distances`` setting; GLDM's
    ``alpha`` is not used by the IBSI families here.
    """
    distances = tuple(sorted({int(d) for d in roi.settings.get("distances", [1]) or [1]}))
    if mode not in ("2D", "3D"):
        raise ValueError(f"unknown IBSI neighbourhood mode {mode!r}")

    def factory() -> Neighbourhood:
        lv = roi.levels
        offs = texture_offsets(lv.array.shape, distances, force2D=(mode == "2D"), force2Ddimension=0)
        return neighbour_pass(lv.array, lv.gray_levels, offs, alpha=0, by_slice=(mode == "2D"))

    return roi.cache(("ibsi_neighbourhood", mode, distances), factory)
