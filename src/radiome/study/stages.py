"""The stages of ``radiome run``: each reads its inputs from the run folder and writes its outputs there.

Every stage is a function ``stage(ctx) -> list[Path]`` returning the files it produced (written
atomically). Stages never hand Python objects to each other: a later stage reads the CSV/Parquet
files of the earlier ones, so a cached (skipped) stage's outputs serve a rerun exactly as a fresh
run's would.

Layout of the run folder (``<out>``)::

    validation/validation_faults.csv, validation_summary.json
    split.csv                               patient_id, label, split (train/test/external)
    features/features.parquet (+ csv)       one row per patient x ROI (extract_cohort)
    features_reader2/features.parquet       second reader's masks (only with ICC in the chain)
    clinical/clinical_univariate.csv, clinical_multivariate.csv, clinical_model.json,
             predictions.csv
    models/<set>/selected_features.csv, radscore_formula.txt, icc.csv, best_params.json
    models/radscore.csv, predictions.csv
    combined/<set>/combined_multivariate.csv, nomogram_points.csv, nomogram.png, nomogram.svg
    combined/predictions.csv
    evaluation/metrics.csv, model_comparison.csv, delong_matrix.csv, calibration.csv,
               hosmer_lemeshow.csv, decision_curve.csv, predictions.csv, results_part.json
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiome._atomic import atomic_path, write_text_atomic
from radiome.errors import RadiomeError
from radiome.features.cohort import extract_cohort
from radiome.io.cohort import load_cohort
from radiome.io.validate import validate_cohort
from radiome.study.schema import Study

OUTCOME = "outcome"  # the 0/1 outcome column in the runner's tables


class Bar:
    """A progress bar of a stage (no-op here; ``radiome run`` draws a Rich bar)."""

    def start(self, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class Context:
    """What every stage sees: the study, the run folder, a message callback and a progress-bar factory."""

    study: Study
    out: Path
    message: Callable[[str], None] = lambda s: None
    keys: dict[str, str] = field(default_factory=dict)  # cache keys of the stages before this one
    bar: Callable[[str], Bar] = lambda description: Bar()

    def path(self, *parts: str) -> Path:
        return self.out.joinpath(*parts)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def write_csv(path: Path, df: pd.DataFrame, index: bool = False) -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index)
    return path


def write_json(path: Path, data: Any) -> Path:
    return write_text_atomic(path, json.dumps(clean_json(data), indent=2, sort_keys=True) + "\n")


def round_sig(x: float, digits: int = 12) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def clean_json(v: Any) -> Any:
    """JSON-ready data with floats rounded to 12 significant digits, NaN/inf as None."""
    if isinstance(v, dict):
        return {str(k): clean_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean_json(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return round_sig(float(v))
    if isinstance(v, np.ndarray):
        return clean_json(v.tolist())
    if isinstance(v, Path):
        return str(v)
    if v is None or isinstance(v, str):
        return v
    if pd.isna(v):
        return None
    return str(v)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [clean_json(r) for r in df.to_dict(orient="records")]


def read_csv_or_empty(path: Path) -> pd.DataFrame:
    """A run-folder table (patient ids as text), or an empty frame when the file is absent or empty."""
    try:
        return pd.read_csv(path, dtype={"patient_id": str})
    except (OSError, pd.errors.EmptyDataError):
        return pd.DataFrame()


def read_split(ctx: Context) -> pd.DataFrame:
    return pd.read_csv(ctx.path("split.csv"), dtype={"patient_id": str})


TABLE_ROI = "table"  # the one pseudo-ROI of a feature-table study (its columns keep their names)


def roi_sets(study: Study) -> dict[str, list[str]]:
    if study.is_table or study.is_brain:
        return {"all": [TABLE_ROI]}
    rois = study.features.rois or list(study.rois)
    return dict(study.models.roi_sets) if study.models.roi_sets else {"all": list(rois)}


def clinical_table(study: Study, out: Path | None = None) -> pd.DataFrame:
    """patient_id, outcome (0/1) and the covariates (raw values), one row per labelled patient.

    Covariates with ``source: morphometry`` are read from ``<out>/morphometry/morphometry.csv``."""
    cohort = load_cohort(study)
    rows = []
    for c in cohort.cases:
        if c.label is None:
            continue
        rows.append({"patient_id": c.patient_id, OUTCOME: int(c.label), **c.covariates})
    table = pd.DataFrame(rows)
    morph = study.morphometry_covariates
    if morph:
        if out is None:
            raise RadiomeError("morphometry covariates need the run folder")
        path = Path(out) / "morphometry" / "morphometry.csv"
        try:
            m = pd.read_csv(path, dtype={"patient_id": str})
        except (OSError, pd.errors.EmptyDataError) as exc:
            raise RadiomeError(f"cannot read the morphometry table: {exc}", path=path) from None
        missing = [c for c in morph if c not in m.columns]
        if missing:
            measures = [c for c in m.columns if c not in ("patient_id", "messages")]
            raise RadiomeError(f"covariate(s) {', '.join(missing)} are not morphometry measures; measures are "
                               f"e.g. {', '.join(measures[:8])}", path=path)
        table = table.merge(m[["patient_id", *morph]], on="patient_id", how="left")
    for c in study.covariates:
        if c.scale != 1.0 and c.name in table.columns:
            table[c.name] = pd.to_numeric(table[c.name], errors="coerce") * c.scale
    return table


def patients_with_messages(morph: pd.DataFrame) -> int:
    """Rows of a morphometry table whose ``messages`` cell is not empty."""
    if "messages" not in morph.columns:
        return 0
    return int((morph["messages"].astype(object).where(morph["messages"].notna(), "") != "").sum())


def stage_morphometry(ctx: Context) -> list[Path]:
    """Spine morphometry of every patient (``radiome.spine.morphometry``): ``morphometry/morphometry.csv``
    and, with ``qa``, one QA image per patient. Patients that cannot be measured get NaN and a message."""
    sec = ctx.study.morphometry
    if sec is None:
        return []
    from radiome.spine import morphometry

    target = ctx.path("morphometry", "morphometry.csv")
    try:
        df = morphometry(ctx.study, method=sec.method, slice=sec.slice, landmarks=sec.landmarks, qa=sec.qa, out=target,
                         workers=ctx.study.features.jobs, dixon_column=sec.dixon_column, disc_label=sec.disc_label)
    except ValueError as exc:
        raise RadiomeError(f"morphometry: {exc}") from None
    n_msg = patients_with_messages(df)
    if n_msg:
        ctx.message(f"morphometry: {n_msg} patient(s) with messages (see the messages column of {target})")
    files = [target]
    if sec.qa:
        files += sorted((target.parent / "qa").glob("*.png"))
    return files


def outcome_names(study: Study) -> dict[int, str]:
    """Display names of the coded outcome: the raw values of the outcome column when there are two
    (e.g. {0: 'mild', 1: 'severe'}), else 'negative'/'positive'."""
    cohort = load_cohort(study)
    names: dict[int, str] = {}
    for c in cohort.cases:
        if c.label is not None and c.outcome is not None and not (isinstance(c.outcome, float) and math.isnan(c.outcome)):
            names.setdefault(int(c.label), str(c.outcome))
    if len(names) != 2 or len(set(names.values())) != 2:
        return {0: "negative", 1: "positive"}
    return names


def stage_table1(ctx: Context, table: pd.DataFrame, split: pd.DataFrame) -> list[Path]:
    """Table 1 by outcome group (all labelled patients) and training vs test characteristics."""
    from radiome.evaluate.baseline import baseline_table

    study = ctx.study
    names, cat, _ = _covariate_args(study)
    files: list[Path] = []
    if not names:
        return files
    df = table.merge(split[["patient_id", "split"]], on="patient_id")
    t1 = baseline_table(df, OUTCOME, names, cat, group_labels=outcome_names(study))
    files.append(write_csv(ctx.path("clinical", "table1.csv"), t1))
    if df["split"].nunique() >= 2:
        t2 = baseline_table(df, "split", names, cat)
        files.append(write_csv(ctx.path("clinical", "table1_split.csv"), t2))
    return files


# ------------------------------------------------------------------------------------------------
# validate (+ the one patient split)
# ------------------------------------------------------------------------------------------------


def make_split(study: Study) -> pd.DataFrame:
    """The patient split, done once: manifest cohorts when they mark test patients, else a
    stratified hold-out of the development patients (``validation.test_size``, ``seed``)."""
    from sklearn.model_selection import train_test_split

    cohort = load_cohort(study)
    labelled = [c for c in cohort.cases if c.label is not None]
    split = {c.patient_id: (c.cohort or "train") for c in labelled}
    if not any(v == "test" for v in split.values()):
        dev = [c for c in labelled if split[c.patient_id] == "train"]
        ids = np.array([c.patient_id for c in dev])
        y = np.array([c.label for c in dev])
        _, te = train_test_split(
            np.arange(len(ids)), test_size=study.validation.test_size, random_state=study.validation.seed, stratify=y
        )
        for i in te:
            split[ids[i]] = "test"
    return pd.DataFrame(
        {"patient_id": [c.patient_id for c in labelled], "label": [int(c.label) for c in labelled],
         "split": [split[c.patient_id] for c in labelled]}
    )


def feature_table(study: Study) -> pd.DataFrame:
    """The feature table of a table study: patient_id and the feature columns (numeric)."""
    from radiome.io.cohort import read_table

    inp = study.inputs
    df = read_table(inp.features, id_column=inp.id_column, what="feature table")
    if inp.feature_columns is not None:
        missing = [c for c in inp.feature_columns if c not in df.columns]
        if missing:
            raise RadiomeError(f"feature_columns not in the table: {', '.join(missing[:10])}", path=inp.features)
        cols = list(inp.feature_columns)
        bad = [c for c in cols if not pd.api.types.is_numeric_dtype(df[c])]
        if bad:
            raise RadiomeError(f"feature column(s) with non-numeric values: {', '.join(bad[:10])}", path=inp.features)
    else:
        skip = {inp.id_column, inp.cohort_column, *(c.name for c in study.covariates)}
        if study.outcome is not None:
            skip.add(study.outcome.column)
        cols = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                and not pd.api.types.is_bool_dtype(df[c])]
    if not cols:
        raise RadiomeError("the feature table has no numeric feature column", path=inp.features)
    out = df[[inp.id_column, *cols]].rename(columns={inp.id_column: "patient_id"})
    out["patient_id"] = out["patient_id"].astype(str)
    return out


def _validate_table(ctx: Context) -> list[Path]:
    """Checks of a feature-table study: the table faults of the cohort loader, the features' values."""
    from radiome.io.cohort import load_cohort

    study = ctx.study
    cohort = load_cohort(study)
    faults = [f.as_dict() for f in cohort.faults]
    table = feature_table(study)
    feats = table.drop(columns=["patient_id"])
    nonfinite = {c: int((~np.isfinite(feats[c].to_numpy(dtype=float))).sum()) for c in feats.columns}
    bad = {c: n for c, n in nonfinite.items() if n}
    folder = ctx.path("validation")
    summary = {"input": "feature table", "file": str(study.inputs.features), "n_patients": len(table),
               "n_features": feats.shape[1], "features_with_missing": bad,
               "n_faults": len(faults)}
    files = [write_csv(folder / "validation_faults.csv", pd.DataFrame(faults)),
             write_json(folder / "validation_summary.json", summary)]
    if bad:
        ctx.message(f"{len(bad)} feature column(s) have missing or non-finite values and are left out of the models "
                    f"(e.g. {next(iter(bad))!r})")
    errors = [f for f in cohort.faults if f.severity == "error"]
    if errors:
        first = "; ".join(f"{f.patient or ''} {f.check}: {f.message}".strip() for f in errors[:3])
        raise RadiomeError(f"{len(errors)} problem(s) in the feature table {study.inputs.features}: {first}")
    return files


