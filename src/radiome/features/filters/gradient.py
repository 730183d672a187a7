"""Image type ``Gradient``: gradient magnitude.

Definition (PyRadiomics documentation, ``imageoperations.getGradientImage``): the magnitude of the
intensity gradient, :math:`\\lVert \\nabla f \\rVert`, computed by SimpleITK's
``GradientMagnitudeImageFilter`` (ITK ``GradientMagnitudeImageFilter``: central differences
``(f[i+1] - f[i-1]) / 2``, divided by the voxel spacing unless ``gradientUseSpacing`` is false, and
a zero-flux Neumann boundary, i.e. the edge voxel is repeated outside the image).

ITK's arithmetic is reproduced operation by operation on the bounding box, so the values are
identical (the tests check bit equality with the full-image filter): per axis d (x, y, z) the
derivative operator's coefficients are ``(0.5, 0, -0.5)`` scaled by ``1.0 / spacing_d``
(``DerivativeOperator``, ``ScaleCoefficients``), applied as an inner product in double,
``g_d = 0 + c0 f[i-1] + 0 f[i] + c2 f[i+1]`` (``NeighborhoodInnerProduct``; equal, up to the sign,
to ``c f[i+1] - c f[i-1]``, and only ``g_d^2`` is used), then ``a = ((0 + g_x^2) + g_y^2) + g_z^2``
and the output is ``float32(sqrt(a))`` (SimpleITK writes float32 for every scalar input type). Each
output voxel depends only on its 6-neighbourhood, so only the bounding box grown by one voxel is
read; at the image border the edge voxel is repeated, ITK's boundary condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, bounds, full_view, setting


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``("gradient", |grad f| on the crop, {})``."""
    arr = full_view(image)
    lo, hi = bounds(bbox)
    shape = np.array(arr.shape)
    wlo, whi = np.maximum(lo - 1, 0), np.minimum(hi + 1, shape)
    win = np.asarray(arr[tuple(slice(int(a), int(b)) for a, b in zip(wlo, whi))], dtype=np.float64)
    # the bounding box grown by one voxel on every side, the edge voxel repeated outside the image
    padded = np.pad(win, [(int(a - b + 1), int(c - d + 1)) for a, b, c, d in zip(wlo, lo, hi, whi)], mode="edge")
    use_spacing = bool(setting(settings, "gradientUseSpacing", True))
    spacing = image.GetSpacing()
    inner = tuple(slice(1, -1) for _ in range(3))
    acc = None
    for d in range(3):  # ITK axis: 0 = x
        ax = 2 - d
        c = 0.5 * (1.0 / spacing[d]) if use_spacing else 0.5
        before, after = list(inner), list(inner)
        before[ax], after[ax] = slice(0, -2), slice(2, None)
        g = c * padded[tuple(after)] - c * padded[tuple(before)]
        acc = g * g if acc is None else acc + g * g
    yield "gradient", np.sqrt(acc).astype(np.float32), {}
