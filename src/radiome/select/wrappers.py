"""Wrapper-based selection: recursive feature elimination with a linear SVM."""

from __future__ import annotations

import numpy as np
from sklearn.feature_selection import RFE
from sklearn.svm import LinearSVC

from radiome.select._base import BaseSelector, binary_target, check_X

__all__ = ["SVMRFE"]


class SVMRFE(BaseSelector):
    """SVM-RFE (Guyon et al. 2002): scikit-learn's ``RFE`` around a linear ``LinearSVC``.

    Repeatedly fits the linear SVM and removes the ``step`` features with the smallest squared
    weights until ``n_features`` remain. Give it standardised features (``ZScore``): SVM weights
    are scale-dependent.

    Parameters
    ----------
    n_features : int or float, default 10
        Number (int) or fraction (float in (0, 1)) of features to keep.
    step : int or float, default 1
        Features removed per iteration (or fraction of the remaining ones).
    C : float, default 1.0
        Inverse regularisation of the SVM.
    max_iter : int, default 10000
    random_state : int, RandomState or None, default 0
        Passed to ``LinearSVC`` (its coordinate descent shuffles).

    Attributes
    ----------
    ranking_ : ndarray of int
        RFE ranking (1 = selected).
    estimator_ : LinearSVC
        The SVM fitted on the selected features.
    support_ : ndarray of bool
    """

    def __init__(self, n_features=10, step=1, C: float = 1.0, max_iter: int = 10_000, random_state=0):
        self.n_features = n_features
        self.step = step
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y):
        Xa, y = check_X(self, X, y=y, reset=True, requires_y=True)
        self.classes_, _ = binary_target(y)
        p = Xa.shape[1]
        nf = self.n_features
        if isinstance(nf, (int, np.integer)):
            nf = min(int(nf), p)
        svc = LinearSVC(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        rfe = RFE(svc, n_features_to_select=nf, step=self.step).fit(Xa, y)
        self.ranking_ = rfe.ranking_
        self.estimator_ = rfe.estimator_
        self.n_iter_ = getattr(rfe.estimator_, "n_iter_", None)
        self.support_ = np.asarray(rfe.support_, dtype=bool)
        return self
