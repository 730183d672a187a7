"""Image type ``LBP3D``: rotation-invariant 3-D local binary pattern from spherical harmonics.

Definition (PyRadiomics documentation, ``imageoperations.getLBP3DImage``; Banerjee, Moelker,
Niessen and van Walsum, "3D LBP-based rotationally invariant region description", ACCV 2012
workshops, LNCS 7728, doi:10.1007/978-3-642-37410-4_3). For every ROI voxel x:

1. the image is sampled at the ``Nv`` vertices v of an icosphere of radius ``lbp3DIcosphereRadius``
   [1] (``lbp3DIcosphereSubdivision`` [1] subdivisions; 42 vertices by default) centred on x,
   with cubic B-spline interpolation (``scipy.ndimage.map_coordinates(order=3)``, constant 0
   outside the image; results in the image's dtype, so rounded for integer images);
2. ``lbp-3D-k`` is the kurtosis (Fisher, biased) of those Nv samples;
3. the samples are binarised, b_v = [f(v) >= f(x)], and expanded in spherical harmonics:
   c_{n,m} = sum_v b_v Y_n^m(v);
4. ``lbp-3D-m<n+1>`` (n = 0 .. ``lbp3DLevels`` - 1, default 2 levels) is the L2 norm over the
   vertices of the degree-n part, || sum_m c_{n,m} Y_n^m(v) ||, which is rotation invariant.

Reproduction details (PyRadiomics 3.1.4 as it runs):

* the icosphere is trimesh's ``creation.icosphere``: trimesh's stored icosahedron, edge-midpoint
  subdivision (new vertices ordered by edge (max, min) index, as trimesh's ``unique_rows``) and the
  projection ``v + v/|v| (r - |v|)`` after each subdivision; rebuilt here so that trimesh is not
  needed (the tests compare the vertices bit for bit when trimesh is installed);
* the vertex coordinates (x, y, z) are *added to the voxel's array index (z, y, x)* in that order;
* PyRadiomics evaluates ``scipy.special.sph_harm(m, n, theta, phi)`` with ``theta =
  arccos(v_z / r)`` and ``phi = arctan2(v_y, v_x)``. ``sph_harm``'s third argument is the
  *azimuth* and its fourth the *polar* angle, so this is Y_n^m(polar = phi, azimuth = theta). It is
  evaluated here with ``scipy.special.sph_harm_y(n, m, polar, azimuth)`` (``sph_harm`` is removed in
  SciPy 1.17) with the same arguments, ``sph_harm_y(n, m, phi, theta)``; SciPy 1.16 computes
  ``sph_harm`` through ``sph_harm_y``, so the values are identical. Note that the "polar" angle
  then lies in [-pi, pi]; SciPy evaluates P_n^m(cos p), i.e. uses |sin p| (a re-implementation with
  another spherical-harmonics routine must do the same);
* the harmonic expansion and the norm, ``real(sqrt(sum_v F_v^2))`` on the complex F_v, are
  computed with PyRadiomics' complex products and with its summation order (NumPy adds the vertex
  terms one after the other in vertex order; see :func:`lbp3d_values`): the values are
  bit-identical. This matters: a voxel's value depends only on its binary pattern, so many voxels
  share exactly the same value, and last-bit noise would move such ties across percentiles or bin
  edges (a 1e-16 difference changed brain1's ``lbp-3D-m2_firstorder_RobustMeanAbsoluteDeviation``
  by 0.4 %).

``lbp3DLevels`` = 1: PyRadiomics 3.1.4 fails (IndexError on its 1-D harmonics array); here it yields
``lbp-3D-m1`` and ``lbp-3D-k``.

Voxels outside the ROI: PyRadiomics leaves them uninitialised (``numpy.ndarray``); feature classes
never read them. Here they are 0 when a mask is given; without a mask every voxel of the bounding
box is evaluated (the per-voxel result does not depend on the mask, so ROI values are identical).

Speed-up with identical values:

* B-spline coefficients only where the interpolation reads them: the prefilter is a recursive
  filter (pole z = sqrt(3) - 2, |z|^50 < 1e-28) over whole image lines; it is run on lines reaching
  ``PREFILTER_MARGIN`` = 50 voxels beyond the interpolation support (bounding box grown by
  ``ceil(R) + 2``; clipped to the image, where the boundary rule is the image's own), axis by axis
  in SciPy's order, each pass cut down to the support along its axis. These coefficients equal the
  full-image ones to far below double precision (bit-identical on the test images); the sample
  coordinates are formed exactly as PyRadiomics forms them, then shifted by the (integer) window
  origin, which is exact.
* Integer images (the usual case): the samples are written to the image's integer type, so the
  sums only need to be accurate enough to round the same way. They are computed by matrix products
  (coefficients: each line's prefilter as a matrix; samples: one weight matrix for all voxels,
  since every voxel uses the same stencil per vertex), accurate to ~1e-15 of the largest
  coefficient, and the few samples within 1e-10 of a rounding boundary (none to a handful per
  image), as well as those of voxels next to the image border, are recomputed by SciPy from the
  exact coefficients above (:func:`_samples_integer`): every sample is SciPy's, ~10x faster than
  ``map_coordinates`` (~250 ns per sample).
* Other images: SciPy's ``map_coordinates`` on the exact coefficients, as in PyRadiomics, so the
  thresholds ``f(v) >= f(x)`` are decided identically even in flat regions. Interpolation and
  prefilter split their independent points / lines between :func:`_common.worker_threads` threads
  (SimpleITK's global default thread count; SciPy releases the GIL), so a caller that limits ITK's
  threads limits these too.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk
from scipy import ndimage, special, stats

from radiome.features.filters._common import (
    Output,
    blas_single_thread,
    bounds,
    full_view,
    parallel_map,
    roi_mask,
    setting,
    window,
    worker_threads,
)

log = logging.getLogger(__name__)

#: Extra voxels around the interpolation support for the windowed B-spline prefilter.
PREFILTER_MARGIN = 50
#: ROI voxels processed at once (bounds the (voxels x vertices x harmonics) complex intermediates;
#: NumPy's per-voxel summation order does not depend on it).
CHUNK = 20000
#: Coefficients gathered at once by the integer-image sampling (bounds its memory, ~16 MB).
SAMPLE_BLOCK = 1 << 21
#: Relative distance (to 1 + max |coefficient|) from a rounding boundary below which an integer
#: image's sample is recomputed exactly (see :func:`_samples_integer`).
DOUBT = 1e-10

# trimesh's stored icosahedron (unit circumradius: 0.5257... = 1/sqrt(1 + phi^2),
# 0.8506... = phi/sqrt(1 + phi^2), phi the golden ratio), vertex order as trimesh stores it
_A, _B = 0.5257311121191336, 0.85065080835204
_ICOSAHEDRON = np.array(
    [[-_A, _B, 0.0], [_A, _B, 0.0], [-_A, -_B, 0.0], [_A, -_B, 0.0],
     [0.0, -_A, _B], [0.0, _A, _B], [0.0, -_A, -_B], [0.0, _A, -_B],
     [_B, 0.0, -_A], [_B, 0.0, _A], [-_B, 0.0, -_A], [-_B, 0.0, _A]]
)


def _icosahedron_faces(v: np.ndarray) -> np.ndarray:
    """The 20 triangles: vertex triples that are pairwise at the edge length 2 * 0.5257..."""
    d = np.linalg.norm(v[:, None] - v[None], axis=-1)
    adj = np.isclose(d, 2 * _A)
    faces = [(i, j, k) for i in range(12) for j in range(i + 1, 12) for k in range(j + 1, 12)
             if adj[i, j] and adj[j, k] and adj[i, k]]
    return np.array(faces, dtype=np.int64)


def _project(v: np.ndarray, radius: float) -> np.ndarray:
    """Move vertices onto the sphere of ``radius`` with trimesh's arithmetic."""
    scalar = np.sqrt(np.dot(v**2, [1, 1, 1]))
    unit = v / scalar.reshape((-1, 1))
    return v + unit * (radius - scalar).reshape((-1, 1))


