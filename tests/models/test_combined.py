"""Combined model: clinical predictors + Rad-score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from radiome.models import combined_model, multivariate_logistic, nomogram, rad_score

STATS = Path(__file__).parents[1] / "data" / "stats"


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(STATS / "asah.csv")
    feats = d[["s100b", "ndka"]]
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(feats, d["y"])
    d["rad_score"] = rad_score(lr, feats)
    return d, lr, feats


def test_rad_score_is_the_linear_predictor(data):
    d, lr, feats = data
    expected = lr.intercept_[0] + feats.to_numpy() @ lr.coef_[0]
    np.testing.assert_allclose(d["rad_score"], expected, rtol=1e-12)

    class ProbaOnly:  # an estimator without decision_function: logit of predict_proba
        def predict_proba(self, X):
            p = 1 / (1 + np.exp(-expected))
            return np.column_stack([1 - p, p])

    # (the logit of a probability near 1 keeps ~7 significant digits)
    np.testing.assert_allclose(rad_score(ProbaOnly(), feats), expected, rtol=1e-6)


def test_combined_equals_multivariate_with_rad_score(data):
    d, _, _ = data
    c = combined_model(d, "y", ["age", "male"], "rad_score")
    m = multivariate_logistic(d, "y", ["age", "male", "rad_score"])
    np.testing.assert_allclose(c.params, m.params, rtol=1e-12)
    assert c.covariates == ["age", "male", "rad_score"]
    assert len(nomogram(c).points)


def test_rad_score_is_kept_by_stepwise(data):
    d, _, _ = data
    c = combined_model(d, "y", ["age", "male", "ndka"], stepwise="backward_aic")
    assert "rad_score" in c.covariates
    u = combined_model(d, "y", "from_univariate", candidates=["age", "male", "wfns", "ndka"],
                       categorical=["wfns"])
    assert u.covariates[-1] == "rad_score" and u.univariate is not None


def test_errors(data):
    d, _, _ = data
    with pytest.raises(ValueError, match="not in the table"):
        combined_model(d.drop(columns="rad_score"), "y", ["age"])
    with pytest.raises(ValueError, match="added automatically"):
        combined_model(d, "y", ["age", "rad_score"])
