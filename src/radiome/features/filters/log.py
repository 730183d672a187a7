"""Image type ``LoG``: Laplacian of Gaussian, one image per ``sigma`` (mm).

Definition (PyRadiomics documentation, ``imageoperations.getLoGImage``; IBSI reference manual,
chapter 2 "Laplacian of Gaussian", arXiv:2006.05470): the image convolved with the Laplacian of a
Gaussian kernel of width :math:`\\sigma` mm,

.. math:: \\nabla^2 G(\\mathbf{x}, \\sigma), \\qquad
   G(\\mathbf{x}, \\sigma) = \\frac{1}{(\\sigma\\sqrt{2\\pi})^3} e^{-\\lVert\\mathbf{x}\\rVert^2 / 2\\sigma^2},

scale-normalised by :math:`\\sigma^2` (ITK's ``NormalizeAcrossScale``). As in PyRadiomics it is
computed by SimpleITK's ``LaplacianRecursiveGaussianImageFilter`` (Deriche's recursive IIR
approximation of the Gaussian), which differs from IBSI's truncated, explicitly padded kernel: the
IBSI-2 reference maps (2 mm phantoms) match our output divided by (sigma / spacing)^2 to 0.9 % (2.b)
and 1.4 % (2.a) of their range (see ``tests/features/filters/ibsi2_report.py``).

PyRadiomics' rules are kept: no LoG image at all when any image dimension is below 4 voxels; a sigma
is skipped when it is not > 0 or when ``size >= ceil(sigma / spacing) + 1`` fails in some dimension
(sizes of the full image); names are ``log-sigma-<str(sigma) with '.' -> '-'>-mm-3D``.

How ITK computes it (``itkLaplacianRecursiveGaussianImageFilter.hxx``): for each ITK axis d
(x, y, z), a second-order recursive Gaussian derivative along d, then zero-order recursive Gaussian
smoothing along the two other axes in increasing order (all float32 images, per-line arithmetic in
double), accumulated as ``cum = float32(cum + term * (1 / spacing_d^2))``.

Speed-up with identical values: the same ITK passes (SimpleITK's ``RecursiveGaussianImageFilter``,
same sigma, order, direction and normalisation) are run on a window, and after each pass the image
is cut down to the bounding box along that pass' axis, because later passes only run along other
axes. Only the first pass of each term sees the whole window. The window is the bounding box grown
by ``ceil(MARGIN_SIGMAS * sigma / spacing)`` voxels per axis (clipped to the image, where the
boundary rule is then the image's own); the recursive filters are global, but what lies further
than that changes the result by ~e^{-1.2 * MARGIN_SIGMAS} relative (measured). Measured on brain1
(sigma 3 mm, 23,030 voxels in the box), the float32 output differs from full-image filtering in
581, 51, 4 and 0 voxels (by one float32 unit) at margins of 14, 16, 18 and 20 sigma, ~11x fewer
per 2 sigma; ``MARGIN_SIGMAS = 24`` puts the expected count near 0.003 per such image (the tests
check bit equality on brain1, breast1 and synthetic images).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.features.filters._common import Output, setting, sub_image, window

log = logging.getLogger(__name__)

#: Margin around the bounding box, in units of sigma, for the windowed recursive filter.
MARGIN_SIGMAS = 24.0


def image_type_name(sigma: Any) -> str:
    """PyRadiomics' image type name for one sigma (``str(sigma)``, so ``1`` and ``1.0`` differ)."""
    return "log-sigma-%s-mm-3D" % str(sigma).replace(".", "-")


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *, mask: Any = None) -> Output:
    """Yield ``(name, LoG(sigma) on the crop, {})`` for every usable sigma in ``settings['sigma']``."""
    size = np.array(image.GetSize())  # x, y, z
    spacing = np.array(image.GetSpacing())
    if size.min() < 4:
        log.warning("image too small to apply the LoG filter, size %s", size)
        return
    shape = tuple(int(v) for v in size[::-1])
    for sigma in setting(settings, "sigma", []) or []:
        if not sigma > 0.0:
            log.warning("LoG: sigma must be greater than 0.0: %g", sigma)
            continue
        if not np.all(size >= np.ceil(sigma / spacing) + 1):
            log.warning("LoG: sigma(%g)/spacing(%s) + 1 must be greater than the size(%s) of the image",
                        sigma, spacing, size)
            continue
        margin = np.ceil(MARGIN_SIGMAS * sigma / spacing).astype(np.int64)[::-1]  # z, y, x
        lo, hi = window(bbox, margin, shape)
        # ITK's recursive Gaussian needs at least 4 voxels along its direction: widen small windows
        for d in range(3):
            while hi[d] - lo[d] < 4:
                if lo[d] > 0:
                    lo[d] -= 1
                else:
                    hi[d] += 1
        yield image_type_name(sigma), _laplacian(sub_image(image, lo, hi), lo, bbox, float(sigma), spacing), {}


def _laplacian(win: sitk.Image, lo: np.ndarray, bbox: tuple[slice, ...], sigma: float,
               spacing: np.ndarray) -> np.ndarray:
    """ITK's LaplacianRecursiveGaussian (normalised across scale) of ``win``, cropped to ``bbox``."""
    rg = sitk.RecursiveGaussianImageFilter()
    rg.SetSigma(sigma)
    rg.SetNormalizeAcrossScale(True)
    box = [(s.start - int(a), s.stop - int(a)) for s, a in zip(bbox, lo)]  # z, y, x in the window
    cum = None
    for d in range(3):  # ITK axis: 0 = x
        term = win
        for k, axis in enumerate([d] + [a for a in range(3) if a != d]):
            rg.SetOrder(sitk.RecursiveGaussianImageFilter.SecondOrder if k == 0
                        else sitk.RecursiveGaussianImageFilter.ZeroOrder)
            rg.SetDirection(axis)
            term = rg.Execute(term)
            cut = [slice(None)] * 3
            cut[axis] = slice(*box[2 - axis])
            term = term[tuple(cut)]  # later passes need only the box along this axis
        sp = float(spacing[d])
        b = sitk.GetArrayViewFromImage(term).astype(np.float64) * (1.0 / (sp * sp))
        cum = (b if cum is None else cum.astype(np.float64) + b).astype(np.float32)
    return cum
