from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from typer.testing import CliRunner

from radiome import __version__
from radiome.cli import app
from tests.conftest import make_image, phantom_arrays

runner = CliRunner()
ENV = {"COLUMNS": "220", "NO_COLOR": "1"}


def invoke(*args: str):
    return runner.invoke(app, list(args), env=ENV)


def test_version_and_help() -> None:
    r = invoke("--version")
    assert r.exit_code == 0 and r.output.strip() == f"radiome {__version__}"
    r = invoke("--help")
    assert r.exit_code == 0
    for cmd in ("demo", "validate", "info"):
        assert cmd in r.output
    r = invoke("validate", "--help")
    assert "--resample-mask" in r.output and "Example" in r.output


def test_validate_clean_cohort_exits_0_with_summary(cohort_factory) -> None:
    study = cohort_factory(12)
    r = invoke("validate", str(study))
    assert r.exit_code == 0, r.output
    assert "Patients: 12" in r.output and "OK: no errors" in r.output
    assert "ROIs: A=1, B=2" in r.output
    assert "Outcome outcome: 0 6 (50%), 1 6 (50%)" in r.output
    assert "size 24 x 20 x 6 voxels, spacing 0.8 x 0.8 x 3 mm" in r.output
    out = study.parent / "results" / "validation"
    record = json.loads((out / "run.json").read_text())
    manifest = study.parent / "manifest.csv"
    assert record["inputs_sha256"][str(manifest.resolve())] == hashlib.sha256(manifest.read_bytes()).hexdigest()
    assert record["packages"]["SimpleITK"] and record["config"]["study"]["rois"]["A"]["label"] == 1
    assert (out / "validate.log").stat().st_size > 0
    assert json.loads((out / "validation_summary.json").read_text())["ok"] is True


def test_validate_broken_cohort_exits_1_and_names_patient(cohort_factory, tmp_path: Path) -> None:
    study = cohort_factory(12)
    (study.parent / "img" / "P004.nii.gz").unlink()
    arr, _ = phantom_arrays(6)
    arr[0, 0, 0] = np.nan
    sitk.WriteImage(make_image(arr), str(study.parent / "img" / "P006.nii.gz"))
    r = invoke("validate", str(study), "--out", str(tmp_path / "v"))
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert "P004" in r.output and "file_not_found" in r.output
    assert "P006" in r.output and "image_nonfinite" in r.output
    assert "2 error(s)" in r.output
    assert (tmp_path / "v" / "validation_faults.csv").read_text().count("\n") == 3


def test_bad_study_file_gives_message_not_traceback(tmp_path: Path) -> None:
    p = tmp_path / "study.yaml"
    p.write_text("inputs:\n  manifest: m.csv\nrois: {A: 1}\noutcome: {colum: y}\n")
    r = invoke("validate", str(p))
    assert r.exit_code == 1
    assert "line 4, outcome.colum: unknown key" in r.output
    assert "Traceback" not in r.output
    r = invoke("validate", str(tmp_path / "nope.yaml"))
    assert r.exit_code == 1 and "study file not found" in r.output


def test_missing_manifest_is_a_fault(tmp_path: Path) -> None:
    p = tmp_path / "study.yaml"
    p.write_text("inputs:\n  manifest: m.csv\nrois: {A: 1}\n")
    r = invoke("validate", str(p))
    assert r.exit_code == 1 and "manifest not found" in r.output


def test_info_prints_geometry(tmp_path: Path) -> None:
    arr, _ = phantom_arrays(0)
    sitk.WriteImage(make_image(arr), str(tmp_path / "x.nii.gz"))
    r = invoke("info", str(tmp_path / "x.nii.gz"))
    assert r.exit_code == 0, r.output
    assert "(24, 20, 6)" in r.output and "0.8, 0.8, 3" in r.output
    r = invoke("info", str(tmp_path / "missing.nii.gz"))
    assert r.exit_code == 1 and "file not found" in r.output


def test_demo_then_validate_acceptance(tmp_path: Path) -> None:
    """The acceptance command: `radiome demo --out DIR && radiome validate DIR/study.yaml` exits 0."""
    out = tmp_path / "demo"
    r = invoke("demo", "--out", str(out), "--no-validate", "--no-run")
    assert r.exit_code == 0, r.output
    assert "Synthetic demo study written" in r.output
    record = json.loads((out / "run.json").read_text())
    assert record["synthetic"] is True and record["config"]["seed"] == 2026
    assert (out / "radiome.log").exists() and (out / "montage.png").stat().st_size > 10_000
    assert "SYNTHETIC" in (out / "README.md").read_text() and "NOT patient data" in (out / "study.yaml").read_text()
    r = invoke("validate", str(out / "study.yaml"))
    assert r.exit_code == 0, r.output
    assert "Patients: 148" in r.output
    assert "severe 96 (65%), mild 52 (35%)" in r.output
    assert "ROIs: MF_L=1, MF_R=2, ES_L=3, ES_R=4" in r.output
    assert "size 256 x 256 x 12 voxels, spacing 0.7 x 0.7 x 4 mm" in r.output
    assert "stratified 80%:20% hold-out" in r.output


def test_quiet_prints_problems_but_no_summary(cohort_factory) -> None:
    study = cohort_factory(12)
    r = invoke("-q", "validate", str(study))
    assert r.exit_code == 0 and r.output.strip() == ""
    (study.parent / "img" / "P004.nii.gz").unlink()
    r = invoke("-q", "validate", str(study))
    assert r.exit_code == 1 and "P004" in r.output and "Patients:" not in r.output


def test_init_from_table_writes_a_runnable_study(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    t = pd.DataFrame({"subject": [f"s{i}" for i in range(30)], "diagnosis": ["patient", "control"] * 15,
                      "age": rng.normal(50, 5, 30), "wavelet-LLH_glcm_Contrast": rng.normal(size=30)})
    t.to_csv(tmp_path / "feats.csv", index=False)
    r = invoke("init", "--from-table", str(tmp_path / "feats.csv"), "--out", str(tmp_path / "study.yaml"))
    assert r.exit_code == 0, r.output
    from radiome.study.loader import load_study

    s = load_study(tmp_path / "study.yaml")
    assert s.is_table and s.inputs.id_column == "subject" and s.outcome.column == "diagnosis"
    assert s.outcome.positive == "patient" and [c.name for c in s.covariates] == ["age"]
    r = invoke("init", "--from-table", str(tmp_path / "feats.csv"), "--out", str(tmp_path / "study.yaml"))
    assert r.exit_code == 1 and "--force" in r.output
    r = invoke("init", "--from-table", str(tmp_path / "feats.csv"), "--out", str(tmp_path / "s2.yaml"),
               "--outcome", "nope")
    assert r.exit_code == 1 and "nope" in r.output and not (tmp_path / "s2.yaml").exists()
