"""The default radiomics feature-selection chain (the lumbar pain study's)."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from radiome.select.filters import UnivariateFilter
from radiome.select.icc import ICCFilter
from radiome.select.lasso import LassoCV1SE
from radiome.select.mrmr import MRMR
from radiome.select.scaling import ZScore

__all__ = ["default_chain"]


def default_chain(icc_reference=None, k: int = 20, random_state=0, icc_threshold: float = 0.75) -> Pipeline:
    """``ZScore -> [ICCFilter] -> UnivariateFilter -> MRMR(k) -> LassoCV1SE``, as a ``Pipeline``.

    Every step is fitted on the data given to ``Pipeline.fit`` only, so the chain can be
    cross-validated or fitted on a training split without information leaking from the test data.
    (One caveat of the design, as in the published chain: the LASSO's internal 10-fold CV runs
    on features already filtered with the *same* training data, so its lambda choice and CV
    deviance are optimistic. Estimate performance on held-out data, or by cross-validating the
    whole pipeline, never from ``cv_curve_``.)

    Parameters
    ----------
    icc_reference : sequence of reader matrices, mapping of precomputed ICCs, or None
        Reproducibility data for :class:`ICCFilter` (ICC(2,1) >= ``icc_threshold``); the step is
        left out when None.
    k : int, default 20
        Features kept by mRMR (MID, kNN mutual information).
    random_state : int, default 0
        Seeds mRMR's MI jitter and the CV folds of the LASSO.
    icc_threshold : float, default 0.75

    Returns
    -------
    Pipeline
        Steps ``zscore``, (``icc``), ``univariate`` (Welch t-test, p < 0.05), ``mrmr``, ``lasso``
        (glmnet CV, lambda.1se). ``pipeline.predict_proba`` / ``decision_function`` give the
        LASSO-logistic model's probability / Rad-score; ``pipeline[-1].radscore_formula()`` prints
        it. Pass fold ids to the LASSO as ``pipeline.fit(X, y, lasso__foldid=...)``.
    """
    steps = [("zscore", ZScore())]
    if icc_reference is not None:
        steps.append(("icc", ICCFilter(threshold=icc_threshold, kind="ICC(2,1)", reference=icc_reference)))
    steps += [
        ("univariate", UnivariateFilter(test="ttest", alpha=0.05)),
        ("mrmr", MRMR(k=k, scheme="MID", relevance="mi", random_state=random_state)),
        ("lasso", LassoCV1SE(rule="1se", random_state=random_state)),
    ]
    return Pipeline(steps)