def brain_subjects(study: Study) -> list[tuple[str, dict[str, Path | None]]]:
    """(subject id, {bold, mask, dwi, bval, bvec, t1_labels, gm}) of every labelled subject of a brain study."""
    cohort = load_cohort(study)
    b = study.brain
    extra = {"dwi": b.dwi_column, "bval": b.bval_column, "bvec": b.bvec_column, "t1_labels": b.t1_labels_column,
             "gm": b.gm_column, "confounds": b.confounds_column}
    out = []
    for c in cohort.cases:
        if c.label is None:
            continue
        paths = {"bold": c.image, "mask": c.masks.get(study.inputs.mask_column)}
        paths.update({k: cohort.column_path(c, col) for k, col in extra.items()})
        out.append((c.patient_id, paths))
    return out


def _validate_brain(ctx: Context) -> list[Path]:
    """Checks of a brain study: the manifest's faults, then every subject's files exist and the BOLD
    is 4D on the atlas grid (headers only: fast)."""
    import nibabel as nib

    study = ctx.study
    cohort = load_cohort(study)
    faults = [f.as_dict() for f in cohort.faults]
    b = study.brain
    try:
        atlas = nib.load(str(b.atlas))
    except Exception as exc:  # noqa: BLE001 - any unreadable atlas is a user-facing fault
        raise RadiomeError(f"atlas unreadable: {exc}", path=b.atlas) from None
    for pid, paths in brain_subjects(study):
        for role, p in paths.items():
            if p is None:
                if role in ("bold", "mask"):
                    faults.append({"severity": "error", "patient": pid, "check": "missing_value",
                                   "message": f"no {role} path in the manifest", "file": None, "row": None})
                continue
            if not p.exists():
                faults.append({"severity": "error", "patient": pid, "check": "file_not_found",
                               "message": f"{role} file not found", "file": str(p), "row": None})
                continue
            if role == "bold":
                try:
                    shape = nib.load(str(p)).shape
                except Exception as exc:  # noqa: BLE001
                    faults.append({"severity": "error", "patient": pid, "check": "unreadable",
                                   "message": f"BOLD unreadable: {exc}", "file": str(p), "row": None})
                    continue
                if len(shape) != 4 or tuple(shape[:3]) != tuple(atlas.shape[:3]):
                    faults.append({"severity": "error", "patient": pid, "check": "geometry_mismatch",
                                   "message": f"BOLD shape {shape} is not 4D on the atlas grid {atlas.shape[:3]}",
                                   "file": str(p), "row": None})
    folder = ctx.path("validation")
    errors = [f for f in faults if f["severity"] == "error"]
    summary = {"input": "brain (fmri)", "atlas": str(b.atlas), "n_subjects": len(cohort.cases), "n_faults": len(faults)}
    files = [write_csv(folder / "validation_faults.csv", pd.DataFrame(faults)),
             write_json(folder / "validation_summary.json", summary)]
    if errors:
        first = "; ".join(f"{f['patient'] or ''} {f['check']}: {f['message']}".strip() for f in errors[:3])
        raise RadiomeError(f"{len(errors)} validation error(s), see {folder / 'validation_faults.csv'}: {first}")
    return files


