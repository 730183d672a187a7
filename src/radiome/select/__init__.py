"""Leakage-free feature selection for radiomics.

Every selector is a scikit-learn transformer (``fit(X, y)``, ``transform``, ``get_support()``,
``get_feature_names_out()``), clonable and usable inside ``sklearn.pipeline.Pipeline``; it learns
from the data given to ``fit`` only and applies what it learned unchanged in ``transform``. A
pandas DataFrame in gives a DataFrame out with the selected columns' names. Every random step has
a ``random_state``.

* :class:`ZScore` — standardisation (sample SD, ``ddof=1``, as R's ``scale()``).
* :class:`VarianceFilter` — drop (near-)constant features.
* :class:`ICCFilter`, :func:`icc`, :func:`icc_table`, :func:`icc_features` — inter/intra-observer
  reproducibility (Shrout & Fleiss ICC(2,1)/ICC(3,1) with F-based CIs, as ``psych::ICC``).
* :class:`UnivariateFilter` — Welch t-test or Mann-Whitney U against the outcome.
* :class:`CorrelationFilter` — of every highly correlated pair keep the one with the higher
  univariate AUC.
* :class:`MRMR` — minimum-redundancy maximum-relevance (Peng et al. 2005), MID/MIQ.
* :class:`LassoCV1SE` — LASSO-logistic regression with ``cv.glmnet``'s lambda.min / lambda.1se,
  reproducing R's glmnet; Rad-score and its formula.
* :class:`SVMRFE`, :class:`SelectKBest` — wrapper / univariate-k selection.
* :func:`default_chain` — ZScore -> [ICC] -> univariate -> mRMR(20) -> LASSO(1-SE).
"""

from radiome.select._glmnet import CVResult, LognetPath, cv_lognet, lognet_path
from radiome.select.chain import default_chain
from radiome.select.filters import CorrelationFilter, SelectKBest, UnivariateFilter, VarianceFilter, univariate_auc
from radiome.select.icc import ICCFilter, ICCResult, icc, icc_features, icc_table
from radiome.select.lasso import LassoCV1SE
from radiome.select.mrmr import MRMR
from radiome.select.scaling import ZScore
from radiome.select.wrappers import SVMRFE

__all__ = [
    "CVResult",
    "CorrelationFilter",
    "ICCFilter",
    "ICCResult",
    "LassoCV1SE",
    "LognetPath",
    "MRMR",
    "SVMRFE",
    "SelectKBest",
    "UnivariateFilter",
    "VarianceFilter",
    "ZScore",
    "cv_lognet",
    "default_chain",
    "icc",
    "icc_features",
    "icc_table",
    "lognet_path",
    "univariate_auc",
]
