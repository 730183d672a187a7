"""SHAP values against hand-computed Shapley values of an additive model, and local accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline

from radiome.models.explain import shap_values
from radiome.select import VarianceFilter


class Additive(ClassifierMixin, BaseEstimator):
    """p(x) = 0.5 + 0.1 x0 - 0.05 x1 (+ 0 x2): Shapley value of feature i = c_i (x_i - E_bg[x_i])."""

    coef = np.array([0.1, -0.05, 0.0])

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = 0.5 + np.asarray(X, dtype=float) @ self.coef
        return np.column_stack([1 - p, p])


def data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(-1, 1, size=(n, 3)), columns=["a", "b", "c"])
    y = (X["a"] + rng.normal(0, 0.5, n) > 0).astype(int).to_numpy()
    return X, y


def test_additive_model_exact_shapley_values():
    X, y = data()
    bg = X.iloc[:20]
    r = shap_values(Additive().fit(X, y), X, bg, seed=3)
    expected = (X - bg.mean()) * Additive.coef
    np.testing.assert_allclose(r.values.to_numpy(), expected.to_numpy(), atol=1e-12)
    assert r.base_value == pytest.approx(0.5 + float(bg.mean().to_numpy() @ Additive.coef))
    assert list(r.mean_abs) == ["a", "b", "c"] and r.mean_abs["c"] == 0
    assert r.method.startswith("permutation")


def test_tree_shap_local_accuracy_and_pipeline_names():
    X, y = data(120)
    X["const"] = 1.0  # removed by the selection step: SHAP explains the features the model sees
    pipe = Pipeline([("select", VarianceFilter()), ("model", RandomForestClassifier(50, random_state=0))]).fit(X, y)
    r = shap_values(pipe, X, X.iloc[:80], seed=0, max_background=30)
    assert list(r.values.columns) == ["a", "b", "c"]
    p = pipe.predict_proba(X)[:, 1]
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, p, atol=1e-6)
    assert r.method.startswith("TreeSHAP")
    assert next(iter(r.mean_abs)) == "a"  # the informative feature ranks first


def test_empty_background_is_refused():
    X, y = data()
    with pytest.raises(ValueError, match="background"):
        shap_values(Additive().fit(X, y), X, X.iloc[:0])
