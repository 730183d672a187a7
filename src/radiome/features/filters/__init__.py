"""PyRadiomics-compatible image types (filters), computed on the ROI bounding box only.

``FILTERS`` maps PyRadiomics' image type names (``"Original"``, ``"Wavelet"``, ``"LoG"``,
``"Square"``, ``"SquareRoot"``, ``"Logarithm"``, ``"Exponential"``, ``"Gradient"``, ``"LBP2D"``,
``"LBP3D"``) to a generator ``fn(image, bbox, settings, *, mask=None)``; :func:`apply` dispatches
to it. Each yields ``(name, array, overrides)``:

* ``name``: the image type name exactly as PyRadiomics 3.1.4 names it (``"original"``,
  ``"wavelet-LLH"``, ``"wavelet2-HLL"``, ``"log-sigma-2-0-mm-3D"``, ``"square"``, ``"lbp-2D"``,
  ``"lbp-3D-m1"``, ``"lbp-3D-k"``, ...), in PyRadiomics' order;
* ``array``: the filtered image cropped to ``bbox`` (numpy ``[z, y, x]``), with the values and the
  dtype PyRadiomics' feature classes would read after ``cropToTumorMask`` of the filtered full
  image;
* ``overrides``: per-image-type setting overrides. Always ``{}``: no PyRadiomics 3.1.4 generator
  changes the settings it yields (they yield the merged settings they were given).

Every filter reproduces PyRadiomics' ``imageoperations.get<Type>Image`` generator followed by the
crop, but computes only what the crop needs (see each module for why the values are identical):
point-wise filters transform only the crop after one pass for ``max(|x|)`` of the full image;
wavelets, gradient and LBP work on a window around the box; LoG applies ITK's recursive Gaussian
passes as matrix products on a window of 24 sigma, each pass computing only the box along its axis,
bit-identical in float32 on the test images. LoG and LBP3D run their matrix products on one BLAS
thread and split large ones between SimpleITK's global default number of threads (see
``_common.blas_single_thread``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters import (
    exponential,
    gradient,
    lbp2d,
    lbp3d,
    log,
    logarithm,
    original,
    square,
    squareroot,
    wavelet,
)
from radiome.features.filters._common import check_bbox

FILTERS: dict[str, Callable[..., Iterator[tuple[str, np.ndarray, dict]]]] = {
    "Original": original.apply,
    "Wavelet": wavelet.apply,
    "LoG": log.apply,
    "Square": square.apply,
    "SquareRoot": squareroot.apply,
    "Logarithm": logarithm.apply,
    "Exponential": exponential.apply,
    "Gradient": gradient.apply,
    "LBP2D": lbp2d.apply,
    "LBP3D": lbp3d.apply,
}


def apply(
    image_type: str,
    image: sitk.Image,
    bbox: tuple[slice, slice, slice],
    settings: Mapping[str, Any],
    *,
    mask: np.ndarray | None = None,
) -> Iterator[tuple[str, np.ndarray, dict]]:
    """Yield ``(image type name, filtered array cropped to bbox, setting overrides)``.

    ``image`` is the full (normalised/resampled) 3-D SimpleITK image; ``bbox`` the ROI bounding box
    as slices in ``[z, y, x]`` order; ``settings`` the merged PyRadiomics settings for this image
    type (PyRadiomics' defaults apply to absent keys). ``mask`` (optional) is the ROI cropped to the
    bounding box, boolean or a label array compared with ``settings['label']``: only ``LBP3D`` uses
    it, to evaluate ROI voxels only as PyRadiomics does (values elsewhere are 0; without a mask it
    evaluates every voxel of the box, identical inside the ROI).
    """
    try:
        fn = FILTERS[image_type]
    except KeyError:
        raise ValueError(f"unknown image type {image_type!r}; known: {', '.join(FILTERS)}") from None
    if image.GetDimension() != 3:
        raise ValueError(f"filters need a 3-D image, got {image.GetDimension()}-D")
    bbox = check_bbox(tuple(bbox), tuple(image.GetSize()[::-1]))
    yield from fn(image, bbox, settings, mask=mask)


__all__ = ["FILTERS", "apply"]
