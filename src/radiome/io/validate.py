"""Whole-cohort validation: find every problem in one pass and report them all together.

``validate_cohort`` reads each patient's image and masks once and checks: files present and
readable, 3D scalar volumes, finite intensities (counted in the file: ITK reads NaN in NIfTI as 0), integer-valued non-empty masks on the image's grid
(size, spacing, origin, direction within tolerance), every ROI label present with enough voxels;
then the cohort-level checks: duplicate ids, outcome coding and balance, and whether the requested
split (hold-out fraction, CV folds) is possible with the classes at hand. Bad data never raises:
each problem becomes a :class:`~radiome.io.cohort.Fault` naming row, patient, file and fault.

With ``resample_mask=True`` a mask whose *spacing* differs from its image's (same direction, with
overlapping physical extent) is resampled onto the image grid by nearest neighbour and written to
``<out_dir>/resampled_masks/``; the fix is reported as a warning and a corrected manifest is written
next to it. Input files are never modified.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiome._atomic import atomic_path, write_text_atomic
from radiome.errors import RadiomeError
from radiome.io.cohort import Case, Cohort, Fault, load_cohort, read_table
from radiome.io.images import (
    Geometry,
    GeometryTolerance,
    geometry_differences,
    label_voxel_counts,
    physical_bounds,
    read_image,
    read_mask,
    resample_mask_to_image,
    write_image,
)
from radiome.study.schema import Study


@dataclass
class CaseResult:
    """What validation learned about one case: its faults and geometry."""

    faults: list[Fault] = field(default_factory=list)
    geometry: Geometry | None = None
    resampled: dict[str, Path] = field(default_factory=dict)  # mask column -> fixed mask file
    labels_present: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class ValidationReport:
    """All faults of a cohort plus a summary (patients, ROIs, outcome balance, geometry)."""

    study: Study
    faults: list[Fault]
    summary: dict[str, Any]
    corrected_manifest: Path | None = None

    @property
    def errors(self) -> list[Fault]:
        return [f for f in self.faults if f.severity == "error"]

    @property
    def warnings(self) -> list[Fault]:
        return [f for f in self.faults if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        cols = ["severity", "row", "patient", "file", "check", "message"]
        return pd.DataFrame([f.as_dict() for f in self.faults], columns=cols)

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write ``validation_faults.csv`` and ``validation_summary.json`` atomically."""
        import json

        out_dir.mkdir(parents=True, exist_ok=True)
        faults_csv = out_dir / "validation_faults.csv"
        with atomic_path(faults_csv) as tmp:
            self.to_frame().to_csv(tmp, index=False)
        summary_json = out_dir / "validation_summary.json"
        payload = {"ok": self.ok, "n_errors": len(self.errors), "n_warnings": len(self.warnings), **self.summary}
        write_text_atomic(summary_json, json.dumps(payload, indent=2, default=str) + "\n")
        return {"faults": faults_csv, "summary": summary_json}


def _fault(case: Case, check: str, message: str, file: Path | str | None, severity: str = "error") -> Fault:
    return Fault(check, message, row=case.row, patient=case.patient_id, file=str(file) if file else None, severity=severity)  # type: ignore[arg-type]


def _fixable(diffs: dict[str, str], img_g: Geometry, mask_g: Geometry) -> bool:
    """A spacing mismatch with the same orientation and overlapping extent can be resampled safely."""
    if "spacing" not in diffs or "direction" in diffs:
        return False
    lo_i, hi_i = physical_bounds(img_g)
    lo_m, hi_m = physical_bounds(mask_g)
    return bool(np.all(lo_m <= hi_i) and np.all(lo_i <= hi_m))


