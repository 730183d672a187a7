"""Regional homogeneity (ReHo): Kendall's coefficient of concordance W of a voxel's neighbourhood.

ReHo (Zang, Jiang, Lu, He & Tian 2004, NeuroImage 22:394) is Kendall's W of the ``K`` time series
in a voxel's 3x3x3 neighbourhood (7, 19 or 27 voxels: faces; faces + edges; faces + edges +
vertices), only in-mask voxels counted, the centre included. With ``n`` time points, ``R_it`` the
rank of time point ``t`` within series ``i`` and ``R_t = sum_i R_it``::

    S = sum_t (R_t - mean_t R_t)**2 = sum_t R_t**2 - n (K (n + 1) / 2)**2
    W = 12 S / (K**2 (n**3 - n) - K sum_i T_i),   T_i = sum over tie groups g of (t_g**3 - t_g)

``convention="dpabi"`` -- DPABI ``y_reho.m`` (confirmed from the DPABI source, ``f_kendall`` and
the rank code): ties receive their *average* rank (DPABI's own tied-rank loop, equivalent to
MATLAB ``tiedrank``), but the denominator has **no** tie correction (``T_i`` term dropped):
``W = 12 S / (K**2 (n**3 - n))``. Only voxels with all neighbours inside the volume are computed
(loops ``2..M-1``), so the outer faces of the volume are 0. ``K`` counts in-mask voxels of the
neighbourhood pattern; a voxel is computed when its centre is in the mask.

``convention="afni"`` -- AFNI ``3dReHo`` (PA Taylor, ``src/ptaylor/rsfc.c``: ``CalcRanksForReHo``,
``FindVoxHood``, ``ReHoIt``): average ranks for ties and the tie-corrected denominator above
(``12 sum R_t**2 - 3 K**2 n (n+1)**2`` over ``K**2 n (n**2 - 1) - K sum T_i``, the same
expression). The neighbourhood is facewise (7), face+edgewise (19) or all 27; voxels at the
volume faces are computed with the neighbours that exist. Note: 3dReHo compares the sorted values
after conversion to ``int`` when detecting ties; here ties are exact equality of the stored
values (identical for integer-valued data).

Implementation: every in-mask series is ranked once (argsort-based average ranks, vectorised);
the neighbourhood rank sums are built by adding, for each of the up to 26 offsets, the rank matrix
gathered at the neighbour's index (a zero row for out-of-mask neighbours). There is no Python loop
over voxels. ``sum_t R_it**2 = n(n+1)(2n+1)/6 - T_i/12`` for average ranks, which gives the tie
term ``T_i`` without a separate pass.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np

from radiome.errors import RadiomeError
from radiome.fmri._io import check_bold

__all__ = ["reho", "average_ranks", "neighbour_offsets"]


def neighbour_offsets(neighbours: int) -> list[tuple[int, int, int]]:
    """Offsets of the 7/19/27 neighbourhood (centre first): faces, + edges, + vertices."""
    if neighbours not in (7, 19, 27):
        raise RadiomeError(f"neighbours must be 7, 19 or 27, got {neighbours}")
    max_l1 = {7: 1, 19: 2, 27: 3}[neighbours]
    offs = [o for o in itertools.product((-1, 0, 1), repeat=3) if sum(map(abs, o)) <= max_l1]
    offs.sort(key=lambda o: sum(map(abs, o)))
    return offs


def average_ranks(x: np.ndarray, dtype: type = np.float32) -> np.ndarray:
    """Ranks 1..n along the last axis, ties given their average rank (MATLAB ``tiedrank``).

    Equivalent to ``scipy.stats.rankdata(x, method="average", axis=-1)`` but several times faster
    for many short series. Half-integer ranks are exact in float32 for n < 2**22.
    """
    x = np.asarray(x)
    n = x.shape[-1]
    order = np.argsort(x, axis=-1)
    srt = np.take_along_axis(x, order, axis=-1)
    pos = np.broadcast_to(np.arange(n, dtype=np.int32), x.shape)
    new_group = np.ones(x.shape, dtype=bool)
    new_group[..., 1:] = srt[..., 1:] != srt[..., :-1]
    if new_group.all():
        sorted_rank = np.arange(1, n + 1, dtype=dtype)  # broadcast by put_along_axis
    else:
        start = np.maximum.accumulate(np.where(new_group, pos, 0), axis=-1)
        last = np.ones(x.shape, dtype=bool)
        last[..., :-1] = new_group[..., 1:]
        end = np.flip(np.minimum.accumulate(np.flip(np.where(last, pos, n - 1), axis=-1), axis=-1), axis=-1)
        sorted_rank = ((start + end).astype(np.float64) / 2 + 1).astype(dtype)
    ranks = np.empty(x.shape, dtype=dtype)
    np.put_along_axis(ranks, order, sorted_rank, axis=-1)
    return ranks


def reho(
    data: np.ndarray,
    mask: np.ndarray,
    neighbours: Literal[7, 19, 27] = 27,
    convention: Literal["dpabi", "afni"] = "dpabi",
) -> np.ndarray:
    """ReHo (Kendall's W) map, 3D float64, 0 outside the mask; see the module docstring."""
    data, mask = check_bold(data, mask)
    if convention not in ("dpabi", "afni"):
        raise RadiomeError(f"unknown ReHo convention {convention!r}; choose 'dpabi' or 'afni'")
    offsets = neighbour_offsets(int(neighbours))
    shape = mask.shape
    n = data.shape[3]
    if n < 2:
        raise RadiomeError("ReHo needs at least 2 time points")

    idx = np.argwhere(mask)  # (V, 3)
    n_vox = len(idx)
    # Doubled ranks (2R, integers even with average ranks for ties) in the smallest integer type
    # that holds a full neighbourhood sum: halves memory traffic of the 26 gathers vs float32.
    itype = np.int16 if 2 * n * len(offsets) <= np.iinfo(np.int16).max else np.int32
    ranks2 = np.zeros((n_vox + 1, n), dtype=itype)  # last row: zeros for absent neighbours
    series = data[mask]
    chunk = 4096
    for s in range(0, n_vox, chunk):
        e = min(s + chunk, n_vox)
        ranks2[s:e] = 2 * average_ranks(series[s:e], np.float32)
    del series
    # sum_t R_it^2 = n(n+1)(2n+1)/6 - T_i/12  ->  T_i (tie term per voxel), exact in float64
    sumsq = np.einsum("ij,ij->i", ranks2[:n_vox], ranks2[:n_vox], dtype=np.float64) / 4.0
    ties = 12.0 * (n * (n + 1) * (2 * n + 1) / 6.0 - sumsq)
    ties = np.append(np.maximum(ties, 0.0), 0.0)

    lookup = np.full(shape, n_vox, dtype=np.int64)
    lookup[mask] = np.arange(n_vox)
    padded = np.pad(lookup, 1, constant_values=n_vox)
    rank_sum = ranks2[:n_vox].copy()
    k = np.ones(n_vox)
    tie_sum = ties[:n_vox].copy()
    base = idx + 1  # coordinates in the padded lookup
    for off in offsets[1:]:
        nb = padded[base[:, 0] + off[0], base[:, 1] + off[1], base[:, 2] + off[2]]
        k += nb < n_vox
        np.add(rank_sum, np.take(ranks2, nb, axis=0), out=rank_sum)
        tie_sum += ties[nb]
    del ranks2
    sum_r2 = np.einsum("ij,ij->i", rank_sum, rank_sum, dtype=np.float64) / 4.0
    s_stat = sum_r2 - n * (k * (n + 1) / 2.0) ** 2
    denom = k**2 * (n**3 - n)
    if convention == "afni":
        denom = denom - k * tie_sum
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(denom > 0, 12.0 * s_stat / np.where(denom > 0, denom, 1.0), 0.0)
    if convention == "dpabi":
        interior = np.all((idx >= 1) & (idx <= np.array(shape) - 2), axis=1)
        w[~interior] = 0.0
    out = np.zeros(shape)
    out[mask] = w
    return out
