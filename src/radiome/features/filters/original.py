"""Image type ``Original``: the image itself, no filter.

PyRadiomics (``imageoperations.getOriginalImage``) yields the input image unchanged as
``"original"``; the extractor then crops it to the ROI bounding box. The cropped array keeps the
image's pixel type, as PyRadiomics' feature classes read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, full_view


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("original", image[bbox], {})``."""
    yield "original", np.array(full_view(image)[bbox]), {}
