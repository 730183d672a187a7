"""First-order features: parity with PyRadiomics (live and baseline), IBSI digital phantom, hand example."""

from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiome.features import firstorder
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
logging.getLogger("radiomics").setLevel(logging.ERROR)


def pyradiomics_all(case: Case) -> dict[str, float]:
    """All PyRadiomics first-order features, StandardDeviation (deprecated) included."""
    from radiomics.firstorder import RadiomicsFirstOrder

    fc = RadiomicsFirstOrder(case.image, case.mask, **case.settings)
    for name in fc.featureNames:
        fc.enableFeatureByName(name)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an empty slice (rMAD of 2 voxels)
        return {k: float(v) for k, v in fc.execute().items()}


def synthetic(image: np.ndarray, mask: np.ndarray, spacing=(2.5, 0.8, 0.9), **settings: Any) -> Case:
    img = sitk.GetImageFromArray(image)
    img.SetSpacing(spacing[::-1])
    msk = sitk.GetImageFromArray(mask.astype(np.uint8))
    msk.CopyInformation(img)
    return prepare(img, msk, minimumROIDimensions=1, **settings)


def test_interface() -> None:
    from radiomics.firstorder import RadiomicsFirstOrder

    names = RadiomicsFirstOrder.getFeatureNames()
    assert firstorder.NAME == "firstorder"
    assert set(firstorder.FEATURES) == set(names) and len(firstorder.FEATURES) == 19
    assert firstorder.DEPRECATED == {n for n, dep in names.items() if dep} == {"StandardDeviation"}


SETTINGS = [{}, {"voxelArrayShift": 2000, "binCount": 16}, {"binWidth": 10}]


@pytest.mark.parametrize("settings", SETTINGS, ids=["default", "shift_bincount", "binwidth10"])
@pytest.mark.parametrize("name", CASES)
def test_live_pyradiomics(name: str, settings: dict[str, Any]) -> None:
    case = load_case(name, **settings)
    ours = firstorder.compute(case.roi, firstorder.FEATURES)
    assert_close(ours, pyradiomics_all(case), rtol=1e-12)
    default = firstorder.compute(case.roi)
    assert set(default) == set(firstorder.FEATURES) - firstorder.DEPRECATED
    assert all(type(v) is float for v in default.values())


@pytest.mark.parametrize("name", CASES)
def test_baseline_csv(name: str) -> None:
    """The baseline's plain columns were computed with binWidth 25 and voxelArrayShift 2000."""
    base = pd.read_csv(DATA / "baseline" / "baseline_firstorder.csv", index_col=0)
    settings = base.loc["diagnostics_Configuration_Settings", name]
    assert "'voxelArrayShift': 2000" in settings and "'binWidth': 25" in settings
    ref = {r.split("_", 2)[2]: float(v) for r, v in base[name].items() if r.startswith("original_firstorder_")}
    assert len(ref) == 18
    assert_close(firstorder.compute(load_case(name, voxelArrayShift=2000).roi), ref, rtol=1e-6)


def _synthetic_cases() -> dict[str, tuple[np.ndarray, np.ndarray, dict[str, Any]]]:
    rng = np.random.default_rng(11)
    shp = (6, 9, 8)
    blob = rng.random(shp) < 0.55
    out: dict[str, tuple[np.ndarray, np.ndarray, dict[str, Any]]] = {}
    out["float"] = (rng.normal(50, 20, shp), blob, {})
    out["int16"] = (rng.integers(0, 1200, shp).astype(np.int16), blob, {})
    out["negative"] = (rng.integers(-1000, -200, shp).astype(np.int16), blob, {"voxelArrayShift": 2000})
    out["negative_float_bincount"] = (rng.normal(-3.0, 1.0, shp), blob, {"binCount": 7})
    out["small_range_binwidth"] = (rng.uniform(0.0, 1.0, shp), blob, {"binWidth": 0.05})
    flat = np.full(shp, 0.1)  # mean of many 0.1's is not exactly 0.1 in floating point
    out["flat"] = (flat, blob, {})
    out["flat_int"] = (np.full(shp, 7, np.int16), blob, {})
    two = np.zeros(shp, bool)
    two[2, 3, 4] = two[2, 3, 5] = True  # rMAD: both voxels lie outside [P10, P90] -> NaN
    out["two_voxels"] = (rng.normal(size=shp), two, {})
    three = np.zeros(shp, bool)
    three[1, 1, 1] = three[4, 7, 6] = three[5, 0, 0] = True
    out["three_voxels"] = (rng.integers(0, 50, shp).astype(np.uint8), three, {})
    out["whole_image"] = (rng.gamma(2.0, 30.0, shp), np.ones(shp, bool), {})  # ROI touches every border
    return out


@pytest.mark.parametrize("kind", list(_synthetic_cases()))
def test_synthetic_live(kind: str) -> None:
    image, mask, settings = _synthetic_cases()[kind]
    case = synthetic(image, mask, **settings)
    assert_close(firstorder.compute(case.roi, firstorder.FEATURES), pyradiomics_all(case), rtol=1e-12)


