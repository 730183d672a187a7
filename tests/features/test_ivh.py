"""Intensity-volume histogram features (IBSI 1 section 3.5): digital phantom and hand examples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features import ivh
from radiome.features.base import RoiImage
from tests.features.conftest import ibsi_passes, ibsi_phantom_reference
from tests.features.test_ih import CT_CONFIGS, check_ct, ct_phantom

IBSI = Path(__file__).parents[1] / "data" / "ibsi"






@pytest.fixture(scope="module")
def phantom() -> RoiImage:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    a, m = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0
    # no IVH discretisation: the phantom's intensities are discrete already, G = [1, 6], w_d = 1
    return RoiImage(a, m, tuple(img.GetSpacing()[::-1]), {"profile": "ibsi", "binWidth": 1})


REF = {k: v for k, v in ibsi_phantom_reference().items() if k.startswith("ivh_")}


def test_reference_tags() -> None:
    # every IBSI IVH tag with a reference value is produced (ivh_auc has none in the table)
    assert set(REF) == set(ivh.TAGS) - {"ivh_auc"}


@pytest.mark.parametrize("tag", sorted(REF))
def test_digital_phantom(phantom: RoiImage, tag: str) -> None:
    got = ivh.compute_ibsi(phantom)[tag]
    ref, tol = REF[tag]
    assert ibsi_passes(got, ref, tol), f"{tag}: {got} vs IBSI {ref}"


def test_digital_phantom_auc_and_curve(phantom: RoiImage) -> None:
    # the IBSI manual tabulates the phantom's IVH (i: nu) 1: 1.000, 2: 0.324, 3: 0.324, 4: 0.311,
    # 5: 0.095, 6: 0.095, and gives 0.32 (strong consensus) for the area under it
    curve = ivh.build_ivh(phantom.values)
    assert curve.intensity.tolist() == [1, 2, 3, 4, 5, 6]
    assert np.round(curve.nu, 3).tolist() == [1.0, 0.324, 0.324, 0.311, 0.095, 0.095]
    assert ibsi_passes(ivh.compute_ibsi(phantom)["ivh_auc"], 0.32, 0)


def _roi(values: list[float], **settings: object) -> RoiImage:
    img = np.array(values, dtype=float).reshape(1, 1, -1)
    return RoiImage(img, np.ones(img.shape, bool), (1.0, 1.0, 1.0), {"profile": "ibsi", **settings})


def test_discrete_without_range() -> None:
    # X = 1, 2, 2, 3, 5 -> G = [1, 5]; nu(1..5) = 1, .8, .4, .2, .2; gamma = 0, .25, .5, .75, 1
    f = ivh.compute_ibsi(_roi([1, 2, 2, 3, 5]))
    assert f["ivh_v10"] == pytest.approx(0.8)  # first i with gamma >= .1 is 2
    assert f["ivh_v90"] == pytest.approx(0.2)  # first i with gamma >= .9 is 5
    assert f["ivh_i90"] == 2  # first i with nu <= .9
    # no i in G has nu <= .1 (the top value holds 20 %): the grid goes on to 6, where nu = 0
    assert f["ivh_i10"] == 6
    assert f["ivh_diff_v10_v90"] == pytest.approx(0.6)
    assert f["ivh_diff_i10_i90"] == 4
    assert f["ivh_auc"] == pytest.approx(0.25 * ((1 + 0.8) / 2 + (0.8 + 0.4) / 2 + (0.4 + 0.2) / 2 + (0.2 + 0.2) / 2))


def test_discrete_with_resegmentation_range() -> None:
    # G = [0, 10] from the range: nu(0..10) = 1, 1, .8, .4, .2, .2, 0, ..., 0; gamma = i / 10
    f = ivh.compute_ibsi(_roi([1, 2, 2, 3, 5], resegmentRange=[0, 10]))
    assert f["ivh_v10"] == pytest.approx(1.0)  # i = 1
    assert f["ivh_v90"] == 0  # i = 9
    assert f["ivh_i10"] == 6
    assert f["ivh_i90"] == 2
    # an open range (lower bound only) ends at max(X) = 5: gamma = i / 5
    g = ivh.compute_ibsi(_roi([1, 2, 2, 3, 5], resegmentRange=[0]))
    assert g["ivh_v10"] == pytest.approx(1.0)  # i = 1 (gamma .2)
    assert g["ivh_v90"] == pytest.approx(0.2)  # i = 5


def test_fixed_bin_size() -> None:
    # w = 0.1 from X_min = 0 (range [0, 0.6]): bins 1, 2, 2, 3, 4 -> centres .05, .15, .15, .25, .35
    # G = [.05, .55]: nu at the centres .05 ... .55 = 1, .8, .4, .2, 0, 0; gamma = 0, .2, ..., 1
    f = ivh.compute_ibsi(_roi([0.02, 0.14, 0.14, 0.27, 0.33], resegmentRange=[0, 0.6], ivhBinWidth=0.1))
    assert f["ivh_v10"] == pytest.approx(0.8)
    assert f["ivh_v90"] == 0
    assert f["ivh_i10"] == pytest.approx(0.45)
    assert f["ivh_i90"] == pytest.approx(0.15)
    assert f["ivh_diff_i10_i90"] == pytest.approx(0.30)
    assert f["ivh_auc"] == pytest.approx(0.2 * (0.9 + 0.6 + 0.3 + 0.1 + 0.0))
    # keyword options override the settings
    g = ivh.compute_ibsi(_roi([0.02, 0.14, 0.14, 0.27, 0.33]), ivh_bin_width=0.1, range_min=0, range_max=0.6)
    assert g == f


def test_fixed_bin_number() -> None:
    # N = 10 bins over [0, 100]: 0..9 -> 1, 10..19 -> 2, 100 -> 10; G = [1, 10], gamma = (i - 1) / 9
    # nu(1) = 1, nu(2) = 11/21, nu(3..10) = 1/21
    vals = list(range(20)) + [100]
    f = ivh.compute_ibsi(_roi(vals, ivhBinCount=10, resegmentRange=[-1000, 1000]))  # FBN ignores the range
    assert f["ivh_v10"] == pytest.approx(11 / 21)  # i = 2, gamma 1/9
    assert f["ivh_v90"] == pytest.approx(1 / 21)  # i = 10
    assert f["ivh_i10"] == 3
    assert f["ivh_i90"] == 2
    # ivhBinCount takes precedence over ivhBinWidth
    assert ivh.compute_ibsi(_roi(vals, ivhBinCount=10, ivhBinWidth=2.5)) == f


def test_keys_and_aggregation(phantom: RoiImage) -> None:
    assert tuple(ivh.compute_ibsi(phantom)) == ivh.TAGS
    with pytest.raises(ValueError):
        ivh.compute_ibsi(phantom, "2_5D")


@pytest.mark.parametrize("config", sorted(CT_CONFIGS))
def test_ct_phantom(config: str) -> None:
    roi, image, offset, _ = ct_phantom(config)
    check_ct(config, ivh.compute_ibsi(roi), "ivh_")
