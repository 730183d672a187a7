"""Image type ``Wavelet``: undecimated (stationary) separable wavelet decomposition.

Definition (PyRadiomics documentation, ``imageoperations.getWaveletImage``; IBSI reference manual,
chapter 2 "Separable wavelets", arXiv:2006.05470): along each transformed axis the image is
convolved with the wavelet's low-pass (``L``) or high-pass (``H``) decomposition filter, without
down-sampling; the 2^D filter combinations give the sub-bands ``LLH``, ``LHL``, ... ``HHH`` and the
approximation ``LLL`` (letters in axis order x, y, z; with ``force2D`` the axis
``force2Ddimension`` is left out, giving two-letter names).

PyRadiomics' particular scheme (3.1.4) is reproduced exactly:

* odd dimensions are first padded by one voxel at the end with the *first* voxel ("wrap");
* every level applies the same, *undilated* level-1 filters (``pywt.swtn(..., level=1)``) to the
  previous approximation: no à trous upsampling, unlike IBSI's definition;
* the 1-D transform is PyWavelets' periodised convolution, output[o] = sum_j h[j] x[(o + F//2 - j)
  mod N] over the padded length N (filter length F), accumulated in PyWavelets' exact term order
  (ascending j, except the last F//2 outputs, whose wrapped terms come first) and in the input's
  precision (float32 stays float32, everything else becomes float64), x first, then y, then z
  (``axes = (2, 1, 0)`` in array order);
* ``start_level`` approximation-only levels come first; then ``level`` levels are yielded, named
  ``wavelet-<band>`` for the first yielded level and ``wavelet<k>-<band>`` for the k-th; the last
  approximation comes last (``wavelet-LLL`` or ``wavelet<level>-LLL``).

Speed-up with identical values: the transform is periodic over the padded length, so a voxel's
value at level k depends only on the voxels within ``k * (F - 1)`` of it (modulo the period). Only
that window around the bounding box is computed, gathering the level-0 input with the periodic,
wrap-padded indexing above; no boundary case is lost, so the result equals transforming the full
image and cropping, term for term (the tests check bit equality). Intermediate levels compute only
the approximation (on the window the next level needs); the yielded sub-bands are computed on the
bounding box only.

The filter coefficients are PyWavelets' own, taken as the impulse response of ``pywt.swt`` in the
working precision (PyWavelets' float32 coefficients of some families are not the float32 rounding
of the float64 ones).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pywt
import SimpleITK as sitk

from radiome.features.filters._common import Output, bounds, full_view, setting


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """PyWavelets' working precision: float32 (and float16) stay single, anything else is float64."""
    return np.dtype(np.float32) if dtype in (np.float16, np.float32) else np.dtype(np.float64)


