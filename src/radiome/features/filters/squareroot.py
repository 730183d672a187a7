"""Image type ``SquareRoot``: signed square root of the intensities, rescaled to the original range.

Definition (PyRadiomics documentation, ``imageoperations.getSquareRootImage``):

.. math:: f(x) = \\begin{cases} \\sqrt{c x} & x \\ge 0 \\\\ -\\sqrt{-c x} & x < 0 \\end{cases},
   \\qquad c = \\max(|x|)

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
    """Yield ``("squareroot", signed sqrt(c |x|) on the crop, {})``."""
    x = crop_float64(image, bbox)
    c = max_abs(image)
    pos, neg = x > 0, x < 0
    with np.errstate(invalid="ignore", over="ignore"):
        x[pos] = np.sqrt(x[pos] * c)
        x[neg] = -np.sqrt(-x[neg] * c)
    yield "squareroot", x, {}
