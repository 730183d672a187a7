"""Shared plumbing of the selectors: input validation and DataFrame-preserving ``transform``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["FrameSelectorMixin", "BaseSelector", "binary_target", "check_X"]


def check_X(
    estimator: BaseEstimator, X, *, reset: bool, y=None, allow_nan: bool = False, requires_y: bool = False
):
    """Validate ``X`` (and ``y``) as float arrays, recording/checking feature names and counts."""
    ensure = "allow-nan" if allow_nan else True
    if y is None and requires_y:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None")
    if y is None:
        return validate_data(estimator, X, reset=reset, dtype=np.float64, ensure_all_finite=ensure)
    return validate_data(
        estimator, X, y, reset=reset, dtype=np.float64, ensure_all_finite=ensure, ensure_min_samples=2
    )


def binary_target(y) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, y01)``: the two sorted class labels and ``y`` coded 0/1 (1 = ``classes[1]``)."""
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.ravel()
    check_classification_targets(y)
    classes = np.unique(y)
    if classes.size > 2:
        raise ValueError(
            f"Only binary classification is supported. The outcome has {classes.size} classes."
        )
    if classes.size < 2:
        raise ValueError("a binary outcome is needed, but only one class is present")
    return classes, (y == classes[1]).astype(np.float64)


class FrameSelectorMixin:
    """``transform`` that returns the selected *columns* of a DataFrame (names, index, dtypes kept).

    Mixed before an sklearn ``SelectorMixin`` estimator; numpy input gives a numpy array.
    """

    def transform(self, X):
        check_is_fitted(self)
        Xa = validate_data(self, X, reset=False, dtype=None, ensure_all_finite=True)
        mask = np.asarray(self.get_support(), dtype=bool)
        if isinstance(X, pd.DataFrame):
            return X.iloc[:, np.flatnonzero(mask)]
        return np.asarray(Xa)[:, mask]


class BaseSelector(FrameSelectorMixin, SelectorMixin, BaseEstimator):
    """A selector whose fitted boolean mask is ``support_``."""

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_

    def _feature_labels(self) -> list[str]:
        """Names of the input features (``x0, x1, ...`` for arrays)."""
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
        return [f"x{i}" for i in range(self.n_features_in_)]
