"""Validation schemes: no leakage, correct bookkeeping, thresholds from training, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from radiome.models import (
    bootstrap_optimism,
    compare_models,
    external,
    holdout,
    nested_cv,
    repeated_kfold,
)
from radiome.models import _metrics

STATS = Path(__file__).parents[1] / "data" / "stats"


@pytest.fixture(scope="module")
def xy():
    X, y = make_classification(n_samples=90, n_features=30, n_informative=4, n_redundant=2,
                               class_sep=1.0, random_state=1)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(30)])
    X.insert(0, "row_id", np.arange(90, dtype=float))  # lets a spy see which rows were used
    return X, y


class SpySelector(TransformerMixin, BaseEstimator):
    """Selects by ANOVA F (ignoring row_id) and records the row ids of every fit."""

    fitted_on: list = []

    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y):
        SpySelector.fitted_on.append(set(X["row_id"].astype(int)))
        self.kb_ = SelectKBest(f_classif, k=self.k).fit(X.drop(columns="row_id"), y)
        return self

    def transform(self, X):
        return self.kb_.transform(X.drop(columns="row_id"))


def test_holdout_is_leakage_free(xy):
    X, y = xy
    SpySelector.fitted_on = []
    r = holdout(X, y, "logistic", SpySelector(5), seed=3, cache_selection=False)
    test_ids = set(r.test_index)
    assert len(SpySelector.fitted_on) == 4 * 5 + 1  # 4 grid points x 5 folds + the refit
    for rows in SpySelector.fitted_on:
        assert not rows & test_ids  # the selector never saw a test patient
    # inner folds are strictly smaller than the training set
    assert max(len(s) for s in SpySelector.fitted_on) == len(r.train_index)
    assert sorted(np.r_[r.train_index, r.test_index]) == list(range(90))
    assert r.best_params and set(r.best_params) == {"clf__C"}
    assert len(r.test_index) == 18


def test_selection_cache_gives_identical_results(xy):
    X, y = xy
    a = holdout(X, y, "logistic", SpySelector(5), seed=3, cache_selection=False)
    SpySelector.fitted_on = []
    b = holdout(X, y, "logistic", SpySelector(5), seed=3, cache_selection=True)
    np.testing.assert_array_equal(a.p_test, b.p_test)
    assert len(SpySelector.fitted_on) == 6  # cached: once per inner fold + once for the refit


def test_holdout_metrics_use_training_threshold(xy):
    X, y = xy
    r = holdout(X, y, "logistic", SelectKBest(f_classif, k=5), seed=0)
    m = r.metrics.set_index("split")
    t = _metrics.youden_threshold(r.y_train, r.p_train)
    assert m.loc["train", "threshold"] == m.loc["test", "threshold"] == t
    pred = r.p_test >= t
    yt = r.y_test
    assert m.loc["test", "sensitivity"] == pytest.approx(pred[yt == 1].mean())
    assert m.loc["test", "specificity"] == pytest.approx((~pred[yt == 0]).mean())
    assert m.loc["test", "accuracy"] == pytest.approx((pred == yt).mean())
    assert m.loc["test", "auc"] == pytest.approx(roc_auc_score(yt, r.p_test))
    assert m.loc["test", "auc_lower"] < m.loc["test", "auc"] <= m.loc["test", "auc_upper"]
    assert r.selected_features is not None and len(r.selected_features) == 5


def test_random_search_is_seeded(xy):
    X, y = xy
    a = holdout(X, y, "decision_tree", SelectKBest(f_classif, k=5), seed=2, search="random",
                n_iter=3)
    b = holdout(X, y, "decision_tree", SelectKBest(f_classif, k=5), seed=2, search="random",
                n_iter=3)
    assert a.best_params == b.best_params
    np.testing.assert_array_equal(a.p_test, b.p_test)


def test_nested_and_repeated_cv(xy):
    X, y = xy
    r = nested_cv(X, y, "logistic", SelectKBest(f_classif, k=5), outer_cv=3, inner_cv=3, seed=0)
    assert len(r.best_params) == 3 and r.p_test.shape == (1, 90)
    assert not np.isnan(r.p_test).any()
    assert r.metrics.set_index("split").loc["test", "auc"] == pytest.approx(r.folds["auc_test"].mean())
    k = repeated_kfold(X, y, LogisticRegression(max_iter=5000), SelectKBest(f_classif, k=5), n_splits=3,
                       n_repeats=2, seed=0)
    assert k.p_test.shape == (2, 90) and len(k.folds) == 6
    assert all(p == {} for p in k.best_params)  # tune=False: no search


def test_bootstrap_optimism_bookkeeping(xy):
    X, y = xy
    r = bootstrap_optimism(X, y, LogisticRegression(max_iter=5000), SelectKBest(f_classif, k=5), B=8, seed=0)
    f = r.folds
    assert len(f) == 8
    opt = (f["auc_boot"] - f["auc_orig"]).mean()
    assert r.details["optimism"] == pytest.approx(opt)
    assert r.details["corrected_auc"] == pytest.approx(r.details["apparent_auc"] - opt)
    assert r.details["apparent_auc"] == pytest.approx(roc_auc_score(y, r.p_train))
    assert r.metric("auc", "corrected") == pytest.approx(r.details["corrected_auc"])


def test_external_equals_manual_fit(xy):
    X, y = xy
    dev, ext = np.arange(60), np.arange(60, 90)
    r = external(X.iloc[dev], y[dev], X.iloc[ext], y[ext], LogisticRegression(max_iter=5000))
    manual = LogisticRegression(max_iter=5000).fit(X.iloc[dev], y[dev]).predict_proba(X.iloc[ext])[:, 1]
    np.testing.assert_allclose(r.p_test, manual)
    with pytest.raises(ValueError, match="lacks 1 feature columns"):
        external(X.iloc[dev], y[dev], X.iloc[ext].drop(columns="f3"), y[ext], "logistic")


def test_compare_models_same_split(xy):
    X, y = xy
    c = compare_models(X, y, ["logistic", "naive_bayes"], SelectKBest(f_classif, k=5), seed=5)
    a, b = c.results["logistic"], c.results["naive_bayes"]
    np.testing.assert_array_equal(a.test_index, b.test_index)
    assert list(c.table["split"]) == ["train", "test", "train", "test"]
    assert {"auc", "accuracy", "sensitivity", "specificity", "seconds"} <= set(c.table.columns)
    assert list(c.wide().index) == ["logistic", "naive_bayes"]
    assert c.best() in ("logistic", "naive_bayes")
    # one JSON with every number of the comparison, equal to the tables
    import json

    doc = json.loads(c.to_json())
    assert doc["scheme"] == c.scheme and set(doc["models"]) == {"logistic", "naive_bayes"}
    test_auc = [m["auc"] for m in doc["models"]["logistic"]["metrics"] if m["split"] == "test"][0]
    assert test_auc == pytest.approx(a.metric("auc", "test"), rel=1e-12)
    with pytest.raises(ValueError, match="unknown model names"):
        compare_models(X, y, ["logistic", "catboost"])


# ------------------------------------------------------------------------------------ errors
def test_one_class_and_too_few_cases(xy):
    X, y = xy
    with pytest.raises(ValueError, match="single class: all 90 cases are 0"):
        holdout(X, np.zeros(90, int), "logistic")
    y_small = np.zeros(90, int)
    y_small[:6] = 1
    with pytest.raises(ValueError, match=r"6 events would give ~1\.2 in the test set and ~4\.8"):
        holdout(X, y_small, "logistic", test_size=0.2, inner_cv=5)
    with pytest.raises(ValueError, match="5-fold stratified CV needs at least 5 cases of each "
                                         "class; there are 4 events and 86 non-events"):
        repeated_kfold(X, np.r_[np.ones(4, int), np.zeros(86, int)], "logistic", n_splits=5)
    with pytest.raises(ValueError, match="needs at least 7 cases of each class; there are 6"):
        nested_cv(X, y_small, "logistic", outer_cv=5, inner_cv=5)
    with pytest.raises(ValueError, match="coded 0/1"):
        holdout(X, y + 1, "logistic")
    with pytest.raises(ValueError, match="search must be"):
        holdout(X, y, "logistic", search="bayes")


def test_empty_selection_is_a_clear_error(xy):
    X, y = xy

    class Nothing(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None):
            return self

        def transform(self, X):
            return np.empty((len(X), 0))

    with pytest.raises(ValueError, match="selector kept no feature"):
        holdout(X, y, LogisticRegression(), Nothing())
    with pytest.raises(ValueError, match="selector kept no feature"):
        holdout(X, y, "logistic", Nothing())  # with the inner search


# ------------------------------------------------------------------------------------ metrics
def test_local_metrics_match_proc():
    d = pd.read_csv(STATS / "asah.csv")
    ref = pd.read_csv(STATS / "reference_values.csv").set_index("quantity")["value"]
    auc, lo, hi = _metrics._delong(d["y"], d["s100b"])
    assert auc == pytest.approx(ref["auc.s100b"], abs=1e-9)
    assert lo == pytest.approx(ref["auc_ci_delong_lower.s100b"], abs=1e-6)
    assert hi == pytest.approx(ref["auc_ci_delong_upper.s100b"], abs=1e-6)
    t = _metrics._local_youden(d["y"], d["s100b"])
    assert t == pytest.approx(ref["youden_threshold.s100b"])
    m = _metrics._local_threshold_metrics(d["y"], d["s100b"], t)
    assert m["sensitivity"] == pytest.approx(ref["youden_sensitivity.s100b"])
    assert m["specificity"] == pytest.approx(ref["youden_specificity.s100b"])
    # the adapter (radiome.evaluate when importable) gives the same numbers
    assert _metrics.auc_ci(d["y"], d["s100b"]) == pytest.approx((auc, lo, hi), abs=1e-9)
    assert _metrics.youden_threshold(d["y"], d["s100b"]) == pytest.approx(t)
    assert _metrics.threshold_metrics(d["y"], d["s100b"], t)["sensitivity"] == pytest.approx(
        m["sensitivity"])
