"""Validation schemes for radiomics classifiers, leakage-free by construction.

Every scheme fits one scikit-learn ``Pipeline`` — ``[selector] -> model`` — and only ever calls
``fit`` on training rows: feature selection (and scaling, inside the models that need it) is
re-learned inside each training set, each inner CV fold and each bootstrap sample; hyper-parameters
are chosen by ``GridSearchCV``/``RandomizedSearchCV`` with a seeded ``StratifiedKFold`` *inside* the
training data.  The test, outer-fold or external rows are used for prediction only.

Schemes
-------
* :func:`holdout` — one stratified train/test split.
* :func:`repeated_kfold` — repeated stratified k-fold (fixed hyper-parameters, or tuned in each
  training fold with ``tune=True``).
* :func:`nested_cv` — outer stratified k-fold for performance, inner k-fold search for tuning.
* :func:`bootstrap_optimism` — Harrell's optimism-corrected AUC: apparent AUC minus the mean, over
  B bootstrap samples, of (AUC of the refitted pipeline on its bootstrap sample - AUC of that
  pipeline on the original data).  The *whole* pipeline (selection, tuning) is refitted each time.
* :func:`external` — fit (with tuning) on the development cohort, evaluate on the external cohort.

Every scheme returns a :class:`ValidationResult`: predicted probabilities on train and test rows,
chosen hyper-parameters and a ``metrics`` table (AUC with 95 % DeLong CI, and accuracy, sensitivity,
specificity, PPV, NPV at the Youden threshold chosen on the *training* predictions).
:func:`compare_models` runs several models through one scheme with the same split and seed.

``model`` is a name from :mod:`radiome.models.zoo`, an ``(estimator, param_grid)`` pair, or an
estimator (no tuning).  ``selector`` is any scikit-learn transformer (e.g.
``radiome.select.default_chain()``, or :func:`default_selector`); its fit is cached per training
set (joblib ``Memory``), so a grid search does not repeat the selection for every grid point.
"""

from __future__ import annotations

import json
from pathlib import Path

import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Memory
from joblib import hash as joblib_hash
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import Pipeline

from radiome.models import _metrics
from radiome.models.zoo import MODEL_NAMES, make_model

__all__ = [
    "ModelComparison",
    "ValidationResult",
    "bootstrap_optimism",
    "compare_models",
    "default_selector",
    "external",
    "holdout",
    "nested_cv",
    "repeated_kfold",
]

METRIC_COLUMNS = ["split", "n", "n_events", "auc", "auc_lower", "auc_upper", "auc_sd", "threshold",
                  "accuracy", "sensitivity", "specificity", "ppv", "npv"]


# --------------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------------


