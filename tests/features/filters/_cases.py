"""Test images for the filter tests, and PyRadiomics' reference run (generator + crop).

Cases: the PyRadiomics test data ``brain1`` and ``breast1`` and two synthetic images built from
closed-form integer patterns (no random numbers, so they are the same everywhere):

* ``border``: 9 x 40 x 37 voxels (odd x), int16 with negative values, anisotropic spacing, the ROI
  touching the first z slice, the first x column and the last y row;
* ``border32``: ``border`` as float32 times 0.7 (PyWavelets then works in float32);
* ``thin``: 3 x 21 x 20 voxels (3 slices: too thin for LoG, shorter than the wavelet filter along
  z), float64 with a constant plateau (ties for the LBP thresholds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

DATA = Path(__file__).parents[2] / "data" / "pyradiomics"


def _pattern(shape: tuple[int, int, int]) -> np.ndarray:
    z, y, x = np.indices(shape)
    return ((x * 37 + y * 11 + z * 53) % 23) * 13 + ((x * y + 3 * z) % 7) * 29 - 150


def synthetic(name: str) -> tuple[sitk.Image, sitk.Image]:
    if name == "border32":
        image, m = synthetic("border")
        return sitk.Cast(image, sitk.sitkFloat32) * 0.7, m
    if name == "border":
        arr = _pattern((9, 40, 37)).astype(np.int16)
        mask = np.zeros(arr.shape, np.uint8)
        mask[0:4, 30:40, 0:9] = 1
        mask[2, 28:40, 0:3] = 1
        spacing = (0.9, 0.8, 2.5)
    elif name == "thin":
        arr = _pattern((3, 21, 20)).astype(np.float64) * 0.37
        arr[:, 5:14, 4:12] = 12.5  # plateau
        mask = np.zeros(arr.shape, np.uint8)
        mask[:, 3:16, 2:15] = 1
        spacing = (1.1, 1.1, 3.0)
    else:
        raise KeyError(name)
    image = sitk.GetImageFromArray(arr)
    image.SetSpacing(spacing)
    image.SetOrigin((-10.0, 4.0, 2.5))
    m = sitk.GetImageFromArray(mask)
    m.CopyInformation(image)
    return image, m


def load(name: str) -> tuple[sitk.Image, sitk.Image]:
    """Image and UInt32 mask (label 1), as PyRadiomics' extractor holds them."""
    from radiomics import imageoperations

    if name in ("brain1", "breast1"):
        image = sitk.ReadImage(str(DATA / f"{name}_image.nrrd"))
        mask = sitk.ReadImage(str(DATA / f"{name}_label.nrrd"))
    else:
        image, mask = synthetic(name)
    return image, imageoperations.getMask(mask, label=1)


def bounding_box(image: sitk.Image, mask: sitk.Image) -> tuple[np.ndarray, tuple[slice, slice, slice]]:
    """PyRadiomics' bounding box (checkMask) and the same box as [z, y, x] slices."""
    from radiomics import imageoperations

    bb, _ = imageoperations.checkMask(image, mask, label=1)
    b = [int(v) for v in bb]
    return bb, (slice(b[4], b[5] + 1), slice(b[2], b[3] + 1), slice(b[0], b[1] + 1))


def pyradiomics_outputs(image_type: str, image: sitk.Image, mask: sitk.Image,
                        settings: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    """What PyRadiomics' feature classes would read: generator outputs cropped with cropToTumorMask."""
    from radiomics import imageoperations

    bb, _ = bounding_box(image, mask)
    out = []
    for filtered, name, _ in getattr(imageoperations, f"get{image_type}Image")(image, mask, **settings):
        cropped, _ = imageoperations.cropToTumorMask(filtered, mask, bb)
        out.append((name, sitk.GetArrayFromImage(cropped)))
    return out


def rel_diff(ours: np.ndarray, ref: np.ndarray, where: np.ndarray | None = None) -> float:
    """max |ours - ref| / range(ref) over ``where`` (NaN must match NaN)."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(ref, dtype=np.float64)
    if where is not None:
        a, b = a[where], b[where]
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        return float("inf")
    a, b = a[~nan_b], b[~nan_b]
    if b.size == 0:
        return 0.0
    span = float(b.max() - b.min())
    return float(np.abs(a - b).max() / (span if span > 0 else max(abs(float(b.max())), 1.0)))
