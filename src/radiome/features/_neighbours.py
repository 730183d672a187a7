"""Pairs of neighbouring ROI voxels, shared by GLCM, GLDM, NGTDM (and GLSZM's zone graph).

The three families only differ in what they tally about pairs of ROI voxels at a given offset:

* GLCM (IBSI ``LFYI``) counts, per direction, how often grey level ``i`` at a voxel ``k`` meets
  grey level ``j`` at ``k + m``;
* GLDM (PyRadiomics' variant of the IBSI NGLDM ``REK0``) counts, per voxel, the neighbours whose grey
  level differs from the centre by at most ``alpha``;
* NGTDM (IBSI ``IPET``) needs, per voxel, the number and the sum of the grey levels of its neighbours
  inside the ROI.

Design: what depends on the mask is built once per ROI
------------------------------------------------------
*Which* voxels are neighbours depends on the mask alone, not on the intensities, and the extractor
computes the same ROI for up to ~20 image types (original, wavelets, LoG, ...). The neighbour
structure is therefore a :class:`PairTable`, built by :func:`pair_table` and kept in the ROI's
``mask_store`` (:meth:`radiome.features.base.RoiImage.mask_cache`, one store per ROI, shared by all
image types) under a key holding everything it depends on (the offsets' distances, ``force2D`` and
``force2Ddimension``; the mask itself is implied by the store). It lists, for the offsets one of
each opposite pair (13 for Chebyshev distance 1 in 3D), every pair ``(src, dst)`` of ROI voxels with
``dst = src + offset`` as ranks of the voxels in C order, sorted by ``src``, with the direction of
each pair, and each voxel's number of ROI neighbours (both signs of every offset: 26 for distance 1).
It is built without a loop over voxels: the mask's ranks are written into an array padded by the
longest offset, so the neighbour of every ROI voxel at offset ``m`` is one gather at a constant shift
of the flat index.

Per image type only the grey levels change, and the products become gathers and ``bincount`` calls
over the pair list (:class:`Neighbourhood`, cached on the ``RoiImage`` with ``roi.cache`` and built
lazily, so a family pays only for what it reads):

* co-occurrence counts of all directions: one ``np.bincount`` of
  ``(direction * G + i) * G + j`` with ``i``, ``j`` the grey-level *indices* (0..G-1, ``G`` = number
  of levels present) of ``src`` and ``dst``: the matrices come out with PyRadiomics' empty grey
  levels already removed;
* dependence counts: ``equal = i == j`` (``alpha = 0``; otherwise ``|X(src) - X(dst)| <= alpha``),
  then ``bincount(src[equal]) + bincount(dst[equal])`` counts both directions ``+m`` and ``-m``;
* NGTDM's neighbour count is the mask-only count of the table, and the neighbour grey-level sum is
  ``A @ X + A^T @ X`` with ``A`` the (mask-only) sparse matrix of the pairs, exact (integers in
  float64).

The pair comparison ``equal`` is kept per (image type, pair table) in :class:`PairLevels`, so GLSZM
(which links voxels at distance 1 with equal levels) reuses GLDM's when both use the same table.

The offsets are those of PyRadiomics' C extension (``radiomics/src/cmatrices.c``): every offset of
the requested Chebyshev distances, except offsets along the ``force2Ddimension`` axis (with
``force2D``) and offsets at least as long as the bounding box along some axis (which could never
hold a pair).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from radiome.features._texture import angles
from radiome.features.base import Levels, RoiImage

# the pair table is built in blocks of voxels so that one block of neighbour indices stays near this size
_BLOCK_ELEMENTS = 1 << 20


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


class PairTable:
    """Mask-only neighbour structure of one ROI for a set of offsets (see the module docstring).

    ``src``/``dst`` are the ranks (C order of the ROI voxels) of the two voxels of every pair,
    ``dst = src + offsets[pair_dir]``, sorted by ``src`` (``src_indptr`` are the CSR row pointers
    of that order). ``n_neighbours`` counts each voxel's ROI neighbours over both signs of every
    offset. The sparse matrix of the pairs and its transpose (:attr:`adjacency`) and the symmetric
    CSR order with the pair of every entry (:attr:`symmetric`) are built on first use (NGTDM,
    GLSZM).
    """

    def __init__(self, mask: np.ndarray, offsets: np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        shape = np.array(mask.shape, dtype=np.intp)
        nd = mask.ndim
        offsets = np.asarray(offsets, dtype=np.intp).reshape(-1, nd)
        n_dir = len(offsets)
        # ranks of the ROI voxels (-1 outside) in a copy padded by the longest offset, flattened
        pad = np.abs(offsets).max(axis=0) if n_dir else np.zeros(nd, dtype=np.intp)
        padded = np.full(shape + 2 * pad, -1, dtype=np.intp)
        inner = padded[tuple(slice(p, p + n) for p, n in zip(pad, shape))]
        n = int(np.count_nonzero(mask))
        inner[mask] = np.arange(n, dtype=np.intp)
        flat = padded.ravel()
        strides = np.array([int(np.prod(padded.shape[k + 1 :])) for k in range(nd)], dtype=np.intp)
        pos = np.flatnonzero(flat >= 0)  # ROI voxels, C order (= rank order)
        shifts = offsets @ strides
        src, dst = [], []
        block = max(1, _BLOCK_ELEMENTS // max(n_dir, 1))
        for v0 in range(0, n, block):  # blocks of voxels, not a loop over voxels
            nb = flat[pos[v0 : v0 + block, None] + shifts[None, :]].ravel()  # rank of the neighbour
            keep = np.flatnonzero(nb >= 0)  # (voxel, direction), voxel-major: sorted by centre
            src.append(keep + v0 * n_dir)  # flat (voxel, direction) code, split below
            dst.append(nb[keep])
        empty = np.zeros(0, dtype=np.intp)
        code = np.concatenate(src) if src else empty
        self.offsets = offsets.astype(np.int64)
        self.n_voxels = n
        self.src, self.pair_dir = np.divmod(code, max(n_dir, 1))
        self.dst = np.concatenate(dst) if dst else empty
        self.src_indptr = np.searchsorted(self.src, np.arange(n + 1, dtype=np.intp))
        self.n_neighbours = np.diff(self.src_indptr) + np.bincount(self.dst, minlength=n)
        self.voxel_slice = pos // strides[0] - pad[0] if n else empty
        # the index type scipy.sparse.csgraph works with (no conversion there)
        self.index_type = np.int32 if self.src.size < 2**31 else np.intp
        self.dst_csr = self.dst.astype(self.index_type)

    @cached_property
    def adjacency(self) -> tuple[csr_matrix, csr_matrix]:
        """The ``N x N`` sparse matrix ``A`` with a 1 at ``(src, dst)`` of every pair, and ``A^T``
        (both CSR), so that per-voxel sums over all neighbours (both signs of every offset) are
        ``A @ x + A^T @ x`` (NGTDM). ``A^T`` is a plain O(pairs) conversion (no sparse sum)."""
        n = self.n_voxels
        one_sided = csr_matrix((np.ones(self.dst.size), self.dst_csr, self.src_indptr), shape=(n, n))
        return one_sided, one_sided.T.tocsr()

    @cached_property
    def symmetric(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both signs of every pair in CSR order: ``(indptr, neighbour, pair)``.

        Row ``k`` (entries ``indptr[k]:indptr[k + 1]``) lists every ROI neighbour of voxel ``k``;
        ``pair`` is the index into ``src``/``dst`` of the pair each entry comes from, so a per-pair
        mask (e.g. "equal grey levels") selects entries with one gather. Built with a sort of all
        pairs: GLSZM uses it for small ROIs only.
        """
        n, m = self.n_voxels, self.src.size
        order = np.argsort(np.concatenate([self.src, self.dst]), kind="stable")
        neighbour = np.concatenate([self.dst, self.src])[order].astype(self.index_type)
        pair = order - m * (order >= m)
        indptr = np.zeros(n + 1, dtype=self.index_type)
        np.cumsum(self.n_neighbours, out=indptr[1:])
        return indptr, neighbour, pair


