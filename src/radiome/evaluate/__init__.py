"""Evaluation statistics of a clinical prediction model, matching the R packages reviewers use.

========================================  ================================================
function                                  R reference
========================================  ================================================
:func:`roc_auc_ci` (DeLong, bootstrap)    pROC ``ci.auc`` (``direction = "<"``)
:func:`delong_test`                       pROC ``roc.test(method = "delong", paired = TRUE)``
:func:`youden`, :func:`roc_curve`         pROC ``coords(r, "best", best.method = "youden")``
:func:`threshold_metrics`                 pROC ``coords(r, t, ret = "all")``
:func:`hosmer_lemeshow`                   ResourceSelection ``hoslem.test``
:func:`calibration`                       rms ``val.prob``
:func:`calibration_curve`                 rms ``val.prob`` smooth / grouped proportions
:func:`bootstrap_calibration`             rms ``calibrate(method = "boot")``
:func:`decision_curve`                    dcurves ``dca``
:func:`brier_score`                       rms ``val.prob``'s ``Brier``
:func:`evaluate_model`                    (a results-table row)
========================================  ================================================

Conventions: ``y`` is 0/1 with 1 the event (case); a subject is positive when ``p >= threshold``;
inputs are checked (one class only, length mismatch, NaN, probabilities outside [0, 1]) and
refused with a :class:`ValueError`.

Example
-------
>>> import numpy as np
>>> from radiome.evaluate import roc_auc_ci, hosmer_lemeshow
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.95, 200)
>>> y = (rng.uniform(size=200) < p).astype(int)
>>> r = roc_auc_ci(y, p)
>>> r.lower < r.auc < r.upper
True
>>> hosmer_lemeshow(y, p).df
8
"""

from radiome.evaluate.calibration import (
    BootstrapCalibration,
    HLResult,
    bootstrap_calibration,
    brier_score,
    calibration,
    calibration_curve,
    hosmer_lemeshow,
)
from radiome.evaluate.decision import decision_curve
from radiome.evaluate.roc import (
    AUCResult,
    DeLongResult,
    Threshold,
    delong_test,
    roc_auc,
    roc_auc_ci,
    roc_curve,
    threshold_metrics,
    youden,
)
from radiome.evaluate.summary import evaluate_model

__all__ = [
    "AUCResult",
    "BootstrapCalibration",
    "DeLongResult",
    "HLResult",
    "Threshold",
    "bootstrap_calibration",
    "brier_score",
    "calibration",
    "calibration_curve",
    "decision_curve",
    "delong_test",
    "evaluate_model",
    "hosmer_lemeshow",
    "roc_auc",
    "roc_auc_ci",
    "roc_curve",
    "threshold_metrics",
    "youden",
]
