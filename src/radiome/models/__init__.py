"""Models of a radiomics study: the clinical model, the classifier zoo, validation, nomograms.

* :mod:`~radiome.models.clinical` — univariable screening and the multivariable logistic model
  (R ``glm`` numbers; Firth's penalised likelihood under separation; explicit missing-value policy).
* :mod:`~radiome.models.firth` — Firth's bias-reduced logistic regression and separation detection.
* :mod:`~radiome.models.zoo` — 13 classifiers with small search spaces: ``make_model(name, seed)``.
* :mod:`~radiome.models.validation` — hold-out, repeated k-fold, nested CV, bootstrap optimism,
  external validation, all with selection and tuning inside the training data; ``compare_models``.
* :mod:`~radiome.models.combined` — clinical predictors + Rad-score.
* :mod:`~radiome.models.nomogram` — ``rms::nomogram``-compatible points tables and the figure.
"""

from radiome.models.clinical import (
    ClinicalModel,
    SeparationWarning,
    multivariate_logistic,
    univariate_logistic,
)
from radiome.models.combined import combined_model, rad_score
from radiome.models.firth import FirthResult, Separation, detect_separation, firth_logistic
from radiome.models.nomogram import Nomogram, nomogram, r_pretty
from radiome.models.validation import (
    ModelComparison,
    ValidationResult,
    bootstrap_optimism,
    compare_models,
    default_selector,
    external,
    holdout,
    nested_cv,
    repeated_kfold,
)
from radiome.models.zoo import MODEL_NAMES, describe_models, make_model

__all__ = [
    "MODEL_NAMES",
    "ClinicalModel",
    "FirthResult",
    "ModelComparison",
    "Nomogram",
    "Separation",
    "SeparationWarning",
    "ValidationResult",
    "bootstrap_optimism",
    "combined_model",
    "compare_models",
    "default_selector",
    "describe_models",
    "detect_separation",
    "external",
    "firth_logistic",
    "holdout",
    "make_model",
    "multivariate_logistic",
    "nested_cv",
    "nomogram",
    "r_pretty",
    "rad_score",
    "repeated_kfold",
    "univariate_logistic",
]
