"""3D shape features: parity with PyRadiomics (live and baseline), IBSI digital phantom, hand examples."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiome.features import shape
from radiome.features.base import RoiImage

from .conftest import CASES, DATA, Case, assert_close, prepare
from .conftest import load_case as _load_case


@functools.cache
def _cached(name: str, items: frozenset) -> Case:
    return _load_case(name, **dict(items))


def load_case(name: str, **settings: Any) -> Case:
    """PyRadiomics' crop of a test case, read once per module and settings."""
    return _cached(name, frozenset(settings.items()))

IBSI = Path(__file__).parents[1] / "data" / "ibsi"
logging.getLogger("radiomics").setLevel(logging.ERROR)  # deprecation warnings of enabled features


def pyradiomics_all(case: Case) -> dict[str, float]:
    """All PyRadiomics shape features, deprecated ones included."""
    from radiomics.shape import RadiomicsShape

    fc = RadiomicsShape(case.image, case.mask, **case.settings)
    for name in fc.featureNames:
        fc.enableFeatureByName(name)
    return {k: float(v) for k, v in fc.execute().items()}


def synthetic(mask: np.ndarray, spacing: tuple[float, float, float], seed: int = 0, **settings: Any) -> Case:
    rng = np.random.default_rng(seed)
    img = sitk.GetImageFromArray(rng.normal(100, 30, mask.shape))
    img.SetSpacing(spacing[::-1])
    msk = sitk.GetImageFromArray(mask.astype(np.uint8))
    msk.CopyInformation(img)
    return prepare(img, msk, minimumROIDimensions=1, **settings)


def test_interface() -> None:
    assert shape.NAME == "shape"
    assert len(shape.FEATURES) == 17
    from radiomics.shape import RadiomicsShape

    names = RadiomicsShape.getFeatureNames()
    assert set(shape.FEATURES) == set(names)
    assert shape.DEPRECATED == {n for n, dep in names.items() if dep}


@pytest.mark.parametrize("name", CASES)
def test_live_pyradiomics(name: str) -> None:
    case = load_case(name)
    ours = shape.compute(case.roi, shape.FEATURES)
    assert_close(ours, pyradiomics_all(case), rtol=1e-9)
    default = shape.compute(case.roi)
    assert set(default) == set(shape.FEATURES) - shape.DEPRECATED
    assert all(isinstance(v, float) for v in default.values())


@pytest.mark.parametrize("name", CASES)
def test_baseline_csv(name: str) -> None:
    """Baseline written by PyRadiomics 2.0 (older mesh code): shape within 1e-3 relative."""
    base = pd.read_csv(DATA / "baseline" / "baseline_shape.csv", index_col=0)[name]
    ref = {r.split("_", 2)[2]: float(v) for r, v in base.items() if r.startswith("original_shape_")}
    assert len(ref) == 14
    assert_close(shape.compute(load_case(name).roi, shape.FEATURES), ref, rtol=1e-3)


def _random_masks() -> list[tuple[np.ndarray, tuple[float, float, float]]]:
    rng = np.random.default_rng(42)
    spacings = [0.5, 0.7, 1.0, 1.3, 2.1, 6.499999999999998, 0.664062]
    out = []
    while len(out) < 40:
        shp = tuple(int(s) for s in rng.integers(1, 10, size=3))
        mask = rng.random(shp) < rng.uniform(0.2, 0.95)
        if mask.sum() >= 2:
            out.append((mask, tuple(float(s) for s in rng.choice(spacings, size=3))))
    return out


def _special_masks() -> dict[str, np.ndarray]:
    z, y, x = np.mgrid[:9, :11, :10]
    out = {}
    out["ellipsoid"] = ((z - 4) / 4.2) ** 2 + ((y - 5) / 5.1) ** 2 + ((x - 4.5) / 3.7) ** 2 <= 1
    out["two_voxels_diagonal"] = np.zeros((3, 3, 3), bool)
    out["two_voxels_diagonal"][0, 0, 0] = out["two_voxels_diagonal"][1, 1, 1] = True
    out["flat_slice"] = np.zeros((3, 6, 7), bool)
    out["flat_slice"][1, 1:5, 2:6] = True  # 2D ROI: least axis 0, flatness 0
    out["line"] = np.zeros((3, 4, 8), bool)
    out["line"][1, 2, 1:7] = True  # 1D ROI: minor axis 0
    out["full_block"] = np.ones((4, 5, 6), bool)
    out["two_components"] = np.zeros((6, 6, 6), bool)
    out["two_components"][0:2, 0:2, 0:2] = True
    out["two_components"][4:6, 3:6, 4:6] = True
    out["checkerboard"] = (z + y + x) % 2 == 0  # every ambiguous marching-cubes case
    out["hollow"] = np.ones((5, 5, 5), bool)
    out["hollow"][2, 2, 2] = False
    return out


