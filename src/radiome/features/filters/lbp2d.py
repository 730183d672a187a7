"""Image type ``LBP2D``: slice-wise 2-D local binary pattern.

Definition (PyRadiomics documentation, ``imageoperations.getLBP2DImage``, which calls
scikit-image's ``skimage.feature.local_binary_pattern``; Ojala, Pietikäinen and Mäenpää, IEEE TPAMI
24(7), 2002): for every pixel, ``P`` neighbours are sampled on a circle of radius ``R``,

    (r_i, c_i) = (r - R sin(2 pi i / P), c + R cos(2 pi i / P)),  i = 0..P-1,

with the offsets rounded to 5 decimals and bilinear interpolation (values outside the slice are 0).
Each neighbour gives a bit s_i = [g_i - g_c >= 0] (g_c: the centre value). The pattern code is

* ``default``: sum_i s_i 2^i;
* ``ror``: the smallest value of the P-bit code over all its circular rotations;
* ``uniform``: sum_i s_i when the number U of bit changes is <= 2, otherwise P + 1, where (as in
  scikit-image) U = sum_{i<P-1} |s_i - s_{i+1}| does not include the wrap-around pair (P-1, 0);
* ``nri_uniform``: the non-rotation-invariant uniform code of scikit-image (P(P-1)+2 values);
* ``var``: the biased variance of the g_i, ``(sum g_i^2 - (sum g_i)^2 / P) / P`` (NaN when 0).

This is a vectorised re-implementation that reproduces scikit-image's arithmetic operation by
operation (same rounding of offsets, same interpolation formula per absolute pixel coordinate, same
accumulation order), so that the thresholds ``g_i - g_c >= 0`` decide identically. scikit-image is
not needed; the tests compare with it when it is installed.

PyRadiomics' use of it: settings ``lbp2DRadius`` [1], ``lbp2DSamples`` [8] (the code default; its
docstring says 9), ``lbp2DMethod`` ['uniform'], ``force2Ddimension`` [0]. The 3-D image is cut into
slices along ``force2Ddimension`` (numpy axis: 0 = z) after ``swapaxes(0, force2Ddimension)``, so a
slice's rows/columns are (y, x), (z, x) or (y, z); the LBP values (float64) are written back into the
*image's* dtype (so truncated to integers for integer images) and named ``lbp-2D``.

Speed-up with identical values: a pixel's code depends only on pixels within ``ceil(R) + 1`` of it
in its slice, so only the bounding box grown by that margin in-plane is used; outside the image the
window is zero-filled, which is scikit-image's own boundary value.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, bounds, full_view, setting

log = logging.getLogger(__name__)

METHODS = ("default", "ror", "uniform", "nri_uniform", "var")
_warned = False  # the force2D warning is logged once per process


def _offsets(P: int, R: float) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour offsets (rows, cols), rounded to 5 decimals; R in single precision like scikit-image."""
    R = float(np.float32(R))
    k = np.arange(P, dtype=np.float64)
    rr = -R * np.sin(2 * np.pi * k / P)
    cc = R * np.cos(2 * np.pi * k / P)
    return np.round(rr, 5), np.round(cc, 5)


def _sample(padded: np.ndarray, origin_r: int, origin_c: int, rows: np.ndarray, cols: np.ndarray,
            dr: float, dc: float) -> np.ndarray:
    """Bilinear samples at (rows + dr, cols + dc) (absolute coordinates) for every plane of ``padded``.

    ``padded[:, i, j]`` holds absolute pixel (origin_r + i, origin_c + j), zero outside the image.
    The arithmetic is scikit-image's ``bilinear_interpolation`` for every absolute coordinate.
    """
    r = rows + dr
    c = cols + dc
    minr, maxr = np.floor(r), np.ceil(r)
    minc, maxc = np.floor(c), np.ceil(c)
    fr = (r - minr)[:, None]
    fc = (c - minc)[None, :]
    i0 = minr.astype(np.int64) - origin_r
    i1 = maxr.astype(np.int64) - origin_r
    j0 = minc.astype(np.int64) - origin_c
    j1 = maxc.astype(np.int64) - origin_c
    if all(_consecutive(v) for v in (i0, i1, j0, j1)):  # the usual case: views instead of gathers
        i0, i1, j0, j1 = (slice(int(v[0]), int(v[0]) + v.size) for v in (i0, i1, j0, j1))
    else:
        i0, i1, j0, j1 = i0[:, None], i1[:, None], j0[None, :], j1[None, :]
    top = (1 - fc) * padded[:, i0, j0] + fc * padded[:, i0, j1]
    bottom = (1 - fc) * padded[:, i1, j0] + fc * padded[:, i1, j1]
    return (1 - fr) * top + fr * bottom


def _consecutive(idx: np.ndarray) -> bool:
    return bool(idx.size) and bool(np.all(np.diff(idx) == 1))