@dataclass
class ValidationResult:
    """Outcome of one validation scheme for one model.

    ``y_train``/``p_train`` and ``y_test``/``p_test``: outcomes and predicted probabilities (for CV
    schemes ``p_test`` holds the out-of-fold predictions, one row per repeat);
    ``best_params``: chosen hyper-parameters (a list, one per fold, for CV schemes);
    ``metrics``: one row per split (see :data:`METRIC_COLUMNS`); ``folds``: per-fold or
    per-bootstrap details; ``estimator``: the pipeline refitted on all training rows (holdout,
    external, bootstrap); ``selected_features``: the features it kept.
    """

    scheme: str
    model: str
    metrics: pd.DataFrame
    y_train: np.ndarray | None = None
    p_train: np.ndarray | None = None
    y_test: np.ndarray | None = None
    p_test: np.ndarray | None = None
    train_index: np.ndarray | None = None
    test_index: np.ndarray | None = None
    best_params: Any = None
    inner_cv_auc: float | None = None
    folds: pd.DataFrame | None = None
    estimator: Any = None
    selected_features: list | None = None
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every number of this result as plain JSON-ready data (predictions excluded)."""
        return {
            "scheme": self.scheme,
            "model": self.model,
            "metrics": json.loads(self.metrics.to_json(orient="records")),
            "best_params": _jsonable(self.best_params),
            "inner_cv_auc": self.inner_cv_auc,
            "selected_features": None if self.selected_features is None else [str(f) for f in self.selected_features],
            "seconds": round(float(self.seconds), 3),
        }

    def metric(self, name: str = "auc", split: str = "test") -> float:
        row = self.metrics[self.metrics["split"] == split]
        if row.empty:
            raise KeyError(f"no {split!r} row in the metrics (have {list(self.metrics['split'])})")
        return float(row[name].iloc[0])


@dataclass
class ModelComparison:
    """Several models through one scheme: ``table`` (one row per model and split) and ``results``."""

    scheme: str
    table: pd.DataFrame
    results: dict[str, ValidationResult]

    def wide(self, metrics: Sequence[str] = ("auc", "accuracy", "sensitivity", "specificity")):
        """One row per model, columns ``<metric>_<split>``."""
        t = self.table.pivot(index="model", columns="split", values=list(metrics))
        t.columns = [f"{m}_{s}" for m, s in t.columns]
        return t.loc[list(self.results)]

    def best(self, metric: str = "auc", split: str = "test") -> str:
        t = self.table[self.table["split"] == split]
        return str(t.loc[t[metric].idxmax(), "model"])

    def to_json(self, path: str | Path | None = None) -> str:
        """All models' results as one JSON document; written atomically to ``path`` when given."""
        text = json.dumps(
            {"scheme": self.scheme, "models": {k: r.to_dict() for k, r in self.results.items()}}, indent=2
        )
        if path is not None:
            from radiome._atomic import write_text_atomic

            write_text_atomic(path, text + "\n")
        return text


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return repr(v)


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def default_selector(k: int = 20):
    """The lumbar pain study's selection chain, :func:`radiome.select.default_chain` (mRMR ``k``)."""
    from radiome.select import default_chain

    return default_chain(k=k)


def _check_xy(X, y, what: str = "") -> tuple[Any, np.ndarray]:
    if isinstance(X, pd.DataFrame):
        nonnum = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        if nonnum:
            raise ValueError(f"{what}non-numeric feature columns: {nonnum[:5]}")
    else:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"{what}X must be 2-D, got shape {X.shape}")
    yv = pd.Series(np.asarray(y).ravel())
    if len(yv) != X.shape[0]:
        raise ValueError(f"{what}X has {X.shape[0]} rows but y has {len(yv)}")
    if yv.isna().any():
        raise ValueError(f"{what}y has {int(yv.isna().sum())} missing values")
    if yv.dtype == bool:
        yv = yv.astype(int)
    vals = set(pd.unique(yv).tolist())
    if not vals <= {0, 1}:
        raise ValueError(f"{what}y must be coded 0/1 (1 = event); found {sorted(vals)[:5]}")
    n1 = int(yv.sum())
    if n1 == 0 or n1 == len(yv):
        raise ValueError(f"{what}y has a single class: all {len(yv)} cases are "
                         f"{1 if n1 else 0}; a classifier needs both classes")
    return X, yv.to_numpy(dtype=int)


def _class_counts(y) -> tuple[int, int]:
    n1 = int(np.sum(y))
    return len(y) - n1, n1


def _check_cv(y, k: int, where: str) -> None:
    if k < 2:
        raise ValueError(f"{where}: the number of folds must be at least 2, got {k}")
    n0, n1 = _class_counts(y)
    if min(n0, n1) < k:
        raise ValueError(
            f"{where}: {k}-fold stratified CV needs at least {k} cases of each class; "
            f"there are {n1} events and {n0} non-events"
        )


def _resolve(model, random_state) -> tuple[str, Any, dict]:
    if isinstance(model, str):
        est, grid = make_model(model, random_state)
        return model, est, grid
    if isinstance(model, tuple) and len(model) == 2:
        est, grid = model
        return type(est).__name__, est, dict(grid or {})
    if hasattr(model, "fit"):
        return type(model).__name__, model, {}
    raise ValueError(f"model must be a name from {list(MODEL_NAMES)}, an (estimator, grid) pair or "
                     f"an estimator; got {model!r}")


