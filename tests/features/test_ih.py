"""Intensity histogram features (IBSI 1 section 3.4): digital phantom reference values and a hand example."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features import ih
from radiome.features.base import RoiImage
from tests.features.conftest import ibsi_passes, ibsi_phantom_reference

IBSI = Path(__file__).parents[1] / "data" / "ibsi"
IBSI1_DIR = Path(
    os.environ.get("RADIOME_IBSI1_DIR", Path(__file__).parents[2] / ".." / "shared" / "reference" / "ibsi1")
)






@pytest.fixture(scope="module")
def phantom() -> RoiImage:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    a, m = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0
    # IBSI FBS with width 1 and lower bound 1 keeps the phantom's values 1, 3, 4, 6 as grey levels
    roi = RoiImage(a, m, tuple(img.GetSpacing()[::-1]), {"profile": "ibsi", "binWidth": 1, "resegmentRange": [1]})
    assert np.array_equal(roi.levels.array[m], a[m])
    return roi


REF = {k: v for k, v in ibsi_phantom_reference().items() if k.startswith("ih_")}


def test_every_tag_has_aibsi_phantom_reference() -> None:
    assert set(REF) == set(ih.TAGS)


@pytest.mark.parametrize("tag", sorted(REF))
def test_digital_phantom(phantom: RoiImage, tag: str) -> None:
    got = ih.compute_ibsi(phantom)[tag]
    ref, tol = REF[tag]
    assert ibsi_passes(got, ref, tol), f"{tag}: {got} vs IBSI {ref}"


def test_keys_are_tags(phantom: RoiImage) -> None:
    assert tuple(ih.compute_ibsi(phantom)) == ih.TAGS
    assert tuple(ih.compute_ibsi(phantom, "3D")) == ih.TAGS
    with pytest.raises(ValueError):
        ih.compute_ibsi(phantom, "2D")


def test_hand_example() -> None:
    # X_d = 1, 1, 1, 2, 4 (N_v = 5): histogram over 1..4 is n = 3, 1, 0, 1
    img = np.array([[[1, 1, 1], [2, 4, 9]]], dtype=float)
    mask = np.array([[[1, 1, 1], [1, 1, 0]]], dtype=bool)
    roi = RoiImage(img, mask, (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1, "resegmentRange": [1, 10]})
    f = ih.compute_ibsi(roi)
    mu = 9 / 5
    dev = [-0.8, -0.8, -0.8, 0.2, 2.2]
    var = sum(d**2 for d in dev) / 5  # 1.36
    m3 = sum(d**3 for d in dev) / 5  # 1.824
    m4 = sum(d**4 for d in dev) / 5  # 4.9312
    # numpy-style linear percentiles of the sorted (1, 1, 1, 2, 4): position q/100 * 4
    p10, p25, p75, p90 = 1.0, 1.0, 2.0, 2 + 0.6 * 2  # P90 at position 3.6
    expected = {
        "ih_mean": mu,
        "ih_var": var,
        "ih_skew": m3 / var**1.5,
        "ih_kurt": m4 / var**2 - 3,
        "ih_median": 1.0,
        "ih_min": 1.0,
        "ih_p10": p10,
        "ih_p90": p90,
        "ih_max": 4.0,
        "ih_mode": 1.0,
        "ih_iqr": p75 - p25,
        "ih_range": 3.0,
        "ih_mad": (3 * 0.8 + 0.2 + 2.2) / 5,
        "ih_rmad": (3 * 0.25 + 0.75) / 4,  # voxels 1, 1, 1, 2 lie in [P10, P90]; their mean is 1.25
        "ih_medad": (0 + 0 + 0 + 1 + 3) / 5,
        "ih_cov": math.sqrt(var) / mu,
        "ih_qcod": (p75 - p25) / (p75 + p25),
        "ih_entropy": -(0.6 * math.log2(0.6) + 2 * 0.2 * math.log2(0.2)),
        "ih_uniformity": 0.36 + 0.04 + 0.04,
        # H' = (1 - 3, (0 - 3) / 2, (1 - 1) / 2, 1 - 0) = (-2, -1.5, 0, 1)
        "ih_max_grad": 1.0,
        "ih_max_grad_g": 4.0,
        "ih_min_grad": -2.0,
        "ih_min_grad_g": 1.0,
    }
    assert f == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert f["ih_skew"] == pytest.approx(1.150050, rel=1e-6)
    assert f["ih_kurt"] == pytest.approx(-0.333910, abs=1e-6)


@pytest.mark.parametrize(
    ("levels", "mode"),
    [
        ([1, 1, 3, 3, 2], 1.0),  # tie 1 / 3, mean 2: equidistant -> the lower bin
        ([1, 1, 3, 3, 4], 3.0),  # tie 1 / 3, mean 2.4: 3 is closer
        ([2, 5, 5, 5, 1], 5.0),  # unique mode
    ],
)
def test_mode_ties(levels: list[int], mode: float) -> None:
    assert ih.features_from_levels(np.array(levels))["ih_mode"] == mode


def test_flat_roi() -> None:
    f = ih.features_from_levels(np.full(7, 3))
    assert f["ih_var"] == 0 and f["ih_skew"] == 0 and f["ih_kurt"] == 0
    assert f["ih_entropy"] == 0 and f["ih_uniformity"] == 1
    # non-sparse histogram over levels 1..3 = (0, 0, 7): H' = (0, 3.5, 7)
    assert (f["ih_max_grad"], f["ih_max_grad_g"], f["ih_min_grad"], f["ih_min_grad_g"]) == (7, 3, 0, 1)


def test_empty_roi_gives_nan() -> None:
    roi = RoiImage(np.zeros((1, 2, 2)), np.zeros((1, 2, 2), bool), (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1})
    assert all(math.isnan(v) for v in ih.compute_ibsi(roi).values())


# --- IBSI CT radiomics phantom, configurations A-E (IBSI 1 chapter 5); skipped when the data are absent.
# Shared with test_ivh / test_loc / test_ngldm. Pre-processing per configuration: resampling (centre-aligned
# grid, linear or cubic spline, intensities rounded, mask at 0.5), re-segmentation range and / or
# mean +- 3 SD outlier filtering (both on the interpolated ROI), texture / IH discretisation and IVH options.
CT_CONFIGS: dict[str, dict[str, Any]] = {
    "A": {"spacing": None, "interp": None, "range": [-500, 400], "outlier": False, "bw": 25, "bc": None, "ivh": {}},
    "B": {"spacing": [2, 2, 3], "interp": "linear", "range": [-500, 400], "outlier": False, "bw": None, "bc": 32,
          "ivh": {}},
    "C": {"spacing": [2, 2, 2], "interp": "linear", "range": [-1000, 400], "outlier": False, "bw": 25, "bc": None,
          "ivh": {"ivhBinWidth": 2.5}},
    "D": {"spacing": [2, 2, 2], "interp": "linear", "range": None, "outlier": True, "bw": None, "bc": 32, "ivh": {}},
    "E": {"spacing": [2, 2, 2], "interp": "bspline", "range": [-1000, 400], "outlier": True, "bw": None, "bc": 32,
          "ivh": {"ivhBinCount": 1000}},
}
CT_AGGREGATIONS = {"A": ("2D", "2_5D"), "B": ("2D", "2_5D"), "C": ("3D",), "D": ("3D",), "E": ("3D",)}


@functools.cache
def ct_phantom(config: str) -> tuple[RoiImage, np.ndarray, tuple[int, ...], dict[str, tuple[float, float]]]:
    """(RoiImage cropped to the intensity mask, whole image, crop offset, reference values) of a configuration."""
    from radiome.preprocess.resample import resample_ibsi
    from radiome.preprocess.resegment import resegment

    ct = IBSI1_DIR / "ct_radiomics_phantom" / "nifti"
    refs = IBSI1_DIR / "reference_values" / f"ibsi_1_chest_config_{config.lower()}.csv"
    if not (ct.is_dir() and refs.is_file()):
        pytest.skip(f"IBSI CT phantom not found under {IBSI1_DIR} (set RADIOME_IBSI1_DIR)")
    p = CT_CONFIGS[config]
    image = sitk.ReadImage(str(ct / "image" / "phantom.nii.gz"))
    mask = sitk.ReadImage(str(ct / "mask" / "mask.nii.gz"))
    if p["spacing"]:
        image, mask = resample_ibsi(image, mask, p["spacing"], interpolator=p["interp"], round_intensities=True)
    a = sitk.GetArrayFromImage(image).astype(np.float64)
    m = sitk.GetArrayFromImage(mask) > 0
    keep = m.copy()
    if p["range"]:
        keep &= resegment(a, m, p["range"], "absolute")
    if p["outlier"]:
        keep &= resegment(a, m, [-3, 3], "sigma")
    idx = np.nonzero(keep)
    lo = tuple(int(i.min()) for i in idx)
    sl = tuple(slice(b, int(i.max()) + 1) for b, i in zip(lo, idx))
    settings: dict[str, Any] = {"profile": "ibsi", "binWidth": p["bw"], "binCount": p["bc"], **p["ivh"]}
    if p["range"]:
        settings["resegmentRange"] = p["range"]
    roi = RoiImage(a[sl], keep[sl], tuple(image.GetSpacing()[::-1]), settings)
    ref = {}
    for line in refs.read_text().splitlines()[1:]:
        value, tol, tag = line.strip().split(";")
        if value:
            ref[tag] = (float(value), float(tol or 0))
    return roi, a, lo, ref


def check_ct(config: str, features: dict[str, float], prefix: str) -> None:
    """Every reference tag of the family (``prefix``) is produced and passes."""
    ref = {k: v for k, v in ct_phantom(config)[3].items() if k.startswith(prefix)}
    assert ref
    missing = sorted(set(ref) - set(features))
    assert not missing, f"not computed: {missing}"
    bad = [f"{k}: {features[k]:.6g} vs {r} +- {t}" for k, (r, t) in ref.items() if not ibsi_passes(features[k], r, t)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("config", sorted(CT_CONFIGS))
def test_ct_phantom(config: str) -> None:
    roi = ct_phantom(config)[0]
    check_ct(config, ih.compute_ibsi(roi), "ih_")
