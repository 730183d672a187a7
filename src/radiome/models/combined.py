"""The combined (clinical + radiomics) model: logistic regression on clinical predictors and the
Rad-score.

The Rad-score is the linear predictor of the radiomics model (for a LASSO-logistic signature:
intercept + sum of coefficient x feature), one number per patient, held in a column of the clinical
table.  :func:`rad_score` computes it from any fitted scikit-learn classifier or pipeline.
:func:`combined_model` fits ``outcome ~ clinical predictors + rad_score`` with
:func:`radiome.models.clinical.multivariate_logistic` (same missing-value policy, separation handling,
odds-ratio table and ``predict_proba``), and :func:`radiome.models.nomogram.nomogram` draws it.

To stay leakage-free, compute the Rad-score of the *test* patients with the radiomics model fitted on
the *training* patients only, and fit the combined model on the training patients.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from radiome.models.clinical import ClinicalModel, multivariate_logistic

__all__ = ["combined_model", "rad_score"]


def rad_score(estimator, X, index=None, name: str = "rad_score") -> pd.Series:
    """The Rad-score of each row of ``X``: the fitted model's linear predictor (log-odds).

    Uses ``decision_function`` when the estimator has one (logistic/LASSO: exactly intercept +
    x'beta), otherwise the logit of ``predict_proba`` (clipped to [1e-12, 1 - 1e-12]).
    """
    if hasattr(estimator, "decision_function"):
        s = np.asarray(estimator.decision_function(X), dtype=float)
    else:
        p = np.clip(np.asarray(estimator.predict_proba(X))[:, 1], 1e-12, 1 - 1e-12)
        s = np.log(p / (1 - p))
    if index is None and isinstance(X, pd.DataFrame):
        index = X.index
    return pd.Series(s, index=index, name=name)


def combined_model(
    df: pd.DataFrame,
    outcome: str,
    clinical: Sequence[str] | str,
    radscore: str = "rad_score",
    *,
    candidates: Sequence[str] | None = None,
    categorical: Iterable[str] | None = None,
    reference: Mapping | None = None,
    p_threshold: float = 0.05,
    stepwise: str = "none",
    missing: str = "error",
    firth: str = "auto",
    alpha: float = 0.05,
) -> ClinicalModel:
    """Fit ``outcome ~ clinical + radscore``.

    ``clinical`` is a list of clinical predictors, or ``"from_univariate"``: the ``candidates`` with
    univariable p < ``p_threshold`` (the Rad-score is not screened: it always enters).  With
    ``stepwise="backward_aic"`` clinical predictors may be dropped; the Rad-score is kept.
    """
    if radscore not in df.columns:
        raise ValueError(f"Rad-score column {radscore!r} not in the table")
    if isinstance(clinical, str) and clinical == "from_univariate":
        if not candidates:
            raise ValueError("clinical='from_univariate' needs candidates=[...]")
        if radscore in candidates:
            raise ValueError(f"the Rad-score {radscore!r} must not be among the clinical candidates")
        from radiome.models.clinical import univariate_logistic

        univ = univariate_logistic(df, outcome, list(candidates), categorical, reference,
                                   missing=missing, firth=firth, alpha=alpha)
        per_var = univ.groupby("variable", sort=False)["p_variable"].first()
        clinical = [c for c in candidates if per_var[c] < p_threshold]
    else:
        univ = None
        clinical = [clinical] if isinstance(clinical, str) else list(clinical)
    if radscore in clinical:
        raise ValueError(f"the Rad-score {radscore!r} is added automatically; do not list it")
    model = multivariate_logistic(
        df, outcome, clinical + [radscore], categorical=categorical, reference=reference,
        stepwise=stepwise, keep=[radscore], missing=missing, firth=firth, alpha=alpha,
    )
    if univ is not None:
        model.univariate = univ
        model.notes.insert(0, f"clinical predictors with univariable p < {p_threshold}: {clinical}")
    return model