def _n_points(grid: dict) -> int:
    return int(np.prod([len(v) for v in grid.values()])) if grid else 1


@dataclass
class _Spec:
    name: str
    estimator: Any
    grid: dict
    selector: Any
    inner_cv: int
    search: str | None
    n_iter: int
    seed: int
    n_jobs: int
    memory: Any

    def pipeline(self) -> Pipeline:
        steps = []
        if self.selector is not None:
            steps.append(("select", clone(self.selector)))
            steps.append(("nonempty", _NonEmpty()))
        steps.append(("model", clone(self.estimator)))
        return Pipeline(steps, memory=self.memory if self.selector is not None else None)

    def fit(self, X, y, where: str):
        """Fit (with the inner search when there is a grid); returns (fitted, best params, cv AUC)."""
        pipe = self.pipeline()
        grid = {f"model__{k}": v for k, v in self.grid.items()}
        if self.search is None or not grid:
            pipe.fit(X, y)
            return pipe, {}, None
        _check_cv(y, self.inner_cv, f"{where} (inner CV)")
        cv = StratifiedKFold(self.inner_cv, shuffle=True, random_state=self.seed)
        if self.search == "grid":
            s = GridSearchCV(pipe, grid, scoring="roc_auc", cv=cv, n_jobs=self.n_jobs,
                             refit=True, error_score="raise")
        else:
            s = RandomizedSearchCV(pipe, grid, n_iter=min(self.n_iter, _n_points(grid)),
                                   scoring="roc_auc", cv=cv, n_jobs=self.n_jobs, refit=True,
                                   random_state=self.seed, error_score="raise")
        s.fit(X, y)
        best = {k.removeprefix("model__"): v for k, v in s.best_params_.items()}
        return s.best_estimator_, best, float(s.best_score_)


def _spec(model, selector, inner_cv, search, n_iter, seed, n_jobs, memory) -> _Spec:
    if search not in ("grid", "random", None):
        raise ValueError(f"search must be 'grid', 'random' or None, not {search!r}")
    name, est, grid = _resolve(model, seed)
    if memory is not None and selector is not None:
        try:  # the cache key hashes the selector: an unpicklable one (a local class) is not cached
            joblib_hash(selector)
        except Exception:  # noqa: BLE001 - any pickling failure
            memory = None
    return _Spec(name, est, grid, selector, inner_cv, search, n_iter, seed, n_jobs, memory)


def _proba(est, X) -> np.ndarray:
    return np.asarray(est.predict_proba(X))[:, 1]


def _rows(X, idx):
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


def _selected(est, X) -> list | None:
    if not isinstance(est, Pipeline) or "select" not in est.named_steps:
        return None
    try:
        names = np.asarray(X.columns) if isinstance(X, pd.DataFrame) else None
        return [str(c) for c in est.named_steps["select"].get_feature_names_out(names)]
    except (AttributeError, ValueError, TypeError):
        return None


def _split_metrics(split, y, p, threshold) -> dict:
    auc, lo, hi = _metrics.auc_ci(y, p)
    tm = _metrics.threshold_metrics(y, p, threshold)
    n0, n1 = _class_counts(y)
    return {"split": split, "n": len(y), "n_events": n1, "auc": auc, "auc_lower": lo,
            "auc_upper": hi, "auc_sd": np.nan, "threshold": threshold,
            **{k: tm.get(k, np.nan) for k in ("accuracy", "sensitivity", "specificity", "ppv",
                                              "npv")}}


def _train_test_metrics(y_tr, p_tr, y_te, p_te) -> pd.DataFrame:
    t = _metrics.youden_threshold(y_tr, p_tr)  # chosen on the TRAINING predictions
    return pd.DataFrame([_split_metrics("train", y_tr, p_tr, t),
                         _split_metrics("test", y_te, p_te, t)])[METRIC_COLUMNS]


