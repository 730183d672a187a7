"""2D shape features: parity with PyRadiomics (live and baseline) and hand examples."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiome.features import shape2d
from radiome.features.base import RoiImage

from .conftest import CASES, DATA, Case, assert_close, prepare

logging.getLogger("radiomics").setLevel(logging.ERROR)


def pyradiomics_all(case: Case) -> dict[str, float]:
    from radiomics.shape2D import RadiomicsShape2D

    fc = RadiomicsShape2D(case.image, case.mask, **case.settings)
    for name in fc.featureNames:
        fc.enableFeatureByName(name)
    return {k: float(v) for k, v in fc.execute().items()}


def largest_slice_case(name: str) -> Case:
    """The PyRadiomics test case reduced to its largest axial ROI slice (as the shape2D baseline)."""
    img = sitk.ReadImage(str(DATA / f"{name}_image.nrrd"))
    msk = sitk.ReadImage(str(DATA / f"{name}_label.nrrd"))
    arr = sitk.GetArrayFromImage(msk)
    z = int(np.argmax((arr == 1).sum(axis=(1, 2))))
    single = np.zeros_like(arr)
    single[z] = arr[z]
    out = sitk.GetImageFromArray(single)
    out.CopyInformation(msk)
    return prepare(img, out, force2D=True, force2Ddimension=0)


def synthetic(mask: np.ndarray, spacing: tuple[float, ...], **settings) -> Case:
    img = sitk.GetImageFromArray(np.random.default_rng(0).normal(size=mask.shape))
    img.SetSpacing(spacing[::-1])
    msk = sitk.GetImageFromArray(mask.astype(np.uint8))
    msk.CopyInformation(img)
    return prepare(img, msk, minimumROIDimensions=1, **settings)


def test_interface() -> None:
    from radiomics.shape2D import RadiomicsShape2D

    names = RadiomicsShape2D.getFeatureNames()
    assert shape2d.NAME == "shape2D"
    assert set(shape2d.FEATURES) == set(names)
    assert shape2d.DEPRECATED == {n for n, dep in names.items() if dep}


@pytest.mark.parametrize("name", CASES)
def test_live_pyradiomics(name: str) -> None:
    case = largest_slice_case(name)
    assert_close(shape2d.compute(case.roi, shape2d.FEATURES), pyradiomics_all(case), rtol=1e-9)
    assert set(shape2d.compute(case.roi)) == set(shape2d.FEATURES) - shape2d.DEPRECATED


@pytest.mark.parametrize("name", CASES)
def test_baseline_csv(name: str) -> None:
    base = pd.read_csv(DATA / "baseline" / "baseline_shape2D.csv", index_col=0)[f"{name}_shape2D"]
    ref = {r.split("_", 2)[2]: float(v) for r, v in base.items() if r.startswith("original_shape2D_")}
    assert len(ref) == 9
    assert_close(shape2d.compute(largest_slice_case(name).roi), ref, rtol=1e-6)


def _random_planes() -> list[tuple[np.ndarray, tuple[float, float]]]:
    rng = np.random.default_rng(7)
    out = []
    while len(out) < 30:
        m = rng.random(tuple(int(s) for s in rng.integers(1, 14, size=2))) < rng.uniform(0.2, 0.95)
        if m.sum() >= 2:
            out.append((m, tuple(float(s) for s in rng.choice([0.5, 0.7, 1.0, 1.3, 0.664062, 6.499999999999998], 2))))
    return out


@pytest.mark.parametrize("idx", range(30))
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_random_masks_live(idx: int, dim: int) -> None:
    """Random planar ROIs embedded as one slice along each possible force2Ddimension."""
    plane, sp2 = _random_planes()[idx]
    mask = np.expand_dims(plane, dim)
    spacing = list(sp2)
    spacing.insert(dim, 3.3)
    case = synthetic(mask, tuple(spacing), force2D=True, force2Ddimension=dim)
    assert_close(shape2d.compute(case.roi, shape2d.FEATURES), pyradiomics_all(case), rtol=1e-9)


def test_large_irregular_plane_live() -> None:
    """Enough contour vertices for the convex-hull reduction of the diameter search."""
    rng = np.random.default_rng(2)
    y, x = np.mgrid[:70, :64]
    plane = ((y - 35) / 30.0) ** 2 + ((x - 31) / 25.0) ** 2 <= 1 + 0.3 * rng.random((70, 64))
    case = synthetic(plane[None], (4.0, 0.7, 1.1), force2D=True)
    assert len(shape2d.edge_vertices(shape2d.padded_mask(plane))) > 400
    assert_close(shape2d.compute(case.roi, shape2d.FEATURES), pyradiomics_all(case), rtol=1e-9)


def test_2d_image_live() -> None:
    plane = np.zeros((9, 11), bool)
    plane[2:7, 3:9] = True
    plane[4, 5] = False
    plane[2, 3] = False
    case = synthetic(plane, (0.7, 1.1))
    assert case.roi.mask.ndim == 2
    assert_close(shape2d.compute(case.roi, shape2d.FEATURES), pyradiomics_all(case), rtol=1e-9)


def test_every_square_configuration_matches_cshape() -> None:
    from radiomics import cShape

    sp = np.array([0.7, 1.9])
    for k in range(1, 16):
        block = np.array([[k & 1, k >> 1 & 1], [k >> 3 & 1, k >> 2 & 1]], dtype=bool)
        per, surf, diam = cShape.calculate_coefficients2D(np.pad(block[np.ix_(block.any(1), block.any(0))], 1), sp)
        np.testing.assert_allclose(shape2d.contour(block, sp), (per, surf, diam), rtol=1e-12, err_msg=str(k))


def test_single_pixel_by_hand() -> None:
    """One pixel a x b: the contour is the diamond through the four edge mid-points."""
    a, b = 2.0, 3.0
    mask = np.zeros((1, 3, 3), bool)
    mask[0, 1, 1] = True
    roi = RoiImage(np.ones(mask.shape), mask, (5.0, a, b), {"force2D": True})
    out = shape2d.compute(roi, shape2d.FEATURES)
    assert out["MeshSurface"] == pytest.approx(a * b / 2, rel=1e-14)
    assert out["PixelSurface"] == a * b
    assert out["Perimeter"] == pytest.approx(2 * np.hypot(a, b), rel=1e-14)
    assert out["MaximumDiameter"] == pytest.approx(max(a, b), rel=1e-14)
    assert out["Sphericity"] == pytest.approx(2 * np.sqrt(np.pi * a * b / 2) / (2 * np.hypot(a, b)), rel=1e-14)
    assert out["MajorAxisLength"] == 0.0 and np.isnan(out["Elongation"])


def test_rectangle_by_hand() -> None:
    """A 3 x 4 block of unit pixels: the contour is an octagon cutting the four corners."""
    mask = np.ones((3, 4), bool)
    out = shape2d.compute(RoiImage(np.ones(mask.shape), mask, (1.0, 1.0)), shape2d.FEATURES)
    # octagon: sides of 3 and 2 between the corner cuts, 4 diagonal cuts of sqrt(0.5)
    assert out["Perimeter"] == pytest.approx(2 * (2 + 3) + 4 * np.sqrt(0.5), rel=1e-14)
    # 3 x 4 rectangle through the outer edge mid-points minus 4 corner triangles of legs 0.5
    assert out["MeshSurface"] == pytest.approx(3 * 4 - 4 * 0.125, rel=1e-14)
    # vertices (row, col) (0, -0.5) and (2, 3.5)
    assert out["MaximumDiameter"] == pytest.approx(np.hypot(2, 4), rel=1e-14)
    assert out["MajorAxisLength"] == pytest.approx(4 * np.sqrt(1.25), rel=1e-12)  # var of {0,1,2,3}
    assert out["MinorAxisLength"] == pytest.approx(4 * np.sqrt(2 / 3), rel=1e-12)  # var of {0,1,2}


def test_errors() -> None:
    thick = np.ones((2, 3, 3), bool)
    with pytest.raises(ValueError):
        shape2d.compute(RoiImage(np.ones(thick.shape), thick, (1.0, 1.0, 1.0), {"force2D": True}))
    with pytest.raises(ValueError):
        shape2d.compute(RoiImage(np.ones((1, 3, 3)), np.ones((1, 3, 3), bool), (1.0, 1.0, 1.0)))  # no force2D
    empty = RoiImage(np.ones((3, 3)), np.zeros((3, 3), bool), (1.0, 1.0))
    assert all(np.isnan(v) for v in shape2d.compute(empty).values())
