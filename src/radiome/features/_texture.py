"""Neighbour offsets shared by the texture families (GLCM, GLRLM, GLDM, NGTDM, ...).

Offsets are in array order ``(z, y, x)``. :func:`angles` reproduces the set and order of
PyRadiomics' ``generate_angles``: every offset whose Chebyshev norm is one of ``distances``, listed
from ``(+d, +d, +d)`` downwards in lexicographic order; unless ``bidirectional`` only the first half
(one of each opposite pair) is kept. With ``force2D`` the offsets along ``force2Ddimension`` are
dropped, and so are offsets along any axis on which the ROI's bounding box is a single voxel.

The offsets depend only on these arguments, so they are memoised (every family asks for them once
per image type); the array returned is read-only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import product

import numpy as np


def angles(
    bbox_size: Sequence[int],
    distances: Sequence[int] = (1,),
    *,
    bidirectional: bool = False,
    force2D: bool = False,
    force2Ddimension: int = 0,
) -> np.ndarray:
    """Offsets (n, 3) in ``[z, y, x]`` order, as PyRadiomics generates them (read-only)."""
    dists = tuple(sorted({int(d) for d in distances if int(d) > 0}))
    if not dists:
        raise ValueError("distances must contain a positive integer")
    return _angles(tuple(int(s) for s in bbox_size), dists, bool(bidirectional), bool(force2D), int(force2Ddimension))


@functools.lru_cache(maxsize=512)
def _angles(
    bbox_size: tuple[int, ...], dists: tuple[int, ...], bidirectional: bool, force2D: bool, force2Ddimension: int
) -> np.ndarray:
    dmax = max(dists)
    flat = [i for i, s in enumerate(bbox_size) if s <= 1]
    if force2D:
        flat.append(force2Ddimension)
    rng = range(dmax, -dmax - 1, -1)
    out = []
    for o in product(rng, repeat=len(bbox_size)):
        if not any(o) or max(abs(c) for c in o) not in dists:
            continue
        if any(o[i] != 0 for i in flat):
            continue
        out.append(o)
    if not bidirectional:
        out = [o for o in out if next(c for c in o if c != 0) > 0]
    arr = np.array(out, dtype=np.int64).reshape(-1, len(bbox_size))
    arr.setflags(write=False)
    return arr


def shifted(levels: np.ndarray, offset: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of grey levels (centre, neighbour at ``centre + offset``) where both are inside the ROI.

    ``levels`` holds 0 outside the ROI. Returns two equally long int arrays.
    """
    src = []
    dst = []
    for n, o in zip(levels.shape, offset):
        if o >= 0:
            src.append(slice(0, n - o))
            dst.append(slice(o, n))
        else:
            src.append(slice(-o, n))
            dst.append(slice(0, n + o))
    a = levels[tuple(src)]
    b = levels[tuple(dst)]
    keep = (a > 0) & (b > 0)
    return a[keep], b[keep]