class _Cache:
    """A temporary joblib Memory for the selector's fits, removed afterwards.

    A ``Memory`` passed in (``compare_models`` shares one across models, whose hold-out split and
    inner folds are identical) is used as is and left for its owner to remove.
    """

    def __init__(self, enabled: bool, memory: Memory | None = None):
        self.enabled = enabled
        self.memory = memory
        self._tmp = None

    def __enter__(self):
        if not self.enabled:
            return None
        if self.memory is not None:
            return self.memory
        self._tmp = tempfile.TemporaryDirectory(prefix="radiome_select_cache_")
        return Memory(self._tmp.name, verbose=0)

    def __exit__(self, *exc):
        if self._tmp is not None:
            self._tmp.cleanup()


class _NonEmpty(TransformerMixin, BaseEstimator):
    """Pipeline guard after the selector: a clear error when it kept no feature."""

    def fit(self, X, y=None):
        n = X.shape[1]
        if n == 0:
            raise ValueError(
                f"the feature selector kept no feature on a training set of {X.shape[0]} cases "
                "(e.g. LASSO at lambda.1se chose the empty model); loosen the selector"
            )
        self.n_features_in_ = n
        return self

    def transform(self, X):
        return X


# --------------------------------------------------------------------------------------------------
# schemes
# --------------------------------------------------------------------------------------------------


def holdout(X, y, model, selector=None, *, test_size: float = 0.2, stratify: bool = True,
            seed: int = 0, inner_cv: int = 5, search: str | None = "grid", n_iter: int = 20,
            n_jobs: int = 1, cache_selection: bool = True, _memory=None) -> ValidationResult:
    """One train/test split; the model is tuned by inner stratified k-fold CV on the training part.

    The Youden threshold is chosen on the training predictions and applied to the test set.
    """
    t0 = time.perf_counter()
    X, y = _check_xy(X, y)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), not {test_size}")
    n = len(y)
    n0, n1 = _class_counts(y)
    n_test = math.ceil(test_size * n)
    if stratify:
        small, small_name = (n1, "events") if n1 <= n0 else (n0, "non-events")
        expect = small * n_test / n
        if expect < 1 or small - expect < max(2, inner_cv if search else 2):
            raise ValueError(
                f"too few cases for a stratified {test_size:.0%} hold-out: {small} {small_name} "
                f"would give ~{expect:.1f} in the test set and ~{small - expect:.1f} in the training"
                f" set (need >= 1 in test and >= {max(2, inner_cv if search else 2)} in training)"
            )
    idx = np.arange(n)
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed,
                              stratify=y if stratify else None)
    if len(set(y[te])) < 2:
        raise ValueError(f"the {len(te)}-case test set has a single class; use stratify=True or a "
                         "larger test_size")
    with _Cache(cache_selection and selector is not None, _memory) as mem:
        spec = _spec(model, selector, inner_cv, search, n_iter, seed, n_jobs, mem)
        est, best, cv_auc = spec.fit(_rows(X, tr), y[tr], "hold-out training set")
    p_tr, p_te = _proba(est, _rows(X, tr)), _proba(est, _rows(X, te))
    return ValidationResult(
        scheme="holdout", model=spec.name, metrics=_train_test_metrics(y[tr], p_tr, y[te], p_te),
        y_train=y[tr], p_train=p_tr, y_test=y[te], p_test=p_te, train_index=tr, test_index=te,
        best_params=best, inner_cv_auc=cv_auc, estimator=est,
        selected_features=_selected(est, X), seconds=time.perf_counter() - t0,
    )


