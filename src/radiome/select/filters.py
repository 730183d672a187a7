"""Unsupervised and univariate filters: variance, univariate test, correlation; ``SelectKBest``."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from sklearn.feature_selection import SelectKBest as _SKSelectKBest
from sklearn.feature_selection import f_classif

from radiome.select._base import BaseSelector, FrameSelectorMixin, binary_target, check_X

__all__ = [
    "CorrelationFilter",
    "SelectKBest",
    "UnivariateFilter",
    "VarianceFilter",
    "univariate_auc",
]


def univariate_auc(X: np.ndarray, y01: np.ndarray) -> np.ndarray:
    """Per-column AUC of ``X`` for the 0/1 outcome (Mann-Whitney U / (n1 n0), ties counted 1/2)."""
    X = np.asarray(X, dtype=float)
    pos = y01 == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    ranks = stats.rankdata(X, axis=0)  # average ranks for ties
    u = ranks[pos].sum(axis=0) - n1 * (n1 + 1) / 2.0
    return u / (n1 * n0)


class VarianceFilter(BaseSelector):
    """Drop features whose training variance is not above ``threshold``.

    Parameters
    ----------
    threshold : float, default 0.0
        Features with variance ``<= threshold`` are removed (the default removes constants).
    ddof : int, default 1
        Variance divisor ``n - ddof``; 1 is R's ``var()`` (scikit-learn's ``VarianceThreshold``
        uses 0). Irrelevant for the default threshold 0.

    Attributes
    ----------
    variances_ : ndarray of shape (n_features,)
    support_ : ndarray of bool
    """

    def __init__(self, threshold: float = 0.0, ddof: int = 1):
        self.threshold = threshold
        self.ddof = ddof

    def fit(self, X, y=None):
        Xa = check_X(self, X, reset=True)
        if Xa.shape[0] - self.ddof <= 0:
            raise ValueError(f"too few samples (n_samples = {Xa.shape[0]}) to estimate a variance with ddof={self.ddof}")
        self.variances_ = Xa.var(axis=0, ddof=self.ddof)
        self.support_ = self.variances_ > self.threshold
        if not self.support_.any():
            raise ValueError(f"no feature has a variance above threshold={self.threshold}")
        return self


class UnivariateFilter(BaseSelector):
    """Keep the features that differ between the two outcome groups on the training data.

    Parameters
    ----------
    test : {"ttest", "mannwhitney"}, default "ttest"
        ``"ttest"``: two-sample t-test, **Welch's unequal-variance version by default**
        (``equal_var=False``; R's ``t.test`` default) via ``scipy.stats.ttest_ind``.
        ``"mannwhitney"``: two-sided Wilcoxon-Mann-Whitney rank-sum test via
        ``scipy.stats.mannwhitneyu`` (``method="auto"``: exact p for small samples without ties,
        otherwise the normal approximation with continuity correction).
    alpha : float, default 0.05
        A feature is kept if its (adjusted) p-value is ``< alpha``.
    equal_var : bool, default False
        Student's pooled-variance t-test if True.
    correction : {None, "bonferroni", "fdr_bh"}, default None
        Multiplicity adjustment of the p-values before comparing them with ``alpha``
        (Benjamini-Hochberg for ``"fdr_bh"``).
    min_features : int, default 1
        If fewer features pass, the ``min_features`` with the smallest p-values are kept anyway
        (ties broken by column order), so that a pipeline never receives zero columns.

    Attributes
    ----------
    statistics_, pvalues_, pvalues_adjusted_ : ndarray of shape (n_features,)
        Test statistic (t, or U for the positive class), raw and adjusted p-values (NaN p of a
        constant feature is set to 1).
    support_ : ndarray of bool
    """

    def __init__(
        self,
        test: str = "ttest",
        alpha: float = 0.05,
        equal_var: bool = False,
        correction: str | None = None,
        min_features: int = 1,
    ):
        self.test = test
        self.alpha = alpha
        self.equal_var = equal_var
        self.correction = correction
        self.min_features = min_features

    def fit(self, X, y):
        Xa, y = check_X(self, X, y=y, reset=True, requires_y=True)
        self.classes_, y01 = binary_target(y)
        if self.test not in ("ttest", "mannwhitney"):
            raise ValueError(f"test must be 'ttest' or 'mannwhitney', got {self.test!r}")
        n_feat = Xa.shape[1]
        stat = np.full(n_feat, np.nan)
        p = np.ones(n_feat)  # a constant feature cannot differ between the groups: p = 1
        ok = np.ptp(Xa, axis=0) > 0
        a, b = Xa[y01 == 1][:, ok], Xa[y01 == 0][:, ok]
        if ok.any():
            if self.test == "ttest":
                with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    res = stats.ttest_ind(a, b, axis=0, equal_var=self.equal_var)
            else:
                res = stats.mannwhitneyu(a, b, axis=0, alternative="two-sided", method="auto")
            stat[ok] = res.statistic
            p[ok] = np.where(np.isnan(res.pvalue), 1.0, res.pvalue)
        self.statistics_ = stat
        self.pvalues_ = p
        if self.correction is None:
            padj = p
        elif self.correction == "bonferroni":
            padj = np.minimum(p * p.size, 1.0)
        elif self.correction == "fdr_bh":
            padj = stats.false_discovery_control(p, method="bh")
        else:
            raise ValueError(f"correction must be None, 'bonferroni' or 'fdr_bh', got {self.correction!r}")
        self.pvalues_adjusted_ = padj
        support = padj < self.alpha
        m = min(int(self.min_features), p.size)
        if support.sum() < m:
            order = np.lexsort((np.arange(p.size), padj))  # smallest p first, then column order
            support = np.zeros(p.size, bool)
            support[order[:m]] = True
        self.support_ = support
        return self


class CorrelationFilter(BaseSelector):
    """Remove redundant features: of every pair with ``|r| > threshold`` keep the more relevant one.

    Relevance is computed on the training data: by default the univariate AUC's distance from
    0.5, ``|AUC - 0.5|`` (so a strongly *negative* predictor counts as relevant); with
    ``relevance="pvalue"`` the Welch t-test p-value (smaller is more relevant). Features are
    visited from the most to the least relevant (ties: column order) and a feature is kept only if
    its absolute correlation with every feature already kept is ``<= threshold``. The result is
    deterministic and never depends on the column order except for exact relevance ties. Without
    ``y`` (or ``relevance="order"``) the earlier column wins.

    Parameters
    ----------
    threshold : float, default 0.9
    method : {"pearson", "spearman"}, default "pearson"
    relevance : {"auc", "pvalue", "order"}, default "auc"

    Attributes
    ----------
    relevance_ : ndarray of shape (n_features,)
        ``|AUC - 0.5|``, ``-log10(p)`` or ``-column index``: larger is more relevant.
    dropped_ : dict
        ``{dropped feature name: the kept feature it correlated with}``.
    support_ : ndarray of bool
    """

    def __init__(self, threshold: float = 0.9, method: str = "pearson", relevance: str = "auc"):
        self.threshold = threshold
        self.method = method
        self.relevance = relevance

    def fit(self, X, y=None):
        if y is None:
            Xa = check_X(self, X, reset=True)
        else:
            Xa, y = check_X(self, X, y=y, reset=True)
        p = Xa.shape[1]
        if self.method == "pearson":
            M = Xa
        elif self.method == "spearman":
            M = stats.rankdata(Xa, axis=0)
        else:
            raise ValueError(f"method must be 'pearson' or 'spearman', got {self.method!r}")
        with np.errstate(invalid="ignore", divide="ignore"):
            R = np.corrcoef(M, rowvar=False) if p > 1 else np.ones((1, 1))
        R = np.abs(np.nan_to_num(np.atleast_2d(R), nan=0.0))
        if y is None or self.relevance == "order":
            rel = -np.arange(p, dtype=float)
        else:
            _, y01 = binary_target(y)
            if self.relevance == "auc":
                rel = np.abs(univariate_auc(Xa, y01) - 0.5)
            elif self.relevance == "pvalue":
                with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    pv = stats.ttest_ind(Xa[y01 == 1], Xa[y01 == 0], axis=0, equal_var=False).pvalue
                pv = np.where(np.isnan(pv), 1.0, pv)
                rel = -np.log10(np.maximum(pv, np.finfo(float).tiny))
            else:
                raise ValueError(f"relevance must be 'auc', 'pvalue' or 'order', got {self.relevance!r}")
        rel = np.nan_to_num(rel, nan=-np.inf)
        order = np.lexsort((np.arange(p), -rel))  # most relevant first, then column order
        names = self._feature_labels()
        kept: list[int] = []
        dropped: dict[str, str] = {}
        for j in order:
            if kept:
                rj = R[j, kept]
                worst = int(np.argmax(rj))
                if rj[worst] > self.threshold:
                    dropped[names[j]] = names[kept[worst]]
                    continue
            kept.append(int(j))
        support = np.zeros(p, bool)
        support[kept] = True
        self.relevance_ = rel
        self.dropped_ = dropped
        self.support_ = support
        return self


class SelectKBest(FrameSelectorMixin, _SKSelectKBest):
    """scikit-learn's ``SelectKBest`` (default ``f_classif``) whose ``transform`` keeps DataFrames."""

    def __init__(self, score_func=f_classif, *, k=10):
        super().__init__(score_func=score_func, k=k)
