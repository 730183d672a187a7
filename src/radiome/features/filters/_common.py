"""Helpers shared by the image-type filters: array views, bounding boxes, crop windows, and the
threads the filters use (one BLAS thread for their matrix products, a shared pool of worker threads).

All arrays are in SimpleITK/numpy order ``[z, y, x]``; a bounding box is a tuple of three
``slice`` objects in that order (start inclusive, stop exclusive), as the extractor derives it
from PyRadiomics' ``checkMask``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from radiome._threads import single_blas_thread
import SimpleITK as sitk

#: What every filter yields: (image type name, array cropped to the bounding box, setting overrides).
Output = Iterator[tuple[str, np.ndarray, dict[str, Any]]]


def full_view(image: sitk.Image) -> np.ndarray:
    """Read-only numpy view ``[z, y, x]`` of the whole image (no copy; keep ``image`` alive)."""
    return sitk.GetArrayViewFromImage(image)


def bounds(bbox: tuple[slice, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` integer arrays (hi exclusive) of a bounding box given as slices."""
    lo = np.array([s.start for s in bbox], dtype=np.int64)
    hi = np.array([s.stop for s in bbox], dtype=np.int64)
    return lo, hi


def check_bbox(bbox: tuple[slice, ...], shape: tuple[int, ...]) -> tuple[slice, ...]:
    """Validate a bounding box against the image shape and normalise it to plain slices."""
    if len(bbox) != len(shape):
        raise ValueError(f"bounding box has {len(bbox)} axes, image has {len(shape)}")
    out = []
    for s, n in zip(bbox, shape):
        start, stop, step = s.indices(n)
        if step != 1 or stop <= start:
            raise ValueError(f"invalid bounding-box slice {s} for axis of length {n}")
        out.append(slice(start, stop))
    return tuple(out)


def window(bbox: tuple[slice, ...], margin: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The bounding box grown by ``margin`` voxels per axis (scalar or per axis), clipped to the image."""
    lo, hi = bounds(bbox)
    m = np.broadcast_to(np.asarray(margin, dtype=np.int64), lo.shape)
    return np.maximum(lo - m, 0), np.minimum(hi + m, np.asarray(shape, dtype=np.int64))


def setting(settings: Mapping[str, Any], key: str, default: Any) -> Any:
    """``settings[key]``, or PyRadiomics' default when the key is absent (``None`` is kept as given)."""
    return settings[key] if key in settings else default


def roi_mask(mask: np.ndarray | None, shape: tuple[int, ...], settings: Mapping[str, Any]) -> np.ndarray | None:
    """Boolean ROI mask cropped to the bounding box, from a boolean or a label array (or ``None``)."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != tuple(shape):
        raise ValueError(f"mask shape {m.shape} differs from the bounding-box shape {tuple(shape)}")
    if m.dtype == bool:
        return m
    return m == setting(settings, "label", 1)


def max_abs(image: sitk.Image) -> np.float64:
    """``max(|x|)`` over the WHOLE image in float64, as PyRadiomics scales its point-wise filters.

    Computed from the minimum and maximum in the native pixel type (no float copy of the image);
    NaN propagates as in ``numpy.max(numpy.abs(x))``.
    """
    a = full_view(image)
    lo, hi = np.float64(a.min()), np.float64(a.max())
    if np.isnan(lo) or np.isnan(hi):
        return np.float64(np.nan)
    return np.maximum(np.abs(lo), np.abs(hi))


def crop_float64(image: sitk.Image, bbox: tuple[slice, ...]) -> np.ndarray:
    """The bounding-box crop of the image as a new float64 array."""
    return np.array(full_view(image)[bbox], dtype=np.float64)


# --- BLAS threads ------------------------------------------------------------------------------
#
# LoG and LBP3D do most of their work in matrix products (``numpy.matmul``, i.e. OpenBLAS in NumPy's
# wheels). OpenBLAS' worker threads busy-wait for ~0.1 s after every call: when the cores are
# shared (another process, ITK's threads, parallel workers of a cohort run) they take CPU from the
# thread doing the work, and on the 2-core test machine the extraction of a small ROI became 3-4x
# slower (breast1: 45-50 ms single-threaded, 150-250 ms with 2 BLAS threads and a busy second core;
# on an idle machine 2 threads save ~10 % on brain1). The filters therefore run their products on
# one BLAS thread: :func:`blas_single_thread` limits BLAS to one thread while a filter computes
# (through threadpoolctl, which finds every BLAS loaded in the process) and restores it afterwards.


@contextlib.contextmanager
def blas_single_thread() -> Iterator[None]:
    """Run the block with one BLAS thread (re-entrant; the previous limits are restored on exit)."""
    with single_blas_thread():
        yield


def worker_threads() -> int:
    """Threads the filters may use: SimpleITK's global default (so that a caller limiting ITK's
    threads limits these too), at most the CPU count."""
    return max(1, min(sitk.ProcessObject.GetGlobalDefaultNumberOfThreads(), os.cpu_count() or 1))


@functools.lru_cache(maxsize=4)
def _executor(n: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(n, thread_name_prefix="radiome-filters")


# A forked child (a process pool of a cohort run) inherits the cached pool object but not its
# threads: work submitted there would wait forever. The child starts with an empty cache instead.
os.register_at_fork(after_in_child=_executor.cache_clear)


def parallel_map(fn: Callable[..., Any], items: list[Any], threads: int) -> list[Any]:
    """``[fn(x) for x in items]``, on up to ``threads`` threads of a shared pool (idle threads wait
    on a queue, they do not spin); in the calling thread when ``threads`` is 1."""
    if threads <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    return list(_executor(threads).map(fn, items))