def _cv(X, y, spec: _Spec, n_splits, n_repeats, seed, scheme) -> ValidationResult:
    t0 = time.perf_counter()
    _check_cv(y, n_splits, scheme)
    rows, params = [], []
    oof = np.full((n_repeats, len(y)), np.nan)
    for r in range(n_repeats):
        outer = StratifiedKFold(n_splits, shuffle=True, random_state=seed + r)
        for k, (tr, te) in enumerate(outer.split(np.zeros(len(y)), y)):
            est, best, cv_auc = spec.fit(_rows(X, tr), y[tr], f"{scheme} fold {k + 1}")
            p_tr, p_te = _proba(est, _rows(X, tr)), _proba(est, _rows(X, te))
            oof[r, te] = p_te
            m = _train_test_metrics(y[tr], p_tr, y[te], p_te).set_index("split")
            rows.append({"repeat": r, "fold": k, "n_test": len(te), "auc_train": m.loc["train", "auc"],
                         "auc_test": m.loc["test", "auc"], "threshold": m.loc["train", "threshold"],
                         **{f"{c}_{s}": m.loc[s, c] for s in ("train", "test")
                            for c in ("accuracy", "sensitivity", "specificity")},
                         "inner_cv_auc": cv_auc, "best_params": best,
                         "selected_features": _selected(est, X)})
            params.append(best)
    folds = pd.DataFrame(rows)
    pooled = [float(_metrics.auc_ci(y, oof[r])[0]) for r in range(n_repeats)]
    metrics = []
    for s in ("train", "test"):
        metrics.append({
            "split": s, "n": len(y), "n_events": int(y.sum()),
            "auc": folds[f"auc_{s}"].mean(), "auc_lower": np.nan, "auc_upper": np.nan,
            "auc_sd": folds[f"auc_{s}"].std(ddof=1), "threshold": folds["threshold"].mean(),
            **{c: folds[f"{c}_{s}"].mean() for c in ("accuracy", "sensitivity", "specificity")},
            "ppv": np.nan, "npv": np.nan,
        })
    return ValidationResult(
        scheme=scheme, model=spec.name, metrics=pd.DataFrame(metrics)[METRIC_COLUMNS],
        y_train=y, y_test=y, p_test=oof, best_params=params, folds=folds,
        seconds=time.perf_counter() - t0,
        details={"pooled_oof_auc": pooled, "n_splits": n_splits, "n_repeats": n_repeats,
                 "note": "metrics are means over folds (auc_sd: SD over folds); thresholds chosen "
                         "on each training fold"},
    )


def repeated_kfold(X, y, model, selector=None, *, n_splits: int = 5, n_repeats: int = 10,
                   seed: int = 0, tune: bool = False, inner_cv: int = 5,
                   search: str | None = "grid", n_iter: int = 20, n_jobs: int = 1,
                   cache_selection: bool = True, _memory=None) -> ValidationResult:
    """Repeated stratified k-fold CV (repeat r uses seed + r).

    With ``tune=False`` the model's default hyper-parameters are used (no search); with
    ``tune=True`` each training fold runs its own inner search (= repeated nested CV).
    """
    X, y = _check_xy(X, y)
    with _Cache(cache_selection and selector is not None, _memory) as mem:
        spec = _spec(model, selector, inner_cv, search if tune else None, n_iter, seed, n_jobs, mem)
        return _cv(X, y, spec, n_splits, n_repeats, seed, "repeated_kfold")


def nested_cv(X, y, model, selector=None, *, outer_cv: int = 5, inner_cv: int = 5, seed: int = 0,
              n_repeats: int = 1, search: str = "grid", n_iter: int = 20, n_jobs: int = 1,
              cache_selection: bool = True, _memory=None) -> ValidationResult:
    """Nested CV: outer stratified k-fold estimates performance, an inner k-fold search in each
    outer training fold chooses hyper-parameters (reported per fold in ``best_params``)."""
    X, y = _check_xy(X, y)
    n0, n1 = _class_counts(y)
    need = math.ceil(inner_cv * outer_cv / (outer_cv - 1)) if outer_cv > 1 else inner_cv
    if min(n0, n1) < max(outer_cv, need):
        raise ValueError(
            f"nested CV with {outer_cv} outer and {inner_cv} inner folds needs at least "
            f"{max(outer_cv, need)} cases of each class; there are {n1} events and {n0} non-events"
        )
    with _Cache(cache_selection and selector is not None, _memory) as mem:
        spec = _spec(model, selector, inner_cv, search, n_iter, seed, n_jobs, mem)
        return _cv(X, y, spec, outer_cv, n_repeats, seed, "nested_cv")


