"""Image type ``LoG``: Laplacian of Gaussian, one image per ``sigma`` (mm).

Definition (PyRadiomics documentation, ``imageoperations.getLoGImage``; IBSI reference manual,
chapter 2 "Laplacian of Gaussian", arXiv:2006.05470): the image convolved with the Laplacian of a
Gaussian kernel of width :math:`\\sigma` mm,

.. math:: \\nabla^2 G(\\mathbf{x}, \\sigma), \\qquad
   G(\\mathbf{x}, \\sigma) = \\frac{1}{(\\sigma\\sqrt{2\\pi})^3} e^{-\\lVert\\mathbf{x}\\rVert^2 / 2\\sigma^2},

scale-normalised by :math:`\\sigma^2` (ITK's ``NormalizeAcrossScale``). As in PyRadiomics it is
computed as SimpleITK's ``LaplacianRecursiveGaussianImageFilter`` computes it (Deriche's recursive
IIR approximation of the Gaussian), which differs from IBSI's truncated, explicitly padded kernel:
the IBSI-2 reference maps (2 mm phantoms) match our output divided by (sigma / spacing)^2 to 0.9 %
(2.b) and 1.4 % (2.a) of their range (see ``tests/features/filters/ibsi2_report.py``).

PyRadiomics' rules are kept: no LoG image at all when any image dimension is below 4 voxels; a sigma
is skipped when it is not > 0 or when ``size >= ceil(sigma / spacing) + 1`` fails in some dimension
(sizes of the full image); names are ``log-sigma-<str(sigma) with '.' -> '-'>-mm-3D``.

How ITK computes it (``itkLaplacianRecursiveGaussianImageFilter.hxx``): for each ITK axis d
(x, y, z), a second-order recursive Gaussian derivative along d, then zero-order recursive Gaussian
smoothing along the two other axes in increasing order, each pass written to a float32 image,
accumulated as ``cum = float32(cum + term * (1 / spacing_d^2))``. One pass
(``itkRecursiveSeparableImageFilter.hxx``, coefficients from ``itkRecursiveGaussianImageFilter.hxx``
``SetUp``) filters every image line in double precision: a causal and an anti-causal 4th-order
recursion whose states start at the steady state of the line's first / last value repeated to
infinity, summed. It is linear, so on a line of length n it is a fixed matrix ``A`` (n x n):
``A[p, q] = h[p - q]`` (``h`` the two-sided impulse response) except in the first column (left edge
value continued) and the last one (right edge value continued).

How it is computed here, with the same float32 values: every pass is that matrix, in double, applied
with BLAS (``numpy.matmul``) and rounded to float32 as ITK stores it, in ITK's order of passes and
accumulation. ``A`` is built from ITK's coefficients (its ``SetUp`` arithmetic, replicated in
:func:`coefficients`) and its boundary rule, the impulse responses being computed by the same
recursions (``scipy.signal.lfilter``). The matrix product and ITK's recursion round differently, but
both are accurate to ~1e-16 relative, far below float32's 6e-8, so the rounded outputs agree except
when a value falls within ~1e-16 of a float32 rounding boundary (measured on single full-image
passes over brain1, sigma 1, 2, 3: 0 to 40 of 1.6 million voxels differ by one float32 unit, 353 for
the sigma-1 second derivative along z, all below 0.011 in magnitude, on nearly constant lines); such
an intermediate difference moves the later passes' values by far less than a float32 unit, and the
LoG images of all test images are bit-identical to PyRadiomics'.

Only the output rows that are used are computed: a pass along an axis produces the bounding box
along that axis only (later passes run along other axes), from the input on a window, the bounding
box grown by ``ceil(MARGIN_SIGMAS * sigma / spacing)`` voxels (clipped to the image, where the
matrix has ITK's boundary columns). The impulse response decays like ``exp(-1.37 |j| / sigma_vox)``:
at 24 sigma the left-out weights are ~1e-14 of the centre one.

Window decision (requirement: features within 1e-9 of PyRadiomics'; the array tests check bit
equality). Measured on brain1, brain2, breast1 and the synthetic test images, sigma 1, 2, 3, 5 mm,
against the full-image ITK filter: margins of 16, 18, 20, 22 and 24 sigma leave at most 324, 15, 3,
0 and 0 float32 voxels of the bounding box different (by one float32 unit); 10 sigma changes most
voxels (up to 1.3e-3 absolute, 1.6e-6 of the range) and 6 sigma up to 0.4 (5e-4 of the range).
Features of the LoG images (firstorder, glcm, glrlm, glszm, gldm, ngtdm; binWidth 25 and binCount 32;
sigma 1, 2, 3) against PyRadiomics: largest relative difference 1e-11 at 24 sigma, 9.5e-8 at 16
sigma (brain2, firstorder Median), 7e-5 at 10 sigma and 0.1 at 6 sigma; a float32 unit moves a
percentile or a bin edge, so smaller windows break the 1e-9 parity although the voxels differ by
~1e-6 only. Hence the margin stays at 24 sigma, and no inexact option is offered; the speed comes
from the matrix products instead.

Cost: 2 x (box length) x (window length) flops per window line and pass, on one BLAS thread, large
products split between SimpleITK's global default number of threads (``_common``). ITK needs ~36 ns
per voxel and pass (SimpleITK 2.5; ~55 ms for one pass over brain1's 256 x 256 x 25 voxels): brain1's
three sigmas take ~25-30 ms here instead of ~0.2 s (ITK on the 24-sigma window) or ~1.4 s
(PyRadiomics, full image), breast1's ~2 ms instead of ~37 ms. Long boxes are processed in row
blocks of ``BLOCK`` rows, each with the columns within the margin of its own rows, so the cost per
output voxel stays bounded by the kernel support.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk
from scipy import signal

from radiome.features.filters._common import (
    Output,
    blas_single_thread,
    full_view,
    parallel_map,
    setting,
    window,
    worker_threads,
)

log = logging.getLogger(__name__)

#: Margin around the bounding box, in units of sigma, of the input used for each output voxel.
MARGIN_SIGMAS = 24.0
#: Output rows per matrix product along one axis (longer boxes are split; each block uses the
#: columns within the margin of its own rows).
BLOCK = 128
#: Multiply-adds per thread below which a product is not split between threads.
PARALLEL_WORK = 4_000_000


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
    arr = full_view(image)
    shape = arr.shape
    for sigma in setting(settings, "sigma", []) or []:
        if not sigma > 0.0:
            log.warning("LoG: sigma must be greater than 0.0: %g", sigma)
            continue
        if not np.all(size >= np.ceil(sigma / spacing) + 1):
            log.warning("LoG: sigma(%g)/spacing(%s) + 1 must be greater than the size(%s) of the inputImage",
                        sigma, spacing, size)
            continue
        margin = np.ceil(MARGIN_SIGMAS * sigma / spacing).astype(np.int64)[::-1]  # z, y, x
        lo, hi = window(bbox, margin, shape)
        win = np.asarray(arr[tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))], dtype=np.float64)
        with blas_single_thread():  # see _common: OpenBLAS' busy-waiting threads
            out = laplacian(win, lo, bbox, float(sigma), spacing, shape, margin)
        yield image_type_name(sigma), out, {}


def laplacian(win: np.ndarray, lo: np.ndarray, bbox: tuple[slice, ...], sigma: float, spacing: np.ndarray,
              shape: tuple[int, ...], margin: np.ndarray) -> np.ndarray:
    """ITK's LaplacianRecursiveGaussian (normalised across scale) cropped to ``bbox`` (float32).

    ``win`` is the image (float64) on the window starting at ``lo`` (numpy order); ``shape`` the
    full image shape, ``spacing`` in ITK order (x, y, z), ``margin`` (z, y, x) the voxels of input
    each output row uses on either side.
    """
    cum = None
    for d in range(3):  # ITK axis: 0 = x
        term = win
        origin = [int(v) for v in lo]
        for k, axis in enumerate([d] + [a for a in range(3) if a != d]):
            ax = 2 - axis  # numpy axis
            term = _pass(term, ax, origin[ax], bbox[ax], sigma, float(spacing[axis]), 2 if k == 0 else 0,
                         shape[ax], int(margin[ax]))
            origin[ax] = bbox[ax].start
        sp = float(spacing[d])
        b = term.astype(np.float64) * (1.0 / (sp * sp))
        cum = (b if cum is None else cum.astype(np.float64) + b).astype(np.float32)
    return cum


def _pass(x: np.ndarray, ax: int, start: int, rows: slice, sigma: float, spacing: float, order: int,
          n: int, margin: int) -> np.ndarray:
    """One ITK recursive Gaussian pass along numpy axis ``ax`` (float32 result), rows ``rows`` only.

    ``x`` holds image positions ``start .. start + x.shape[ax] - 1`` along ``ax`` (line length ``n``
    in the full image).
    """
    stop = start + x.shape[ax]
    parts = []
    for r0 in range(rows.start, rows.stop, BLOCK):
        r1 = min(r0 + BLOCK, rows.stop)
        c0, c1 = max(start, r0 - margin), min(stop, r1 + margin)
        A = operator(sigma, spacing, order, n, r0, r1, c0, c1)
        sl = [slice(None)] * 3
        sl[ax] = slice(c0 - start, c1 - start)
        parts.append(_along(x[tuple(sl)], A, ax).astype(np.float32))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=ax)


def _along(x: np.ndarray, A: np.ndarray, ax: int) -> np.ndarray:
    """``A`` (rows x columns) applied along numpy axis ``ax`` of the 3-D ``x`` (float64).

    Large products are split over the other axes between :func:`worker_threads` threads (each
    output value is the same product of one matrix row and one input line either way).
    """
    if x.dtype != np.float64:
        x = x.astype(np.float64)
    x = np.ascontiguousarray(x)
    s = x.shape
    threads = min(worker_threads(), max(1, A.size * (x.size // s[ax]) // PARALLEL_WORK))
    if ax == 0:
        x2 = x.reshape(s[0], -1)
        cols = np.linspace(0, x2.shape[1], threads + 1).astype(int)
        parts = parallel_map(lambda ab: A @ x2[:, ab[0]:ab[1]], list(zip(cols[:-1], cols[1:])), threads)
        out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        return out.reshape((A.shape[0],) + s[1:])
    if ax == 2:
        x2 = x.reshape(-1, s[2])
        rows = np.linspace(0, x2.shape[0], threads + 1).astype(int)
        parts = parallel_map(lambda ab: x2[ab[0]:ab[1]] @ A.T, list(zip(rows[:-1], rows[1:])), threads)
        out = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
        return out.reshape(s[:2] + (A.shape[0],))
    cut = np.linspace(0, s[2], threads + 1).astype(int)
    parts = parallel_map(lambda ab: np.matmul(A, x[:, :, ab[0]:ab[1]]), list(zip(cut[:-1], cut[1:])), threads)
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)


@functools.lru_cache(maxsize=32)
def operator(sigma: float, spacing: float, order: int, n: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Rows ``r0:r1``, columns ``c0:c1`` of ITK's pass matrix on a line of length ``n`` (read-only)."""
    h, left, right = kernel(sigma, spacing, order, n)
    p = np.arange(r0, r1)[:, None]
    q = np.arange(c0, c1)[None, :]
    A = h[n - 1 + p - q]
    if c0 == 0:
        A[:, 0] = left[r0:r1]
    if c1 == n:
        A[:, -1] = right[r0:r1]
    A.setflags(write=False)
    return A


