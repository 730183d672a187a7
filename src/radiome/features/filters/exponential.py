"""Image type ``Exponential``: exponential of the intensities, rescaled to the original range.

Definition (PyRadiomics documentation, ``imageoperations.getExponentialImage``):

.. math:: f(x) = e^{c x}, \\qquad c = \\frac{\\log(\\max(|x|))}{\\max(|x|)}

with the maximum over the whole image. Point-wise, so only the bounding-box crop is transformed.
Output is float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, crop_float64, max_abs


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("exponential", exp(c x) on the crop, {})``."""
    m = max_abs(image)
    x = crop_float64(image, bbox)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.log(m) / m
        out = np.exp(c * x)
    yield "exponential", out, {}