def bootstrap_optimism(X, y, model, selector=None, *, B: int = 200, seed: int = 0,
                       tune: bool = False, inner_cv: int = 5, search: str | None = "grid",
                       n_iter: int = 20, n_jobs: int = 1,
                       cache_selection: bool = True, _memory=None) -> ValidationResult:
    """Harrell's bootstrap optimism correction of the AUC (Harrell, Lee & Mark 1996; Steyerberg).

    1. Fit the whole pipeline on all data: apparent AUC.
    2. For b = 1..B: draw a bootstrap sample (with replacement, seeded), refit the whole pipeline on
       it (selection and, with ``tune=True``, the inner search), and take optimism_b = AUC on the
       bootstrap sample - AUC on the original data.
    3. Corrected AUC = apparent - mean(optimism_b).

    Samples with a single class are redrawn (counted in ``details["redrawn"]``).
    """
    t0 = time.perf_counter()
    X, y = _check_xy(X, y)
    if B < 1:
        raise ValueError(f"B must be >= 1, got {B}")
    rng = np.random.default_rng(seed)
    with _Cache(cache_selection and selector is not None, _memory) as mem:
        spec = _spec(model, selector, inner_cv, search if tune else None, n_iter, seed, n_jobs, mem)
        est, best, _ = spec.fit(X, y, "bootstrap_optimism (all data)")
        p_app = _proba(est, X)
        apparent = float(_metrics.auc_ci(y, p_app)[0])
        rows, redrawn = [], 0
        n = len(y)
        for b in range(B):
            while True:
                idx = rng.integers(0, n, n)
                if 0 < y[idx].sum() < n and (not (tune and search) or min(_class_counts(y[idx]))
                                             >= inner_cv):
                    break
                redrawn += 1
                if redrawn > 100 * B:
                    raise ValueError("bootstrap samples keep having too few cases of a class")
            eb, _, _ = spec.fit(_rows(X, idx), y[idx], f"bootstrap sample {b + 1}")
            auc_boot = float(_metrics.auc_ci(y[idx], _proba(eb, _rows(X, idx)))[0])
            auc_orig = float(_metrics.auc_ci(y, _proba(eb, X))[0])
            rows.append({"b": b, "auc_boot": auc_boot, "auc_orig": auc_orig,
                         "optimism": auc_boot - auc_orig})
    folds = pd.DataFrame(rows)
    optimism = float(folds["optimism"].mean())
    corrected = apparent - optimism
    thr = _metrics.youden_threshold(y, p_app)
    app_row = _split_metrics("apparent", y, p_app, thr)
    corr_row = {c: np.nan for c in METRIC_COLUMNS} | {
        "split": "corrected", "n": n, "n_events": int(y.sum()), "auc": corrected,
        "auc_sd": float(folds["optimism"].std(ddof=1)) if B > 1 else np.nan}
    return ValidationResult(
        scheme="bootstrap_optimism", model=spec.name,
        metrics=pd.DataFrame([app_row, corr_row])[METRIC_COLUMNS],
        y_train=y, p_train=p_app, best_params=best, folds=folds, estimator=est,
        selected_features=_selected(est, X), seconds=time.perf_counter() - t0,
        details={"apparent_auc": apparent, "optimism": optimism, "corrected_auc": corrected,
                 "B": B, "redrawn": redrawn},
    )