@functools.lru_cache(maxsize=64)
def kernel(sigma: float, spacing: float, order: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ITK's pass on a line of length ``n`` as impulse responses (float64, read-only).

    ``h[n - 1 + j]`` is the output at ``q + j`` of a unit impulse at an interior ``q``; ``left`` the
    output of an impulse at 0 (first value continued to -infinity), ``right`` of one at ``n - 1``.
    """
    N, D, M = coefficients(sigma, spacing, order)
    a = np.array([1.0, *D])
    bn = np.array(N)
    bm = np.array([0.0, *M])
    e = np.zeros(n)
    e[0] = 1.0
    causal = signal.lfilter(bn, a, e)  # response at q + j, j >= 0
    anti = signal.lfilter(bm, a, e)  # response at q - j (0 at j = 0)
    h = np.concatenate([anti[:0:-1], causal])
    # edge impulses: the recursion states start at the steady state of the edge value (ITK's m_BN /
    # m_BM boundary coefficients), i.e. the edge value continued to infinity
    left = signal.lfilter(bn, a, e, zi=signal.lfilter_zi(bn, a))[0]
    right = signal.lfilter(bm, a, e, zi=signal.lfilter_zi(bm, a))[0][::-1].copy()
    right[-1] += causal[0]
    for v in (h, left, right):
        v.setflags(write=False)
    return h, left, right


@functools.lru_cache(maxsize=64)
def coefficients(sigma: float, spacing: float, order: int) -> tuple[tuple[float, ...], ...]:
    """ITK ``RecursiveGaussianImageFilter::SetUp`` (normalised across scale): ``(N0..N3), (D1..D4),
    (M1..M4)`` for the causal numerator, the denominator and the anti-causal numerator."""
    sigmad = sigma / abs(spacing)
    a1, b1, w1, l1 = (1.3530, -0.6724, -1.3563), (1.8151, -3.4327, 5.2318), 0.6681, -1.3932
    a2, b2, w2, l2 = (-0.3531, 0.6724, 0.3446), (0.0902, 0.6100, -2.2355), 2.0787, -1.3732
    cos1, cos2 = math.cos(w1 / sigmad), math.cos(w2 / sigmad)
    exp1, exp2 = math.exp(l1 / sigmad), math.exp(l2 / sigmad)
    d4 = exp1 * exp1 * exp2 * exp2
    d3 = -2 * cos1 * exp1 * exp2 * exp2
    d3 += -2 * cos2 * exp2 * exp1 * exp1
    d2 = 4 * cos2 * cos1 * exp1 * exp2
    d2 += exp1 * exp1 + exp2 * exp2
    d1 = -2 * (exp2 * cos2 + exp1 * cos1)
    sd = 1.0 + d1 + d2 + d3 + d4
    dd = d1 + 2 * d2 + 3 * d3 + 4 * d4
    ed = d1 + 4 * d2 + 9 * d3 + 16 * d4

    def ncoef(k: int) -> tuple[list[float], float, float, float]:
        sin1, sin2 = math.sin(w1 / sigmad), math.sin(w2 / sigmad)
        n0 = a1[k] + a2[k]
        n1 = exp2 * (b2[k] * sin2 - (a2[k] + 2 * a1[k]) * cos2)
        n1 += exp1 * (b1[k] * sin1 - (a1[k] + 2 * a2[k]) * cos1)
        n2 = (a1[k] + a2[k]) * cos2 * cos1
        n2 -= b1[k] * cos2 * sin1 + b2[k] * cos1 * sin2
        n2 *= 2 * exp1 * exp2
        n2 += a2[k] * exp1 * exp1 + a1[k] * exp2 * exp2
        n3 = exp2 * exp1 * exp1 * (b2[k] * sin2 - a2[k] * cos2)
        n3 += exp1 * exp2 * exp2 * (b1[k] * sin1 - a1[k] * cos1)
        return [n0, n1, n2, n3], n0 + n1 + n2 + n3, n1 + 2 * n2 + 3 * n3, n1 + 4 * n2 + 9 * n3

    if order == 0:
        n, sn, _, _ = ncoef(0)
        alpha0 = 2 * sn / sd - n[0]
        n = [v * (1.0 / alpha0) for v in n]
    elif order == 2:
        n0, sn0, dn0, en0 = ncoef(0)
        n2, sn2, dn2, en2 = ncoef(2)
        beta = -(2 * sn2 - sd * n2[0]) / (2 * sn0 - sd * n0[0])
        n = [u + beta * v for u, v in zip(n2, n0)]
        sn, dn, en = sn2 + beta * sn0, dn2 + beta * dn0, en2 + beta * en0
        alpha2 = en * sd * sd - ed * sn * sd - 2 * dn * dd * sd + 2 * dd * dd * sn
        alpha2 /= sd * sd * sd
        n = [v * (sigma * sigma / alpha2) for v in n]
    else:
        raise ValueError(f"unsupported derivative order {order}")
    m = [n[1] - d1 * n[0], n[2] - d2 * n[0], n[3] - d3 * n[0], -d4 * n[0]]
    return tuple(n), (d1, d2, d3, d4), tuple(m)
