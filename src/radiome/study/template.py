"""``radiome init``: a commented study file to start from, with every key at its default.

The defaults reproduce the lumbar pain study's design (stratified 8:2 hold-out, z-score -> ICC ->
univariate -> mRMR(20) -> LASSO(1-SE) selection, the classifier zoo, DeLong and bootstrap CIs,
calibration and decision curves). Edit the ``inputs``, ``rois``, ``outcome`` and ``covariates``
sections for your study; everything else can stay as it is.
"""

from __future__ import annotations

from pathlib import Path

from radiome._atomic import write_text_atomic
from radiome.errors import ConfigError

TEMPLATE = """\
# radiome study file. Every key below shows its default; delete what you do not change.
# Relative paths are relative to this file; paths inside the manifest to the manifest's folder.
name: My radiomics study
description: null

inputs:
  manifest: manifest.csv          # CSV/TSV/XLSX: one row per patient
  clinical: null                  # optional clinical table, joined on id_column
  id_column: patient_id
  image_column: image
  mask_column: mask
  cohort_column: cohort           # optional column: train / test / external
  second_mask_column: null        # second reader's mask, for ICC reproducibility

rois:                             # ROI name: label value in the mask
  MF_L: 1
  MF_R: 2

outcome:
  column: pain_group
  positive: severe                # the positive class (not needed for 0/1 columns)

covariates:                       # clinical covariates for the clinical model
  - age
  - {name: sex, categorical: true, reference: F}
  # - {name: MF_L_fat_rate, source: morphometry, scale: 100}   # a spine measure, in percent

morphometry: null                 # e.g. {method: otsu, slice: auto}: spine measures per patient

checks:                           # radiome validate
  min_roi_voxels: 10
  geometry_tolerance: {spacing: 0.001, origin: 0.001, direction: 0.0001}

features:                         # radiome extract
  params: null                    # PyRadiomics parameter file (YAML/JSON) or the same layout inline
  rois: null                      # default: all ROIs
  jobs: 2
  scheduler: null                 # tcp://host:port to run on a Dask cluster

clinical:                         # univariate screening, then multivariate logistic regression
  p_threshold: 0.05
  stepwise: none                  # none | backward_aic
  missing: drop                   # drop | impute_median | error

selection:                        # fitted on training data only, inside every CV fold
  chain: [zscore, icc, univariate, mrmr, lasso]   # also: variance, correlation, svm_rfe
  icc_threshold: 0.75
  icc_kind: ICC(2,1)              # ICC(2,1) | ICC(3,1)
  univariate_test: ttest          # ttest (Welch) | mannwhitney
  alpha: 0.05
  correlation_threshold: 0.9
  mrmr_k: 20
  mrmr_scheme: MID                # MID | MIQ
  lasso_rule: 1se                 # 1se | min
  lasso_folds: 10

models:
  classifiers: [logistic, svm_linear, svm_rbf, random_forest, extra_trees, xgboost, lightgbm,
                knn, decision_tree, naive_bayes, mlp, adaboost, gradient_boosting]
  search: grid                    # grid | random
  n_iter: 20                      # random search only
  roi_sets: null                  # e.g. {MF: [MF_L, MF_R], ES: [ES_L, ES_R]}

validation:
  scheme: holdout                 # holdout | repeated_kfold | nested_cv | bootstrap
  test_size: 0.2
  cv_folds: 5
  repeats: 10
  bootstrap: 200
  seed: 42

evaluation:
  n_bootstrap: 2000
  ci_level: 0.95
  calibration_groups: 10
  dca_thresholds: [0.01, 0.99, 0.01]   # start, stop, step

report:
  title: Radiomics study report
  authors: []
  sections: null                  # default: all

output_dir: results
"""


def write_template(path: str | Path, *, force: bool = False) -> Path:
    """Write the commented study template to ``path`` (refuses to overwrite unless ``force``)."""
    path = Path(path)
    if path.exists() and not force:
        raise ConfigError("file exists; use --force to overwrite it", path=path)
    return write_text_atomic(path, TEMPLATE)


RADIOMICS_HINTS = ("original", "wavelet", "log-sigma", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm",
                   "shape", "square", "logarithm", "exponential", "gradient", "lbp")
