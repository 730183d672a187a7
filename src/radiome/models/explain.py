"""SHAP explanations of a fitted model (Lundberg & Lee 2017, "A unified approach to interpreting
model predictions", NeurIPS), computed with the ``shap`` package.

One method for every classifier of the zoo, so the report's SHAP summary reads the same whatever
model wins: Shapley values of the predicted probability of the event, ``predict_proba(X)[:, 1]``,
computed exactly by interventional TreeSHAP for tree ensembles (random forest, extra trees,
gradient boosting, XGBoost, LightGBM, decision tree) and otherwise estimated by ``shap``'s
permutation explainer; both use an independent (interventional) masker over a background sample of
the *training* patients.  For ``M`` features and ``max_evals >= 2M + 1`` each
antithetic permutation pass gives the exact Shapley values of an additive model, and the values of
each patient add up to ``p(x) - E_background[p]`` (local accuracy) for any model.

When the estimator is a radiome validation pipeline (``select -> nonempty -> model``), the rows
are first passed through the fitted selection steps and the final model is explained on the
features it actually sees (named by the selector's ``get_feature_names_out``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ShapResult", "shap_values"]


@dataclass
class ShapResult:
    """``values`` (patients x features, probability scale), the explained ``data`` (same shape, the
    model's input features), ``base_value`` (mean predicted probability over the background),
    ``mean_abs`` (feature -> mean |SHAP|, sorted decreasing) and the ``method`` used."""

    values: pd.DataFrame
    data: pd.DataFrame
    base_value: float
    mean_abs: dict[str, float]
    method: str


def _split_pipeline(estimator: Any, X: pd.DataFrame) -> tuple[Any, Any, list[str]]:
    """(transform function, final model, names of the final model's input features)."""
    from sklearn.pipeline import Pipeline

    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        head, model = estimator[:-1], estimator.steps[-1][1]
        names: list[str] | None = None
        if "select" in estimator.named_steps:
            try:
                names = [str(c) for c in estimator.named_steps["select"].get_feature_names_out(np.asarray(X.columns))]
            except (AttributeError, ValueError, TypeError):
                names = None

        def transform(Z: pd.DataFrame) -> np.ndarray:
            return np.asarray(head.transform(Z), dtype=float)

        if names is None:
            names = [f"x{i}" for i in range(transform(X.iloc[:1]).shape[1])]
        return transform, model, names
    return (lambda Z: np.asarray(Z, dtype=float)), estimator, [str(c) for c in X.columns]


def shap_values(
    estimator: Any,
    X: pd.DataFrame,
    background: pd.DataFrame,
    *,
    seed: int = 0,
    max_background: int = 50,
    npermutations: int = 2,
) -> ShapResult:
    """SHAP values of ``estimator``'s event probability for every row of ``X``.

    ``background``: the rows whose average defines "feature absent" (use the training patients; at
    most ``max_background`` of them, drawn with ``seed``).  ``npermutations`` antithetic permutation
    passes per row (exact for additive models with one).
    """
    import shap

    if len(background) == 0:
        raise ValueError("SHAP: the background (training) set is empty")
    transform, model, names = _split_pipeline(estimator, X)
    Z = transform(X)
    B = transform(background)
    if len(B) > max_background:
        rng = np.random.default_rng(seed)
        B = B[np.sort(rng.choice(len(B), max_background, replace=False))]

    fitted_names = getattr(model, "feature_names_in_", None)

    def f(rows: np.ndarray) -> np.ndarray:
        if fitted_names is not None:  # the model was fitted on a DataFrame: give it one
            rows = pd.DataFrame(rows, columns=fitted_names)
        return np.asarray(model.predict_proba(rows), dtype=float)[:, 1]

    m = Z.shape[1]
    base = float(np.mean(f(B)))
    vals, method = _tree_shap(model, B, Z)
    if vals is None:
        masker = shap.maskers.Independent(B, max_samples=len(B))
        explainer = shap.PermutationExplainer(f, masker, seed=seed)
        expl = explainer(Z, max_evals=max(npermutations * (2 * m + 1), 2 * m + 1), silent=True)
        vals = np.asarray(expl.values, dtype=float).reshape(len(Z), m)
        method = (f"permutation (shap {shap.__version__}, {len(B)} background rows, {npermutations} "
                  "antithetic permutations)")
    v = pd.DataFrame(vals, index=X.index, columns=names)
    d = pd.DataFrame(Z, index=X.index, columns=names)
    mean_abs = v.abs().mean().sort_values(ascending=False, kind="stable")
    return ShapResult(v, d, base, {k: float(x) for k, x in mean_abs.items()}, method)


def _tree_shap(model: Any, B: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray | None, str]:
    """Exact interventional TreeSHAP of the probability for tree ensembles (Lundberg et al. 2020,
    Nat Mach Intell); ``(None, "")`` for models TreeSHAP does not support."""
    import shap

    try:
        e = shap.TreeExplainer(model, data=B, model_output="probability", feature_perturbation="interventional")
        v = np.asarray(e.shap_values(Z), dtype=float)
    except Exception:  # noqa: BLE001 - any unsupported model falls back to the permutation explainer
        return None, ""
    if v.ndim == 3:
        v = v[..., 1]
    return v.reshape(len(Z), -1), f"TreeSHAP, interventional (shap {shap.__version__}, {len(B)} background rows)"