def stage_validate(ctx: Context) -> list[Path]:
    if ctx.study.is_brain:
        files = _validate_brain(ctx)
        if ctx.study.outcome is None:
            raise RadiomeError("the study has no outcome: nothing to model")
        files.append(write_csv(ctx.path("split.csv"), make_split(ctx.study)))
        return files
    if ctx.study.is_table:
        files = _validate_table(ctx)
        if ctx.study.outcome is None:
            raise RadiomeError("the study has no outcome: nothing to model")
        files.append(write_csv(ctx.path("split.csv"), make_split(ctx.study)))
        return files
    report = validate_cohort(ctx.study, out_dir=ctx.path("validation"), jobs=ctx.study.features.jobs)
    files = list(report.write(ctx.path("validation")).values())
    if not report.ok:
        first = "; ".join(f"{f.patient or ''} {f.check}: {f.message}".strip() for f in report.errors[:3])
        raise RadiomeError(
            f"{len(report.errors)} validation error(s), see {ctx.path('validation', 'validation_faults.csv')}: {first}"
        )
    if ctx.study.outcome is None:
        raise RadiomeError("the study has no outcome: nothing to model")
    files.append(write_csv(ctx.path("split.csv"), make_split(ctx.study)))
    return files


# ------------------------------------------------------------------------------------------------
# extract
# ------------------------------------------------------------------------------------------------


def uses_icc(study: Study) -> bool:
    return bool(study.inputs.second_mask_column) and "icc" in study.selection.chain


