"""Local intensity features (IBSI 1 section 3.2): digital phantom and images with known peaks."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features import loc
from radiome.features.base import RoiImage
from tests.features.conftest import ibsi_passes, ibsi_phantom_reference
from tests.features.test_ih import CT_CONFIGS, check_ct, ct_phantom

IBSI = Path(__file__).parents[1] / "data" / "ibsi"
R = 10 * (3 / (4 * math.pi)) ** (1 / 3)  # radius (mm) of a 1 cm^3 sphere, ~6.2035






def _n_in_sphere(spacing: tuple[float, float, float]) -> int:
    """Voxel centres within R of a centre voxel, counted one by one."""
    ext = [int(R // s) + 1 for s in spacing]
    return sum(
        1
        for o in itertools.product(*(range(-e, e + 1) for e in ext))
        if sum((c * s) ** 2 for c, s in zip(o, spacing)) <= R * R
    )


REF = {k: v for k, v in ibsi_phantom_reference().items() if k.startswith("loc_")}


@pytest.mark.parametrize("tag", sorted(REF))
def test_digital_phantom(tag: str) -> None:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    a, m = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0
    # the mask's bounding box is the whole (uncropped) phantom, so roi.image is the whole image;
    # the sphere (radius 3.1 voxels) is truncated at the image border and takes in the 9 outside the ROI
    roi = RoiImage(a, m, tuple(img.GetSpacing()[::-1]), {"profile": "ibsi"})
    assert set(REF) == set(loc.TAGS)
    got = loc.compute_ibsi(roi)[tag]
    ref, tol = REF[tag]
    assert ibsi_passes(got, ref, tol), f"{tag}: {got} vs IBSI {ref}"


def test_sphere_size() -> None:
    assert loc.RADIUS_MM == pytest.approx(R)
    assert 4 / 3 * math.pi * loc.RADIUS_MM**3 == pytest.approx(1000.0)
    for sp in [(2.0, 2.0, 2.0), (3.0, 0.977, 0.977), (1.0, 1.0, 1.0), (2.5, 0.7, 1.3)]:
        assert loc.sphere_kernel(sp).sum() == _n_in_sphere(sp)
    assert _n_in_sphere((2.0, 2.0, 2.0)) == 123  # lattice points with |m|^2 <= 9
    assert loc.required_padding((2.0, 2.0, 2.0)) == (3, 3, 3)
    assert loc.required_padding((3.0, 0.977, 0.977)) == (2, 6, 6)


def test_constant_image() -> None:
    img = np.full((7, 9, 8), 42.5)
    mask = np.zeros(img.shape, bool)
    mask[2:5, 3:6, 1:7] = True
    f = loc.compute_ibsi(RoiImage(img, mask, (2.0, 1.0, 1.5), {}))
    assert f["loc_peak_loc"] == pytest.approx(42.5, abs=1e-9)
    assert f["loc_peak_glob"] == pytest.approx(42.5, abs=1e-9)


def test_bright_voxel() -> None:
    # one bright voxel in a uniform background, far enough from the border for a complete sphere
    spacing = (3.0, 1.0, 0.8)
    bg, bright = 10.0, 1000.0
    img = np.full((9, 17, 19), bg)
    img[4, 8, 9] = bright
    mask = np.zeros(img.shape, bool)
    mask[3:6, 7:10, 8:11] = True
    n = _n_in_sphere(spacing)
    expected = (bright + (n - 1) * bg) / n
    f = loc.compute_ibsi(RoiImage(img, mask, spacing, {}))
    assert f["loc_peak_loc"] == pytest.approx(expected, rel=1e-12)
    # any sphere holding the bright voxel has the same mean; the others have mean bg
    assert f["loc_peak_glob"] == pytest.approx(expected, rel=1e-12)


def _plateau_and_spike() -> tuple[np.ndarray, np.ndarray, int]:
    """0 background; a 7^3 plateau of 50 (holds a whole sphere at 2 mm) and a lone 60 far from it."""
    img = np.zeros((9, 9, 22))
    img[1:8, 1:8, 1:8] = 50.0
    img[4, 4, 17] = 60.0  # 9 voxels = 18 mm from the plateau: no sphere reaches both
    mask = np.zeros(img.shape, bool)
    mask[1:8, 1:8, 1:8] = True
    mask[4, 4, 16:19] = True
    return img, mask, _n_in_sphere((2.0, 2.0, 2.0))


def test_local_versus_global_peak() -> None:
    img, mask, n = _plateau_and_spike()
    f = loc.compute_ibsi(RoiImage(img, mask, (2.0, 2.0, 2.0), {}))
    assert f["loc_peak_loc"] == pytest.approx(60.0 / n, rel=1e-12)  # around the maximum voxel only
    assert f["loc_peak_glob"] == pytest.approx(50.0, rel=1e-12)  # centre of the plateau


def test_ties_take_the_highest_peak() -> None:
    img, mask, n = _plateau_and_spike()
    img[4, 4, 4] = 60.0  # a second maximum, in the plateau's centre
    f = loc.compute_ibsi(RoiImage(img, mask, (2.0, 2.0, 2.0), {}))
    assert f["loc_peak_loc"] == pytest.approx((60.0 + (n - 1) * 50.0) / n, rel=1e-12)


def test_cropped_roi_with_full_image() -> None:
    img, mask, n = _plateau_and_spike()
    full = RoiImage(img, mask, (2.0, 2.0, 2.0), {})
    want = loc.compute_ibsi(full)
    # the extractor's crop: the ROI bounding box, no padding
    idx = np.nonzero(mask)
    lo = [int(i.min()) for i in idx]
    hi = [int(i.max()) + 1 for i in idx]
    sl = tuple(slice(a, b) for a, b in zip(lo, hi))
    crop = RoiImage(img[sl], mask[sl], (2.0, 2.0, 2.0), {})
    got = loc.compute_ibsi(crop, image_full=img, mask_offset=lo)
    assert got == pytest.approx(want, rel=1e-12)
    # without the surrounding image the spike's sphere is truncated to the crop: a different (wrong) value
    assert loc.compute_ibsi(crop)["loc_peak_loc"] != pytest.approx(want["loc_peak_loc"], rel=1e-6)
    with pytest.raises(ValueError):
        loc.compute_ibsi(crop, image_full=img)  # offset required for a larger image
    with pytest.raises(ValueError):
        loc.compute_ibsi(crop, image_full=img, mask_offset=(5, 5, 5))  # does not fit


def test_local_means_against_direct_sum() -> None:
    rng = np.random.default_rng(7)
    img = rng.integers(-50, 50, size=(5, 8, 9)).astype(float)
    spacing = (3.0, 1.1, 0.9)
    got = loc.local_means(img, spacing)
    for k in itertools.product(*map(range, img.shape)):
        vals = [
            img[q]
            for q in itertools.product(*map(range, img.shape))
            if sum(((a - b) * s) ** 2 for a, b, s in zip(q, k, spacing)) <= R * R
        ]
        assert got[k] == pytest.approx(np.mean(vals), abs=1e-9)


def test_aggregation_and_empty() -> None:
    img = np.ones((3, 3, 3))
    with pytest.raises(ValueError):
        loc.compute_ibsi(RoiImage(img, img > 0, (1.0, 1.0, 1.0), {}), "2D")
    f = loc.compute_ibsi(RoiImage(img, img < 0, (1.0, 1.0, 1.0), {}))
    assert all(math.isnan(v) for v in f.values())


@pytest.mark.parametrize("config", sorted(CT_CONFIGS))
def test_ct_phantom(config: str) -> None:
    roi, image, offset, _ = ct_phantom(config)
    check_ct(config, loc.compute_ibsi(roi, image_full=image, mask_offset=offset), "loc_")
