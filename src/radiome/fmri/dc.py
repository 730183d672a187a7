"""Voxel-wise degree centrality (DC) of the thresholded correlation graph.

Degree centrality (Buckner et al. 2009; Zuo et al. 2012, Cereb Cortex 22:1862; DPABI
``y_DegreeCentrality``) counts, for every in-mask voxel, the voxels whose series correlate with it
above a threshold: the *binarised* DC is the number of such edges and the *weighted* DC the sum of
their r. Only positive correlations count (DPABI default ``r > 0.25``); a voxel is never its own
neighbour.

``sparsity`` mode instead keeps a fixed fraction of the ``V (V - 1) / 2`` unique voxel pairs: the
``k = round(sparsity * V (V - 1) / 2)`` pairs with the highest positive r. The cut is found
exactly in two passes: a 65,536-bin histogram of all positive pair correlations locates the bin
holding the k-th largest r; the second pass keeps every pair above that bin and collects the pairs
inside it, of which the top ones are added. If fewer than ``k`` pairs have r > 0 all positive pairs
are kept.

Correlations are computed tile by tile from z-scored series (rows centred and scaled to unit norm
so ``r = X_i . X_j``), over the upper triangle of tiles only (each pair once), in ``dtype``
(float32 default). The threshold pass splits the tiles over ``n_jobs`` threads, each with
single-threaded BLAS (measured faster than one multi-threaded sgemm for these thin products).
Memory is O(V T + n_jobs block_size**2), never V**2.
"""

from __future__ import annotations

import os

import numpy as np

from radiome.errors import RadiomeError
from radiome.fmri._io import check_bold

__all__ = ["degree_centrality"]

_NBINS = 1 << 16


def _standardised(data: np.ndarray, mask: np.ndarray, dtype: type) -> np.ndarray:
    x = data[mask].astype(np.float64)
    x -= x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=1, keepdims=True))
    x /= np.where(norm > 0, norm, 1.0)  # constant series -> all-zero row -> r = 0 with everything
    return np.ascontiguousarray(x, dtype=dtype)


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _tiles(n: int, b: int):
    starts = list(range(0, n, b))
    for a, s in enumerate(starts):
        e = min(s + b, n)
        for s2 in starts[a:]:
            yield s, e, s2, min(s2 + b, n)


