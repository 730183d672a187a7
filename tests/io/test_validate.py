"""Broken cohorts, one fault at a time and all together: the exact fault for the right patient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiome.io.validate import validate_cohort
from radiome.study import load_study
from tests.conftest import make_image, phantom_arrays


def run(study_path: Path, **kw):
    study = load_study(study_path)
    return validate_cohort(study, out_dir=study_path.parent / "out", **kw)


def errors_by(report) -> set[tuple[str, str | None]]:
    return {(f.check, f.patient) for f in report.errors}


def edit_manifest(study_path: Path, fn) -> None:
    m = study_path.parent / "manifest.csv"
    df = pd.read_csv(m, dtype={"patient_id": str})
    df = fn(df)
    df.to_csv(m, index=False)


def test_clean_cohort_has_no_fault_and_a_summary(cohort_factory) -> None:
    study = cohort_factory(12)
    report = run(study)
    assert report.ok and report.faults == []
    s = report.summary
    assert s["n_patients"] == 12
    assert s["outcome_counts"] == {"0": 6, "1": 6}
    assert s["rois"] == {"A": {"label": 1, "mask_column": "mask"}, "B": {"label": 2, "mask_column": "mask"}}
    assert s["geometry"]["size_min"] == [24, 20, 6] and s["geometry"]["spacing_max_mm"] == [0.8, 0.8, 3.0]
    files = report.write(study.parent / "out")
    assert pd.read_csv(files["faults"]).empty


def test_missing_image_file(cohort_factory) -> None:
    study = cohort_factory()
    (study.parent / "img" / "P003.nii.gz").unlink()
    report = run(study)
    assert errors_by(report) == {("file_not_found", "P003")}
    f = report.errors[0]
    assert f.row == 5 and f.file.endswith("P003.nii.gz")  # header is row 1, P000 is row 2


def test_unreadable_mask(cohort_factory) -> None:
    study = cohort_factory()
    (study.parent / "img" / "P004_mask.nii.gz").write_bytes(b"\x00garbage" * 50)
    assert errors_by(run(study)) == {("unreadable", "P004")}


def test_empty_cells(cohort_factory) -> None:
    study = cohort_factory()
    edit_manifest(study, lambda d: d.assign(image=d["image"].where(d.patient_id != "P002", None)))
    report = run(study)
    assert errors_by(report) == {("missing_value", "P002")}
    assert "'image'" in report.errors[0].message


@pytest.mark.parametrize(
    "change, aspect",
    [
        (dict(spacing=(1.6, 1.6, 3.0)), "spacing"),
        (dict(origin=(-10.0, 20.0, 9.0)), "origin"),
        (dict(direction=(0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)), "direction"),
    ],
)
def test_geometry_mismatch(cohort_factory, change, aspect) -> None:
    study = cohort_factory()
    _, mask = phantom_arrays(6)
    sitk.WriteImage(make_image(mask, **change), str(study.parent / "img" / "P006_mask.nii.gz"))
    report = run(study)
    assert errors_by(report) == {("geometry_mismatch", "P006")}
    assert aspect in report.errors[0].message


def test_size_mismatch(cohort_factory) -> None:
    study = cohort_factory()
    _, mask = phantom_arrays(1)
    sitk.WriteImage(make_image(mask[:, :, :20]), str(study.parent / "img" / "P001_mask.nii.gz"))
    report = run(study)
    assert errors_by(report) == {("geometry_mismatch", "P001")}
    assert "size image (24, 20, 6) vs mask (20, 20, 6)" in report.errors[0].message


def test_resample_mask_fixes_spacing_mismatch_explicitly(cohort_factory) -> None:
    """A mask drawn on a 2x coarser in-plane grid is resampled (reported, new files), never silently."""
    study = cohort_factory()
    _, mask = phantom_arrays(5)
    coarse = mask[:, ::2, ::2]  # every second voxel in x and y
    # voxel centres of the coarse grid coincide with even voxels of the fine grid
    sitk.WriteImage(make_image(coarse, spacing=(1.6, 1.6, 3.0)), str(study.parent / "img" / "P005_mask.nii.gz"))
    plain = run(study)
    assert errors_by(plain) == {("geometry_mismatch", "P005")}
    assert "--resample-mask" in plain.errors[0].message
    fixed = run(study, resample_mask=True)
    assert fixed.ok
    assert [(f.check, f.patient, f.severity) for f in fixed.faults] == [("mask_resampled", "P005", "warning")]
    # the corrected manifest points at the resampled mask and validates cleanly
    new_manifest = pd.read_csv(fixed.corrected_manifest)
    new_mask = Path(new_manifest.loc[new_manifest.patient_id == "P005", "mask"].item())
    assert new_mask.parent.name == "resampled_masks"
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(new_mask)))
    # even voxels keep the coarse labels exactly
    np.testing.assert_array_equal(arr[:, ::2, ::2], coarse)
    text = study.read_text().replace("manifest: manifest.csv", f"manifest: {fixed.corrected_manifest}")
    study2 = study.parent / "study2.yaml"
    study2.write_text(text)
    assert run(study2).ok
    # the input mask was not modified
    assert sitk.ReadImage(str(study.parent / "img" / "P005_mask.nii.gz")).GetSpacing()[0] == pytest.approx(1.6)


def test_roi_label_absent_and_too_small(cohort_factory) -> None:
    study = cohort_factory(study_extra="checks: {min_roi_voxels: 50}\n")
    _, mask = phantom_arrays(2)
    mask[mask == 2] = 0
    sitk.WriteImage(make_image(mask), str(study.parent / "img" / "P002_mask.nii.gz"))
    _, mask = phantom_arrays(8)
    mask[mask == 1] = 0
    mask[2, 5, 3:7] = 1  # 4 voxels
    sitk.WriteImage(make_image(mask), str(study.parent / "img" / "P008_mask.nii.gz"))
    report = run(study)
    assert errors_by(report) == {("roi_label_absent", "P002"), ("roi_too_small", "P008")}
    msgs = {f.patient: f.message for f in report.errors}
    assert "ROI B (label 2)" in msgs["P002"] and "labels present: 1" in msgs["P002"]
    assert "ROI A (label 1) has 4 voxel(s)" in msgs["P008"]


def test_empty_and_non_binary_mask(cohort_factory) -> None:
    study = cohort_factory()
    _, mask = phantom_arrays(0)
    sitk.WriteImage(make_image(np.zeros_like(mask)), str(study.parent / "img" / "P000_mask.nii.gz"))
    soft = phantom_arrays(9)[1].astype(np.float32) * 0.5  # a probability map, not labels
    sitk.WriteImage(make_image(soft), str(study.parent / "img" / "P009_mask.nii.gz"))
    report = run(study)
    assert errors_by(report) == {("mask_empty", "P000"), ("mask_not_integer", "P009")}


def test_nan_and_inf_in_image(cohort_factory) -> None:
    study = cohort_factory()
    arr, _ = phantom_arrays(7)
    arr[0, 0, :3] = np.nan
    arr[1, 1, 1] = np.inf
    sitk.WriteImage(make_image(arr), str(study.parent / "img" / "P007.nii.gz"))
    report = run(study)
    assert errors_by(report) == {("image_nonfinite", "P007")}
    assert "3 NaN and 1 Inf" in report.errors[0].message


def test_duplicate_patient_ids(cohort_factory) -> None:
    study = cohort_factory()
    edit_manifest(study, lambda d: d.assign(patient_id=d.patient_id.replace({"P010": "P001"})))
    report = run(study)
    dup = [f for f in report.errors if f.check == "duplicate_patient_id"]
    assert {f.row for f in dup} == {3, 12} and {f.patient for f in dup} == {"P001"}
    assert "rows 3, 12" in dup[0].message


def test_outcome_single_class(cohort_factory) -> None:
    study = cohort_factory(outcome=[1] * 12)
    checks = {f.check for f in run(study).errors}
    assert "outcome_single_class" in checks


def test_outcome_not_binary(cohort_factory) -> None:
    study = cohort_factory(outcome=[0, 1, 2] * 4)
    report = run(study)
    assert {f.check for f in report.errors} == {"outcome_not_binary"}
    assert "3 distinct values" in report.errors[0].message


def test_text_outcome_needs_positive_class(cohort_factory) -> None:
    study = cohort_factory(outcome=["mild", "severe"] * 6)
    assert {f.check for f in run(study).errors} == {"outcome_positive_unset"}
    study.write_text(study.read_text().replace("column: outcome\n", "column: outcome\n  positive: severe\n"))
    report = run(study)
    assert report.ok and report.summary["outcome_counts"] == {"mild": 6, "severe": 6}
    study.write_text(study.read_text().replace("positive: severe", "positive: Severe"))
    assert {f.check for f in run(study).errors} == {"outcome_positive_absent"}


def test_missing_outcome_value(cohort_factory) -> None:
    study = cohort_factory(outcome=[0, 1, None, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    assert errors_by(run(study)) == {("outcome_missing", "P002")}


def test_too_few_patients_for_split(cohort_factory) -> None:
    # 3 positives: a 75:25 hold-out leaves 2 for training, fewer than 5-fold CV needs
    study = cohort_factory(8, outcome=[0, 1, 0, 1, 0, 1, 0, 0])
    study.write_text(study.read_text().replace("cv_folds: 2", "cv_folds: 5"))
    report = run(study)
    assert {f.check for f in report.errors} == {"split_too_small"}
    assert any("positive patient(s) for training" in f.message for f in report.errors)
    # with 2-fold CV it is possible
    study.write_text(study.read_text().replace("cv_folds: 5", "cv_folds: 2"))
    assert run(study).ok


def test_external_cohort_single_class_and_bad_cohort_value(cohort_factory) -> None:
    study = cohort_factory(12)
    cohorts = ["train"] * 8 + ["external", "external", "external", "validation"]
    edit_manifest(study, lambda d: d.assign(cohort=cohorts, outcome=[0, 1] * 4 + [1, 1, 1, 0]))
    report = run(study)
    assert ("cohort_value_invalid", "P011") in errors_by(report)
    assert any("external cohort holds a single outcome class" in f.message for f in report.errors)


def test_covariate_problems(cohort_factory) -> None:
    study = cohort_factory()
    edit_manifest(study, lambda d: d.assign(age=d.age.astype(object).where(d.patient_id != "P004", "45y")))
    edit_manifest(study, lambda d: d.assign(age=d.age.where(d.patient_id != "P005", None)))
    report = run(study)
    assert errors_by(report) == {("covariate_not_numeric", "P004")}
    assert [(f.check, f.patient) for f in report.warnings] == [("covariate_missing", "P005")]


def test_missing_columns_are_named(cohort_factory) -> None:
    study = cohort_factory()
    study.write_text(study.read_text().replace("covariates: [age,", "covariates: [weight, age,"))
    edit_manifest(study, lambda d: d.drop(columns=["outcome"]))
    report = run(study)
    msgs = [f.message for f in report.errors if f.check == "column_missing"]
    assert any("'weight'" in m for m in msgs) and any("outcome column 'outcome'" in m for m in msgs)


def test_clinical_table_join(cohort_factory) -> None:
    study = cohort_factory()
    edit_manifest(study, lambda d: d.drop(columns=["age", "sex"]))
    clinical = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(12) if i != 3], "age": 50, "sex": "F"})
    clinical.to_csv(study.parent / "clinical.csv", index=False)
    study.write_text(study.read_text().replace("manifest: manifest.csv\n", "manifest: manifest.csv\n  clinical: clinical.csv\n"))
    report = run(study)
    assert errors_by(report) == {("clinical_missing_patient", "P003")}


def test_excel_manifest(cohort_factory) -> None:
    study = cohort_factory()
    df = pd.read_csv(study.parent / "manifest.csv", dtype={"patient_id": str})
    df.to_excel(study.parent / "manifest.xlsx", index=False)
    study.write_text(study.read_text().replace("manifest.csv", "manifest.xlsx"))
    report = run(study)
    assert report.ok and report.summary["n_patients"] == 12


def test_every_fault_in_one_manifest_is_reported_together(cohort_factory) -> None:
    study = cohort_factory(14)
    root = study.parent
    (root / "img" / "P001.nii.gz").unlink()  # missing image
    arr, mask = phantom_arrays(3)
    arr[0, 0, 0] = np.nan
    sitk.WriteImage(make_image(arr), str(root / "img" / "P003.nii.gz"))  # NaN
    sitk.WriteImage(make_image(mask, spacing=(1.0, 0.8, 3.0)), str(root / "img" / "P005_mask.nii.gz"))  # geometry
    mask2 = mask.copy()
    mask2[mask2 == 2] = 0
    sitk.WriteImage(make_image(mask2), str(root / "img" / "P007_mask.nii.gz"))  # ROI B absent
    (root / "img" / "P009_mask.nii.gz").write_bytes(b"junk")  # unreadable
    edit_manifest(study, lambda d: d.assign(patient_id=d.patient_id.replace({"P012": "P011"})))  # duplicate
    report = run(study)
    expected = {
        ("file_not_found", "P001"),
        ("image_nonfinite", "P003"),
        ("geometry_mismatch", "P005"),
        ("roi_label_absent", "P007"),
        ("unreadable", "P009"),
        ("duplicate_patient_id", "P011"),
    }
    assert errors_by(report) == expected
    files = report.write(root / "out")
    table = pd.read_csv(files["faults"])
    assert len(table) == len(report.faults) == 7  # the duplicate id is reported on both rows
    assert table.columns.tolist() == ["severity", "row", "patient", "file", "check", "message"]