@pytest.mark.parametrize("idx", range(40))
def test_random_masks_live(idx: int) -> None:
    mask, spacing = _random_masks()[idx]
    case = synthetic(mask, spacing, seed=idx)
    assert_close(shape.compute(case.roi, shape.FEATURES), pyradiomics_all(case), rtol=1e-9)


@pytest.mark.parametrize("kind", list(_special_masks()))
def test_special_masks_live(kind: str) -> None:
    case = synthetic(_special_masks()[kind], (2.5, 0.7, 0.9))
    assert_close(shape.compute(case.roi, shape.FEATURES), pyradiomics_all(case), rtol=1e-9)


def test_roi_with_margin_is_cropped() -> None:
    """A crop with background margin around the ROI gives the same values as the tight crop."""
    case = synthetic(_special_masks()["ellipsoid"], (1.0, 0.8, 0.8))
    roi = case.roi
    pad = ((1, 4), (2, 0), (0, 3))
    big = RoiImage(np.pad(roi.image, pad), np.pad(roi.mask, pad), roi.spacing, roi.settings)
    assert shape.compute(big, shape.FEATURES) == shape.compute(roi, shape.FEATURES)


def test_every_cube_configuration_matches_cshape() -> None:
    """Each of the 255 non-empty 2x2x2 configurations: area, volume and diameters as cshape.c."""
    from radiomics import cShape

    spacing = np.array([1.3, 0.7, 2.9])
    corners = [(0, 0, 0), (0, 0, 1), (0, 1, 1), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 1), (1, 1, 0)]
    for k in range(1, 256):
        block = np.zeros((2, 2, 2), bool)
        for bit, c in enumerate(corners):
            block[c] = bool(k >> bit & 1)
        padded = shape.padded_mask(block)
        area_ref, vol_ref, diam_ref = cShape.calculate_coefficients(padded, spacing)
        geo = shape.geometry(block, spacing)
        np.testing.assert_allclose([geo.area, geo.volume], [area_ref, vol_ref], rtol=1e-12, err_msg=f"cell {k}")
        np.testing.assert_allclose(shape._diameters(geo), diam_ref, rtol=1e-12, err_msg=f"cell {k}")


def test_single_voxel_by_hand() -> None:
    """One voxel of size a x b x c: the mesh is the octahedron spanned by the six face centres."""
    a, b, c = 1.0, 2.0, 3.0  # z, y, x spacing
    mask = np.zeros((3, 3, 3), bool)
    mask[1, 1, 1] = True
    out = shape.compute(RoiImage(np.ones((3, 3, 3)), mask, (a, b, c)), shape.FEATURES)
    assert out["MeshVolume"] == pytest.approx(a * b * c / 6, rel=1e-14)
    assert out["VoxelVolume"] == a * b * c
    assert out["SurfaceArea"] == pytest.approx(np.sqrt((a * b) ** 2 + (a * c) ** 2 + (b * c) ** 2), rel=1e-14)
    assert out["Maximum3DDiameter"] == pytest.approx(max(a, b, c))
    assert out["Maximum2DDiameterSlice"] == pytest.approx(max(b, c))  # pairs at equal z
    assert out["Maximum2DDiameterColumn"] == pytest.approx(max(a, c))  # equal y
    assert out["Maximum2DDiameterRow"] == pytest.approx(max(a, b))  # equal x
    assert out["MajorAxisLength"] == out["MinorAxisLength"] == out["LeastAxisLength"] == 0.0
    assert np.isnan(out["Elongation"]) and np.isnan(out["Flatness"])
    V, A = a * b * c / 6, np.sqrt((a * b) ** 2 + (a * c) ** 2 + (b * c) ** 2)
    assert out["Sphericity"] == pytest.approx((36 * np.pi * V**2) ** (1 / 3) / A, rel=1e-13)