def degree_centrality(
    data: np.ndarray,
    mask: np.ndarray,
    threshold: float = 0.25,
    sparsity: float | None = None,
    block_size: int = 2048,
    dtype: type = np.float32,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Binarised and weighted DC maps ``(binarised, weighted)``, 3D float64, 0 outside the mask.

    ``threshold``: keep pairs with ``r > threshold`` (must be in [0, 1)). ``sparsity``: if given,
    overrides ``threshold`` and keeps that fraction (0, 1] of all unique pairs (highest positive r).
    ``n_jobs``: worker threads for the threshold pass (default: the CPUs this process may use),
    each with single-threaded BLAS; 1 = one thread with the BLAS thread pool as configured.
    """
    data, mask = check_bold(data, mask)
    if block_size < 1:
        raise RadiomeError(f"block_size must be >= 1, got {block_size}")
    x = _standardised(data, mask, dtype)
    if sparsity is None:
        if not 0.0 <= threshold < 1.0:
            raise RadiomeError(f"threshold must be in [0, 1), got {threshold}")
        jobs = n_jobs if n_jobs is not None else _available_cpus()
        deg, wdeg = _threshold_pass(x, float(threshold), block_size, jobs)
    else:
        if not 0.0 < sparsity <= 1.0:
            raise RadiomeError(f"sparsity must be in (0, 1], got {sparsity}")
        deg, wdeg = _sparsity_passes(x, float(sparsity), block_size)
    b_map = np.zeros(mask.shape)
    w_map = np.zeros(mask.shape)
    b_map[mask] = deg
    w_map[mask] = wdeg
    return b_map, w_map


def _threshold_pass(x: np.ndarray, thr: float, b: int, n_jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Degree and weighted degree over the upper triangle of tiles, split across ``n_jobs`` threads.

    Each worker runs single-threaded BLAS on its own tiles and keeps its own accumulators (summed
    at the end): with K = T = 240 the tile products are too thin for multi-threaded sgemm to
    scale, and the element-wise threshold/reduction work is parallelised too.
    """
    n = x.shape[0]
    tiles = list(_tiles(n, b))
    thr_c = x.dtype.type(thr)
    cnt_t = np.uint16 if b <= np.iinfo(np.uint16).max else np.int64

    def work(chunk: list[tuple[int, int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
        deg = np.zeros(n)
        wdeg = np.zeros(n)
        for s, e, s2, e2 in chunk:
            c = x[s:e] @ x[s2:e2].T
            if s == s2:
                np.fill_diagonal(c, 0)
            gt = c > thr_c
            np.multiply(c, gt, out=c)
            g8 = gt.view(np.uint8)  # uint8/uint16 and same-dtype sums avoid slow casting reductions
            deg[s:e] += g8.sum(axis=1, dtype=cnt_t)
            wdeg[s:e] += c.sum(axis=1)
            if s != s2:  # off-diagonal tile: the same pairs seen from the column voxels
                deg[s2:e2] += g8.sum(axis=0, dtype=cnt_t)
                wdeg[s2:e2] += c.sum(axis=0)
        return deg, wdeg

    n_jobs = max(1, min(n_jobs, len(tiles)))
    if n_jobs == 1:
        return work(tiles)
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), ThreadPoolExecutor(n_jobs) as pool:
        parts = list(pool.map(work, [tiles[i::n_jobs] for i in range(n_jobs)]))
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def _upper_tile(x: np.ndarray, s: int, e: int, s2: int, e2: int, tri_cache: dict) -> np.ndarray:
    """Correlation tile with the diagonal and lower triangle of a diagonal tile set to -1."""
    c = x[s:e] @ x[s2:e2].T
    if s == s2:
        m = e - s
        tri = tri_cache.get(m)
        if tri is None:
            tri = tri_cache[m] = np.tril(np.ones((m, m), dtype=bool))
        c[tri] = -1
    return c


def _quantise(c: np.ndarray) -> np.ndarray:
    q = (c * _NBINS).astype(np.int32)  # r in (0, 1] -> bin floor(r * NBINS); r <= 0 -> <= 0
    np.clip(q, -1, _NBINS - 1, out=q)
    q[c <= 0] = -1
    return q


def _sparsity_passes(x: np.ndarray, sparsity: float, b: int) -> tuple[np.ndarray, np.ndarray]:
    n = x.shape[0]
    n_pairs = n * (n - 1) // 2
    k = int(round(sparsity * n_pairs))
    tri_cache: dict = {}
    # pass 1: histogram of positive pair correlations
    hist = np.zeros(_NBINS, dtype=np.int64)
    for s, e, s2, e2 in _tiles(n, b):
        q = _quantise(_upper_tile(x, s, e, s2, e2, tri_cache))
        hist += np.bincount(q[q >= 0], minlength=_NBINS)
    total_pos = int(hist.sum())
    deg = np.zeros(n)
    wdeg = np.zeros(n)
    if k == 0:
        return deg, wdeg
    if total_pos <= k:
        cut_bin, keep_all = -1, True  # every positive pair is kept
    else:
        from_top = np.cumsum(hist[::-1])
        cut_bin = _NBINS - 1 - int(np.searchsorted(from_top, k))  # bin holding the k-th largest r
        keep_all = False
    # pass 2: pairs above the cut bin are kept; pairs inside it are candidates
    cand_i, cand_j, cand_r = [], [], []
    n_above = 0
    for s, e, s2, e2 in _tiles(n, b):
        c = _upper_tile(x, s, e, s2, e2, tri_cache)
        q = _quantise(c)
        above = q > cut_bin if not keep_all else q >= 0
        n_above += int(np.count_nonzero(above))
        cw = np.where(above, c, 0)
        deg[s:e] += np.count_nonzero(above, axis=1)
        deg[s2:e2] += np.count_nonzero(above, axis=0)
        wdeg[s:e] += cw.sum(axis=1, dtype=np.float64)
        wdeg[s2:e2] += cw.sum(axis=0, dtype=np.float64)
        if not keep_all:
            ii, jj = np.nonzero(q == cut_bin)
            cand_i.append(ii + s)
            cand_j.append(jj + s2)
            cand_r.append(c[ii, jj].astype(np.float64))
    if not keep_all:
        ci = np.concatenate(cand_i)
        cj = np.concatenate(cand_j)
        cr = np.concatenate(cand_r)
        need = min(max(k - n_above, 0), len(cr))
        if need:
            top = np.argpartition(-cr, need - 1)[:need] if need < len(cr) else np.arange(len(cr))
            deg += np.bincount(ci[top], minlength=n) + np.bincount(cj[top], minlength=n)
            wdeg += np.bincount(ci[top], weights=cr[top], minlength=n) + np.bincount(
                cj[top], weights=cr[top], minlength=n
            )
    return deg, wdeg
