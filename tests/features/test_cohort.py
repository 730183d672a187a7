"""Cohort extraction: one row per (patient, ROI), parallel, cached, resumable, failures recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from radiome.cli import app
from radiome.demo import write_demo_study
from radiome.features import extract
from radiome.features.cohort import extract_cohort
from radiome.study import load_study

PARAMS = {"featureClass": {"firstorder": ["Mean", "Entropy"], "glcm": ["Contrast"], "shape": ["MeshVolume"]}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    paths = write_demo_study(out, n_mild=2, n_severe=2, shape=(128, 128, 6), spacing=(1.4, 1.4, 4.0))
    study = paths["study"]
    text = study.read_text().replace("output_dir: results", "output_dir: results\nfeatures:\n  rois: [MF_L, ES_R]\n")
    study.write_text(text)
    return study


def test_one_row_per_patient_and_roi_equal_to_single_case(demo: Path, tmp_path: Path) -> None:
    study = load_study(demo)
    res = extract_cohort(study, out_dir=tmp_path / "f", jobs=2, params=PARAMS)
    assert res.ok and res.n_cases == 8 and res.n_cached == 0
    t = pd.read_parquet(res.files["parquet"])
    assert list(t.columns[:3]) == ["patient_id", "roi", "label"]
    assert len(t) == 8 and set(t.roi) == {"MF_L", "ES_R"}
    manifest = pd.read_csv(demo.parent / "manifest.csv")
    assert list(dict.fromkeys(t.patient_id)) == manifest.patient_id.tolist()  # manifest order
    # a value equals the single-case API on the same files
    row = manifest.iloc[1]
    single = extract(demo.parent / row["image"], demo.parent / row["mask"], PARAMS, label=4)
    got = t[(t.patient_id == row["patient_id"]) & (t.roi == "ES_R")].iloc[0]
    for k, v in single.items():
        assert got[k] == pytest.approx(v, rel=1e-12)
    csv = pd.read_csv(res.files["csv"])
    np.testing.assert_allclose(csv["original_glcm_Contrast"], t["original_glcm_Contrast"], rtol=1e-12)
    run = json.loads(res.files["run"].read_text())
    assert run["n_cases"] == 8 and len(run["inputs_sha256"]) == 4 + 4  # images and masks


def test_rerun_uses_cache_and_changed_settings_recompute(demo: Path, tmp_path: Path) -> None:
    study = load_study(demo)
    first = extract_cohort(study, out_dir=tmp_path, jobs=1, params=PARAMS)
    again = extract_cohort(study, out_dir=tmp_path, jobs=1, params=PARAMS)
    assert again.n_cached == again.n_cases == 8
    pd.testing.assert_frame_equal(first.table, again.table)
    changed = {**PARAMS, "setting": {"binWidth": 10}}
    third = extract_cohort(study, out_dir=tmp_path, jobs=1, params=changed)
    assert third.n_cached == 0


def test_failed_case_is_recorded_and_run_goes_on(demo: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    import shutil

    shutil.copytree(demo.parent, root, ignore=shutil.ignore_patterns("results"))
    manifest = pd.read_csv(root / "manifest.csv")
    victim = manifest.patient_id[2]
    (root / manifest["mask"][2]).write_bytes(b"not an image")
    study = load_study(root / "study.yaml")
    res = extract_cohort(study, out_dir=root / "f", jobs=1, params=PARAMS)
    assert {(f.patient_id, f.roi) for f in res.failures} == {(victim, "MF_L"), (victim, "ES_R")}
    assert "unreadable" in res.failures[0].error
    assert len(res.table) == 6
    fails = pd.read_csv(res.files["failures"])
    assert set(fails.patient_id) == {victim}
    r = CliRunner().invoke(app, ["extract", str(root / "study.yaml"), "--jobs", "1", "--out", str(root / "g")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 1 and victim in r.output and "6/8 cases extracted" in r.output


def test_dask_local_cluster_gives_the_same_table(demo: Path, tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    study = load_study(demo)
    local = extract_cohort(study, out_dir=tmp_path / "a", jobs=1, params=PARAMS)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            res = extract_cohort(study, out_dir=tmp_path / "b", scheduler=client, params=PARAMS)
    assert res.ok
    pd.testing.assert_frame_equal(local.table, res.table)


def test_single_case_cli(demo: Path, tmp_path: Path) -> None:
    manifest = pd.read_csv(demo.parent / "manifest.csv")
    img, msk = demo.parent / manifest["image"][0], demo.parent / manifest["mask"][0]
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  firstorder: [Mean]\n")
    r = CliRunner().invoke(app, ["features", str(img), str(msk), "--label", "2", "--params", str(params)])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[0] == "name,value" and lines[1].startswith("original_firstorder_Mean,")
    value = float(lines[1].split(",")[1])
    assert value == pytest.approx(extract(img, msk, {"featureClass": {"firstorder": ["Mean"]}}, label=2)["original_firstorder_Mean"])
    out = tmp_path / "f.csv"
    r = CliRunner().invoke(app, ["features", str(img), str(msk), "--label", "2", "--params", str(params), "--out", str(out)])
    assert r.exit_code == 0 and out.read_text().startswith("name,value\n")
    r = CliRunner().invoke(app, ["features", str(img), str(msk), "--label", "9"])
    assert r.exit_code == 1 and "label 9 is not in the mask" in r.output