def test_hand_example() -> None:
    """X = 1, 2, 3, 4, 10 in 2 x 1 x 1 mm voxels, bin width 2 (bins [0,2), [2,4), [4,6), ..., [10,12))."""
    image = np.array([[[1, 2, 3, 4, 10]]], dtype=np.int16)
    roi = RoiImage(image, np.ones(image.shape, bool), (2.0, 1.0, 1.0), {"binWidth": 2})
    out = firstorder.compute(roi, firstorder.FEATURES)
    exact = {
        "Energy": 130.0,
        "TotalEnergy": 260.0,
        "Minimum": 1.0,
        "Maximum": 10.0,
        "Range": 9.0,
        "Mean": 4.0,
        "Median": 3.0,
        "10Percentile": 1.4,  # linear interpolation at rank 0.4
        "90Percentile": 7.6,  # rank 3.6: 4 + 0.6 * 6
        "InterquartileRange": 2.0,  # 4 - 2
        "Variance": 10.0,  # (9 + 4 + 1 + 0 + 36) / 5
        "StandardDeviation": np.sqrt(10.0),
        "MeanAbsoluteDeviation": 2.4,  # (3 + 2 + 1 + 0 + 6) / 5
        "RobustMeanAbsoluteDeviation": 2 / 3,  # {2, 3, 4}
        "RootMeanSquared": np.sqrt(26.0),
        "Skewness": 36.0 / 10.0**1.5,  # mu3 = (-27 - 8 - 1 + 0 + 216) / 5
        "Kurtosis": 278.8 / 100.0,  # mu4 = (81 + 16 + 1 + 0 + 1296) / 5, no -3
        "Uniformity": 0.28,  # p = 0.2 (1), 0.4 (2, 3), 0.2 (4), 0.2 (10)
        "Entropy": -(3 * 0.2 * np.log2(0.2) + 0.4 * np.log2(0.4)),
    }
    for k, v in exact.items():
        assert out[k] == pytest.approx(v, rel=1e-12, abs=1e-15), k
    ibsi = firstorder.compute(RoiImage(image, np.ones(image.shape, bool), (2.0, 1.0, 1.0), {"binWidth": 2,
                                                                                          "profile": "ibsi"}))
    assert ibsi["Kurtosis"] == pytest.approx(2.788 - 3.0, rel=1e-12)  # excess kurtosis


def test_ibsi_profile_kurtosis(case_name: str) -> None:
    case = load_case(case_name)
    pyr = firstorder.compute(case.roi)
    roi = RoiImage(case.roi.image, case.roi.mask, case.roi.spacing, {**case.settings, "profile": "ibsi"})
    ibsi = firstorder.compute(roi)
    assert ibsi["Kurtosis"] == pytest.approx(pyr["Kurtosis"] - 3.0, rel=1e-14)
    assert ibsi["Mean"] == pyr["Mean"] and ibsi["Skewness"] == pyr["Skewness"]


def test_empty_and_unknown() -> None:
    roi = RoiImage(np.zeros((2, 2, 2)), np.zeros((2, 2, 2), bool), (1.0, 1.0, 1.0))
    assert all(np.isnan(v) for v in firstorder.compute(roi).values())
    with pytest.raises(KeyError):
        firstorder.compute(roi, ["Mode"])


# --------------------------------------------------------------------------------------------------
# IBSI digital phantom (intensity statistics, no discretisation)


def _ibsi_reference() -> dict[str, float]:
    out = {}
    for line in (IBSI / "ibsi_1_dig_phantom.csv").read_text().splitlines()[1:]:
        value, _tol, tag = line.strip().split(";")
        if value and tag.startswith("stat_"):
            out[tag] = float(value)
    return out


def test_ibsi_digital_phantom() -> None:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    roi = RoiImage(sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0, tuple(img.GetSpacing()[::-1]))
    ours = firstorder.compute_ibsi(roi)
    ref = _ibsi_reference()
    assert set(ref) == set(ours) == set(firstorder.IBSI_TAGS)
    # the phantom values are exact to 3 significant digits (tolerance 0)
    bad = [f"{t}: {ours[t]!r} vs {ref[t]}" for t in ref if float(f"{ours[t]:.3g}") != ref[t]]
    assert not bad, bad


def test_ibsi_tags_match_pyradiomics_names(case_name: str) -> None:
    roi = load_case(case_name).roi
    ibsi = firstorder.compute_ibsi(roi)
    pyr = firstorder.compute(roi)
    pairs = {"stat_mean": "Mean", "stat_var": "Variance", "stat_skew": "Skewness", "stat_median": "Median",
             "stat_min": "Minimum", "stat_p10": "10Percentile", "stat_p90": "90Percentile", "stat_max": "Maximum",
             "stat_iqr": "InterquartileRange", "stat_range": "Range", "stat_mad": "MeanAbsoluteDeviation",
             "stat_rmad": "RobustMeanAbsoluteDeviation", "stat_energy": "Energy", "stat_rms": "RootMeanSquared"}
    for tag, name in pairs.items():
        assert ibsi[tag] == pytest.approx(pyr[name], rel=1e-14), tag
    assert ibsi["stat_kurt"] == pytest.approx(pyr["Kurtosis"] - 3, rel=1e-14)
    x = roi.values
    assert ibsi["stat_medad"] == pytest.approx(np.mean(np.abs(x - np.median(x))), rel=1e-14)
    assert ibsi["stat_cov"] == pytest.approx(np.std(x) / np.mean(x), rel=1e-14)
