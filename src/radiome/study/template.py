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
