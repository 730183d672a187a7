"""Image type ``Square``: squared intensities, rescaled to the original range.

Definition (PyRadiomics documentation, ``imageoperations.getSquareImage``):

.. math:: f(x) = (c x)^2, \\qquad c = \\frac{1}{\\sqrt{\\max(|x|)}}

where the maximum is taken over the whole image (not only the ROI). Because the filter is
point-wise, only the bounding-box crop is transformed once ``max(|x|)`` of the full image is known;
the values are identical to filtering the full image and cropping. Output is float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, crop_float64, max_abs


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("square", (c x)^2 on the crop, {})``."""
    x = crop_float64(image, bbox)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = 1 / np.sqrt(max_abs(image))
        out = (c * x) ** 2
    yield "square", out, {}