def test_box_by_hand() -> None:
    """A 1 x 2 x 3 block of unit voxels: PCA axes from the variances of the voxel centres."""
    mask = np.ones((1, 2, 3), bool)
    out = shape.compute(RoiImage(np.ones(mask.shape), mask, (1.0, 1.0, 1.0)), shape.FEATURES)
    # variances of {0,1} and {0,1,2}: 1/4 and 2/3; z is constant
    assert out["MinorAxisLength"] == pytest.approx(4 * np.sqrt(0.25), rel=1e-12)
    assert out["MajorAxisLength"] == pytest.approx(4 * np.sqrt(2 / 3), rel=1e-12)
    assert out["LeastAxisLength"] == 0.0 and out["Flatness"] == 0.0
    assert out["Elongation"] == pytest.approx(np.sqrt(0.25 / (2 / 3)), rel=1e-12)
    # mesh vertices are the face centres of the boundary voxels: e.g. (0, 0, -0.5) and (0, 1, 2.5)
    assert out["Maximum3DDiameter"] == pytest.approx(np.sqrt(10.0), rel=1e-14)
    assert out["Maximum2DDiameterSlice"] == pytest.approx(np.sqrt(10.0), rel=1e-14)  # all at z = 0 ...
    assert out["Maximum2DDiameterColumn"] == pytest.approx(3.0, rel=1e-14)  # (0, 0, -0.5) - (0, 0, 2.5)
    assert out["Maximum2DDiameterRow"] == pytest.approx(2.0, rel=1e-14)  # (0, -0.5, 0) - (0, 1.5, 0)
    # 2 x 3 voxels of unit size, with the corners of the 1-voxel-thick slab cut by the mesh
    assert out["VoxelVolume"] == 6.0


def test_empty_and_unknown() -> None:
    roi = RoiImage(np.zeros((2, 2, 2)), np.zeros((2, 2, 2), bool), (1.0, 1.0, 1.0))
    assert all(np.isnan(v) for v in shape.compute(roi).values())
    with pytest.raises(KeyError):
        shape.compute(roi, ["NotAFeature"])
    assert shape.compute(roi, []) == {}


# --------------------------------------------------------------------------------------------------
# IBSI digital phantom


def _ibsi_reference() -> dict[str, tuple[float, float]]:
    out = {}
    for line in (IBSI / "ibsi_1_dig_phantom.csv").read_text().splitlines()[1:]:
        value, tol, tag = line.strip().split(";")
        if value:
            out[tag] = (float(value), float(tol or 0))
    return out


@pytest.fixture(scope="module")
def phantom() -> RoiImage:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    return RoiImage(sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0, tuple(img.GetSpacing()[::-1]))


def test_ibsi_digital_phantom(phantom: RoiImage) -> None:
    ref = _ibsi_reference()
    ours = shape.compute_ibsi(phantom)
    assert set(ours) == set(shape.IBSI_TAGS)
    tagged = [t for t in ref if t.startswith("morph_")]
    missing = sorted(set(tagged) - set(ours))
    assert missing == [], missing  # the phantom table has values for every tag we implement ...
    bad = [f"{t}: {ours[t]} vs {ref[t][0]} +- {ref[t][1]}" for t in tagged if abs(ours[t] - ref[t][0]) > ref[t][1]]
    assert not bad, bad


def test_ibsi_tags_agree_with_pyradiomics_names(phantom: RoiImage) -> None:
    ibsi = shape.compute_ibsi(phantom)
    pyr = shape.compute(phantom, shape.FEATURES)
    assert ibsi["morph_volume"] == pyr["MeshVolume"]
    assert ibsi["morph_area_mesh"] == pyr["SurfaceArea"]
    assert ibsi["morph_diam"] == pyr["Maximum3DDiameter"]
    assert ibsi["morph_sphericity"] == pytest.approx(pyr["Sphericity"], rel=1e-12)
    assert ibsi["morph_pca_elongation"] == pytest.approx(pyr["Elongation"], rel=1e-12)
    n = int(phantom.mask.sum())  # IBSI axes: sample covariance, PyRadiomics: population
    assert ibsi["morph_pca_maj_axis"] == pytest.approx(pyr["MajorAxisLength"] * np.sqrt(n / (n - 1)), rel=1e-12)


