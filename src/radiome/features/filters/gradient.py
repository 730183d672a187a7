"""Image type ``Gradient``: gradient magnitude.

Definition (PyRadiomics documentation, ``imageoperations.getGradientImage``): the magnitude of the
intensity gradient, :math:`\\lVert \\nabla f \\rVert`, computed by SimpleITK's
``GradientMagnitudeImageFilter`` (ITK ``GradientMagnitudeImageFilter``: central differences
``(f[i+1] - f[i-1]) / 2``, divided by the voxel spacing unless ``gradientUseSpacing`` is false, and
a zero-flux Neumann boundary, i.e. the edge voxel is repeated outside the image).

Each output voxel depends only on its 6-neighbourhood, so the same ITK filter is run on the bounding
box grown by one voxel (clipped to the image); where the window meets the image border the boundary
condition is the image's own, elsewhere every neighbour used is a real image voxel. The cropped
result is therefore identical to filtering the full image (the tests check bit equality). The pixel
type is ITK's (float32 for integer and float32 images).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, relative, setting, sub_image, window


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("gradient", |grad f| on the crop, {})``."""
    shape = image.GetSize()[::-1]
    lo, hi = window(bbox, 1, shape)
    f = sitk.GradientMagnitudeImageFilter()
    f.SetUseImageSpacing(bool(setting(settings, "gradientUseSpacing", True)))
    out = f.Execute(sub_image(image, lo, hi))
    yield "gradient", np.array(sitk.GetArrayViewFromImage(out)[relative(bbox, lo)]), {}