@functools.lru_cache(maxsize=64)
def _filters_cached(name: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    return _impulse_filters(pywt.Wavelet(name), np.dtype(dtype))


def _impulse_filters(wavelet: pywt.Wavelet, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Decomposition filters (low, high) exactly as PyWavelets applies them in ``dtype``."""
    f = wavelet.dec_len
    n = 2 * f + 2
    x = np.zeros(n, dtype=dtype)
    x[n // 2] = 1
    (lo, hi), = pywt.swt(x, wavelet, level=1)
    # output[o] = h[j] where o + F//2 - j == n//2
    j = np.arange(n) + f // 2 - n // 2
    sel = (j >= 0) & (j < f)
    h_lo = np.zeros(f, dtype=dtype)
    h_hi = np.zeros(f, dtype=dtype)
    h_lo[j[sel]] = lo[sel]
    h_hi[j[sel]] = hi[sel]
    return h_lo, h_hi


def _filters(wavelet: Any, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(wavelet, pywt.Wavelet):
        if wavelet.name and wavelet.name in pywt.wavelist(kind="discrete"):
            return _filters_cached(wavelet.name, dtype.str)
        return _impulse_filters(wavelet, dtype)
    return _filters_cached(str(wavelet), dtype.str)


def _term_order(o: int, n: int, f: int) -> list[int]:
    """Filter indices in PyWavelets' summation order for periodised output ``o`` (length n, filter f).

    Outputs with ``o + f//2 < n`` sum ``j = 0..f-1`` in order. The last ``f//2`` outputs first add
    the wrapped terms ``j = i-n, ..., 0`` (descending, ``i = o + f//2``), then ``j = i-n+1 ..
    min(i, f-1)`` and finally ``j = i+1 .. f-1``.
    """
    i = o + f // 2
    if i < n:
        return list(range(f))
    return list(range(i - n, -1, -1)) + list(range(i - n + 1, min(i, f - 1) + 1)) + list(range(i + 1, f))


def _convolve_axis(x: np.ndarray, h: np.ndarray, axis: int, start: int, count: int, period: int) -> np.ndarray:
    """Periodised SWT convolution along ``axis`` of a window.

    ``x`` holds the (periodic) signal at unwrapped positions ``start + f//2 - (f-1)`` ..
    ``start + count - 1 + f//2`` along ``axis``; the result holds outputs ``start .. start+count-1``.
    """
    f = h.size

    def along(sl: slice | int) -> tuple:
        idx: list = [slice(None)] * x.ndim
        idx[axis] = sl
        return tuple(idx)

    shape = list(x.shape)
    shape[axis] = count
    acc = np.zeros(shape, dtype=x.dtype)
    tmp = np.empty(shape, dtype=x.dtype)
    for j in range(f):
        np.multiply(x[along(slice(f - 1 - j, f - 1 - j + count))], h[j], out=tmp)
        acc += tmp
    # positions whose PyWavelets summation order is not ascending: redo them in that order
    for p in range(start, start + count):
        o = p % period
        if o + f // 2 < period:
            continue
        q = p - start
        s = np.zeros(x[along(0)].shape, dtype=x.dtype)
        for j in _term_order(o, period, f):
            s += h[j] * x[along(q + f - 1 - j)]
        acc[along(q)] = s
    return acc


def image_type_names(level_index: int, bands: list[str]) -> list[str]:
    """PyRadiomics' names of the sub-bands of the ``level_index``-th yielded level (1-based)."""
    prefix = "wavelet-" if level_index == 1 else f"wavelet{level_index}-"
    return [prefix + b for b in bands]


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield every detail sub-band of every yielded level, then the last approximation, cropped to bbox.

    Settings: ``wavelet`` ['coif1'], ``start_level`` [0], ``level`` [1], ``force2D`` [False],
    ``force2Ddimension`` [0] (the axis in SimpleITK (x, y, z) order, i.e. PyRadiomics' convention,
    is the numpy axis number: 0 = z).
    """
    arr = full_view(image)
    nd = arr.ndim
    axes = list(range(nd - 1, -1, -1))  # numpy axes, transformed in this order (x first)
    if setting(settings, "force2D", False):
        axes.remove(setting(settings, "force2Ddimension", 0))
    start_level = int(setting(settings, "start_level", 0))
    n_levels = int(setting(settings, "level", 1))
    dtype = _work_dtype(arr.dtype)
    h_lo, h_hi = _filters(setting(settings, "wavelet", "coif1"), dtype)
    f = h_lo.size
    left, right = f - 1 - f // 2, f // 2  # input extent needed around an output window, per level

    shape = arr.shape
    period = [n + (n % 2) for n in shape]  # PyRadiomics pads odd dimensions by one ("wrap")
    lo, hi = bounds(bbox)
    total = start_level + n_levels
    # output window (unwrapped coordinates) of every level, from the last level back to level 0
    wins = [(lo.copy(), hi.copy())]
    for _ in range(total):
        a, b = wins[-1]
        a, b = a.copy(), b.copy()
        for ax in axes:
            a[ax] -= left
            b[ax] += right
        wins.append((a, b))
    wins.reverse()  # wins[k] = window of the level-k data (k = 0: input image)

    # level-0 input: periodic, wrap-padded indexing of the original image
    a0, b0 = wins[0]
    idx = []
    for ax in range(nd):
        q = np.arange(a0[ax], b0[ax]) % period[ax]
        idx.append(np.where(q < shape[ax], q, 0))
    data = arr[np.ix_(*idx)].astype(dtype)

    approx_key = "a" * len(axes)
    level_out = 0
    for level in range(1, total + 1):
        a_in = wins[level - 1][0]
        yielded = level > start_level
        if yielded:
            # all sub-bands, on the bounding box only: input = bbox grown by one level's support
            a_d = lo.copy()
            for ax in axes:
                a_d[ax] -= left
            cut = tuple(slice(int(a_d[ax] - a_in[ax]), int(a_d[ax] - a_in[ax]) + int(hi[ax] - lo[ax])
                              + (left + right if ax in axes else 0)) for ax in range(nd))
            subbands: list[tuple[str, np.ndarray]] = [("", data[cut])]
            for ax in axes:
                count = int(hi[ax] - lo[ax])
                subbands = [(key + k, _convolve_axis(x, h, ax, int(lo[ax]), count, period[ax]))
                            for key, x in subbands for k, h in (("a", h_lo), ("d", h_hi))]
            level_out += 1
            for key, x in subbands:
                if key != approx_key:
                    name = key.replace("a", "L").replace("d", "H")
                    yield image_type_names(level_out, [name])[0], x, {}
            if level == total:
                data = dict(subbands)[approx_key]
                break
        # the approximation alone, on the window the next level needs
        a_out, b_out = wins[level]
        for ax in axes:
            data = _convolve_axis(data, h_lo, ax, int(a_out[ax]), int(b_out[ax] - a_out[ax]), period[ax])
    else:  # no level yielded (level = 0): the input or last approximation, cropped
        a_out = wins[total][0]
        data = data[tuple(slice(int(lo[ax] - a_out[ax]), int(hi[ax] - a_out[ax])) for ax in range(nd))]
    name = "L" * len(axes)
    last = "wavelet-" + name if level_out == 1 else f"wavelet{level_out}-" + name
    yield last, np.array(data), {}