def reader2_study(study: Study) -> Study:
    """The same study with every ROI read from the second reader's mask column."""
    col = study.inputs.second_mask_column
    rois = {name: roi.model_copy(update={"mask_column": col}) for name, roi in study.rois.items()}
    return study.model_copy(update={"rois": rois})


def _extract_brain(ctx: Context) -> list[Path]:
    """Brain features of every subject (``radiome.fmri.features``) as the study's feature table."""
    from radiome.fmri.features import BrainFeatureSpec, brain_feature_table

    b = ctx.study.brain
    spec = BrainFeatureSpec(
        atlas=b.atlas, labels=b.labels, metrics=tuple(b.metrics), band=tuple(b.band), alff_convention=b.alff_convention,
        reho_neighbours=b.reho_neighbours, reho_convention=b.reho_convention, dc_threshold=b.dc_threshold,
        standardize=b.standardize, fc_kind=b.fc_kind, graph_densities=tuple(b.graph_densities),
        graph_n_random=b.graph_n_random, seed=ctx.study.validation.seed, tr=b.tr, clean=b.clean, detrend=b.detrend,
        high_pass=b.high_pass, low_pass=b.low_pass, confound_columns=tuple(b.confound_columns),
    )
    subjects = brain_subjects(ctx.study)
    bar = ctx.bar("brain features")
    bar.start(len(subjects))
    try:
        table, failures = brain_feature_table(subjects, spec, jobs=ctx.study.features.jobs, progress=bar.advance)
    finally:
        bar.close()
    fail = write_csv(ctx.path("features", "extraction_failures.csv"),
                     pd.DataFrame(failures, columns=["patient_id", "error"]))
    if table.empty:
        raise RadiomeError(f"no subject's brain features could be computed: {failures[0][1] if failures else ''}")
    if failures:
        ctx.message(f"{len(failures)} subject(s) failed; see {fail}")
    table.insert(1, "roi", TABLE_ROI)
    target = ctx.path("features", "features.parquet")
    with atomic_path(target) as tmp:
        table.to_parquet(tmp, index=False)
    return [target, fail]


def stage_extract(ctx: Context) -> list[Path]:
    if ctx.study.is_brain:
        return _extract_brain(ctx)
    if ctx.study.is_table:  # features given: the table becomes the feature file, unchanged
        table = feature_table(ctx.study)
        table.insert(1, "roi", TABLE_ROI)
        target = ctx.path("features", "features.parquet")
        with atomic_path(target) as tmp:
            table.to_parquet(tmp, index=False)
        return [target]
    files: list[Path] = []
    runs = [("features", ctx.study)]
    if uses_icc(ctx.study):
        runs.append(("features_reader2", reader2_study(ctx.study)))
    for folder, study in runs:
        bar = ctx.bar("extracting" if folder == "features" else "extracting (second reader)")
        try:
            res = extract_cohort(study, out_dir=ctx.path(folder), progress=bar.advance, on_start=bar.start)
        finally:
            bar.close()
        if res.table.empty:
            msg = res.failures[0].error if res.failures else "no case"
            raise RadiomeError(f"no feature could be extracted ({folder}): {msg}")
        if res.failures:
            ctx.message(f"{len(res.failures)} (patient, ROI) extraction(s) failed; see {res.files['failures']}")
        files += [res.files["parquet"], res.files["failures"]]
    return files


def wide_features(path: Path, rois: list[str]) -> pd.DataFrame:
    """The per-(patient, ROI) table as a per-patient matrix with columns ``<ROI>_<feature>``."""
    try:
        long = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or missing file is a user-facing fault
        raise RadiomeError(f"cannot read the feature table: {exc}", path=path) from None
    long = long[long["roi"].isin(rois)]
    feats = [c for c in long.columns if c not in ("patient_id", "roi", "label")]
    feats = [c for c in feats if pd.api.types.is_numeric_dtype(long[c])]
    wide = long.pivot(index="patient_id", columns="roi", values=feats)

    def name(roi: str, feat: str) -> str:
        return feat if roi == TABLE_ROI else f"{roi}_{feat}"

    wide.columns = [name(roi, feat) for feat, roi in wide.columns]
    order = [name(roi, f) for roi in rois for f in feats if name(roi, f) in wide.columns]
    wide = wide[order]
    wide.index = wide.index.astype(str)
    return wide


# ------------------------------------------------------------------------------------------------
# clinical
# ------------------------------------------------------------------------------------------------


def _covariate_args(study: Study) -> tuple[list[str], list[str], dict[str, Any]]:
    names = [c.name for c in study.covariates]
    cat = [c.name for c in study.covariates if c.categorical]
    ref = {c.name: c.reference for c in study.covariates if c.categorical and c.reference is not None}
    return names, cat, ref


def _predict(model, df: pd.DataFrame) -> np.ndarray:
    """P(outcome) for each row; NaN where a covariate is missing (after the model's imputation)."""
    out = np.full(len(df), np.nan)
    data = df.copy()
    if model.design.missing == "impute_median":
        data = model.design.impute(data)
    ok = data[model.covariates].notna().all(axis=1).to_numpy()
    if ok.any():
        out[ok] = model.predict_proba(data[ok])[:, 1]
    return out