def external(X_dev, y_dev, X_ext, y_ext, model, selector=None, *, seed: int = 0,
             inner_cv: int = 5, search: str | None = "grid", n_iter: int = 20, n_jobs: int = 1,
             cache_selection: bool = True, _memory=None) -> ValidationResult:
    """Fit (and tune by inner CV) on the development cohort; evaluate on the external cohort.

    The Youden threshold is chosen on the development predictions.
    """
    t0 = time.perf_counter()
    X_dev, y_dev = _check_xy(X_dev, y_dev, "development cohort: ")
    X_ext, y_ext = _check_xy(X_ext, y_ext, "external cohort: ")
    if isinstance(X_dev, pd.DataFrame):
        if not isinstance(X_ext, pd.DataFrame):
            raise ValueError("X_dev is a DataFrame, so X_ext must be one with the same columns")
        missing = [c for c in X_dev.columns if c not in X_ext.columns]
        if missing:
            raise ValueError(f"external cohort lacks {len(missing)} feature columns, e.g. "
                             f"{missing[:5]}")
        X_ext = X_ext[X_dev.columns]
    elif X_ext.shape[1] != X_dev.shape[1]:
        raise ValueError(f"external cohort has {X_ext.shape[1]} features, development "
                         f"{X_dev.shape[1]}")
    with _Cache(cache_selection and selector is not None, _memory) as mem:
        spec = _spec(model, selector, inner_cv, search, n_iter, seed, n_jobs, mem)
        est, best, cv_auc = spec.fit(X_dev, y_dev, "development cohort")
    p_tr, p_te = _proba(est, X_dev), _proba(est, X_ext)
    return ValidationResult(
        scheme="external", model=spec.name, metrics=_train_test_metrics(y_dev, p_tr, y_ext, p_te),
        y_train=y_dev, p_train=p_tr, y_test=y_ext, p_test=p_te, best_params=best,
        inner_cv_auc=cv_auc, estimator=est, selected_features=_selected(est, X_dev),
        seconds=time.perf_counter() - t0,
    )


SCHEMES = {"holdout": holdout, "repeated_kfold": repeated_kfold, "nested_cv": nested_cv,
           "bootstrap_optimism": bootstrap_optimism, "external": external}


def compare_models(X, y, names: Sequence[str] | None = None, selector=None, *,
                   scheme: str = "holdout", seed: int = 0, X_external=None, y_external=None,
                   **kwargs) -> ModelComparison:
    """Run several zoo models through one scheme with the same seed (hence the same split).

    ``table``: one row per model and split with AUC (95 % DeLong CI), accuracy, sensitivity,
    specificity (at the Youden threshold of the training predictions), PPV, NPV and seconds.
    ``scheme="external"`` needs ``X_external``/``y_external``.  Other keyword arguments go to the
    scheme function (``test_size``, ``inner_cv``, ``search``, ``n_iter``, ``n_jobs``...).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {list(SCHEMES)}, not {scheme!r}")
    names = list(MODEL_NAMES if names is None else names)
    if not names:
        raise ValueError("no model names given")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise ValueError(f"unknown model names {unknown}; choose from {list(MODEL_NAMES)}")
    if scheme == "external" and (X_external is None or y_external is None):
        raise ValueError("scheme='external' needs X_external and y_external")
    results, rows = {}, []
    # one selector cache for all models: same split and folds, so each selection is fitted once
    with _Cache(kwargs.get("cache_selection", True) and selector is not None) as mem:
        for name in names:
            if scheme == "external":
                r = external(X, y, X_external, y_external, name, selector, seed=seed,
                             _memory=mem, **kwargs)
            else:
                r = SCHEMES[scheme](X, y, name, selector, seed=seed, _memory=mem, **kwargs)
            results[name] = r
            t = r.metrics.copy()
            t.insert(0, "model", name)
            t["seconds"] = r.seconds
            rows.append(t)
    return ModelComparison(scheme, pd.concat(rows, ignore_index=True), results)
