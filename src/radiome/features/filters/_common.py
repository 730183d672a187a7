"""Helpers shared by the image-type filters: array views, bounding boxes and crop windows.

All arrays are in SimpleITK/numpy order ``[z, y, x]``; a bounding box is a tuple of three
``slice`` objects in that order (start inclusive, stop exclusive), as the extractor derives it
from PyRadiomics' ``checkMask``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
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


def sub_image(image: sitk.Image, lo: np.ndarray, hi: np.ndarray) -> sitk.Image:
    """Crop a SimpleITK image to the ``[z, y, x]`` window ``[lo, hi)`` (spacing and direction kept)."""
    (z0, y0, x0), (z1, y1, x1) = (int(v) for v in lo), (int(v) for v in hi)
    return image[x0:x1, y0:y1, z0:z1]


def relative(bbox: tuple[slice, ...], lo: np.ndarray) -> tuple[slice, ...]:
    """The bounding box expressed in the coordinates of a window starting at ``lo``."""
    return tuple(slice(s.start - int(a), s.stop - int(a)) for s, a in zip(bbox, lo))


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
