"""Z-score standardisation fitted on the training data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from radiome.select._base import check_X

__all__ = ["ZScore"]


class ZScore(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre each feature on its training mean and divide by its training standard deviation.

    Parameters
    ----------
    ddof : int, default 1
        Delta degrees of freedom of the SD. **Default 1 (sample SD, divisor n - 1), as R's
        ``scale()``** — the convention of the R radiomics literature and of our glmnet reference
        data. Note that scikit-learn's ``StandardScaler`` uses the population SD (``ddof=0``);
        pass ``ddof=0`` to reproduce it. The difference is a factor ``sqrt(n / (n - 1))``.
    with_mean, with_std : bool, default True
        Centre / scale.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Training means and SDs. A constant feature gets ``scale_ = 1`` (it becomes all zeros
        rather than NaN), as in scikit-learn.

    Notes
    -----
    The statistics come from ``fit`` data only; ``transform`` applies them unchanged to new data
    (validation/test sets are never used to estimate them). A DataFrame input gives a DataFrame
    output with the same columns and index.
    """

    def __init__(self, ddof: int = 1, with_mean: bool = True, with_std: bool = True):
        self.ddof = ddof
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        Xa = check_X(self, X, reset=True)
        n = Xa.shape[0]
        if self.with_std and n - self.ddof <= 0:
            raise ValueError(f"need more than ddof={self.ddof} samples to estimate an SD, got {n}")
        self.mean_ = Xa.mean(axis=0) if self.with_mean else np.zeros(Xa.shape[1])
        if self.with_std:
            sd = Xa.std(axis=0, ddof=self.ddof)
            self.scale_ = np.where(sd > 0, sd, 1.0)
        else:
            self.scale_ = np.ones(Xa.shape[1])
        return self

    def transform(self, X):
        check_is_fitted(self, "mean_")
        Xa = check_X(self, X, reset=False)
        Z = (Xa - self.mean_) / self.scale_
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(Z, index=X.index, columns=X.columns)
        return Z

    def inverse_transform(self, X):
        check_is_fitted(self, "mean_")
        Za = np.asarray(X, dtype=float)
        out = Za * self.scale_ + self.mean_
        if isinstance(X, pd.DataFrame):
            return pd.DataFrame(out, index=X.index, columns=X.columns)
        return out
