"""Resampling to a new voxel spacing, in the PyRadiomics and the IBSI conventions.

PyRadiomics (``imageoperations.resampleImage``; :func:`resample_pyradiomics`):
  the output grid covers the ROI's bounding box plus ``padDistance`` voxels; grid *corners* of the
  old and new grids coincide (the new origin is shifted by half the spacing difference); the image
  is interpolated with the chosen SimpleITK interpolator (default B-spline) and cast back to its
  pixel type, the mask by nearest neighbour. A spacing of 0 keeps that axis; an axis on which the ROI
  is one voxel thick keeps its spacing.

IBSI 1 (section 2.4; :func:`resample_ibsi`):
  the grid *centres* are aligned (IBSI 3WE3), the new size is ``ceil(n * s / s_new)``, intensities
  are interpolated in floating point with nearest-boundary extrapolation (optionally rounded, as for
  CT), and the mask is interpolated as a float map and thresholded at a partial-volume fraction
  (default 0.5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

_INTERP = {
    "nearest": sitk.sitkNearestNeighbor,
    "linear": sitk.sitkLinear,
    "bspline": sitk.sitkBSpline,
    "cubic": sitk.sitkBSpline,
}


def sitk_interpolator(name: str | int) -> int:
    """A SimpleITK interpolator from its name (``sitkBSpline``, ``linear``, ...) or enum value."""
    if isinstance(name, int):
        return name
    if name in _INTERP:
        return _INTERP[name]
    value = getattr(sitk, name, None)
    if not isinstance(value, int):
        raise ValueError(f"unknown interpolator {name!r}")
    return value


def _roi_bbox_index(mask: sitk.Image, label: int) -> np.ndarray:
    """[x0, y0, z0, sx, sy, sz] of the label's bounding box (LabelShapeStatistics convention)."""
    arr = sitk.GetArrayViewFromImage(mask) == label
    idx = np.nonzero(arr)
    if not idx[0].size:
        raise ValueError(f"label {label} is not present in the mask")
    lo = np.array([i.min() for i in idx])[::-1]
    hi = np.array([i.max() for i in idx])[::-1]
    return np.concatenate([lo, hi - lo + 1])


def resample_pyradiomics(
    image: sitk.Image,
    mask: sitk.Image,
    spacing: Sequence[float],
    *,
    interpolator: str | int = "sitkBSpline",
    pad_distance: int = 5,
    label: int = 1,
) -> tuple[sitk.Image, sitk.Image]:
    """Resample image and mask onto a grid around the ROI, exactly as PyRadiomics does."""
    nd = mask.GetDimension()
    if len(spacing) != nd:
        raise ValueError(f"resampledPixelSpacing has {len(spacing)} values; the image is {nd}D")
    mask_spacing = np.array(mask.GetSpacing())
    image_spacing = np.array(image.GetSpacing())
    new_spacing = np.array(spacing, dtype=float)
    new_spacing = np.where(new_spacing == 0, mask_spacing, new_spacing)
    bb = _roi_bbox_index(mask, label)
    new_spacing = np.where(bb[nd:] != 1, new_spacing, mask_spacing)
    mask_size = np.array(mask.GetSize())
    if np.allclose(image_spacing, new_spacing):
        # same grid: only bring the mask onto the image and crop with padding
        mask = sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())
        bb = _roi_bbox_index(mask, label)
        lo = np.maximum(bb[:nd] - pad_distance, 0)
        hi = np.maximum(mask_size - (bb[:nd] + bb[nd:] - 1) - pad_distance - 1, 0)
        return (
            sitk.Crop(image, [int(v) for v in lo], [int(v) for v in hi]),
            sitk.Crop(mask, [int(v) for v in lo], [int(v) for v in hi]),
        )
    ratio = mask_spacing / new_spacing
    new_lo = np.floor((bb[:nd] - 0.5) * ratio - pad_distance)
    new_hi = np.ceil((bb[:nd] + bb[nd:] - 0.5) * ratio + pad_distance)
    max_hi = np.ceil(mask_size * ratio) - 1
    new_lo = np.where(new_lo < 0, 0, new_lo)
    new_hi = np.where(new_hi > max_hi, max_hi, new_hi)
    new_size = np.array(new_hi - new_lo + 1, dtype=int).tolist()
    origin_index = 0.5 * (new_spacing - mask_spacing) / mask_spacing + new_lo / ratio
    new_origin = mask.TransformContinuousIndexToPhysicalPoint(origin_index.tolist())
    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing(new_spacing.tolist())
    rif.SetOutputDirection(mask.GetDirection())
    rif.SetSize(new_size)
    rif.SetOutputOrigin(new_origin)
    rif.SetOutputPixelType(image.GetPixelID())
    rif.SetInterpolator(sitk_interpolator(interpolator))
    out_image = rif.Execute(image)
    rif.SetOutputPixelType(mask.GetPixelID())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out_mask = rif.Execute(mask)
    return out_image, out_mask


def ibsi_grid(image: sitk.Image, spacing: Sequence[float]) -> tuple[list[int], list[float], tuple[float, ...]]:
    """Size, spacing and origin of the IBSI centre-aligned grid with the requested spacing.

    ``n_new = ceil(n * s / s_new)``; the centre of the new grid coincides with the old one's.
    A spacing of 0 keeps that axis.
    """
    old_sp = np.array(image.GetSpacing())
    old_n = np.array(image.GetSize())
    new_sp = np.array([o if s == 0 else s for s, o in zip(spacing, old_sp)], dtype=float)
    new_n = np.ceil(np.round(old_n * old_sp / new_sp, 6)).astype(int)
    shift = 0.5 * (old_sp * (old_n - 1) - new_sp * (new_n - 1))  # along each grid axis, mm
    d = np.array(image.GetDirection()).reshape(3, 3)
    origin = np.array(image.GetOrigin()) + d @ shift
    return new_n.tolist(), new_sp.tolist(), tuple(origin.tolist())


def resample_ibsi(
    image: sitk.Image,
    mask: sitk.Image,
    spacing: Sequence[float],
    *,
    interpolator: str | int = "linear",
    mask_threshold: float = 0.5,
    round_intensities: bool = False,
) -> tuple[sitk.Image, sitk.Image]:
    """IBSI resampling: centre-aligned grid, float interpolation, partial-volume mask at ``mask_threshold``.

    ``mask`` must be binary (0/1). Returns a float64 image (rounded when ``round_intensities``) and
    a UInt8 mask.
    """
    size, sp, origin = ibsi_grid(image, spacing)
    ref = sitk.Image(size, sitk.sitkFloat64)
    ref.SetSpacing(sp)
    ref.SetOrigin(origin)
    ref.SetDirection(image.GetDirection())
    img = sitk.Resample(
        sitk.Cast(image, sitk.sitkFloat64),
        ref,
        sitk.Transform(),
        sitk_interpolator(interpolator),
        0.0,
        sitk.sitkFloat64,
        True,  # nearest-neighbour extrapolation outside the old grid (IBSI: nearest boundary value)
    )
    if round_intensities:
        arr = np.round(sitk.GetArrayFromImage(img))
        rounded = sitk.GetImageFromArray(arr)
        rounded.CopyInformation(img)
        img = rounded
    m = sitk.Resample(
        sitk.Cast(mask, sitk.sitkFloat64), ref, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat64, True
    )
    # the epsilon guards values like 0.49999999 that are 0.5 in exact arithmetic
    mbin = sitk.GetImageFromArray((sitk.GetArrayFromImage(m) >= mask_threshold - 1e-9).astype(np.uint8))
    mbin.CopyInformation(img)
    return img, mbin