def check_case(
    case: Case,
    study: Study,
    *,
    resample_mask: bool = False,
    resample_dir: Path | None = None,
) -> CaseResult:
    """Run every per-image check on one case; never raises for bad data."""
    res = CaseResult()
    tol = GeometryTolerance(**study.checks.geometry_tolerance.model_dump())
    image = None
    if case.image is not None:
        try:
            image = read_image(case.image, patient=case.patient_id)
        except RadiomeError as exc:
            res.faults.append(_fault(case, exc.code, exc.message, case.image))
            if exc.code == "image_nonfinite":  # still check the masks against its grid
                image = read_image(case.image, patient=case.patient_id, allow_nonfinite=True)
    if image is not None:
        res.geometry = Geometry.of(image)
        arr = sitk.GetArrayViewFromImage(image)
        if arr.size and float(arr.max()) == float(arr.min()):
            res.faults.append(
                _fault(case, "image_constant", f"image is constant ({float(arr.min()):g} everywhere)", case.image, "warning")
            )

    for column, path in case.masks.items():
        if path is None:
            continue
        try:
            mask = read_mask(path, patient=case.patient_id)
        except RadiomeError as exc:
            res.faults.append(_fault(case, exc.code, exc.message, path))
            continue
        if image is not None:
            img_g, mask_g = Geometry.of(image), Geometry.of(mask)
            diffs = geometry_differences(img_g, mask_g, tol)
            if diffs and resample_mask and _fixable(diffs, img_g, mask_g):
                mask = resample_mask_to_image(mask, image)
                fixed = (resample_dir or Path(".")) / f"{_safe(case.patient_id)}_{_safe(column)}.nii.gz"
                write_image(mask, fixed)
                res.resampled[column] = fixed
                res.faults.append(
                    _fault(
                        case,
                        "mask_resampled",
                        f"{column!r} resampled onto the image grid by nearest neighbour ({diffs['spacing']}); "
                        f"written to {fixed}",
                        path,
                        "warning",
                    )
                )
            elif diffs:
                hint = " (use --resample-mask to fix a spacing mismatch)" if _fixable(diffs, img_g, mask_g) else ""
                res.faults.append(
                    _fault(
                        case,
                        "geometry_mismatch",
                        f"{column!r} does not match the image grid: " + "; ".join(diffs.values()) + hint,
                        path,
                    )
                )
        counts = label_voxel_counts(sitk.GetArrayViewFromImage(mask))
        res.labels_present[column] = sorted(counts)
        if not counts:
            res.faults.append(_fault(case, "mask_empty", f"{column!r} is empty (no non-zero voxel)", path))
            continue
        rois = [r for r in study.rois if study.roi_mask_column(r) == column]
        if column == study.inputs.second_mask_column and not rois:
            rois = [r for r in study.rois if study.roi_mask_column(r) == study.inputs.mask_column]
        for roi in rois:
            label = study.rois[roi].label
            n = counts.get(label, 0)
            if n == 0:
                present = ", ".join(map(str, sorted(counts))) or "none"
                res.faults.append(
                    _fault(
                        case,
                        "roi_label_absent",
                        f"ROI {roi} (label {label}) is absent from {column!r}; labels present: {present}",
                        path,
                    )
                )
            elif n < study.checks.min_roi_voxels:
                res.faults.append(
                    _fault(
                        case,
                        "roi_too_small",
                        f"ROI {roi} (label {label}) has {n} voxel(s) in {column!r}, "
                        f"fewer than checks.min_roi_voxels = {study.checks.min_roi_voxels}",
                        path,
                    )
                )
    return res


def _safe(s: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in s)


def split_faults(cohort: Cohort) -> list[Fault]:
    """Can the requested validation design be run with these classes?

    The development set (cohort ``train`` or unspecified) is split by stratified hold-out unless the
    manifest already marks ``test`` patients; stratified k-fold CV needs at least ``cv_folds``
    patients of each class in the training part, and the hold-out at least one of each class.
    An external cohort needs both classes for an AUC.
    """
    study = cohort.study
    faults: list[Fault] = []
    labelled = [c for c in cohort.cases if c.label is not None]
    if not labelled:
        return faults
    v = study.validation
    dev = [c for c in labelled if c.cohort in (None, "train")]
    test = [c for c in labelled if c.cohort == "test"]
    ext = [c for c in labelled if c.cohort == "external"]
    dev_counts = Counter(c.label for c in dev)
    name = {1: "positive", 0: "negative"}
    if len(dev_counts) < 2:
        if dev:
            faults.append(Fault("split_too_small", "the development cohort holds a single outcome class"))
        else:
            faults.append(Fault("split_too_small", "no patient is in the development (train) cohort"))
        return faults
    if test:
        train_counts = dev_counts
        test_counts = Counter(c.label for c in test)
        how = "the manifest's test cohort"
    else:
        test_counts = Counter({k: math.floor(n * v.test_size + 0.5) for k, n in dev_counts.items()})
        train_counts = Counter({k: n - test_counts[k] for k, n in dev_counts.items()})
        how = f"a stratified {1 - v.test_size:.0%}:{v.test_size:.0%} hold-out"
    for k in (0, 1):
        if test_counts.get(k, 0) < 1:
            faults.append(
                Fault(
                    "split_too_small",
                    f"{how} leaves no {name[k]} patient in the test set "
                    f"({dev_counts.get(k, 0)} {name[k]} patients in the development cohort)",
                )
            )
        if train_counts.get(k, 0) < v.cv_folds:
            faults.append(
                Fault(
                    "split_too_small",
                    f"{how} leaves {train_counts.get(k, 0)} {name[k]} patient(s) for training, "
                    f"fewer than the {v.cv_folds} needed for {v.cv_folds}-fold stratified CV",
                )
            )
    if ext and len({c.label for c in ext}) < 2:
        faults.append(
            Fault("split_too_small", "the external cohort holds a single outcome class: its AUC cannot be computed")
        )
    return faults


