"""Areas, fat infiltration methods, slice choice and asymmetry of radiome.spine.measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.spine import asymmetry_index, choose_slices, muscle_measures, otsu_threshold, vertebral_body_csa


def _grid(nx: int, ny: int, sx: float, sy: float) -> tuple[np.ndarray, np.ndarray]:
    x = (np.arange(nx) - (nx - 1) / 2) * sx
    y = (np.arange(ny) - (ny - 1) / 2) * sy
    return np.meshgrid(x, y)


@pytest.mark.parametrize("rot", [0.0, 0.6])
def test_ellipse_area_on_anisotropic_grid(rot: float) -> None:
    sx, sy, a, b = 0.11, 0.17, 31.0, 17.5
    X, Y = _grid(700, 420, sx, sy)
    c, s = math.cos(rot), math.sin(rot)
    U, V = c * X + s * Y, -s * X + c * Y
    m = ((U / a) ** 2 + (V / b) ** 2 <= 1.0).astype(np.uint8)
    mask = np.stack([m, m, np.zeros_like(m)])
    img = np.ones(mask.shape, np.float32)
    r = muscle_measures(img, mask, 1, slice=0, spacing=(sx, sy, 3.0))
    assert r["csa_mm2"] == pytest.approx(math.pi * a * b, rel=0.005)
    assert r["csa_mean_mm2"] == pytest.approx(math.pi * a * b, rel=0.005)
    assert r["slice"] == 0


def test_polygon_area_shoelace() -> None:
    poly = np.array([[-20.0, -10.0], [25.0, -14.0], [30.0, 12.0], [2.0, 22.0], [-24.0, 9.0]])  # convex, CCW
    sx, sy = 0.09, 0.13
    X, Y = _grid(700, 400, sx, sy)
    inside = np.ones(X.shape, bool)
    for p, q in zip(poly, np.roll(poly, -1, axis=0)):
        inside &= (q[0] - p[0]) * (Y - p[1]) - (q[1] - p[1]) * (X - p[0]) >= 0
    area = 0.5 * abs(np.dot(poly[:, 0], np.roll(poly[:, 1], -1)) - np.dot(poly[:, 1], np.roll(poly[:, 0], -1)))
    mask = inside[None].astype(np.uint8) * 4
    img = sitk.GetImageFromArray(np.ones(mask.shape, np.float32))
    msk = sitk.GetImageFromArray(mask)
    for im in (img, msk):
        im.SetSpacing((sx, sy, 2.0))
    assert muscle_measures(img, msk, 4)["csa_mm2"] == pytest.approx(area, rel=0.005)
    assert vertebral_body_csa(msk, 4)["csa_mm2"] == pytest.approx(area, rel=0.005)


def _synthetic_muscle(fraction: float, seed: int, snr: float = 20.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    nz, ny, nx = 3, 96, 96
    X, Y = _grid(nx, ny, 1.0, 1.0)
    disk = (X / 40) ** 2 + (Y / 30) ** 2 <= 1
    mask = np.zeros((nz, ny, nx), np.uint8)
    mask[:, disk] = 1
    mask[:, :6, :] = 7  # reference fat ROI
    fat = np.zeros(mask.shape, bool)
    idx = np.flatnonzero(mask == 1)
    fat.flat[rng.choice(idx, int(round(fraction * idx.size)), replace=False)] = True
    truth = fat.sum() / idx.size
    muscle, fat_level = 330.0, 1000.0
    img = np.full(mask.shape, 60.0)
    img[mask == 1] = muscle
    img[fat | (mask == 7)] = fat_level
    img += rng.normal(0, muscle / snr, img.shape)
    return img.astype(np.float32), mask, fat.astype(np.float32), truth  # type: ignore[return-value]


@pytest.mark.parametrize("fraction", [0.04, 0.12, 0.3])
@pytest.mark.parametrize("method", ["otsu", "reference", "gmm", "dixon"])
def test_fat_rate_recovered_at_snr20(method: str, fraction: float) -> None:
    img, mask, ffmap, truth = _synthetic_muscle(fraction, seed=int(fraction * 100))
    r = muscle_measures(img, mask, 1, method, reference_label=7, dixon=ffmap, slice="all", spacing=(1.0, 1.0, 4.0))
    if method == "dixon":
        assert r["fat_rate"] == pytest.approx(truth, abs=1e-12)
        assert r["fat_rate_all"] == pytest.approx(truth, abs=1e-12)
    else:
        assert abs(r["fat_rate"] - truth) < 0.01
    assert r["fat_area_mm2"] == pytest.approx(r["fat_rate"] * r["csa_mm2"])
    assert r["method"] == method
    # one slice: still within 1 point of that slice's truth
    r1 = muscle_measures(img, mask, 1, method, reference_label=7, dixon=ffmap * 100, slice=1, spacing=(1.0, 1.0, 4.0))
    t1 = ffmap[1][mask[1] == 1].mean()
    assert abs(r1["fat_rate"] - t1) < (1e-12 if method == "dixon" else 0.01)


def test_gray_values_and_params() -> None:
    img, mask, _, _ = _synthetic_muscle(0.0, seed=3)
    r = muscle_measures(img, mask, 1, "reference", reference_label=7, reference_fraction=0.6, slice="all", spacing=(1, 1, 4))
    assert r["mean_gray"] == pytest.approx(330, abs=2)
    assert r["sd_gray"] == pytest.approx(16.5, rel=0.1)
    assert r["threshold"] == pytest.approx(600, rel=0.01)
    assert r["reference_fraction"] == 0.6 and r["reference_label"] == 7
    assert r["fat_rate"] < 0.005


def test_missing_roi_gives_nan_and_errors() -> None:
    img, mask, _, _ = _synthetic_muscle(0.1, seed=1)
    r = muscle_measures(img, mask, 9, spacing=(1, 1, 4))
    assert math.isnan(r["csa_mm2"]) and math.isnan(r["fat_rate"]) and math.isnan(r["csa_mean_mm2"])
    with pytest.raises(ValueError, match="unknown fat method"):
        muscle_measures(img, mask, 1, "magic", spacing=(1, 1, 4))
    with pytest.raises(ValueError, match="reference_label"):
        muscle_measures(img, mask, 1, "reference", spacing=(1, 1, 4))
    with pytest.raises(ValueError, match="spacing"):
        muscle_measures(img, mask, 1)


def test_otsu_and_slice_choice() -> None:
    rng = np.random.default_rng(0)
    v = np.r_[rng.normal(100, 5, 900), rng.normal(300, 5, 100)]
    assert 130 < otsu_threshold(v) < 270
    assert otsu_threshold(np.full(10, 3.0)) == 3.0
    roi = np.zeros((7, 4, 4), bool)
    roi[2:6, 1, 1] = True
    assert choose_slices(roi) == [3]
    assert choose_slices(roi, "all") == [2, 3, 4, 5]
    assert choose_slices(roi, 6) == [6]
    assert choose_slices(roi, "auto", level_index=0.2) == [2]
    with pytest.raises(ValueError):
        choose_slices(roi, "middle")


def test_asymmetry_index() -> None:
    assert asymmetry_index(110, 90) == pytest.approx(0.2)
    assert asymmetry_index(90, 110) == pytest.approx(-0.2)
    assert math.isnan(asymmetry_index(0, 0))
    assert math.isnan(asymmetry_index(float("nan"), 1))
