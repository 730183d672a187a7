"""evaluate_model gathers the other functions' results."""

from __future__ import annotations

import pytest

from radiome.evaluate import brier_score, evaluate_model, roc_auc_ci, threshold_metrics, youden


def test_evaluate_model_youden_default(insample, ref):
    y, p = insample
    r = evaluate_model(y, p, n_boot=500, seed=1)
    dl = roc_auc_ci(y, p)
    assert (r["auc"], r["auc_delong_lower"], r["auc_delong_upper"]) == (dl.auc, dl.lower, dl.upper)
    bt = roc_auc_ci(y, p, method="bootstrap", n_boot=500, seed=1)
    assert (r["auc_boot_lower"], r["auc_boot_upper"]) == (bt.lower, bt.upper)
    assert r["threshold_method"] == "youden" and r["threshold"] == youden(y, p).threshold
    assert r["brier"] == pytest.approx(ref["valprob.Brier"], abs=1e-10)
    assert r["brier"] == brier_score(y, p)
    assert (r["n"], r["n_events"]) == (113, 41)


def test_evaluate_model_fixed_threshold(insample):
    y, p = insample
    r = evaluate_model(y, p, threshold=0.5, n_boot=0)
    m = threshold_metrics(y, p, 0.5)
    assert r["threshold_method"] == "fixed"
    assert {k: r[k] for k in m} == m
    assert r["auc_boot_lower"] != r["auc_boot_lower"]  # NaN when skipped
