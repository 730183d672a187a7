"""The classifier registry: every model builds, is seeded, fits, and accepts its own grid."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import ParameterGrid

from radiome.models import MODEL_NAMES, describe_models, make_model

EXPECTED = {"logistic", "svm_linear", "svm_rbf", "random_forest", "extra_trees", "xgboost",
            "lightgbm", "knn", "decision_tree", "naive_bayes", "mlp", "adaboost",
            "gradient_boosting"}


@pytest.fixture(scope="module")
def xy():
    return make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0,
                               random_state=0)


def test_registry_complete():
    assert set(MODEL_NAMES) == EXPECTED
    assert set(describe_models()) == EXPECTED
    with pytest.raises(ValueError, match="unknown model 'svm'"):
        make_model("svm")


def _seeds(est):
    return {k: v for k, v in est.get_params(deep=True).items() if k.endswith("random_state")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_model_fits_and_grid_is_valid(name, xy):
    X, y = xy
    est, grid = make_model(name, random_state=7)
    assert grid and all(isinstance(v, list) and v for v in grid.values())
    assert len(ParameterGrid(grid)) <= 9  # small by design
    # every grid point is a valid parameter setting
    for params in ParameterGrid(grid):
        clone(est).set_params(**params)
    # seeded (models without randomness are documented as deterministic)
    if name not in ("knn", "naive_bayes"):
        assert _seeds(est) and all(v == 7 for v in _seeds(est).values() if v is not None)
    p = clone(est).fit(X, y).predict_proba(X)
    assert p.shape == (60, 2) and np.all((p >= 0) & (p <= 1))


@pytest.mark.parametrize("name", ["random_forest", "xgboost", "lightgbm", "mlp", "svm_rbf"])
def test_same_seed_same_predictions(name, xy):
    X, y = xy
    p1 = make_model(name, 3)[0].fit(X, y).predict_proba(X)
    p2 = make_model(name, 3)[0].fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)


def test_make_model_signature():
    assert list(inspect.signature(make_model).parameters) == ["name", "random_state"]
