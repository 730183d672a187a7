"""The whole extraction pipeline against PyRadiomics' RadiomicsFeatureExtractor run live on the same files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.errors import ConfigError, GeometryError, MaskError
from radiome.features import FeatureExtractor, extract, load_params

DATA = Path(__file__).parents[1] / "data" / "pyradiomics"
logging.getLogger("radiomics").setLevel(logging.ERROR)

# one entry per PyRadiomics baseline variant (tests/data/pyradiomics/baseline column suffixes)
VARIANTS = {
    "default": {},
    "FBN": {"binCount": 64},
    "combined": {"weightingNorm": "no_weighting"},
    "normalization": {"normalize": True, "normalizeScale": 100, "binWidth": 5},
    "resampling": {"resampledPixelSpacing": [2, 2, 2], "interpolator": "sitkBSpline"},
    "resegmentation": {"resegmentMode": "sigma", "resegmentRange": [-3, 3]},
    "2d": {"force2D": True, "force2Ddimension": 0},
}


def pyradiomics_features(image: str, mask: str, settings: dict) -> dict[str, float]:
    from radiomics import featureextractor

    ext = featureextractor.RadiomicsFeatureExtractor({"setting": {"binWidth": 25, **settings}})
    ext.enableAllFeatures()
    ext.enabledFeatures.pop("shape2D")  # PyRadiomics fails on shape2D for multi-slice ROIs (see extractor)
    return {k: float(v) for k, v in ext.execute(image, mask).items() if not k.startswith("diagnostics")}


def assert_same(ours: dict[str, float], ref: dict[str, float], rtol: float = 1e-6) -> None:
    assert set(ours) == set(ref), (sorted(set(ref) - set(ours)), sorted(set(ours) - set(ref)))
    bad = [
        f"{k}: {ours[k]!r} vs {r!r}"
        for k, r in ref.items()
        if not (np.isnan(r) and np.isnan(ours[k])) and abs(ours[k] - r) > max(1e-9, rtol * abs(r))
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("case", ["brain1", "brain2", "breast1"])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_original_features_equal_pyradiomics(case: str, variant: str) -> None:
    image, mask = str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd")
    settings = VARIANTS[variant]
    ref = pyradiomics_features(image, mask, settings)
    classes = {c: [] for c in ("shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm")}
    ours = FeatureExtractor({"setting": {"binWidth": 25, **settings}, "featureClass": classes}).execute(image, mask)
    assert_same(ours, ref)


def test_extract_api_accepts_images_and_names_like_pyradiomics() -> None:
    img = sitk.ReadImage(str(DATA / "breast1_image.nrrd"))
    msk = sitk.ReadImage(str(DATA / "breast1_label.nrrd"))
    feats = extract(img, msk, {"featureClass": {"glcm": ["Contrast"], "firstorder": ["Mean"]}})
    assert set(feats) == {"original_glcm_Contrast", "original_firstorder_Mean"}
    vals = sitk.GetArrayFromImage(img)[sitk.GetArrayFromImage(msk) == 1]
    assert feats["original_firstorder_Mean"] == pytest.approx(vals.mean(), rel=1e-12)


def test_parameter_file_is_read_unchanged(tmp_path: Path) -> None:
    p = tmp_path / "params.yaml"
    p.write_text(
        "imageType:\n  Original: {}\n  LoG:\n    sigma: [2.0]\n"
        "featureClass:\n  firstorder: [Mean, Median]\n"
        "setting:\n  binWidth: 10\n  label: 1\n  interpolator: sitkBSpline\n"
    )
    params = load_params(p)
    assert params.settings_for("LoG")["sigma"] == [2.0] and params.setting.binWidth == 10
    bad = tmp_path / "bad.yaml"
    bad.write_text("setting:\n  binwidth: 10\n")
    with pytest.raises(ConfigError, match="line 2, setting.binwidth: unknown key"):
        load_params(bad)


def _small(tmp_path: Path, mask_arr: np.ndarray, img_arr: np.ndarray | None = None) -> tuple[sitk.Image, sitk.Image]:
    img = sitk.GetImageFromArray(img_arr if img_arr is not None else np.random.default_rng(0).normal(100, 10, mask_arr.shape))
    m = sitk.GetImageFromArray(mask_arr.astype(np.uint8))
    return img, m


def test_bad_input_gives_clear_errors(tmp_path: Path) -> None:
    shape = (6, 8, 8)
    empty = np.zeros(shape)
    img, m = _small(tmp_path, empty)
    with pytest.raises(MaskError, match="empty"):
        extract(img, m)
    one = empty.copy()
    one[2, 3, 3] = 1
    img, m = _small(tmp_path, one)
    with pytest.raises(MaskError, match="single voxel"):
        extract(img, m)
    two = empty.copy()
    two[2, 3, 3:6] = 2
    img, m = _small(tmp_path, two)
    with pytest.raises(MaskError, match="label 1 is not in the mask"):
        extract(img, m)
    nan = np.random.default_rng(1).normal(size=shape)
    nan[0, 0, 0] = np.nan
    img, m = _small(tmp_path, two, nan)
    with pytest.raises(Exception, match="NaN"):
        extract(img, m, label=2)
    img, m = _small(tmp_path, two)
    m.SetSpacing((2.0, 1.0, 1.0))
    with pytest.raises(GeometryError, match="spacing"):
        extract(img, m, label=2)


def test_flat_roi_gives_documented_values(tmp_path: Path) -> None:
    """A constant ROI: PyRadiomics' documented flat-region values, and no crash."""
    shape = (6, 8, 8)
    mask = np.zeros(shape)
    mask[1:5, 2:6, 2:6] = 1
    img, m = _small(tmp_path, mask, np.full(shape, 42.0))
    ours = extract(img, m)
    ref = pyradiomics_features_img(img, m)
    assert_same(ours, ref)
    assert ours["original_firstorder_Variance"] == 0
    assert ours["original_firstorder_Entropy"] == pytest.approx(0, abs=1e-12)  # -sum p log2(p + eps) with p = 1


def pyradiomics_features_img(img: sitk.Image, m: sitk.Image) -> dict[str, float]:
    from radiomics import featureextractor

    ext = featureextractor.RadiomicsFeatureExtractor()
    return {k: float(v) for k, v in ext.execute(img, m).items() if not k.startswith("diagnostics")}
