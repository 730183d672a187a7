"""Image type ``Logarithm``: signed logarithm of the intensities, rescaled to the original range.

Definition (PyRadiomics documentation, ``imageoperations.getLogarithmImage``):

.. math:: f(x) = \\begin{cases} c \\log(x + 1) & x \\ge 0 \\\\ -c \\log(-x + 1) & x < 0 \\end{cases},
   \\qquad c = \\frac{\\max(|x|)}{\\log(\\max(|x|) + 1)}

with the maximum over the whole image. PyRadiomics computes the denominator as the maximum of
``|log(|x| + 1)|`` over the transformed full image; as ``t -> log(t + 1)`` is monotonic this is
``log(max(|x|) + 1)``, evaluated here with the same float operations on the extreme value, so only
the bounding-box crop needs transforming. Output is float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, crop_float64, max_abs


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    """``log(x + 1)`` for x > 0 and ``-log(-(x - 1))`` for x < 0, in place (0 and NaN unchanged)."""
    pos, neg = x > 0, x < 0
    x[pos] = np.log(x[pos] + 1)
    x[neg] = -np.log(-(x[neg] - 1))
    return x


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("logarithm", c * signed log(|x| + 1) on the crop, {})``."""
    m = max_abs(image)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # the largest |transformed| value of the full image is the transform of max(|x|)
        denom = np.abs(_signed_log1p(np.array([m], dtype=np.float64)))[0]
        x = _signed_log1p(crop_float64(image, bbox))
        out = x * (m / denom)
    yield "logarithm", out, {}
