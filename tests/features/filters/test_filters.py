"""Unit tests of the filters: API, the scikit-image / trimesh / PyWavelets / ITK pieces they
re-implement or re-arrange, and PyRadiomics' recorded LBP3D output (for SciPy >= 1.17, where
PyRadiomics' LBP3D cannot run)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import pywt
import SimpleITK as sitk

from radiome.features import filters
from radiome.features.filters import _common, lbp2d, lbp3d, log, wavelet

from ._cases import DATA, synthetic

GOLDEN = Path(__file__).parent / "data"
TYPES = ("Original", "Wavelet", "LoG", "Square", "SquareRoot", "Logarithm", "Exponential", "Gradient",
         "LBP2D", "LBP3D")


def _brain1() -> tuple[sitk.Image, np.ndarray, tuple[slice, slice, slice]]:
    image = sitk.ReadImage(str(DATA / "brain1_image.nrrd"))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(DATA / "brain1_label.nrrd"))) == 1
    idx = np.argwhere(mask)
    bbox = tuple(slice(int(a), int(b) + 1) for a, b in zip(idx.min(0), idx.max(0)))
    return image, mask[bbox], bbox


# --- API -------------------------------------------------------------------------------------

def test_filters_registry_names() -> None:
    assert tuple(filters.FILTERS) == TYPES
    assert all(callable(f) for f in filters.FILTERS.values())


def test_apply_rejects_bad_input() -> None:
    image, _ = synthetic("border")
    box = (slice(0, 2), slice(0, 3), slice(0, 4))
    with pytest.raises(ValueError, match="unknown image type"):
        list(filters.apply("Gabor", image, box, {}))
    with pytest.raises(ValueError, match="3-D"):
        list(filters.apply("Original", image[:, :, 0], box, {}))
    with pytest.raises(ValueError, match="invalid bounding-box"):
        list(filters.apply("Original", image, (slice(0, 0), slice(0, 3), slice(0, 4)), {}))


@pytest.mark.parametrize("image_type", TYPES)
def test_outputs_are_independent_crops(image_type: str) -> None:
    image, _ = synthetic("border")
    before = sitk.GetArrayFromImage(image)
    box = (slice(0, 4), slice(28, 40), slice(0, 9))
    outs = list(filters.apply(image_type, image, box, {"sigma": [1.0]}))
    assert outs
    for name, arr, overrides in outs:
        assert isinstance(name, str) and overrides == {}
        assert arr.shape == (4, 12, 9)
        arr[...] = 0  # writable, and not a view of the image
    np.testing.assert_array_equal(sitk.GetArrayFromImage(image), before)


def test_lbp3d_mask_only_restricts_where_it_is_evaluated() -> None:
    image, mask = synthetic("border")
    roi = sitk.GetArrayFromImage(mask) == 1
    box = (slice(0, 4), slice(28, 40), slice(0, 9))
    with_mask = list(filters.apply("LBP3D", image, box, {}, mask=roi[box]))
    labels = list(filters.apply("LBP3D", image, box, {"label": 1}, mask=roi[box].astype(np.uint8)))
    without = list(filters.apply("LBP3D", image, box, {}))
    for (n1, a, _), (n2, b, _), (n3, c, _) in zip(with_mask, labels, without):
        assert n1 == n2 == n3
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a[roi[box]], c[roi[box]])
        assert np.all(a[~roi[box]] == 0)


# --- exactness of the windowed computations (bit for bit, as documented) ------------------------

def test_log_window_is_bit_identical_to_full_image_itk() -> None:
    image, _, bbox = _brain1()
    got = {n: a for n, a, _ in filters.apply("LoG", image, bbox, {"sigma": [1.0, 3.0]})}
    for sigma in (1.0, 3.0):
        f = sitk.LaplacianRecursiveGaussianImageFilter()
        f.SetNormalizeAcrossScale(True)
        f.SetSigma(sigma)
        full = sitk.GetArrayFromImage(f.Execute(image))[bbox]
        np.testing.assert_array_equal(got[log.image_type_name(sigma)], full)


def test_gradient_window_is_bit_identical_to_full_image_itk() -> None:
    image, _, bbox = _brain1()
    (_, got, _), = filters.apply("Gradient", image, bbox, {})
    np.testing.assert_array_equal(got, sitk.GetArrayFromImage(sitk.GradientMagnitude(image))[bbox])


@pytest.mark.parametrize("order", [0, 2])
def test_log_pass_matrix_reproduces_itk_recursive_gaussian(order: int) -> None:
    """One ITK pass (RecursiveGaussian, normalised across scale) equals our matrix product rounded to
    float32, edge columns (ITK's boundary rule) included, for short and long lines."""
    rng = np.random.default_rng(0)
    for n in (4, 5, 9, 40, 130):
        for spacing in (0.664062, 2.5, 6.5):
            for sigma in (0.5, 1.0, 3.0):
                lines = rng.integers(-1000, 3000, size=(50, n)).astype(np.int16)
                im = sitk.GetImageFromArray(lines)
                im.SetSpacing((spacing, 1.0))
                rg = sitk.RecursiveGaussianImageFilter()
                rg.SetSigma(sigma)
                rg.SetNormalizeAcrossScale(True)
                rg.SetOrder(order)
                rg.SetDirection(0)
                A = log.operator(sigma, spacing, order, n, 0, n, 0, n)
                got = (lines.astype(np.float64) @ A.T).astype(np.float32)
                np.testing.assert_array_equal(got, sitk.GetArrayFromImage(rg.Execute(im)), err_msg=f"{n} {spacing} {sigma}")


def test_log_blocks_and_threads_do_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    image, _, bbox = _brain1()
    whole = [a for _, a, _ in filters.apply("LoG", image, bbox, {"sigma": [1.0, 3.0]})]
    monkeypatch.setattr(log, "BLOCK", 16)
    monkeypatch.setattr(log, "PARALLEL_WORK", 1000)
    split = [a for _, a, _ in filters.apply("LoG", image, bbox, {"sigma": [1.0, 3.0]})]
    for a, b in zip(whole, split):
        np.testing.assert_array_equal(a, b)


def test_gradient_reproduces_itk_for_every_pixel_type() -> None:
    rng = np.random.default_rng(3)
    for dtype in (np.uint8, np.int16, np.int32, np.int64, np.float32, np.float64):
        arr = (rng.normal(size=(6, 9, 7)) * 1000).astype(dtype) if dtype != np.uint8 else \
            rng.integers(0, 255, (6, 9, 7)).astype(dtype)
        image = sitk.GetImageFromArray(arr)
        image.SetSpacing((0.37, 1.3, 2.9))
        for box in [(slice(0, 6), slice(0, 9), slice(0, 7)), (slice(1, 4), slice(2, 9), slice(0, 3))]:
            for use in (True, False):
                f = sitk.GradientMagnitudeImageFilter()
                f.SetUseImageSpacing(use)
                (_, got, _), = filters.apply("Gradient", image, box, {"gradientUseSpacing": use})
                expected = sitk.GetArrayFromImage(f.Execute(image))[box]
                assert got.dtype == expected.dtype
                np.testing.assert_array_equal(got, expected, err_msg=f"{dtype} {box} {use}")


def test_blas_single_thread_restores_the_thread_count() -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    with _common.blas_single_thread():
        assert all(n == 1 for n in blas_threads())
        with _common.blas_single_thread():
            assert all(n == 1 for n in blas_threads())
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


@pytest.mark.parametrize("name", ["haar", "db2", "coif1", "sym4", "bior2.4", "dmey"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wavelet_convolution_reproduces_pywavelets_term_order(name: str, dtype: type) -> None:
    """Our periodised convolution equals pywt.swt bit for bit, boundary outputs included."""
    w = pywt.Wavelet(name)
    h_lo, h_hi = wavelet._filters(name, np.dtype(dtype))
    if dtype is np.float64:
        np.testing.assert_array_equal(h_lo, w.dec_lo)
        np.testing.assert_array_equal(h_hi, w.dec_hi)
    f = w.dec_len
    for n in (2, 4, 6, 10, 64):
        x = (np.cos(np.arange(n) * 1.3 + 0.2) * 100 + np.arange(n) % 3).astype(dtype)
        (a, d), = pywt.swt(x, w, level=1)
        window = x[(np.arange(-(f - 1 - f // 2), n + f // 2)) % n]  # periodic input window
        np.testing.assert_array_equal(wavelet._convolve_axis(window, h_lo, 0, 0, n, n), a)
        np.testing.assert_array_equal(wavelet._convolve_axis(window, h_hi, 0, 0, n, n), d)


def test_wavelet_float32_coefficients_are_pywavelets_own() -> None:
    # coif filters in float32 are computed in float32 by PyWavelets, not rounded from float64
    h_lo, _ = wavelet._filters("coif1", np.dtype(np.float32))
    assert h_lo.dtype == np.float32
    x = np.zeros(16, np.float32)
    x[8] = 1
    (a, _), = pywt.swt(x, "coif1", level=1)
    np.testing.assert_array_equal(np.sort(a[a != 0]), np.sort(h_lo))


# --- LBP2D against scikit-image --------------------------------------------------------------------

def _golden_lbp2d() -> list[tuple[str, np.ndarray, int, float, str, np.ndarray]]:
    g = np.load(GOLDEN / "lbp2d_skimage.npz")
    out = []
    for key in g.files:
        if key.startswith("image_"):
            continue
        img_key, P, R, method = key.split("_", 3)
        out.append((key, g[f"image_{img_key}"], int(P), float(R), method, g[key]))
    return out


def _ours_2d(img: np.ndarray, P: int, R: float, method: str) -> np.ndarray:
    pad = int(np.ceil(R)) + 1
    rows, cols = np.arange(img.shape[0]), np.arange(img.shape[1])
    return lbp2d.lbp_planes(np.pad(img, pad)[None], (-pad, -pad), rows, cols, P, R, method)[0]


def test_lbp2d_matches_recorded_scikit_image() -> None:
    cases = _golden_lbp2d()
    assert len(cases) == 60
    for key, img, P, R, method, expected in cases:
        np.testing.assert_array_equal(_ours_2d(img, P, R, method), expected, err_msg=key)


@pytest.mark.skipif(importlib.util.find_spec("skimage") is None, reason="scikit-image not installed")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_lbp2d_matches_live_scikit_image() -> None:
    from skimage.feature import local_binary_pattern

    y, x = np.indices((23, 18))
    images = [((x * 5 + y * 3) % 4).astype(np.float64), np.sin(x * 0.7) * 10 + y, (x * y % 5) * 0.1 + 3.3]
    for img in images:
        for P, R in ((8, 1), (8, 2.5), (16, 2), (4, 1), (10, 0.7)):
            for method in lbp2d.METHODS:
                np.testing.assert_array_equal(_ours_2d(img, P, R, method), local_binary_pattern(img, P, R, method))


# --- LBP3D: icosphere, spherical harmonics, PyRadiomics' recorded output ---------------------------

def test_icosphere_matches_recorded_trimesh() -> None:
    g = np.load(GOLDEN / "icosphere_trimesh.npz")
    for key in g.files:
        s, r = key.split("_")
        np.testing.assert_array_equal(lbp3d.icosphere(int(s[1:]), float(r[1:])), g[key], err_msg=key)


@pytest.mark.skipif(importlib.util.find_spec("trimesh") is None, reason="trimesh not installed")
def test_icosphere_matches_live_trimesh() -> None:
    from trimesh.creation import icosphere

    for s in range(4):
        for r in (1, 0.6, 3.0):
            np.testing.assert_array_equal(lbp3d.icosphere(s, r), np.asarray(icosphere(s, r).vertices))


def test_harmonics_use_pyradiomics_angle_convention() -> None:
    """Y(polar = arctan2(y, x), azimuth = arccos(z / r)): PyRadiomics' sph_harm(m, n, arccos, arctan2)."""
    from scipy import special

    v = lbp3d.icosphere(1, 1.0)
    Y, degree = lbp3d.harmonics(v, 1.0, 3)
    assert degree.tolist() == [0, 1, 1, 1, 2, 2, 2, 2, 2]
    theta = np.arccos(v[:, 2])
    phi = np.arctan2(v[:, 1], v[:, 0])
    m1 = special.sph_harm_y(1, -1, phi, theta)
    np.testing.assert_array_equal(Y[:, 1], m1)
    # closed form of Y_1^-1(polar=p, azimuth=a) = 1/2 sqrt(3/(2 pi)) sin(p) e^{-i a}, with SciPy's
    # associated Legendre function of cos(p), i.e. |sin(p)|, for the polar angles p < 0 it is given
    expected = 0.5 * np.sqrt(1.5 / np.pi) * np.abs(np.sin(phi)) * np.exp(-1j * theta)
    np.testing.assert_allclose(Y[:, 1], expected, atol=1e-15)
    assert np.any(phi < 0)
    if hasattr(special, "sph_harm"):  # SciPy < 1.17: PyRadiomics' call, argument for argument
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for col, (n, m) in enumerate([(0, 0), (1, -1), (1, 0), (1, 1), (2, -2), (2, -1), (2, 0), (2, 1), (2, 2)]):
                np.testing.assert_array_equal(Y[:, col], special.sph_harm(m, n, theta, phi))


@pytest.mark.parametrize("case", ["breast1", "border", "thin"])
def test_lbp3d_matches_recorded_pyradiomics(case: str) -> None:
    """PyRadiomics 3.1.4 + trimesh 5.2.0 + SciPy 1.16.3 output inside the ROI (see make_golden.py)."""
    pytest.importorskip("radiomics")
    from ._cases import bounding_box, load, rel_diff

    g = np.load(GOLDEN / "lbp3d_pyradiomics.npz")
    image, mask = load(case)
    _, bbox = bounding_box(image, mask)
    roi = sitk.GetArrayViewFromImage(mask)[bbox] == 1
    outs = list(filters.apply("LBP3D", image, bbox, {}, mask=roi))
    assert [n for n, _, _ in outs] == ["lbp-3D-m1", "lbp-3D-m2", "lbp-3D-k"]
    for name, arr, _ in outs:
        assert rel_diff(arr[roi], g[f"{case}/{name}"]) <= 1e-9, name
        np.testing.assert_array_equal(arr[roi], g[f"{case}/{name}"], err_msg=name)


def test_lbp3d_spline_window_is_bit_identical_to_full_image_prefilter() -> None:
    from scipy import ndimage

    image, _, bbox = _brain1()
    arr = sitk.GetArrayViewFromImage(image)
    coeffs, origin = lbp3d._spline_coefficients(arr, bbox, 3)
    full = ndimage.spline_filter(arr, 3, output=np.float64, mode="constant")
    region = tuple(slice(int(o), int(o) + n) for o, n in zip(origin, coeffs.shape))
    np.testing.assert_array_equal(coeffs, full[region])


def _scipy_samples(arr: np.ndarray, bbox: tuple[slice, ...], points: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """PyRadiomics' interpolation: map_coordinates on the (exact) coefficients, in the image dtype."""
    from scipy import ndimage

    coeffs, origin = lbp3d._spline_coefficients(arr, bbox, int(np.ceil(np.abs(vertices).max())) + 2)
    coords = points[None, :, :] + vertices[:, None, :]
    coords -= origin
    return ndimage.map_coordinates(coeffs, coords.T, order=3, mode="constant", cval=0.0, prefilter=False,
                                   output=arr.dtype)


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32, np.int8])
def test_lbp3d_integer_samples_are_scipy_samples(dtype: type) -> None:
    image, roi, bbox = _brain1()
    arr = sitk.GetArrayViewFromImage(image)
    arr = (arr // 40).astype(dtype) if dtype == np.int8 else (arr.astype(np.int64) * (3 if dtype == np.int32 else 1)).astype(dtype)
    for subdivisions, radius in [(1, 1.0), (2, 2.0)]:
        v = lbp3d.icosphere(subdivisions, radius)
        for box, where in [(bbox, roi), ((slice(0, 7), slice(60, 70), slice(0, 12)), np.ones((7, 10, 12), bool))]:
            points = np.argwhere(where) + np.array([s.start for s in box])
            # the second box touches the image border: those voxels are SciPy's own computation
            np.testing.assert_array_equal(lbp3d.samples(arr, box, points, v), _scipy_samples(arr, box, points, v))


@pytest.mark.parametrize("axis", [0, 2])
def test_lbp3d_integer_samples_on_rounding_boundaries(axis: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A linear image sampled half-way between voxels lands on k + 1/2, where SciPy's rounding
    depends on its last bit: those samples must be (and are) recomputed by SciPy."""
    arr = (np.indices((14, 15, 16))[axis] * 3).astype(np.int16)
    box = (slice(5, 9), slice(5, 10), slice(5, 11))
    points = np.argwhere(np.ones((4, 5, 6), bool)) + 5
    v = lbp3d.icosphere(1, 1.0)
    expected = _scipy_samples(arr, box, points, v)
    np.testing.assert_array_equal(lbp3d.samples(arr, box, points, v), expected)
    monkeypatch.setattr(lbp3d, "DOUBT", 0.0)  # without the recomputation some would round the other way
    assert np.any(lbp3d.samples(arr, box, points, v) != expected)


@pytest.mark.parametrize("levels", [2, 3, 4, 6])
def test_lbp3d_values_reproduce_pyradiomics_expressions(levels: int) -> None:
    """Our (vertex-major) products and sums equal PyRadiomics' expressions bit for bit."""
    rng = np.random.default_rng(levels)
    for subdivisions, radius in [(1, 1.0), (2, 2.0)]:
        v = lbp3d.icosphere(subdivisions, radius)
        Y, degree = lbp3d.harmonics(v, radius, levels)
        for n in (1, 2, 7, 997):
            f = rng.integers(0, 4, size=(n, len(v))).astype(np.int16)
            centre = rng.integers(0, 4, size=n).astype(np.int16)
            got, _ = lbp3d.lbp3d_values(f, centre, v, radius, levels)
            b = (f >= centre[:, None]).astype(int)
            c = np.multiply(b[:, :, None], Y[None, :, :]).sum(axis=1)
            parts = [np.multiply(c[:, None, degree == 0], Y[None, :, degree == 0])]
            for k in range(1, levels):
                sel = degree == k
                parts.append(np.sum(np.multiply(c[:, None, sel], Y[None, :, sel]), axis=2, keepdims=True))
            F = np.concatenate(parts, axis=2)
            np.testing.assert_array_equal(got, np.real(np.sqrt(np.sum(F**2, axis=1))))


def test_lbp3d_integer_kurtosis_is_scipys() -> None:
    import warnings

    from scipy import stats

    rng = np.random.default_rng(0)
    for dtype in (np.int16, np.uint16, np.int32, np.int8, np.uint8, np.int64):
        for nv in (12, 42, 162):
            for scale in (1, 3, 100, 3000):
                hi = min(scale, 120) if dtype in (np.int8, np.uint8) else scale
                f = rng.integers(0 if dtype in (np.uint8, np.uint16) else -hi, hi + 1, size=(600, nv)).astype(dtype)
                f[:50] = f[0, 0]  # constant samples: NaN
                f[50:100, : nv // 2] = 7
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    expected = stats.kurtosis(f, axis=1)
                np.testing.assert_array_equal(lbp3d.kurtosis(f), expected, err_msg=f"{dtype} {nv} {scale}")


def test_lbp3d_single_level() -> None:
    # PyRadiomics 3.1.4 raises IndexError for lbp3DLevels = 1; we yield the level and the kurtosis
    image, mask = synthetic("border")
    box = (slice(0, 4), slice(28, 40), slice(0, 9))
    roi = sitk.GetArrayFromImage(mask)[box] == 1
    one = list(filters.apply("LBP3D", image, box, {"lbp3DLevels": 1}, mask=roi))
    two = list(filters.apply("LBP3D", image, box, {}, mask=roi))
    assert [n for n, _, _ in one] == ["lbp-3D-m1", "lbp-3D-k"]
    # (NumPy's summation order differs with the number of harmonics, hence not bit for bit)
    np.testing.assert_allclose(one[0][1], two[0][1], rtol=1e-14, atol=0)
    np.testing.assert_array_equal(one[1][1], two[2][1])


def test_lbp3d_chunking_does_not_change_values(monkeypatch: pytest.MonkeyPatch) -> None:
    image, _, bbox = _brain1()
    whole = list(filters.apply("LBP3D", image, bbox, {}))
    monkeypatch.setattr(lbp3d, "CHUNK", 997)
    chunked = list(filters.apply("LBP3D", image, bbox, {}))
    for (n1, a, _), (n2, b, _) in zip(whole, chunked):
        assert n1 == n2
        np.testing.assert_array_equal(a, b)