def stage_clinical(ctx: Context) -> list[Path]:
    from radiome.models import multivariate_logistic, univariate_logistic

    study, sec = ctx.study, ctx.study.clinical
    names, cat, ref = _covariate_args(study)
    files: list[Path] = []
    info: dict[str, Any] = {"covariates": [], "notes": []}
    split = read_split(ctx)
    if names:
        table = clinical_table(study, ctx.out).merge(split[["patient_id", "split"]], on="patient_id")
        files += stage_table1(ctx, table.drop(columns=["split"]), split)
        train = table[table["split"] == "train"].reset_index(drop=True)
        missing = "error" if sec.missing == "error" else sec.missing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            univ = univariate_logistic(train, OUTCOME, names, cat, ref, missing=missing)
            files.append(write_csv(ctx.path("clinical", "clinical_univariate.csv"), univ))
            try:
                model = multivariate_logistic(
                    train, OUTCOME, "from_univariate", candidates=names, categorical=cat, reference=ref,
                    p_threshold=sec.p_threshold, stepwise=sec.stepwise, missing=missing,
                )
            except ValueError as exc:
                model = None
                info["notes"].append(f"no clinical model: {exc}")
        if model is not None:
            files.append(write_csv(ctx.path("clinical", "clinical_multivariate.csv"), model.table))
            info.update(covariates=list(model.covariates), notes=info["notes"] + list(model.notes),
                        aic=model.aic, n=model.n, n_events=model.n_events, method=model.method)
            p = _predict(model, table)
            preds = pd.DataFrame({"patient_id": table["patient_id"], "split": table["split"],
                                  "y": table[OUTCOME], "model": "clinical", "p": p})
            files.append(write_csv(ctx.path("clinical", "predictions.csv"), preds))
    else:
        info["notes"].append("no covariates in the study: no clinical model")
    if not any(f.name == "clinical_multivariate.csv" for f in files):
        files.append(write_csv(ctx.path("clinical", "clinical_multivariate.csv"), pd.DataFrame(columns=["term"])))
        files.append(write_csv(ctx.path("clinical", "predictions.csv"),
                               pd.DataFrame(columns=["patient_id", "split", "y", "model", "p"])))
    files.append(write_json(ctx.path("clinical", "clinical_model.json"), info))
    return files


# ------------------------------------------------------------------------------------------------
# selection + models
# ------------------------------------------------------------------------------------------------


def build_selector(study: Study, icc_values: pd.Series | None):
    """The selection section as a scikit-learn Pipeline of radiome.select steps.

    The ICC step is included only when ICC values (from the second reader) are given. The
    Rad-score needs a LASSO: when the chain has none, ``radscore_pipeline`` appends one.
    """
    from sklearn.pipeline import Pipeline

    from radiome.select import (
        MRMR,
        SVMRFE,
        CorrelationFilter,
        ICCFilter,
        LassoCV1SE,
        UnivariateFilter,
        VarianceFilter,
        ZScore,
    )

    s, seed = study.selection, study.validation.seed
    steps = []
    for name in s.chain:
        if name == "zscore":
            steps.append((name, ZScore()))
        elif name == "variance":
            steps.append((name, VarianceFilter()))
        elif name == "icc":
            if icc_values is not None:
                steps.append((name, ICCFilter(threshold=s.icc_threshold, kind=s.icc_kind,
                                              reference={k: float(v) for k, v in icc_values.items()})))
        elif name == "univariate":
            steps.append((name, UnivariateFilter(test=s.univariate_test, alpha=s.alpha)))
        elif name == "correlation":
            steps.append((name, CorrelationFilter(threshold=s.correlation_threshold)))
        elif name == "mrmr":
            steps.append((name, MRMR(k=s.mrmr_k, scheme=s.mrmr_scheme, random_state=seed)))
        elif name == "lasso":
            steps.append((name, LassoCV1SE(rule=s.lasso_rule, n_folds=s.lasso_folds, random_state=seed)))
        elif name == "svm_rfe":
            steps.append((name, SVMRFE(random_state=seed)))
        else:  # pragma: no cover - the schema restricts the names
            raise RadiomeError(f"unknown selection step {name!r}")
    return Pipeline(steps)


def radscore_pipeline(study: Study, icc_values: pd.Series | None):
    from radiome.select import LassoCV1SE

    pipe = build_selector(study, icc_values)
    if not pipe.steps or not isinstance(pipe.steps[-1][1], LassoCV1SE):
        s = study.selection
        pipe.steps.append(("lasso", LassoCV1SE(rule=s.lasso_rule, n_folds=s.lasso_folds,
                                                random_state=study.validation.seed)))
    return pipe


def _icc_values(ctx: Context, rois: list[str], X1: pd.DataFrame, train_ids: list[str]) -> pd.DataFrame | None:
    from radiome.select import icc_features

    if not uses_icc(ctx.study):
        return None
    X2 = wide_features(ctx.path("features_reader2", "features.parquet"), rois)
    ids = [i for i in train_ids if i in X2.index and i in X1.index]
    cols = [c for c in X1.columns if c in X2.columns]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = icc_features([X1.loc[ids, cols], X2.loc[ids, cols]], kind=ctx.study.selection.icc_kind)
    tab = tab.reindex(X1.columns)
    tab.index.name = "feature"
    return tab


