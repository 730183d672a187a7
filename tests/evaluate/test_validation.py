"""Bad input is refused with a ValueError that says what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from radiome import evaluate as ev

Y = [0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0]
P = [0.1, 0.8, 0.3, 0.6, 0.7, 0.2, 0.4, 0.9, 0.35, 0.55, 0.65, 0.15]

ALL = {
    "roc_auc": lambda y, p: ev.roc_auc(y, p),
    "roc_auc_ci": lambda y, p: ev.roc_auc_ci(y, p),
    "roc_auc_ci_boot": lambda y, p: ev.roc_auc_ci(y, p, method="bootstrap", n_boot=10),
    "delong_test": lambda y, p: ev.delong_test(y, p, P),
    "youden": lambda y, p: ev.youden(y, p),
    "roc_curve": lambda y, p: ev.roc_curve(y, p),
    "threshold_metrics": lambda y, p: ev.threshold_metrics(y, p, 0.5),
    "hosmer_lemeshow": lambda y, p: ev.hosmer_lemeshow(y, p),
    "calibration": lambda y, p: ev.calibration(y, p),
    "calibration_curve": lambda y, p: ev.calibration_curve(y, p),
    "decision_curve": lambda y, p: ev.decision_curve(y, p),
    "brier_score": lambda y, p: ev.brier_score(y, p),
    "evaluate_model": lambda y, p: ev.evaluate_model(y, p, n_boot=0),
}
PROBABILITY = ["hosmer_lemeshow", "calibration", "calibration_curve", "decision_curve", "brier_score",
               "evaluate_model"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(ALL))
def test_single_class(name):
    with pytest.raises(ValueError, match="single class"):
        ALL[name]([1] * len(P), P)


@pytest.mark.parametrize("name", sorted(ALL))
def test_length_mismatch(name):
    with pytest.raises(ValueError, match="length mismatch"):
        ALL[name](Y, P[:-1])


@pytest.mark.parametrize("name", sorted(ALL))
def test_nan_in_p(name):
    p = list(P)
    p[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ALL[name](Y, p)


@pytest.mark.parametrize("name", sorted(ALL))
def test_nan_in_y(name):
    y = np.array(Y, dtype=float)
    y[0] = np.nan
    with pytest.raises(ValueError, match="missing"):
        ALL[name](y, P)


@pytest.mark.parametrize("name", sorted(ALL))
def test_y_not_binary(name):
    with pytest.raises(ValueError, match="only 0 and 1"):
        ALL[name]([2 if v else 0 for v in Y], P)


@pytest.mark.parametrize("name", PROBABILITY)
def test_probabilities_outside_unit_interval(name):
    p = list(P)
    p[0] = 1.2
    with pytest.raises(ValueError, match=r"within \[0, 1\]"):
        ALL[name](Y, p)


@pytest.mark.parametrize("name", sorted(set(ALL) - set(PROBABILITY)))
def test_scores_need_not_be_probabilities(name):
    ALL[name](Y, [10 * v - 3 for v in P])  # e.g. a raw biomarker: no error


def test_boolean_outcome_and_level():
    assert ev.roc_auc([bool(v) for v in Y], P) == ev.roc_auc(Y, P)
    with pytest.raises(ValueError, match="level"):
        ev.roc_auc_ci(Y, P, level=95)


def test_delong_second_score_checked():
    with pytest.raises(ValueError, match="p2"):
        ev.delong_test(Y, P, P[:-2])


def test_pandas_nullable_missing_values_reported():
    import pandas as pd

    with pytest.raises(ValueError, match="y contains 1 missing"):
        ev.roc_auc(pd.Series([0, 1, None, 1], dtype="Int64"), [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="p contains 1 missing"):
        ev.roc_auc([0, 1, 0, 1], pd.Series([0.1, None, 0.3, 0.4], dtype="Float64"))