ID_NAMES = ("patient_id", "id", "subject", "subject_id", "participant_id", "case", "case_id", "patient")
OUTCOME_NAMES = ("outcome", "label", "target", "group", "class", "y", "diagnosis", "status")


def _guess(columns: list[str], names: tuple[str, ...]) -> str | None:
    low = {c.lower(): c for c in columns}
    return next((low[n] for n in names if n in low), None)


def table_template(table: str | Path, study_path: str | Path, *, id_column: str | None = None,
                   outcome: str | None = None, positive: str | None = None) -> str:
    """The text of a study file for a feature table (``radiome init --from-table``).

    The id column, the outcome and the clinical covariates are guessed from the column names when
    not given: feature columns are the numeric columns named like radiomics features (PyRadiomics
    names) or, if none is, every numeric column; other columns become suggested covariates.
    """
    import os

    import pandas as pd

    from radiome.io.cohort import read_table

    table, study_path = Path(table), Path(study_path)
    df = read_table(table, what="feature table")
    cols = list(df.columns)
    idc = id_column or _guess(cols, ID_NAMES) or cols[0]
    out = outcome or _guess(cols, OUTCOME_NAMES)
    for given, what in ((id_column, "id"), (outcome, "outcome")):
        if given is not None and given not in cols:
            raise ConfigError(f"--{what} {given!r} is not a column of the table ({', '.join(cols[:8])}...)", path=table)
    if out is None:
        binary = [c for c in cols if c != idc and df[c].dropna().nunique() == 2]
        if not binary:
            raise ConfigError("cannot guess the outcome column (no column with two values); give --outcome",
                              path=table)
        out = binary[0]
    rest = [c for c in cols if c not in (idc, out, "cohort")]
    numeric = [c for c in rest if pd.api.types.is_numeric_dtype(df[c])]
    radiomic = [c for c in numeric if any(h in c.lower() for h in RADIOMICS_HINTS)]
    features = radiomic or numeric
    covariates = [c for c in rest if c not in features]
    values = sorted(map(str, df[out].dropna().unique()))
    hints = ("case", "cases", "patient", "patients", "yes", "true", "positive", "severe", "event", "malignant", "high",
             "disease", "responder")
    guessed = next((v for v in values if v.lower() in hints), values[-1] if values else None)
    pos = positive if positive is not None else (None if set(values) <= {"0", "1", "0.0", "1.0"} else guessed)
    rel = os.path.relpath(table.resolve(), study_path.resolve().parent)
    cov_lines = "".join(
        f"  - {{name: {c}, categorical: true}}\n" if not pd.api.types.is_numeric_dtype(df[c]) else f"  - {c}\n"
        for c in covariates
    ) or "  []\n"
    header = (
        f"# radiome study file for the feature table {table.name} (radiome init --from-table).\n"
        f"# {len(df)} rows; {len(features)} feature columns"
        f"{' (named like radiomics features)' if radiomic else ' (every numeric column)'}; check the guesses below.\n"
        f"name: {table.stem}\n"
        "description: null\n\n"
        "inputs:\n"
        f"  features: {rel}\n"
        f"  id: {idc}\n"
        + (f"  feature_columns: null          # default: the {len(features)} columns guessed\n")
        + "  cohort_column: cohort           # optional column: train / test / external\n\n"
        "outcome:\n"
        f"  column: {out}\n"
        + (f"  positive: {pos}               # values: {', '.join(values[:6])}\n" if pos is not None else "")
        + "\ncovariates:                       # the table's non-feature columns (clinical model)\n"
        + (cov_lines if covariates else "  []\n")
    )
    body = TEMPLATE[TEMPLATE.index("clinical:                         # univariate"):]
    body = body.replace("  chain: [zscore, icc, univariate, mrmr, lasso]   # also: variance, correlation, svm_rfe",
                        "  chain: [zscore, univariate, mrmr, lasso]   # also: variance, correlation, svm_rfe")
    return header + "\n" + body


def write_table_template(table: str | Path, path: str | Path, *, force: bool = False, **kwargs: str | None) -> Path:
    """Write :func:`table_template` to ``path`` (refuses to overwrite unless ``force``)."""
    path = Path(path)
    if path.exists() and not force:
        raise ConfigError("file exists; use --force to overwrite it", path=path)
    return write_text_atomic(path, table_template(table, path, **kwargs))
