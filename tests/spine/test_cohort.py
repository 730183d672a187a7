"""Cohort morphometry on a small synthetic demo study, missing inputs, and the command functions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from radiome.demo import write_demo_study
from radiome.spine import morphometry, morphometry_case_command, morphometry_command


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spine_demo")
    write_demo_study(out, n_mild=6, n_severe=6, shape=(128, 128, 6), spacing=(1.4, 1.4, 4.0))
    return out


@pytest.fixture(scope="module")
def result(demo: Path) -> pd.DataFrame:
    return morphometry(demo / "study.yaml")


def test_table_matches_truth(demo: Path, result: pd.DataFrame) -> None:
    truth = pd.read_csv(demo / "truth.csv", dtype={"patient_id": str}).set_index("patient_id").loc[result.index]
    assert len(result) == 12
    csv = pd.read_csv(demo / "results" / "morphometry" / "morphometry.csv", dtype={"patient_id": str}).set_index("patient_id")
    assert list(csv.index) == list(result.index)
    for m in ("MF_L", "MF_R"):
        rho = spearmanr(result[f"{m}_fat_rate_all"], truth[f"fat_fraction_{m}"])[0]
        assert rho > 0.9, (m, rho)
        assert np.abs(result[f"{m}_fat_rate_all"] - truth[f"fat_fraction_{m}"]).max() < 0.03
    for m in ("MF_L", "MF_R", "ES_L", "ES_R"):
        np.testing.assert_allclose(result[f"{m}_csa_mean_mm2"], truth[f"csa_{m}_mm2"], rtol=1e-6)
        assert (result[f"{m}_fat_rate"].between(0, 1)).all()
    for a in ("facet_angle_L_deg", "facet_angle_R_deg", "facet_tropism_deg", "lordosis_deg"):
        np.testing.assert_allclose(result[a], truth[a], atol=0.5)
    assert (result["slice"] == truth["disc_slice_index"]).all()  # auto = slice at the facet landmarks
    assert {"MF_asym_fat_rate", "ES_asym_csa_mm2", "VB_csa_mm2", "messages"} <= set(result.columns)
    assert (result["messages"].fillna("") == "").all()
    qa = sorted((demo / "results" / "morphometry" / "qa").glob("*.png"))
    assert len(qa) == 12 and qa[0].read_bytes()[:4] == b"\x89PNG"


def test_missing_landmark_and_roi_give_nan_and_message(demo: Path, tmp_path: Path, result: pd.DataFrame) -> None:
    lm = pd.read_csv(demo / "landmarks.csv", dtype={"patient_id": str})
    first, second = result.index[0], result.index[1]
    drop = (lm["patient_id"] == first) & (lm["name"] == "facet_L_posterior")
    drop |= (lm["patient_id"] == second)
    lm[~drop].to_csv(tmp_path / "landmarks.csv", index=False)
    df = morphometry(demo / "study.yaml", landmarks=tmp_path / "landmarks.csv", qa=False, out=tmp_path / "m.csv")
    assert math.isnan(df.loc[first, "facet_angle_L_deg"]) and math.isnan(df.loc[first, "facet_tropism_deg"])
    assert df.loc[first, "facet_angle_R_deg"] == pytest.approx(result.loc[first, "facet_angle_R_deg"])
    assert df.loc[first, "lordosis_deg"] == pytest.approx(result.loc[first, "lordosis_deg"])
    assert "facet_L_posterior" in df.loc[first, "messages"]
    assert "no landmarks" in df.loc[second, "messages"] and math.isnan(df.loc[second, "lordosis_deg"])
    assert np.isfinite(df.loc[second, "MF_L_fat_rate"])  # muscles are still measured (middle slice)
    assert (tmp_path / "m.csv").is_file()
    assert df.attrs["messages"][first]


def test_missing_roi_and_unreadable_image(demo: Path, tmp_path: Path) -> None:
    import SimpleITK as sitk

    man = pd.read_csv(demo / "manifest.csv", dtype={"patient_id": str})
    mask = sitk.ReadImage(str(demo / man.loc[0, "mask"]))
    arr = sitk.GetArrayFromImage(mask)
    arr[arr == 2] = 0  # MF_R erased
    m2 = sitk.GetImageFromArray(arr)
    m2.CopyInformation(mask)
    sitk.WriteImage(m2, str(tmp_path / "mask0.nii.gz"))
    man["image"] = [str(demo / p) for p in man["image"]]
    man["mask"] = [str(demo / p) for p in man["mask"]]
    man["mask_reader2"] = [str(demo / p) for p in man["mask_reader2"]]
    man.loc[0, "mask"] = str(tmp_path / "mask0.nii.gz")
    man.loc[1, "image"] = str(tmp_path / "nothing.nii.gz")
    man.to_csv(tmp_path / "manifest.csv", index=False)
    text = (demo / "study.yaml").read_text().replace("manifest: manifest.csv", "manifest: manifest.csv\n  ")
    text = text.replace("clinical: clinical.csv", f"clinical: {demo / 'clinical.csv'}")
    (tmp_path / "study.yaml").write_text(text)
    df = morphometry(tmp_path / "study.yaml", landmarks=demo / "landmarks.csv", qa=False)
    p0, p1 = man.loc[0, "patient_id"], man.loc[1, "patient_id"]
    assert math.isnan(df.loc[p0, "MF_R_fat_rate"]) and math.isnan(df.loc[p0, "MF_asym_csa_mm2"])
    assert np.isfinite(df.loc[p0, "MF_L_fat_rate"]) and "MF_R" in df.loc[p0, "messages"]
    assert "not measured" in df.loc[p1, "messages"] and math.isnan(df.loc[p1, "MF_L_fat_rate"])
    assert len(df) == 12 and (tmp_path / "results" / "morphometry" / "morphometry.csv").is_file()


def test_case_command_csv_and_json(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img, msk = demo / "images" / "LBP001_t2.nii.gz", demo / "masks" / "LBP001_mask.nii.gz"
    assert morphometry_case_command(img, msk, "MF_L=1,MF_R=2", method="reference", reference_label=7) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].startswith("roi,") and len(lines) == 4 and lines[3].startswith("MF_asym")
    assert morphometry_case_command(img, msk, "1", slice="all", json_out=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["roi"] == "label1" and data[0]["slice"] == -1 and 0 <= data[0]["fat_rate"] <= 1
    assert morphometry_case_command(img, msk, "1", method="nope") == 1
    assert "unknown fat method" in capsys.readouterr().err
    assert morphometry_case_command(img, demo / "missing.nii.gz", "1") == 1


def test_cohort_command(demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert morphometry_command(demo / "study.yaml", tmp_path / "out.csv") == 0
    out = capsys.readouterr().out
    assert out.startswith("patient_id,") and len(out.strip().splitlines()) == 13
    assert (tmp_path / "out.csv").is_file()
    assert morphometry_command(tmp_path / "nope.yaml", None) == 1


def test_registered_cli_command(demo: Path) -> None:
    from typer.testing import CliRunner

    from radiome.cli import app

    img, msk = demo / "images" / "LBP001_t2.nii.gz", demo / "masks" / "LBP001_mask.nii.gz"
    r = CliRunner().invoke(app, ["morphometry-case", str(img), str(msk), "--labels", "MF_L=1,MF_R=2"])
    assert r.exit_code == 0, r.output
    rows = [ln.split(",") for ln in r.output.strip().splitlines()]
    header = rows[0]
    fat = [dict(zip(header, row)) for row in rows[1:] if row[0] == "MF_L"][0]["fat_rate"]
    assert 0 <= float(fat) <= 1


def test_dixon_maps_from_a_manifest_column(demo: Path, tmp_path: Path) -> None:
    """method dixon reads each patient's fat-fraction map from a manifest column: a constant map of
    value f gives fat_rate = f for every ROI (hand calculation: the mean of the map in the ROI)."""
    import shutil

    import SimpleITK as sitk

    work = tmp_path / "demo"
    shutil.copytree(demo, work)
    man = pd.read_csv(work / "manifest.csv", dtype=str)
    truth = {}
    for i, row in man.iterrows():
        img = sitk.ReadImage(str(work / row["image"]))
        f = 0.05 + 0.03 * i
        ff = sitk.Image(img.GetSize(), sitk.sitkFloat32)
        ff.CopyInformation(img)
        ff = ff + f
        sitk.WriteImage(ff, str(work / f"ff_{row['patient_id']}.nii.gz"))
        truth[row["patient_id"]] = f
    man["ff"] = [f"ff_{p}.nii.gz" for p in man["patient_id"]]
    man.loc[0, "ff"] = ""  # one patient without a map: NaN and a message, the others measured
    man.to_csv(work / "manifest.csv", index=False)
    df = morphometry(work / "study.yaml", method="dixon", dixon_column="ff", qa=False, out=tmp_path / "m.csv")
    first = man.loc[0, "patient_id"]
    assert math.isnan(df.loc[first, "MF_L_fat_rate"]) and "no Dixon" in df.loc[first, "messages"]
    for pid, f in truth.items():
        if pid == first:
            continue
        for roi in ("MF_L", "MF_R", "ES_L", "ES_R"):
            assert df.loc[pid, f"{roi}_fat_rate"] == pytest.approx(f, abs=1e-6)
    with pytest.raises(ValueError, match="dixon_column"):
        morphometry(work / "study.yaml", method="dixon", qa=False, out=tmp_path / "m2.csv")


def test_disc_label_places_the_auto_slice(demo: Path) -> None:
    import SimpleITK as sitk

    from radiome.spine import patient_morphometry

    man = pd.read_csv(demo / "manifest.csv", dtype=str)
    img = sitk.ReadImage(str(demo / man.loc[0, "image"]))
    mask = sitk.ReadImage(str(demo / man.loc[0, "mask"]))
    arr = sitk.GetArrayFromImage(mask)
    k = 1  # a slice that is not the ROI's middle slice
    arr[k, 60:64, 60:64] = 9  # a small "disc" blob
    m2 = sitk.GetImageFromArray(arr)
    m2.CopyInformation(mask)
    row, _ = patient_morphometry(img, m2, {"MF_L": 1, "MF_R": 2}, {}, disc_label=9)
    assert row["slice"] == k
    row, _ = patient_morphometry(img, m2, {"MF_L": 1, "MF_R": 2}, {})
    assert row["slice"] != k
