"""Local intensity features (IBSI 1 section 3.2, family ``9ST6``).

Both features are means over a 1 cm^3 sphere in world coordinates, i.e. over every voxel whose centre
lies within ``r = (3 / (4 pi))^(1/3) cm ~ 6.2035 mm`` (Euclidean distance, voxel offsets scaled by
the spacing) of a centre voxel, the centre included:

* local intensity peak (``VJGA``, ``loc_peak_loc``): the sphere mean around the voxel with the
  maximum intensity in the ROI intensity mask; when several ROI voxels share that maximum, the
  highest of their sphere means;
* global intensity peak (``0F91``, ``loc_peak_glob``): the highest sphere mean over all voxels of the
  ROI intensity mask.

Only ROI voxels serve as centres, but the sphere draws on *all* image voxels, inside the ROI or not
(including voxels removed by re-segmentation). At the border of the image the sphere is truncated:
the mean is taken over the voxels that exist. Intensities are the raw (not discretised) image values.

The sphere means are computed for all voxels at once as a normalised FFT convolution with the
binary spherical kernel (``scipy.signal.fftconvolve``): ``sum(image * K) / sum(valid * K)``.

What the caller must provide (the extractor contract)
-----------------------------------------------------
A :class:`~radiome.features.base.RoiImage` is cropped to the ROI bounding box, so by itself it lacks
the neighbourhood of voxels near the ROI surface. :func:`compute_ibsi` accepts either

1. (recommended) ``image_full=<array>`` and ``mask_offset=(z0, y0, x0)``: the whole image on the same
   voxel grid as ``roi.image`` (after resampling and any intensity rounding, *before* re-segmentation
   and cropping), and the index in it of ``roi.image[0, 0, 0]``. Only a window of the ROI bounding
   box grown by :func:`required_padding` voxels is used, so the full image costs nothing extra; or
2. no extra argument: ``roi.image`` itself is taken as the whole image. This is exact when the crop
   was padded by at least :func:`required_padding(spacing) <required_padding>` voxels on every side
   (or reaches the image border there), and it is what happens for an uncropped image such as the
   IBSI digital phantom. Padding the shared RoiImage changes the bounding box that the
   PyRadiomics-compatible texture families see, hence option 1.

``aggregation`` may be ``None`` or ``"3D"`` (IBSI: local intensity features are 3D only, ``DHQ4``).

Reference: Zwanenburg A. et al., "The Image Biomarker Standardisation Initiative", Radiology 2020
(arXiv:1612.07003), section 3.2; Wahl et al. 2009 (PERCIST); Frings et al. 2014.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.signal import fftconvolve

from radiome.features.base import RoiImage

NAME = "loc"

TAGS: tuple[str, ...] = ("loc_peak_loc", "loc_peak_glob")

#: radius (mm) of a sphere of 1 cm^3
RADIUS_MM: float = 10.0 * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0)


def required_padding(spacing: Sequence[float], radius: float = RADIUS_MM) -> tuple[int, ...]:
    """Voxels needed on each side of the ROI bounding box along each axis: ``floor(r / spacing)``."""
    return tuple(int(np.floor(radius / float(s) + 1e-9)) for s in spacing)


def sphere_kernel(spacing: Sequence[float], radius: float = RADIUS_MM) -> np.ndarray:
    """Boolean kernel of the voxel centres within ``radius`` mm of the central voxel (odd shape)."""
    pad = required_padding(spacing, radius)
    axes = [np.arange(-p, p + 1, dtype=np.float64) * float(s) for p, s in zip(pad, spacing)]
    grids = np.meshgrid(*axes, indexing="ij")
    d2 = sum(g**2 for g in grids)
    return d2 <= radius**2 * (1 + 1e-12)


def local_means(image: np.ndarray, spacing: Sequence[float], radius: float = RADIUS_MM) -> np.ndarray:
    """Mean intensity in the sphere around every voxel of ``image``, truncated at the array border."""
    img = np.asarray(image, dtype=np.float64)
    kern = sphere_kernel(spacing, radius).astype(np.float64)
    # 'same' output has the image's shape (the kernel may be larger than the image); the kernel is
    # symmetric, so the convolution is the windowed sum. Zero padding outside the array truncates the
    # sphere there, and ``counts`` (the same convolution of ones) holds the voxels actually summed.
    sums = fftconvolve(img, kern, mode="same")
    counts = np.rint(fftconvolve(np.ones_like(img), kern, mode="same"))
    return sums / counts


def _window(
    roi: RoiImage, image_full: np.ndarray | None, mask_offset: Sequence[int] | None
) -> tuple[np.ndarray, np.ndarray]:
    """The image region to filter and the ROI mask placed in it."""
    if image_full is None:
        return np.asarray(roi.image), roi.mask
    full = np.asarray(image_full)
    if full.ndim != roi.image.ndim:
        raise ValueError("image_full must have the dimensionality of roi.image")
    if mask_offset is None:
        if full.shape != roi.image.shape:
            raise ValueError("mask_offset is required when image_full is larger than roi.image")
        mask_offset = (0,) * full.ndim
    off = np.asarray(mask_offset, dtype=np.int64)
    end = off + np.asarray(roi.image.shape)
    if np.any(off < 0) or np.any(end > np.asarray(full.shape)):
        raise ValueError(f"roi.image at offset {tuple(off)} does not fit in image_full of shape {full.shape}")
    # tighten to the ROI's own bounding box, then grow by the sphere radius (clipped at the image)
    idx = np.nonzero(roi.mask)
    lo_roi = off + np.array([i.min() for i in idx])
    hi_roi = off + np.array([i.max() for i in idx]) + 1
    pad = np.asarray(required_padding(roi.spacing))
    lo = np.maximum(lo_roi - pad, 0)
    hi = np.minimum(hi_roi + pad, np.asarray(full.shape))
    win = full[tuple(slice(a, b) for a, b in zip(lo, hi))]
    mask = np.zeros(win.shape, dtype=bool)
    src = tuple(slice(a, b) for a, b in zip(lo_roi - off, hi_roi - off))
    dst = tuple(slice(a, b) for a, b in zip(lo_roi - lo, hi_roi - lo))
    mask[dst] = roi.mask[src]
    return win, mask


def local_intensity_peak(image: np.ndarray, mask: np.ndarray, means: np.ndarray) -> float:
    """Local intensity peak (VJGA): the highest sphere mean among the ROI voxels of maximum intensity."""
    vals = image[mask]
    top = vals.max()
    return float(means[mask][vals == top].max())


def global_intensity_peak(mask: np.ndarray, means: np.ndarray) -> float:
    """Global intensity peak (0F91): the highest sphere mean over all ROI voxels."""
    return float(means[mask].max())


def compute_ibsi(
    roi: RoiImage,
    aggregation: str | None = None,
    *,
    image_full: np.ndarray | None = None,
    mask_offset: Sequence[int] | None = None,
    **options: Any,
) -> dict[str, float]:
    """IBSI local intensity features (``loc_peak_loc``, ``loc_peak_glob``); see the module docstring.

    ``image_full`` / ``mask_offset``: the whole image on ``roi``'s voxel grid and the index in it of
    ``roi.image[0, 0, 0]``; without them ``roi.image`` is treated as the whole image. The option
    ``radius`` (mm) changes the sphere radius (non-standard).
    """
    if aggregation not in (None, "3D"):
        raise ValueError(f"local intensity features are computed in 3D only, not {aggregation!r}")
    if roi.n_voxels == 0:
        return {t: float("nan") for t in TAGS}
    radius = float(options.get("radius", RADIUS_MM))
    win, mask = _window(roi, image_full, mask_offset)
    means = local_means(win, roi.spacing, radius)
    img = np.asarray(win, dtype=np.float64)
    return {
        "loc_peak_loc": local_intensity_peak(img, mask, means),
        "loc_peak_glob": global_intensity_peak(mask, means),
    }