def lbp_planes(padded: np.ndarray, origin: tuple[int, int], rows: np.ndarray, cols: np.ndarray,
               P: int, R: float, method: str) -> np.ndarray:
    """LBP codes (float64) of the pixels ``rows x cols`` (absolute) of every plane of ``padded``."""
    method = method.lower()
    if method not in METHODS:
        raise ValueError(f"unknown LBP method {method!r}; choose from {METHODS}")
    rp, cp = _offsets(P, R)
    o_r, o_c = origin
    centre = padded[:, (rows - o_r)[:, None], (cols - o_c)[None, :]]
    shape = centre.shape
    lbp = np.zeros(shape, dtype=np.float64)
    if method == "var":
        s1 = np.zeros(shape, dtype=np.float64)
        s2 = np.zeros(shape, dtype=np.float64)
        for i in range(P):
            t = _sample(padded, o_r, o_c, rows, cols, rp[i], cp[i])
            s1 += t
            s2 += t * t
        var = (s2 - (s1 * s1) / P) / P
        return np.where(var != 0, var, np.nan)
    bits = np.empty((P,) + shape, dtype=np.int8)
    for i in range(P):
        bits[i] = (_sample(padded, o_r, o_c, rows, cols, rp[i], cp[i]) - centre) >= 0
    if method in ("default", "ror"):
        weights = 2 ** np.arange(P, dtype=np.int32)  # int32 as in scikit-image
        for i in range(P):
            lbp += bits[i] * np.float64(weights[i])
        if method == "ror":
            cur = lbp.astype(np.int64)
            best = cur.copy()
            for _ in range(1, P):
                cur = (cur >> 1) | ((cur & 1) << (P - 1))
                np.minimum(best, cur, out=best)
            lbp = best.astype(np.float64)
        return lbp
    changes = np.zeros(shape, dtype=np.int64)
    for i in range(P - 1):
        changes += bits[i] != bits[i + 1]
    n_ones = bits.sum(axis=0, dtype=np.int64)
    uniform = changes <= 2
    if method == "uniform":
        return np.where(uniform, n_ones, P + 1).astype(np.float64)
    # nri_uniform: code of a uniform pattern from its number of ones and its rotation
    first_one = np.where(bits.any(axis=0), np.argmax(bits == 1, axis=0), -1)
    first_zero = np.where((bits == 0).any(axis=0), np.argmax(bits == 0, axis=0), -1)
    rot = np.where(first_one == 0, n_ones - first_zero, P - first_one)
    code = 1 + (n_ones - 1) * P + rot
    code = np.where(n_ones == 0, 0, np.where(n_ones == P, P * (P - 1) + 1, code))
    return np.where(uniform, code, P * (P - 1) + 2).astype(np.float64)


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("lbp-2D", LBP of every slice along force2Ddimension on the crop, {})``."""
    radius = setting(settings, "lbp2DRadius", 1)
    samples = int(setting(settings, "lbp2DSamples", 8))
    method = setting(settings, "lbp2DMethod", "uniform")
    global _warned
    if not setting(settings, "force2D", False) and not _warned:
        _warned = True
        log.warning("LBP2D is computed slice by slice but features are extracted in 3D (force2D is off); "
                    "PyRadiomics warns the same. Use with caution.")
    axis = int(setting(settings, "force2Ddimension", 0))
    arr = np.swapaxes(full_view(image), 0, axis)  # slices along axis 0, rows = axis 1, cols = axis 2
    lo, hi = bounds(bbox)
    lo[[0, axis]] = lo[[axis, 0]]
    hi[[0, axis]] = hi[[axis, 0]]
    pad = int(math.ceil(float(np.float32(radius)))) + 1
    n_r, n_c = arr.shape[1], arr.shape[2]
    o_r, o_c = int(lo[1]) - pad, int(lo[2]) - pad  # absolute origin of the padded window
    padded = np.zeros((int(hi[0] - lo[0]), int(hi[1] - lo[1]) + 2 * pad, int(hi[2] - lo[2]) + 2 * pad))
    r0, r1 = max(o_r, 0), min(int(hi[1]) + pad, n_r)
    c0, c1 = max(o_c, 0), min(int(hi[2]) + pad, n_c)
    padded[:, r0 - o_r:r1 - o_r, c0 - o_c:c1 - o_c] = arr[lo[0]:hi[0], r0:r1, c0:c1]
    rows = np.arange(lo[1], hi[1], dtype=np.int64)
    cols = np.arange(lo[2], hi[2], dtype=np.int64)
    with np.errstate(invalid="ignore"):
        codes = lbp_planes(padded, (o_r, o_c), rows, cols, samples, radius, method)
        out = codes.astype(arr.dtype)  # PyRadiomics writes the codes back into the image array
    yield "lbp-2D", np.ascontiguousarray(np.swapaxes(out, 0, axis)), {}