def test_moran_geary_against_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        shp = tuple(int(s) for s in rng.integers(2, 7, size=3))
        mask = rng.random(shp) < 0.6
        if mask.sum() < 2:
            continue
        x = rng.normal(size=int(mask.sum()))
        sp = rng.choice([0.5, 1.0, 2.2], size=3)
        pos = np.argwhere(mask) * sp
        dist = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1))
        np.fill_diagonal(dist, np.inf)
        w = 1 / dist
        d = x - x.mean()
        n = x.size
        moran = n / w.sum() * (w * np.outer(d, d)).sum() / (d**2).sum()
        geary = (n - 1) / (2 * w.sum()) * (w * (d[:, None] - d[None]) ** 2).sum() / (d**2).sum()
        got = shape._moran_geary(x, mask, sp)
        np.testing.assert_allclose(got, (moran, geary), rtol=1e-9)


def test_grouped_diameters_brute_force() -> None:
    """Hull-based planar diameters equal the O(n^2) maximum over all vertex pairs."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        mask = rng.random(tuple(int(s) for s in rng.integers(2, 8, size=3))) < 0.5
        if not mask.any():
            continue
        sp = rng.uniform(0.3, 3.0, size=3)
        geo = shape.geometry(mask, sp)
        pts = geo.points(geo.vertices2)
        d2 = ((pts[:, None] - pts[None]) ** 2).sum(-1)
        expected = []
        for ax in range(3):
            same = geo.vertices2[:, None, ax] == geo.vertices2[None, :, ax]
            expected.append(np.sqrt(np.max(np.where(same, d2, 0.0))))
        expected.append(np.sqrt(d2.max()))
        np.testing.assert_allclose(shape._diameters(geo), expected, rtol=1e-12)


def test_pyradiomics_mesh_quirk_reproduced() -> None:
    """Three voxels meeting pairwise along edges: the half-table marching cubes (complement cells
    reuse the triangles of their complement) leaves the mesh open and PyRadiomics' signed volume
    is negative; we reproduce it (compare: 3 voxels of 1 mm^3)."""
    from radiomics import cShape

    m = np.zeros((2, 2, 2), bool)
    m[0, 1, 1] = m[1, 0, 1] = m[1, 1, 0] = True
    geo = shape.geometry(m, np.ones(3))
    assert geo.volume == pytest.approx(-1 / 12, rel=1e-14)
    assert geo.volume == pytest.approx(cShape.calculate_coefficients(shape.padded_mask(m), np.ones(3))[1], rel=1e-14)


def test_pairwise_helpers_with_small_budgets() -> None:
    """The batched / chunked code paths of the pairwise maxima agree with a direct computation."""
    from scipy.spatial.distance import pdist

    rng = np.random.default_rng(9)
    pts = rng.normal(size=(300, 3))
    group = rng.integers(0, 7, size=300)
    group[:3] = 99  # a small group
    expected = max(pdist(pts[group == g], "sqeuclidean").max() for g in np.unique(group))
    assert shape.grouped_max_sqdist(group, pts, budget=400) == pytest.approx(expected, rel=1e-15)
    assert shape.grouped_max_sqdist(group, pts) == pytest.approx(expected, rel=1e-15)
    assert shape.max_sqdist(pts, budget=1000) == pytest.approx(pdist(pts, "sqeuclidean").max(), rel=1e-15)
    assert shape.grouped_max_sqdist(np.arange(5), pts[:5]) == 0.0  # no pair shares a group


def test_ibsi_intensity_mask(phantom: RoiImage) -> None:
    """Intensity-dependent tags follow the (re-segmented) intensity mask, the others the morphology."""
    imask = phantom.mask & (phantom.image <= 4)  # drop the bright voxels
    full = shape.compute_ibsi(phantom)
    reseg = shape.compute_ibsi(phantom, intensity_mask=imask)
    for tag in shape.IBSI_TAGS:
        if tag in ("morph_com", "morph_integ_int", "morph_moran_i", "morph_geary_c"):
            assert reseg[tag] != full[tag], tag
        else:
            assert reseg[tag] == full[tag], tag
    x = phantom.image[imask].astype(float)
    assert reseg["morph_integ_int"] == pytest.approx(full["morph_volume"] * x.mean(), rel=1e-14)
    pos = np.argwhere(imask) * 2.0
    com = np.argwhere(phantom.mask).mean(axis=0) * 2.0 - (x[:, None] * pos).sum(axis=0) / x.sum()
    assert reseg["morph_com"] == pytest.approx(np.linalg.norm(com), rel=1e-12)
    with pytest.raises(ValueError):
        shape.compute_ibsi(phantom, intensity_mask=imask[:-1])