def _subdivide(v: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every triangle in 4 at its edge midpoints (midpoints ordered by (max, min) index)."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    key = edges[:, 1] * (len(v) + 1) + edges[:, 0]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    mid = v[edges[first]].mean(axis=1)
    m = inverse.reshape(-1, 3) + len(v)  # midpoints of edges (0,1), (1,2), (2,0) of each face
    f0, f1, f2 = faces.T
    new_faces = np.column_stack(
        [f0, m[:, 0], m[:, 2], m[:, 0], f1, m[:, 1], m[:, 2], m[:, 1], f2, m[:, 0], m[:, 1], m[:, 2]]
    ).reshape(-1, 3)
    return np.vstack((v, mid)), new_faces


@functools.lru_cache(maxsize=16)
def _icosphere_cached(subdivisions: int, radius: float) -> np.ndarray:
    v = _ICOSAHEDRON.copy()
    faces = _icosahedron_faces(v)
    for _ in range(subdivisions):
        v, faces = _subdivide(v, faces)
        v = _project(v, radius)
    if subdivisions <= 0:
        v = _project(v, radius)
    v.setflags(write=False)
    return v


def icosphere(subdivisions: int = 1, radius: float = 1.0) -> np.ndarray:
    """Vertices ``(Nv, 3)`` of the icosphere PyRadiomics samples (trimesh's ``icosphere``)."""
    return _icosphere_cached(int(subdivisions), float(radius))


def harmonics(vertices: np.ndarray, radius: float, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """``Y`` (Nv, K) complex and the degree ``n`` of each of the K columns, PyRadiomics' convention.

    Columns: (n=0, m=0), then for n = 1 .. levels-1, m = -n .. n.
    """
    theta = np.arccos(np.true_divide(vertices[:, 2], radius))
    phi = np.arctan2(vertices[:, 1], vertices[:, 0])
    cols, degree = [special.sph_harm_y(0, 0, phi, theta)], [0]
    for n in range(1, levels):
        for m in range(-n, n + 1):
            cols.append(special.sph_harm_y(n, m, phi, theta))
            degree.append(n)
    return np.column_stack(cols), np.array(degree)


def lbp3d_values(f: np.ndarray, centre: np.ndarray, vertices: np.ndarray, radius: float,
                 levels: int) -> tuple[np.ndarray, np.ndarray]:
    """LBP levels ``(Np, levels)`` and kurtosis ``(Np,)`` from the samples ``f`` (Np, Nv).

    ``f`` are the interpolated samples around each voxel (image dtype, see :func:`samples`) and
    ``centre`` the voxels' own values.
    """
    k = kurtosis(f) if f.dtype.kind in "iu" else stats.kurtosis(f, axis=1)
    b = (f >= centre[:, None]).astype(int)  # (Np, Nv)
    Y, degree = harmonics(vertices, radius, levels)
    # The products and reductions below give PyRadiomics' values bit for bit: LBP3D values come in
    # exact ties (a voxel's value depends only on its binary pattern), and a last-bit difference
    # would move tied values across percentiles or bin edges in the features.
    if levels == 1:  # PyRadiomics' own expressions (it fails for one level; kept as documented)
        c = np.multiply(b[:, :, None], Y[None, :, :]).sum(axis=1)  # (Np, K)
        F = np.multiply(c[:, None, degree == 0], Y[None, :, degree == 0])  # (Np, Nv, 1)
        return np.real(np.sqrt(np.sum(F**2, axis=1))), np.real(k)
    # PyRadiomics reduces (Np, Nv, ...) arrays over the vertex axis (axis 1): NumPy adds the vertex
    # terms one after the other in vertex order, as it does over axis 0 of the (Nv, Np, ...) arrays
    # used here, which are faster to reduce; the complex products keep their operand order, and the
    # sums over the harmonics of a degree reduce the contiguous last axis in both (the equality is
    # tested for 2 to 6 levels). With a single level NumPy reduces PyRadiomics' (Np, Nv, 1) array
    # another way, hence its own branch above.
    bt = np.ascontiguousarray(b.T)  # (Nv, Np)
    c = np.multiply(bt[:, :, None], Y[:, None, :]).sum(axis=0)  # (Np, K)
    F = np.empty((len(vertices), len(f), levels), dtype=complex)  # (Nv, Np, levels)
    F[:, :, 0] = np.multiply(c[None, :, 0], Y[:, None, 0])
    for n in range(1, levels):
        sel = degree == n
        F[:, :, n] = np.sum(np.multiply(c[None, :, sel], Y[:, None, sel]), axis=2)
    return np.real(np.sqrt(np.sum(F**2, axis=0))), np.real(k)


def kurtosis(f: np.ndarray) -> np.ndarray:
    """``scipy.stats.kurtosis(f, axis=1)`` (Fisher, biased) of integer samples, SciPy 1.16's arithmetic.

    The same operations in the same order (mean of the integers, central moments 2 and 4 by squaring,
    NaN where ``m2 <= (eps * mean)^2``) without SciPy's argument handling and cancellation checks,
    which cost 2/3 of its time here; equal bit for bit (tested), NaN for constant samples.
    """
    mean = np.mean(f, axis=1, keepdims=True)
    d = f.astype(np.float64) - mean
    s2 = d**2
    m2 = np.mean(s2, axis=1)
    m4 = np.mean(s2**2, axis=1)
    with np.errstate(all="ignore"):
        zero = m2 <= (np.finfo(np.float64).eps * mean[:, 0]) ** 2
        vals = np.where(zero, np.nan, m4 / m2**2.0)
    return vals - 3


def samples(arr: np.ndarray, bbox: tuple[slice, ...], points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """``f`` (Np, Nv): the image ``arr`` at ``points[p] + vertices[v]``, as PyRadiomics interpolates it.

    That is ``scipy.ndimage.map_coordinates(spline_filter(arr, 3, output=float64, mode='constant'),
    coords, order=3, mode='constant', cval=0, prefilter=False, output=arr.dtype)`` at the coordinates
    formed as PyRadiomics forms them (``points`` are absolute voxel indices inside ``bbox``). For an
    integer image see :func:`_samples_integer`; otherwise SciPy computes every sample from the
    coefficients of :func:`_spline_coefficients` (identical to the full-image ones).
    """
    dtype = arr.dtype
    support = int(math.ceil(np.abs(vertices).max())) + 2
    if dtype.kind in "iu" and dtype.itemsize <= 4 and len(points):
        return _samples_integer(arr, bbox, support, points, vertices)
    coeffs, origin = _spline_coefficients(arr, bbox, support)
    coords = points[None, :, :] + vertices[:, None, :]  # (Nv, Np, 3), formed as PyRadiomics does
    coords -= origin  # exact: subtracting integers below the value
    return _interpolate(coeffs, coords.T, dtype)


def _bspline_weights(x: np.ndarray) -> np.ndarray:
    """Cubic B-spline weights ``(..., 4)`` at fractional offsets ``x`` in [0, 1) (SciPy's formulas)."""
    y, z = x, 1.0 - x
    w1 = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0
    w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    w0 = z * z * z / 6.0
    return np.stack([w0, w1, w2, 1.0 - w0 - w1 - w2], axis=-1)


def _samples_integer(arr: np.ndarray, bbox: tuple[slice, ...], support: int, points: np.ndarray,
                     vertices: np.ndarray) -> np.ndarray:
    """:func:`samples` for an integer image: identical values, almost all of them by matrix products.

    SciPy writes a sample into an integer array as ``t + 0.5`` (``t > 0``) or ``t - 0.5``
    (``t <= 0``; unsigned: 0) truncated toward zero and clipped to the type's range, where ``t`` is
    its sum of the 64 coefficient x weight products. Here ``t`` is computed another way, which
    rounds differently, by < 1e-13 of max |coefficient| (about 1e-14 from the coefficients, which
    :func:`_spline_coefficients_matrix` computes as matrix products, and 64 x 2^-53 from the sum):

    * the stencil of a vertex is the same for every voxel (``floor(vertex) - 1`` .. ``+ 2`` per
      axis, weights from ``vertex - floor(vertex)``; SciPy takes them from ``p + vertex``, whose
      last bit may differ), so ``t`` for all voxels is one product ``W @ G``: ``G`` the
      coefficients at every offset some vertex uses, ``W`` the weights;
    * the integer follows from ``t`` unless ``t`` lies within ``1e-10 * (1 + max |coefficient|)``
      (1000 times that bound) of a rounding boundary ``k + 1/2``.

    Those few samples (none to a handful per image), and those of voxels whose stencil leaves the
    coefficient window (the bounding box near the image border, where SciPy's boundary rule
    applies), are computed by SciPy itself from the exact coefficients (:func:`_spline_coefficients`),
    so every value equals SciPy's.
    """
    dtype = arr.dtype
    coeffs, origin = _spline_coefficients_matrix(arr, bbox, support)
    shape = np.array(coeffs.shape)
    fl = np.floor(vertices)
    base = fl.astype(np.int64) - 1  # (Nv, 3) first stencil index relative to the voxel
    w = _bspline_weights(vertices - fl)  # (Nv, 3, 4)
    grid = np.stack(np.meshgrid(np.arange(4), np.arange(4), np.arange(4), indexing="ij"), -1).reshape(-1, 3)
    strides = np.array([shape[1] * shape[2], shape[2], 1])
    offsets = (base[:, None, :] + grid[None, :, :]) @ strides  # (Nv, 64) flat offsets
    used, inverse = np.unique(offsets, return_inverse=True)
    nv = len(vertices)
    W = np.zeros((nv, len(used)))
    W[np.repeat(np.arange(nv), 64), inverse.ravel()] = (
        w[:, 0, grid[:, 0]] * w[:, 1, grid[:, 1]] * w[:, 2, grid[:, 2]]).ravel()
    rel = points - origin  # (Np, 3) voxel index in the window
    inside = np.all((rel + base.min(0) >= 0) & (rel + base.max(0) + 3 <= shape - 1), axis=1)
    flat = coeffs.ravel()
    # outside voxels (recomputed below) read from a valid place
    centre = np.where(inside, rel @ strides, -used.min())
    WT = np.ascontiguousarray(W.T)
    t = np.empty((len(points), nv))
    step = max(1, SAMPLE_BLOCK // len(used))
    for a in range(0, len(points), step):
        idx = centre[a:a + step, None] + used[None, :]  # (n, S)
        if idx.min() < 0 or idx.max() >= flat.size:  # a window smaller than the stencil
            idx = np.clip(idx, 0, flat.size - 1)
        np.matmul(flat[idx], WT, out=t[a:a + step])
    info = np.iinfo(dtype)
    if dtype.kind == "i":
        r = t + np.copysign(0.5, t)  # t + 0.5 (t > 0) or t - 0.5 (t < 0); 0 for |t| < 0.5 either way
    else:
        r = np.where(t > 0, t + 0.5, 0.0)
    if r.size and (r.min() < info.min or r.max() > info.max):
        r = np.clip(r, info.min, info.max)
    out = r.astype(dtype)
    a = np.abs(t)
    doubt = np.abs(a - np.floor(a) - 0.5) < DOUBT * (1.0 + float(np.abs(coeffs).max()))
    doubt |= ~inside[:, None]
    if doubt.any():
        exact, origin = _spline_coefficients(arr, bbox, support)
        pi, vi = np.nonzero(doubt)
        coords = points[pi] + vertices[vi]  # (n, 3), the same additions as PyRadiomics'
        coords -= origin
        out[pi, vi] = ndimage.map_coordinates(exact, coords.T, order=3, mode="constant", cval=0.0,
                                              prefilter=False, output=dtype)
    return out


def _threads(work: int) -> int:
    """Worker threads for ``work`` independent items: :func:`_common.worker_threads`, one per 20,000."""
    return max(1, min(worker_threads(), work // 20000))


def _interpolate(coeffs: np.ndarray, coords: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``map_coordinates(order=3, mode='constant', prefilter=False)`` at ``coords`` (3, Np, Nv).

    Every point is interpolated independently (SciPy releases the GIL), so splitting the points
    between threads gives the same values.
    """
    def run(part: np.ndarray) -> np.ndarray:
        return ndimage.map_coordinates(coeffs, part, order=3, mode="constant", cval=0.0, prefilter=False,
                                       output=dtype)

    n = _threads(coords.shape[1] * coords.shape[2])
    if n == 1:
        return run(coords)
    bounds_ = np.linspace(0, coords.shape[1], n + 1).astype(int)
    parts = parallel_map(run, [coords[:, a:b] for a, b in zip(bounds_[:-1], bounds_[1:])], n)
    return np.concatenate(parts, axis=0)


def _spline_filter1d(x: np.ndarray, axis: int) -> np.ndarray:
    """``spline_filter1d(order=3, output=float64, mode='constant')``, lines split between threads."""
    other = max((a for a in range(x.ndim) if a != axis), key=lambda a: x.shape[a])
    n = min(_threads(x.size), x.shape[other])
    if n == 1:
        return ndimage.spline_filter1d(x, 3, axis=axis, output=np.float64, mode="constant")
    out = np.empty(x.shape, dtype=np.float64)
    edges = np.linspace(0, x.shape[other], n + 1).astype(int)

    def run(ab: tuple[int, int]) -> None:
        sl = [slice(None)] * x.ndim
        sl[other] = slice(*ab)
        ndimage.spline_filter1d(x[tuple(sl)], 3, axis=axis, output=out[tuple(sl)], mode="constant")

    parallel_map(run, list(zip(edges[:-1], edges[1:])), n)
    return out


def _spline_coefficients(arr: np.ndarray, bbox: tuple[slice, ...], support: int) -> tuple[np.ndarray, np.ndarray]:
    """Cubic B-spline coefficients of ``arr`` on the bounding box grown by ``support``, and its origin.

    Equal to ``scipy.ndimage.spline_filter(arr, 3, output=float64, mode='constant')`` cropped to that
    region: the same per-line recursive filters run axis by axis (0, 1, 2) over lines that extend
    ``PREFILTER_MARGIN`` voxels further (or to the image border); after each axis' pass the array is
    cut down to the region along that axis, as later passes do not need more.
    """
    sup_lo, sup_hi = window(bbox, support, arr.shape)
    w_lo, w_hi = window(bbox, support + PREFILTER_MARGIN, arr.shape)
    x = arr[tuple(slice(int(a), int(b)) for a, b in zip(w_lo, w_hi))]
    for axis in range(arr.ndim):
        x = _spline_filter1d(x, axis)
        cut = [slice(None)] * arr.ndim
        cut[axis] = slice(int(sup_lo[axis] - w_lo[axis]), int(sup_hi[axis] - w_lo[axis]))
        x = x[tuple(cut)]
    return np.ascontiguousarray(x), sup_lo


@functools.lru_cache(maxsize=16)
def _prefilter_matrix(n: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Rows ``r0:r1``, columns ``c0:c1`` of SciPy's cubic B-spline prefilter (mode 'constant') of a
    line of length ``n`` as a matrix: SciPy's own filter applied to those unit vectors."""
    eye = np.zeros((n, c1 - c0))
    eye[np.arange(c0, c1), np.arange(c1 - c0)] = 1.0
    A = np.ascontiguousarray(ndimage.spline_filter1d(eye, 3, axis=0, output=np.float64, mode="constant")[r0:r1])
    A.setflags(write=False)
    return A


def _spline_coefficients_matrix(arr: np.ndarray, bbox: tuple[slice, ...],
                                support: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_spline_coefficients` to ~1e-15 of the largest coefficient, by matrix products.

    The prefilter of a line is linear: its matrix (rows of the region, columns of the window) is
    applied along each axis with BLAS; not bit for bit (see :func:`_samples_integer`).
    """
    sup_lo, sup_hi = window(bbox, support, arr.shape)
    w_lo, w_hi = window(bbox, support + PREFILTER_MARGIN, arr.shape)
    x = np.asarray(arr[tuple(slice(int(a), int(b)) for a, b in zip(w_lo, w_hi))], dtype=np.float64)
    for axis in range(arr.ndim):
        A = _prefilter_matrix(arr.shape[axis], int(sup_lo[axis]), int(sup_hi[axis]), int(w_lo[axis]),
                              int(w_hi[axis]))
        x = np.moveaxis(np.tensordot(A, x, axes=([1], [axis])), 0, axis)
    return np.ascontiguousarray(x), sup_lo


def apply(image: sitk.Image, bbox: tuple[slice, ...], settings: Mapping[str, Any], *,
          mask: np.ndarray | None = None) -> Output:
    """Yield ``lbp-3D-m1`` .. ``lbp-3D-m<levels>`` and then ``lbp-3D-k`` (float64) on the crop."""
    if setting(settings, "force2D", False):
        log.warning("Calculating Local Binary Pattern in 3D, but extracting features in 2D. Use with caution!")
    levels = int(setting(settings, "lbp3DLevels", 2))
    radius = setting(settings, "lbp3DIcosphereRadius", 1)
    subdivisions = setting(settings, "lbp3DIcosphereSubdivision", 1)
    arr = full_view(image)
    lo, hi = bounds(bbox)
    crop_shape = tuple(int(v) for v in hi - lo)
    roi = roi_mask(mask, crop_shape, settings)
    if roi is None:
        roi = np.ones(crop_shape, dtype=bool)
    vertices = icosphere(subdivisions, radius)
    points = np.argwhere(roi) + lo  # absolute voxel indices (z, y, x), int64
    with blas_single_thread():  # see _common: OpenBLAS' busy-waiting threads
        f = samples(arr, bbox, points, vertices)
    centre = arr[tuple(points.T)]
    with np.errstate(all="ignore"):  # kurtosis of constant samples is NaN, as in PyRadiomics
        parts = [lbp3d_values(f[a:a + CHUNK], centre[a:a + CHUNK], vertices, radius, levels)
                 for a in range(0, max(len(points), 1), CHUNK)]
    values = np.concatenate([v for v, _ in parts])
    kurt = np.concatenate([k for _, k in parts])
    result = np.zeros(crop_shape)
    rel = tuple((points - lo).T)
    for n in range(levels):
        result[rel] = values[:, n]
        yield "lbp-3D-m%d" % (n + 1), result.copy(), {}
    result[rel] = kurt
    yield "lbp-3D-k", result, {}