def pair_table(roi: RoiImage, distances: Sequence[int], force2D: bool, dim: int) -> PairTable:
    """The :class:`PairTable` of ``roi``'s mask for these settings, built once per ROI (mask store)."""
    distances = tuple(sorted({int(d) for d in distances}))
    key = ("pair_table", distances, bool(force2D), int(dim))

    def factory() -> PairTable:
        offs = texture_offsets(roi.mask.shape, distances, force2D=force2D, force2Ddimension=dim)
        return PairTable(roi.mask, offs)

    return roi.mask_cache(key, factory)


class PairLevels:
    """Grey levels of one image type on the pairs of a :class:`PairTable` (built lazily).

    ``src_index``/``dst_index`` are the grey-level indices of the two voxels of every pair,
    ``equal`` whether they are equal and ``n_equal`` each voxel's number of equal neighbours (both
    signs of every offset). The pairs of equal level, as a one-sided (``equal_csr``) or a symmetric
    (``equal_graph``) graph, are the edges of GLSZM's zones.
    """

    def __init__(self, table: PairTable, levels: Levels) -> None:
        self.table = table
        self.levels = levels

    @cached_property
    def src_index(self) -> np.ndarray:
        return self.levels.index[self.table.src]

    @cached_property
    def dst_index(self) -> np.ndarray:
        return self.levels.index[self.table.dst]

    @cached_property
    def equal(self) -> np.ndarray:
        return self.src_index == self.dst_index

    @cached_property
    def equal_csr(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, dst)``: the pairs of equal grey level as a CSR graph with rows ``src``.

        ``src`` is ascending, so the row pointers are the running count of equal pairs read at the
        table's row ends: one ``cumsum``, no ``bincount``.
        """
        t, eq = self.table, self.equal
        cum = np.zeros(eq.size + 1, dtype=t.index_type)
        np.cumsum(eq, out=cum[1:])
        return cum[t.src_indptr], t.dst_csr[eq]

    @cached_property
    def equal_graph(self) -> tuple[np.ndarray, np.ndarray]:
        """``(indptr, neighbour)``: the symmetric graph of equal-level neighbours in CSR form."""
        indptr, neighbour, pair = self.table.symmetric
        keep = self.equal[pair]
        cum = np.zeros(keep.size + 1, dtype=neighbour.dtype)
        np.cumsum(keep, out=cum[1:])
        return cum[indptr], neighbour[keep]

    @cached_property
    def n_equal(self) -> np.ndarray:
        if "equal_graph" in self.__dict__:  # already built (GLSZM): its row lengths
            return np.diff(self.equal_graph[0]).astype(np.intp)
        indptr, dst = self.equal_csr
        return np.diff(indptr).astype(np.intp) + np.bincount(dst, minlength=self.table.n_voxels)


def pair_levels(roi: RoiImage, distances: Sequence[int], force2D: bool, dim: int) -> PairLevels:
    """:class:`PairLevels` of ``roi`` on its :func:`pair_table` for these settings, cached on ``roi``."""
    distances = tuple(sorted({int(d) for d in distances}))
    return roi.cache(
        ("pair_levels", distances, bool(force2D), int(dim)),
        lambda: PairLevels(pair_table(roi, distances, force2D, dim), roi.levels),
    )


class Neighbourhood:
    """What GLCM, GLDM and NGTDM read off the pairs, each product computed on first use.

    ``cooccurrence[d, i, j]`` counts ROI voxels of grey level index ``i`` whose neighbour at
    ``+offsets[d]`` is in the ROI with grey level index ``j`` (not symmetrised). With ``by_slice``
    it has an extra axis after ``d``: ``cooccurrence[d, z, i, j]``, the pair counted in the slice
    (axis-0 index) of the centre voxel. Per-voxel arrays list the ROI voxels in C order and cover
    both directions ``+m`` and ``-m`` of every offset (26 neighbours for distance 1 in 3D):
    ``n_neighbours`` (ROI neighbours), ``neighbour_sum`` (sum of their grey levels) and
    ``n_dependent`` (neighbours with ``|grey level difference| <= alpha``).
    """

    def __init__(self, pairs: PairLevels, *, alpha: float = 0, by_slice: bool = False) -> None:
        self.pairs = pairs
        self.alpha = alpha
        self.by_slice = by_slice
        table, lv = pairs.table, pairs.levels
        self.offsets = table.offsets
        self.gray_levels = np.asarray(lv.gray_levels, dtype=np.int64)
        self.voxel_level = lv.index
        self.voxel_slice = table.voxel_slice
        self.n_neighbours = table.n_neighbours

    @cached_property
    def cooccurrence(self) -> np.ndarray:
        t, p = self.pairs.table, self.pairs
        G = self.gray_levels.size
        n_dir = len(t.offsets)
        n_slices = int(self.pairs.levels.mask.shape[0]) if self.by_slice else 1
        code = t.pair_dir * n_slices
        if self.by_slice:
            code += t.voxel_slice[t.src]
        code *= G
        code += p.src_index
        code *= G
        code += p.dst_index
        counts = np.bincount(code, minlength=n_dir * n_slices * G * G)
        shape = (n_dir, n_slices, G, G) if self.by_slice else (n_dir, G, G)
        return counts.reshape(shape)

    @cached_property
    def n_dependent(self) -> np.ndarray:
        if self.alpha == 0:
            return self.pairs.n_equal
        t, p = self.pairs.table, self.pairs
        gl = self.gray_levels
        dep = np.abs(gl[p.src_index] - gl[p.dst_index]) <= self.alpha
        n = t.n_voxels
        return np.bincount(t.src[dep], minlength=n) + np.bincount(t.dst[dep], minlength=n)

    @cached_property
    def neighbour_sum(self) -> np.ndarray:
        # over both voxels of every pair; exact: sums of integers in float64
        A, A_T = self.pairs.table.adjacency
        x = self.pairs.levels.voxels.astype(np.float64)
        return A @ x + A_T @ x


def _settings_key(settings: Any) -> tuple[tuple[int, ...], bool, int, float]:
    distances = tuple(sorted({int(d) for d in settings.get("distances", [1]) or [1]}))
    force2D = bool(settings.get("force2D", False))
    dim = int(settings.get("force2Ddimension", 0))
    alpha = settings.get("gldm_a", 0)
    return distances, force2D, dim, alpha


def neighbourhood(roi: RoiImage) -> Neighbourhood:
    """The PyRadiomics-style neighbourhood of ``roi`` (3D, or 2D with ``force2D``), cached.

    Uses the settings ``distances``, ``force2D``, ``force2Ddimension`` and ``gldm_a``; the cache key
    holds all four so that differently configured calls never share a result.
    """
    distances, force2D, dim, alpha = _settings_key(roi.settings)
    return roi.cache(
        ("neighbourhood", distances, force2D, dim, alpha),
        lambda: Neighbourhood(pair_levels(roi, distances, force2D, dim), alpha=alpha),
    )


def ibsi_neighbourhood(roi: RoiImage, mode: str) -> Neighbourhood:
    """The neighbourhood for the IBSI aggregations, cached.

    ``mode`` ``"3D"``: all 3D offsets (13 for distance 1), counts over the volume. ``"2D"``: in-plane
    offsets only (axial slices, axis 0 of the ``[z, y, x]`` array; 4 directions for distance 1),
    co-occurrence counts resolved by slice. Distances come from the ``distances`` setting; GLDM's
    ``alpha`` is not used by the IBSI families here.
    """
    distances = tuple(sorted({int(d) for d in roi.settings.get("distances", [1]) or [1]}))
    if mode not in ("2D", "3D"):
        raise ValueError(f"unknown IBSI neighbourhood mode {mode!r}")
    two_d = mode == "2D"
    return roi.cache(
        ("ibsi_neighbourhood", mode, distances),
        lambda: Neighbourhood(pair_levels(roi, distances, two_d, 0), alpha=0, by_slice=two_d),
    )