def model_matrix(ctx: Context, rois: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(X, split) for one ROI set: patients with complete features, finite columns only."""
    X = wide_features(ctx.path("features", "features.parquet"), rois)
    split = read_split(ctx).set_index("patient_id")
    ids = [i for i in split.index if i in X.index]
    X = X.loc[ids]
    X = X.loc[:, np.isfinite(X.to_numpy(dtype=float)).all(axis=0)]
    return X, split.loc[ids]


def _lasso_outputs(ctx: Context, set_name: str, pipe, names_in: list[str], X_train: pd.DataFrame) -> list[Path]:
    """The LASSO's coefficient path and CV curve, its lambdas, and the correlation of the selected
    features on the training patients (figures of the report)."""
    lasso = pipe.steps[-1][1]
    folder = ctx.path("models", set_name)
    path = lasso.cv_result_.fit
    lp = pd.DataFrame(np.asarray(path.beta).T, columns=names_in)
    lp.insert(0, "lambda", path.lambdas)
    info = {"rule": lasso.rule, "lambda_min": lasso.lambda_min_, "lambda_1se": lasso.lambda_1se_,
            "lambda": lasso.lambda_, "lambda_moved": bool(lasso.lambda_moved_), "n_candidates": len(names_in),
            "n_selected": int(np.count_nonzero(lasso.coef_)), "n_folds": int(lasso.n_folds)}
    chosen = [n for n, c in zip(names_in, lasso.coef_, strict=True) if c != 0]
    Z = pipe[:-1].transform(X_train) if len(pipe.steps) > 1 else X_train
    Z = pd.DataFrame(np.asarray(Z, dtype=float), columns=names_in)
    corr = Z[chosen].corr(method="pearson") if chosen else pd.DataFrame()
    return [
        write_csv(folder / "lasso_path.csv", lp),
        write_csv(folder / "lasso_cv.csv", lasso.cv_curve_),
        write_json(folder / "lasso.json", info),
        write_csv(folder / "selected_correlation.csv", corr, index=True),
    ]


def best_classifier(best: dict[str, Any]) -> str:
    """The classifier with the highest inner-CV AUC (training data only: no peeking at the test set);
    ties go to the first listed."""
    scored = [(v.get("inner_cv_auc"), k) for k, v in best.items()]
    finite = [(a, k) for a, k in scored if a is not None and math.isfinite(a)]
    if not finite:
        return next(iter(best))
    top = max(a for a, _ in finite)
    return next(k for a, k in finite if a == top)


def _shap_outputs(ctx: Context, set_name: str, best: dict[str, Any], fitted: dict[str, Any], X: pd.DataFrame,
                  split: pd.DataFrame) -> list[Path]:
    """SHAP values of the best classifier (by inner-CV AUC) for every patient, on the probability
    scale, with the training patients as background (:func:`radiome.models.explain.shap_values`)."""
    from radiome.models.explain import shap_values

    name = best_classifier(best)
    tr = (split["split"] == "train").to_numpy()
    res = shap_values(fitted[name], X, X[tr], seed=ctx.study.validation.seed)
    folder = ctx.path("models", set_name)
    vals = res.values.copy()
    vals.insert(0, "split", split["split"].to_numpy())
    data = res.data.copy()
    data.insert(0, "split", split["split"].to_numpy())
    return [
        write_csv(folder / "shap_values.csv", vals, index=True),
        write_csv(folder / "shap_data.csv", data, index=True),
        write_json(folder / "shap.json", {"model": name, "base_value": res.base_value, "method": res.method,
                                          "mean_abs": res.mean_abs}),
    ]


def _model_set(ctx: Context, set_name: str, rois: list[str]) -> tuple[list[Path], pd.DataFrame, list[pd.DataFrame]]:
    """Selection, Rad-score and classifiers of one ROI set: (files, Rad-scores, predictions)."""
    from radiome._threads import single_blas_thread
    from radiome.models.combined import rad_score
    from radiome.models.validation import _Cache, external

    study = ctx.study
    m, v = study.models, study.validation
    files: list[Path] = []
    preds: list[pd.DataFrame] = []
    with single_blas_thread():
        X, split = model_matrix(ctx, rois)
        if X.shape[1] == 0:
            raise RadiomeError(f"ROI set {set_name!r}: no feature without missing values")
        y = split["label"].to_numpy()
        tr = (split["split"] == "train").to_numpy()
        train_ids = list(split.index[tr])
        icc_tab = _icc_values(ctx, rois, X, train_ids)
        icc_vals = None
        if icc_tab is not None:
            files.append(write_csv(ctx.path("models", set_name, "icc.csv"), icc_tab.reset_index()))
            icc_vals = icc_tab["icc"].fillna(-1.0)
        # Rad-score: the selection chain ending in a LASSO, fitted on the training patients
        pipe = radscore_pipeline(study, icc_vals)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pipe.fit(X[tr], y[tr])
            except ValueError as exc:
                raise RadiomeError(f"ROI set {set_name!r}: feature selection failed: {exc}") from None
        lasso = pipe.steps[-1][1]
        names_in = list(lasso.feature_names_in_) if hasattr(lasso, "feature_names_in_") else list(X.columns)
        sel = pd.DataFrame({"feature": names_in, "coefficient": lasso.coef_})
        sel = sel[sel["coefficient"] != 0].reset_index(drop=True)
        sel = pd.concat([pd.DataFrame({"feature": ["(Intercept)"], "coefficient": [lasso.intercept_]}), sel],
                        ignore_index=True)
        files.append(write_csv(ctx.path("models", set_name, "selected_features.csv"), sel))
        files.append(write_text_atomic(ctx.path("models", set_name, "radscore_formula.txt"),
                                       lasso.radscore_formula() + "\n"))
        files += _lasso_outputs(ctx, set_name, pipe, names_in, X[tr])
        rs = rad_score(pipe, X).to_numpy()
        score = pd.DataFrame({"patient_id": X.index, "roi_set": set_name, "split": split["split"].to_numpy(),
                              "y": y, "rad_score": rs})
        preds.append(pd.DataFrame({"patient_id": X.index, "split": split["split"].to_numpy(), "y": y,
                                   "model": f"radscore[{set_name}]", "p": 1.0 / (1.0 + np.exp(-rs))}))
        # classifiers: selection + tuning inside the training patients, predictions for all
        selector = build_selector(study, icc_vals)
        best: dict[str, Any] = {}
        fitted: dict[str, Any] = {}
        # one selection cache for every classifier: the split and the inner folds are the same, so
        # the chain is fitted once per fold, not once per classifier and hyper-parameter
        with _Cache(bool(selector.steps)) as mem:
            for clf in m.classifiers:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        r = external(X[tr], y[tr], X[~tr] if (~tr).any() else X[tr], y[~tr] if (~tr).any() else y[tr],
                                     clf, selector if selector.steps else None, seed=v.seed, inner_cv=v.cv_folds,
                                     search=m.search, n_iter=m.n_iter, _memory=mem)
                    except ValueError as exc:
                        raise RadiomeError(f"ROI set {set_name!r}, classifier {clf!r}: {exc}") from None
                    p = np.asarray(r.estimator.predict_proba(X))[:, 1]
                best[clf] = {"best_params": r.best_params, "inner_cv_auc": r.inner_cv_auc,
                             "selected_features": r.selected_features}
                if v.scheme != "holdout":
                    best[clf]["internal_validation"] = internal_validation(
                        X[tr], y[tr], clf, selector if selector.steps else None, study, mem)
                fitted[clf] = r.estimator
                preds.append(pd.DataFrame({"patient_id": X.index, "split": split["split"].to_numpy(), "y": y,
                                           "model": f"{set_name}/{clf}", "p": p}))
        files.append(write_json(ctx.path("models", set_name, "best_params.json"), best))
        files += _shap_outputs(ctx, set_name, best, fitted, X, split)
    return files, score, preds


def internal_validation(X, y, clf: str, selector, study: Study, memory) -> dict[str, Any]:
    """The classifier's performance on the training (development) patients by ``validation.scheme``
    (repeated stratified k-fold, nested CV or Harrell's bootstrap optimism correction), with the
    whole selection chain and the hyper-parameter search redone inside every resample."""
    from radiome.models.validation import bootstrap_optimism, nested_cv, repeated_kfold

    v, m = study.validation, study.models
    common = {"seed": v.seed, "search": m.search, "n_iter": m.n_iter, "_memory": memory}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if v.scheme == "repeated_kfold":
                r = repeated_kfold(X, y, clf, selector, n_splits=v.cv_folds, n_repeats=v.repeats, tune=True,
                                   inner_cv=v.cv_folds, **common)
                row = r.metrics.set_index("split").loc["test"]
                label = f"repeated {v.cv_folds}-fold CV ({v.repeats} repeats), mean test-fold AUC"
            elif v.scheme == "nested_cv":
                r = nested_cv(X, y, clf, selector, outer_cv=v.cv_folds, inner_cv=v.cv_folds, **common)
                row = r.metrics.set_index("split").loc["test"]
                label = f"nested {v.cv_folds}x{v.cv_folds}-fold CV, mean outer-fold AUC"
            else:
                r = bootstrap_optimism(X, y, clf, selector, B=v.bootstrap, tune=True, inner_cv=v.cv_folds, **common)
                row = r.metrics.set_index("split").loc["corrected"]
                label = f"bootstrap optimism-corrected AUC ({v.bootstrap} resamples)"
        except ValueError as exc:
            raise RadiomeError(f"classifier {clf!r}, {v.scheme} on the training set: {exc}") from None
    return {"scheme": v.scheme, "description": label, "auc": float(row["auc"]), "auc_sd": float(row["auc_sd"])}


def _model_set_task(args: tuple[Study, Path, str, list[str]]) -> tuple[list[Path], pd.DataFrame, list[pd.DataFrame]]:
    study, out, set_name, rois = args
    return _model_set(Context(study, out), set_name, rois)


def stage_models(ctx: Context) -> list[Path]:
    """Every ROI set's models; the sets run in parallel processes (``features.jobs``), each with one
    BLAS thread, so the results do not depend on the number of processes."""
    sets = roi_sets(ctx.study)
    tasks = [(ctx.study, ctx.out, name, rois) for name, rois in sets.items()]
    workers = min(ctx.study.features.jobs, len(tasks))
    if workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            parts = list(pool.map(_model_set_task, tasks))
    else:
        parts = [_model_set(ctx, name, rois) for name, rois in sets.items()]
    files = [f for part in parts for f in part[0]]
    scores = [part[1] for part in parts]
    preds = [p for part in parts for p in part[2]]
    files.append(write_csv(ctx.path("models", "radscore.csv"), pd.concat(scores, ignore_index=True)))
    files.append(write_csv(ctx.path("models", "predictions.csv"), pd.concat(preds, ignore_index=True)))
    return files


# ------------------------------------------------------------------------------------------------
# combined model + nomogram
# ------------------------------------------------------------------------------------------------


def stage_combined(ctx: Context) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from radiome.models import combined_model, nomogram

    study = ctx.study
    _, cat, ref = _covariate_args(study)
    info = json.loads(ctx.path("clinical", "clinical_model.json").read_text())
    clinical = list(info.get("covariates") or [])
    scores = pd.read_csv(ctx.path("models", "radscore.csv"), dtype={"patient_id": str})
    table = clinical_table(study, ctx.out) if study.covariates else None
    files: list[Path] = []
    preds = []
    for set_name in roi_sets(study):
        s = scores[scores["roi_set"] == set_name][["patient_id", "split", "y", "rad_score"]]
        df = s.rename(columns={"y": OUTCOME})
        if table is not None:
            df = df.merge(table.drop(columns=[OUTCOME]), on="patient_id", how="left")
        train = df[df["split"] == "train"].reset_index(drop=True)
        cat_used = [c for c in cat if c in clinical]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = combined_model(train, OUTCOME, clinical, "rad_score", categorical=cat_used,
                                       reference={k: x for k, x in ref.items() if k in clinical},
                                       missing=study.clinical.missing)
            except ValueError as exc:
                raise RadiomeError(f"ROI set {set_name!r}: combined model failed: {exc}") from None
            folder = ctx.path("combined", set_name)
            files.append(write_csv(folder / "combined_multivariate.csv", model.table))
            p = _predict(model, df)
            preds.append(pd.DataFrame({"patient_id": df["patient_id"], "split": df["split"], "y": df[OUTCOME],
                                       "model": f"combined[{set_name}]", "p": p}))
            nomo = nomogram(model, labels={"rad_score": "Rad-score"}, outcome_label=f"Risk of {study.outcome.column}")
            files.append(write_csv(folder / "nomogram_points.csv", nomo.to_frame()))
            fig = nomo.figure(title=f"Nomogram ({set_name})")
            for ext in ("png", "svg"):
                target = folder / f"nomogram.{ext}"
                # no timestamps in the SVG/PNG metadata: byte-identical reruns
                with atomic_path(target) as tmp:
                    fig.savefig(tmp, format=ext, dpi=150, metadata={"Date": None} if ext == "svg" else {"Software": None})
                files.append(target)
            plt.close(fig)
    files.append(write_csv(ctx.path("combined", "predictions.csv"), pd.concat(preds, ignore_index=True)))
    return files


# ------------------------------------------------------------------------------------------------
# evaluation
# ------------------------------------------------------------------------------------------------

SPLITS = ("train", "test", "external")


def all_predictions(ctx: Context) -> pd.DataFrame:
    parts = [pd.read_csv(ctx.path(s, "predictions.csv"), dtype={"patient_id": str})
             for s in ("clinical", "models", "combined")]
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True)


def stage_evaluation(ctx: Context) -> list[Path]:
    from radiome.evaluate import (
        calibration,
        decision_curve,
        delong_test,
        evaluate_model,
        hosmer_lemeshow,
        youden,
    )

    study, ev = ctx.study, ctx.study.evaluation
    seed = study.validation.seed
    preds = all_predictions(ctx)
    models = list(dict.fromkeys(preds["model"]))
    metrics, cal_rows, hl_rows, dca, delong = [], [], [], [], []
    start, stop, step = ev.dca_thresholds
    thresholds = np.round(np.arange(start, stop + step / 2, step), 10)
    for model in models:
        pm = preds[(preds["model"] == model) & preds["p"].notna()]
        tr = pm[pm["split"] == "train"]
        thr = float(youden(tr["y"].to_numpy(), tr["p"].to_numpy()).threshold)
        for split in SPLITS:
            d = pm[pm["split"] == split]
            y, p = d["y"].to_numpy(dtype=int), d["p"].to_numpy(dtype=float)
            if len(d) == 0 or len(set(y)) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row = evaluate_model(y, p, threshold=thr, level=ev.ci_level, n_boot=ev.n_bootstrap, seed=seed)
                hl = hosmer_lemeshow(y, p, groups=ev.calibration_groups)
                cal = calibration(y, p)
                dc = decision_curve(y, p, thresholds)
            metrics.append({"model": model, "split": split, **row})
            hl_rows.append({"model": model, "split": split, "statistic": hl.statistic, "df": hl.df,
                            "p_value": hl.p_value})
            cal_rows.append({"model": model, "split": split, **cal})
            dc = dc.copy()
            dc.insert(0, "split", split)
            dc.insert(0, "model", model)
            dca.append(dc)
    for split in SPLITS:
        wide = preds[preds["split"] == split].pivot(index="patient_id", columns="model", values="p")
        ys = preds[preds["split"] == split].drop_duplicates("patient_id").set_index("patient_id")["y"]
        names = [m for m in models if m in wide.columns]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                ok = wide[[a, b]].notna().all(axis=1)
                yy = ys.loc[wide.index[ok]].to_numpy(dtype=int)
                if ok.sum() < 2 or len(set(yy)) < 2:
                    continue
                r = delong_test(yy, wide.loc[ok, a].to_numpy(), wide.loc[ok, b].to_numpy())
                delong.append({"split": split, "model_a": a, "model_b": b, "auc_a": r.auc1, "auc_b": r.auc2,
                               "z": r.z, "p_value": r.p_value})
    out = ctx.path("evaluation")
    mt = pd.DataFrame(metrics)
    cols = ["model", "split", "n", "n_events", "auc", "auc_delong_lower", "auc_delong_upper", "auc_boot_lower",
            "auc_boot_upper", "threshold", "accuracy", "sensitivity", "specificity", "ppv", "npv", "brier"]
    files = [
        write_csv(out / "predictions.csv", preds),
        write_csv(out / "metrics.csv", mt),
        write_csv(out / "model_comparison.csv", mt[[c for c in cols if c in mt.columns]]),
        write_csv(out / "delong_matrix.csv", pd.DataFrame(delong, columns=["split", "model_a", "model_b", "auc_a",
                                                                          "auc_b", "z", "p_value"])),
        write_csv(out / "calibration.csv", pd.DataFrame(cal_rows)),
        write_csv(out / "hosmer_lemeshow.csv", pd.DataFrame(hl_rows)),
        write_csv(out / "decision_curve.csv", pd.concat(dca, ignore_index=True) if dca else pd.DataFrame()),
    ]
    return files