def _split_text(study: Study, cohort: Cohort) -> str:
    v = study.validation
    has_test = any(c.cohort == "test" for c in cohort.cases)
    holdout = "test patients marked in the manifest" if has_test else (
        f"stratified {1 - v.test_size:.0%}:{v.test_size:.0%} hold-out (seed {v.seed})"
    )
    return f"{holdout}, {v.cv_folds}-fold stratified CV inside training"


def _geometry_summary(geoms: list[Geometry]) -> dict[str, Any]:
    if not geoms:
        return {}
    sp = np.array([g.spacing for g in geoms])
    sz = np.array([g.size for g in geoms])
    return {
        "n_images": len(geoms),
        "n_distinct_grids": len({(g.size, tuple(np.round(g.spacing, 4))) for g in geoms}),
        "spacing_min_mm": sp.min(axis=0).round(4).tolist(),
        "spacing_max_mm": sp.max(axis=0).round(4).tolist(),
        "size_min": sz.min(axis=0).tolist(),
        "size_max": sz.max(axis=0).tolist(),
        "oblique_images": int(sum(not np.allclose(np.abs(g.direction), np.eye(3).ravel(), atol=1e-4) for g in geoms)),
    }


def validate_cohort(
    study: Study,
    *,
    resample_mask: bool = False,
    out_dir: Path | None = None,
    jobs: int = 2,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Validate the whole cohort of ``study`` and return every fault with a summary.

    ``progress`` is called with 1 after each case; ``on_start`` once with the number of cases.
    Resampled masks and the corrected manifest go to ``out_dir`` (default: the study's output dir).
    """
    out_dir = Path(out_dir) if out_dir is not None else Path(study.output_dir) / "validation"
    try:
        cohort = load_cohort(study)
    except RadiomeError as exc:
        fault = Fault(exc.code, exc.message, file=str(exc.path) if exc.path else None)
        return ValidationReport(study, [fault], {"n_patients": 0})
    faults = list(cohort.faults)
    if on_start:
        on_start(len(cohort.cases))
    resample_dir = out_dir / "resampled_masks"

    def run(case: Case) -> CaseResult:
        try:
            return check_case(case, study, resample_mask=resample_mask, resample_dir=resample_dir)
        finally:
            if progress:
                progress(1)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(run, cohort.cases))
    for r in results:
        faults.extend(r.faults)
    faults.extend(split_faults(cohort))

    corrected = None
    if any(r.resampled for r in results):
        # the original manifest (not the clinical join), every path made absolute so it works from here
        table = read_table(study.inputs.manifest, id_column=study.inputs.id_column, what="manifest")
        path_cols = [c for c in (study.inputs.image_column, *study.mask_columns) if c in table.columns]
        for case, r in zip(cohort.cases, results):
            paths = {study.inputs.image_column: case.image, **case.masks, **r.resampled}
            for column in path_cols:
                p = paths.get(column)
                table[column] = table[column].astype(object)
                table.loc[case.row - 2, column] = str(Path(p).resolve()) if p is not None else None
        corrected = out_dir / "manifest_resampled.csv"
        with atomic_path(corrected) as tmp:
            table.to_csv(tmp, index=False)

    order = {"error": 0, "warning": 1}
    faults.sort(key=lambda f: (f.row if f.row is not None else 0, order[f.severity]))
    labels_all: Counter[int] = Counter()
    for r in results:
        for lbls in r.labels_present.values():
            labels_all.update(lbls)
    declared = {roi.label for roi in study.rois.values()}
    summary = {
        "study": study.name,
        "n_patients": len(cohort.cases),
        "rois": {name: {"label": roi.label, "mask_column": study.roi_mask_column(name)} for name, roi in study.rois.items()},
        "outcome": study.outcome.column if study.outcome else None,
        "outcome_counts": cohort.outcome_counts(),
        "cohorts": dict(Counter(c.cohort or "train" for c in cohort.cases)),
        "split": _split_text(study, cohort),
        "covariates": [c.name for c in study.covariates],
        "geometry": _geometry_summary([r.geometry for r in results if r.geometry is not None]),
        "undeclared_labels": sorted(set(labels_all) - declared),
    }
    return ValidationReport(study, faults, summary, corrected)
