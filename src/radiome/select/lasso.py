"""LASSO-logistic feature selection with glmnet's cross-validated lambda and the 1-SE rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from radiome.select._base import BaseSelector, binary_target, check_X
from radiome.select._glmnet import CVResult, cv_lognet

__all__ = ["LassoCV1SE"]


class LassoCV1SE(ClassifierMixin, BaseSelector):
    """L1-penalised logistic regression with lambda chosen by cross-validation, as ``cv.glmnet``.

    Fits ``cv.glmnet(X, y, family="binomial", alpha=1, type.measure="deviance")`` — glmnet's
    lambda path, its binomial-deviance CV curve (``cvm``, ``cvsd``), ``lambda.min`` and
    ``lambda.1se`` — with our own implementation of glmnet's algorithm (see
    :mod:`radiome.select._glmnet`), which reproduces R's numbers to about 1e-12. The selected
    features are those with a nonzero coefficient at the chosen lambda (``rule``).

    Parameters
    ----------
    rule : {"1se", "min"}, default "1se"
        ``lambda.1se`` (largest lambda within one SE of the minimum CV deviance; sparser, the
        radiomics convention) or ``lambda.min``.
    n_folds : int, default 10
        Folds of the stratified K-fold CV used when ``fit`` gets no ``foldid``.
    standardize : bool, default False
        glmnet's ``standardize``: fit on predictors scaled by their population SD, report
        coefficients on the original scale. False by default because the radiomics chain z-scores
        features beforehand (``ZScore``).
    nlambda : int, default 100
    lambda_min_ratio : float or None, default None
        None: glmnet's default, 0.01 if n < p else 1e-4.
    solver : {"glmnet", "exact"}, default "glmnet"
        ``"glmnet"`` replays glmnet's coordinate descent with its convergence threshold
        ``thresh = 1e-7`` (R's coefficients, optimisation error included); ``"exact"`` solves each
        lambda to the exact minimiser (differs from R by glmnet's own error, ~1e-4).
    random_state : int, RandomState or None, default 0
        Seeds the stratified fold assignment (only used without ``foldid``).
    min_features : int, default 1
        If the chosen lambda keeps fewer features (an all-zero model is common in small CV folds,
        where the 1-SE lambda is often the null model), the lambda moves down the path to the first
        one that keeps at least ``min_features``, with a warning; ``lambda_`` and ``coef_`` are that
        lambda's and ``lambda_moved_`` is True. 0 keeps glmnet's choice whatever it selects.

    Attributes
    ----------
    classes_ : ndarray
        The two outcome labels; the model predicts the probability of ``classes_[1]``.
    coef_ : ndarray of shape (n_features,)
        Coefficients at the chosen lambda (original feature scale).
    intercept_ : float
    lambda_ : float
        The chosen lambda; ``lambda_min_``, ``lambda_1se_`` both.
    coef_min_, intercept_min_, coef_1se_, intercept_1se_ :
        Coefficients at ``lambda.min`` and ``lambda.1se``.
    cv_curve_ : DataFrame
        ``lambda, cvm, cvsd, cvup, cvlo, nzero`` per lambda (as the ``cv.glmnet`` object).
    cv_result_ : CVResult
        Everything else: the full path (``cv_result_.fit``), the fold ids.
    foldid_ : ndarray of int
        Fold (1..K) of each training observation.
    support_ : ndarray of bool
        Nonzero coefficients at the chosen lambda.
    """

    def __init__(
        self,
        rule: str = "1se",
        n_folds: int = 10,
        standardize: bool = False,
        nlambda: int = 100,
        lambda_min_ratio: float | None = None,
        solver: str = "glmnet",
        random_state=0,
        min_features: int = 1,
    ):
        self.rule = rule
        self.n_folds = n_folds
        self.standardize = standardize
        self.nlambda = nlambda
        self.lambda_min_ratio = lambda_min_ratio
        self.solver = solver
        self.random_state = random_state
        self.min_features = min_features

    def fit(self, X, y, foldid=None):
        """Run the cross-validation on ``(X, y)``; ``foldid`` (one fold label per row) is optional."""
        if self.rule not in ("1se", "min"):
            raise ValueError(f"rule must be '1se' or 'min', got {self.rule!r}")
        if int(self.nlambda) < 3:
            raise ValueError("nlambda must be at least 3")
        Xa, y = check_X(self, X, y=y, reset=True, requires_y=True)
        self.classes_, y01 = binary_target(y)
        n = Xa.shape[0]
        if foldid is None:
            skf = StratifiedKFold(n_splits=int(self.n_folds), shuffle=True, random_state=self.random_state)
            fold = np.empty(n, dtype=int)
            for k, (_, te) in enumerate(skf.split(Xa, y01), start=1):
                fold[te] = k
        else:
            fold = np.asarray(foldid).ravel()
            if fold.size != n:
                raise ValueError(f"foldid has {fold.size} entries for {n} observations")
        res: CVResult = cv_lognet(
            Xa,
            y01,
            fold,
            nlambda=int(self.nlambda),
            lambda_min_ratio=self.lambda_min_ratio,
            standardize=bool(self.standardize),
            solver=self.solver,
        )
        path = res.fit
        self.cv_result_ = res
        self.cv_curve_ = res.to_frame()
        self.foldid_ = fold
        self.lambda_min_ = res.lambda_min
        self.lambda_1se_ = res.lambda_1se
        self.coef_min_ = path.beta[:, res.index_min].copy()
        self.intercept_min_ = float(path.a0[res.index_min])
        self.coef_1se_ = path.beta[:, res.index_1se].copy()
        self.intercept_1se_ = float(path.a0[res.index_1se])
        if self.rule == "1se":
            self.lambda_, self.coef_, self.intercept_ = self.lambda_1se_, self.coef_1se_, self.intercept_1se_
        else:
            self.lambda_, self.coef_, self.intercept_ = self.lambda_min_, self.coef_min_, self.intercept_min_
        self.lambda_moved_ = False
        if int(np.count_nonzero(self.coef_)) < int(self.min_features):
            nz = np.count_nonzero(path.beta, axis=0)
            ok = np.flatnonzero(nz >= int(self.min_features))
            if ok.size:
                j = int(ok[0])  # lambdas decrease along the path: the sparsest model that qualifies
                warnings.warn(
                    f"LASSO at lambda.{self.rule} selects {int(np.count_nonzero(self.coef_))} feature(s); "
                    f"using lambda = {path.lambdas[j]:.4g}, the first on the path with at least "
                    f"{self.min_features}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                self.lambda_, self.coef_, self.intercept_ = float(path.lambdas[j]), path.beta[:, j].copy(), float(path.a0[j])
                self.lambda_moved_ = True
        self.support_ = self.coef_ != 0
        return self

    # -- the model -----------------------------------------------------------------------------

    def radscore(self, X):
        """The LASSO-logistic linear predictor ``intercept_ + X @ coef_`` (the "Rad-score").

        ``X`` holds all ``n_features_in_`` input features (a DataFrame gives a Series with its index).
        """
        check_is_fitted(self, "coef_")
        Xa = check_X(self, X, reset=False)
        score = self.intercept_ + Xa @ self.coef_
        if isinstance(X, pd.DataFrame):
            return pd.Series(score, index=X.index, name="radscore")
        return score

    def decision_function(self, X) -> np.ndarray:
        """The Rad-score as an array (log-odds of ``classes_[1]``)."""
        return np.asarray(self.radscore(X), dtype=float)

    def predict_proba(self, X) -> np.ndarray:
        p1 = expit(self.decision_function(X))
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X) -> np.ndarray:
        score = self.decision_function(X)
        return self.classes_[(score >= 0).astype(int)]

    def radscore_formula(self, digits: int = 4, name: str = "Rad-score") -> str:
        """``"Rad-score = b0 + b1 * feature1 - b2 * feature2 ..."`` with the nonzero coefficients."""
        check_is_fitted(self, "coef_")
        names = self._feature_labels()
        fmt = f"{{:.{int(digits)}f}}"
        out = f"{name} = {fmt.format(self.intercept_)}"
        for nm, b in zip(names, self.coef_):
            if b == 0:
                continue
            sign = "-" if b < 0 else "+"
            out += f" {sign} {fmt.format(abs(b))} * {nm}"
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.classifier_tags.multi_class = False
        return tags
