"""A registry of classifiers with small, sensible hyper-parameter search spaces.

``make_model(name, random_state)`` returns ``(estimator, param_grid)``: an unfitted scikit-learn
estimator (models that need standardised inputs come as a ``Pipeline`` of ``StandardScaler`` and
the classifier, named ``scale`` and ``clf``) and a dict of lists usable by ``GridSearchCV`` or
``RandomizedSearchCV`` (keys relative to the returned estimator).

The grids are deliberately small (2-9 points): radiomics cohorts have 50-300 patients, a handful of
selected features after selection, and an inner 5-fold CV; wide grids there mostly fit noise and
cost minutes.  Every model is seeded (``random_state``), and every multi-threaded library is pinned to
one thread (``n_jobs=1``) so parallelism is decided once, by the search, and results are
reproducible.

Probability outputs: all models have ``predict_proba``; the SVMs are wrapped in
``CalibratedClassifierCV(SVC(), method="sigmoid", ensemble=False)`` — Platt scaling fitted on
internal CV folds of the *training* data — which is what ``SVC(probability=True)`` did before its
deprecation in scikit-learn 1.9.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    AdaBoostClassifier,
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

__all__ = ["MODEL_NAMES", "describe_models", "make_model"]


def _scaled(clf, grid: dict) -> tuple[Pipeline, dict]:
    return (Pipeline([("scale", StandardScaler()), ("clf", clf)]),
            {f"clf__{k}": v for k, v in grid.items()})


def _logistic(rs):
    return _scaled(LogisticRegression(C=1.0, max_iter=5000, random_state=rs),
                   {"C": [0.01, 0.1, 1.0, 10.0]})


def _svm(kernel: str):
    def make(rs):
        svc = SVC(kernel=kernel, C=1.0, random_state=rs)
        cal = CalibratedClassifierCV(svc, method="sigmoid", ensemble=False,
                                     cv=StratifiedKFold(3, shuffle=True, random_state=rs))
        grid = {"estimator__C": [0.01, 0.1, 1.0, 10.0]} if kernel == "linear" else {
            "estimator__C": [0.1, 1.0, 10.0], "estimator__gamma": ["scale", 0.01, 0.1]}
        return _scaled(cal, grid)

    return make


def _random_forest(rs):
    return (RandomForestClassifier(n_estimators=200, random_state=rs, n_jobs=1),
            {"max_depth": [3, None], "min_samples_leaf": [1, 5]})


def _extra_trees(rs):
    return (ExtraTreesClassifier(n_estimators=200, random_state=rs, n_jobs=1),
            {"max_depth": [3, None], "min_samples_leaf": [1, 5]})


def _xgboost(rs):
    from xgboost import XGBClassifier

    return (XGBClassifier(n_estimators=100, subsample=0.8, colsample_bytree=0.8,
                          tree_method="hist", eval_metric="logloss", n_jobs=1, random_state=rs,
                          verbosity=0),
            {"max_depth": [2, 3], "learning_rate": [0.05, 0.2]})


def _lightgbm(rs):
    from lightgbm import LGBMClassifier

    return (LGBMClassifier(n_estimators=100, subsample=0.8, subsample_freq=1,
                           colsample_bytree=0.8, min_child_samples=5, n_jobs=1, random_state=rs,
                           verbose=-1),
            {"num_leaves": [4, 8], "learning_rate": [0.05, 0.2]})


def _knn(rs):
    # deterministic: random_state is accepted for a uniform interface and not used
    return _scaled(KNeighborsClassifier(), {"n_neighbors": [5, 9, 15],
                                            "weights": ["uniform", "distance"]})


def _decision_tree(rs):
    return (DecisionTreeClassifier(random_state=rs),
            {"max_depth": [2, 3, 5], "min_samples_leaf": [1, 5, 10]})


def _naive_bayes(rs):
    # deterministic (no random_state parameter)
    return GaussianNB(), {"var_smoothing": [1e-9, 1e-6, 1e-3]}


def _mlp(rs):
    return _scaled(MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=2000,
                                 random_state=rs),
                   {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-2, 1.0]})


def _adaboost(rs):
    return (AdaBoostClassifier(n_estimators=100, random_state=rs),
            {"n_estimators": [50, 100], "learning_rate": [0.1, 1.0]})


def _gradient_boosting(rs):
    return (GradientBoostingClassifier(n_estimators=100, subsample=0.8, random_state=rs),
            {"max_depth": [2, 3], "learning_rate": [0.05, 0.2]})


_REGISTRY: dict[str, tuple[Callable, str]] = {
    "logistic": (_logistic, "L2-penalised logistic regression (standardised inputs)"),
    "svm_linear": (_svm("linear"), "linear SVM, Platt-scaled probabilities"),
    "svm_rbf": (_svm("rbf"), "RBF-kernel SVM, Platt-scaled probabilities"),
    "random_forest": (_random_forest, "random forest, 200 trees"),
    "extra_trees": (_extra_trees, "extremely randomised trees, 200 trees"),
    "xgboost": (_xgboost, "XGBoost, 100 boosted trees (hist)"),
    "lightgbm": (_lightgbm, "LightGBM, 100 boosted trees"),
    "knn": (_knn, "k-nearest neighbours (standardised inputs)"),
    "decision_tree": (_decision_tree, "CART decision tree"),
    "naive_bayes": (_naive_bayes, "Gaussian naive Bayes"),
    "mlp": (_mlp, "one-hidden-layer perceptron, L-BFGS"),
    "adaboost": (_adaboost, "AdaBoost with decision stumps"),
    "gradient_boosting": (_gradient_boosting, "scikit-learn gradient boosting"),
}

MODEL_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def make_model(name: str, random_state: int = 0):
    """``(estimator, param_grid)`` for a registered model name (see :data:`MODEL_NAMES`)."""
    try:
        factory = _REGISTRY[name][0]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; choose from {list(MODEL_NAMES)}") from None
    return factory(random_state)


def describe_models() -> dict[str, str]:
    """Model name -> one-line description (for methods sections)."""
    return {k: v[1] for k, v in _REGISTRY.items()}
