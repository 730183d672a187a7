"""Intensity normalisation (PyRadiomics ``normalize``): z-score over the whole image, outlier clip, scale.

``x' = s * clip((x - mean) / sd, -k, k)`` where mean and SD are those of the whole image
(SimpleITK ``Normalize``: population SD), ``k`` is ``removeOutliers`` (no clipping when None) and
``s`` is ``normalizeScale``. This is PyRadiomics' ``imageoperations.normalizeImage``; the IBSI
manual (section 2.3) describes it as an optional, implementation-specific step.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk


def normalise_image(image: sitk.Image, *, scale: float = 1.0, remove_outliers: float | None = None) -> sitk.Image:
    """Z-score normalise ``image`` (float64 output), clip at ``+-remove_outliers`` and multiply by ``scale``."""
    out = sitk.Normalize(image)
    if remove_outliers is not None:
        arr = sitk.GetArrayFromImage(out)
        np.clip(arr, -remove_outliers, remove_outliers, out=arr)
        clipped = sitk.GetImageFromArray(arr)
        clipped.CopyInformation(out)
        out = clipped
    return out * scale
