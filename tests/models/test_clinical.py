"""The clinical logistic model against R's glm (aSAH data), missing values, separation, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiome.models import SeparationWarning, multivariate_logistic, univariate_logistic

STATS = Path(__file__).parents[1] / "data" / "stats"
COVS = ["age", "male", "s100b", "ndka"]


@pytest.fixture(scope="module")
def asah() -> pd.DataFrame:
    return pd.read_csv(STATS / "asah.csv")


@pytest.fixture(scope="module")
def asah_model(asah):
    return multivariate_logistic(asah, "y", COVS)


# ------------------------------------------------------------------------------------ R glm
def test_glm_table_matches_r(asah_model):
    ref = pd.read_csv(STATS / "asah_logistic.csv").set_index("term")
    got = asah_model.table.set_index("term").loc[ref.index]
    for col in ["coef", "se", "z", "p", "odds_ratio", "or_ci_lower", "or_ci_upper"]:
        # 1e-4 relative (p-values span 1e-4..0.08; CI limits up to 1,800)
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-4, atol=0, err_msg=col)
    # in fact the IRLS replicates glm.fit to ~1e-10
    np.testing.assert_allclose(got["se"], ref["se"], rtol=1e-9)
    assert asah_model.method == "ml" and asah_model.ci_method == "wald"


def test_glm_predictions_match_r(asah, asah_model):
    ref = pd.read_csv(STATS / "asah_logistic_predictions.csv")
    p = asah_model.predict_proba(asah)
    assert p.shape == (113, 2)
    np.testing.assert_allclose(p[:, 1], ref["p_logistic"], atol=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_array_equal(asah_model.predict(asah), (p[:, 1] >= 0.5).astype(int))


def test_aic_and_counts(asah_model):
    # AIC = -2 loglik + 2k, k = 5 coefficients
    assert asah_model.aic == pytest.approx(-2 * asah_model.loglik + 10)
    assert (asah_model.n, asah_model.n_events) == (113, 41)
    assert asah_model.missing.n_dropped == 0
    assert "AIC" in asah_model.summary()


# ------------------------------------------------------------------------------------ univariable
def test_univariate_equals_single_covariate_models(asah):
    u = univariate_logistic(asah, "y", ["age", "s100b"])
    for c in ["age", "s100b"]:
        m = multivariate_logistic(asah, "y", [c]).table.set_index("term").loc[c]
        r = u.set_index("term").loc[c]
        for col in ["coef", "se", "p", "odds_ratio", "or_ci_lower", "or_ci_upper"]:
            assert r[col] == pytest.approx(m[col], rel=1e-12)
        assert r["p_variable"] == r["p"]


def test_categorical_reference_levels_and_joint_test(asah):
    u = univariate_logistic(asah, "y", ["wfns"], categorical=["wfns"], reference={"wfns": 1})
    assert list(u["level"]) == [1, 2, 3, 4, 5]
    ref_row = u.iloc[0]
    assert ref_row["note"] == "reference" and ref_row["odds_ratio"] == 1.0
    # hand check: with a single categorical covariate the OR of level k vs 1 is the sample odds
    # ratio of the 2x2 table (level k vs level 1)
    for lv in [2, 3, 4, 5]:
        sub = asah[asah["wfns"].isin([1, lv])]
        odds = sub.groupby("wfns")["y"].agg(lambda s: s.sum() / (len(s) - s.sum()))
        row = u[u["level"] == lv].iloc[0]
        assert row["odds_ratio"] == pytest.approx(odds[lv] / odds[1], rel=1e-8)
    # joint Wald test of the 4 dummies: one p for the variable on every row
    assert u["p_variable"].nunique() == 1 and u["p_variable"].iloc[0] < 1e-4
    # a different reference level: ORs are ratios of the original ones
    u3 = univariate_logistic(asah, "y", ["wfns"], categorical=["wfns"], reference={"wfns": 3})
    assert list(u3["level"]) == [3, 1, 2, 4, 5]
    or5 = u.set_index("level").loc[5, "odds_ratio"] / u.set_index("level").loc[3, "odds_ratio"]
    assert u3.set_index("level").loc[5, "odds_ratio"] == pytest.approx(or5, rel=1e-7)


def test_string_categorical(asah):
    d = asah.assign(sex=np.where(asah["male"] == 1, "M", "F"))
    a = multivariate_logistic(d, "y", ["age", "sex"], categorical=["sex"])
    b = multivariate_logistic(d, "y", ["age", "male"])
    assert a.params["sex[M]"] == pytest.approx(b.params["male"], rel=1e-10)
    t = a.table.set_index("term")
    assert t.loc["sex[F]", "note"] == "reference"
    # prediction on new data with the string levels
    np.testing.assert_allclose(a.predict_proba(d.head(5)), b.predict_proba(d.head(5)), rtol=1e-10)


# ------------------------------------------------------------------------------------ selection
def test_from_univariate_and_backward_aic(asah):
    m = multivariate_logistic(asah, "y", "from_univariate",
                              candidates=["age", "male", "s100b", "ndka", "wfns"],
                              categorical=["wfns"], p_threshold=0.05, stepwise="backward_aic")
    u = m.univariate.groupby("variable", sort=False)["p_variable"].first()
    entered = [c for c in u.index if u[c] < 0.05]
    assert m.steps.iloc[0]["covariates"] == ", ".join(entered)
    # hand check of the first backward step: refit each sub-model and compare AICs
    full_aic = multivariate_logistic(asah, "y", entered, categorical=["wfns"]).aic
    assert m.steps.iloc[0]["aic"] == pytest.approx(full_aic)
    subs = {v: multivariate_logistic(asah, "y", [c for c in entered if c != v],
                                     categorical=["wfns"]).aic for v in entered}
    best = min(subs, key=subs.get)
    if subs[best] < full_aic:
        assert m.steps.iloc[1]["removed"] == best
        assert m.steps.iloc[1]["aic"] == pytest.approx(subs[best])
    assert m.aic == pytest.approx(m.steps["aic"].iloc[-1])
    # keep= protects a covariate from removal
    k = multivariate_logistic(asah, "y", entered, categorical=["wfns"], stepwise="backward_aic",
                              keep=["s100b"])
    assert "s100b" in k.covariates


def test_from_univariate_needs_candidates(asah):
    with pytest.raises(ValueError, match="candidates"):
        multivariate_logistic(asah, "y", "from_univariate")
    with pytest.raises(ValueError, match="no candidate covariate"):
        multivariate_logistic(asah, "y", "from_univariate", candidates=["patient"],
                              p_threshold=0.001)


# ------------------------------------------------------------------------------------ missing
@pytest.fixture()
def asah_na(asah):
    d = asah.copy()
    d.loc[[0, 5, 9], "age"] = np.nan
    d.loc[[5, 20], "s100b"] = np.nan
    d.loc[[30], "y"] = np.nan
    return d


def test_missing_error_names_columns(asah_na):
    with pytest.raises(ValueError, match=r"missing values in .*'age': 3.*'s100b': 2"):
        multivariate_logistic(asah_na, "y", ["age", "s100b"])


def test_missing_drop(asah_na, asah):
    m = multivariate_logistic(asah_na, "y", ["age", "s100b"], missing="drop")
    # rows 0, 5, 9 (age), 20 (s100b; 5 already counted), 30 (outcome): 5 dropped
    assert (m.missing.n_input, m.missing.n_used, m.missing.n_dropped) == (113, 108, 5)
    cols = m.missing.columns.set_index("column")
    assert cols.loc["age", "n_missing"] == 3 and cols.loc["s100b", "n_missing"] == 2
    assert cols["n_imputed"].sum() == 0
    ref = multivariate_logistic(asah.drop(index=[0, 5, 9, 20, 30]), "y", ["age", "s100b"])
    np.testing.assert_allclose(m.params, ref.params, rtol=1e-10)
    with pytest.raises(ValueError, match="missing covariate values"):
        m.predict_proba(asah_na.head(3))


def test_missing_impute_median_uses_training_values(asah_na):
    m = multivariate_logistic(asah_na, "y", ["age", "s100b"], missing="impute_median")
    train = asah_na.dropna(subset=["y"])
    med_age, med_s = train["age"].median(), train["s100b"].median()
    cols = m.missing.columns.set_index("column")
    assert cols.loc["age", "n_imputed"] == 3 and cols.loc["age", "fill_value"] == med_age
    assert cols.loc["s100b", "n_imputed"] == 2 and cols.loc["s100b", "fill_value"] == med_s
    assert m.n == 112  # the row without outcome is dropped, never imputed
    # new patients are imputed with the TRAINING medians, not their own
    new = pd.DataFrame({"age": [np.nan, 70.0], "s100b": [0.5, np.nan]})
    manual = pd.DataFrame({"age": [med_age, 70.0], "s100b": [0.5, med_s]})
    np.testing.assert_allclose(m.predict_proba(new), m.predict_proba(manual))


def test_univariate_drop_is_per_covariate(asah_na):
    u = univariate_logistic(asah_na, "y", ["age", "s100b", "male"], missing="drop").set_index("term")
    assert u.loc["age", "n"] == 113 - 3 - 1
    assert u.loc["s100b", "n"] == 113 - 2 - 1
    assert u.loc["male", "n"] == 112
    assert u.loc["age", "n_missing"] == 3


# ------------------------------------------------------------------------------------ separation
def test_separation_falls_back_to_firth(asah):
    d = asah.copy()
    d["marker"] = d["y"] * 2.0 + d["age"] / 1000  # perfectly separates y
    with pytest.warns(SeparationWarning, match=r"complete separation .*marker.*Firth"):
        m = multivariate_logistic(d, "y", ["age", "marker"])
    assert m.method == "firth" and m.ci_method == "profile"
    assert np.isfinite(m.params).all()
    assert m.separation.kind == "complete"
    with pytest.raises(ValueError, match="separation"):
        multivariate_logistic(d, "y", ["age", "marker"], firth="never")
    with pytest.warns(SeparationWarning):
        u = univariate_logistic(d, "y", ["marker", "age"])
    assert list(u["method"]) == ["firth", "ml"]


def test_no_warning_without_separation(asah):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        multivariate_logistic(asah, "y", COVS)


# ------------------------------------------------------------------------------------ bad input
def test_one_class_outcome(asah):
    d = asah.assign(y=0)
    with pytest.raises(ValueError, match="single class: all 113 cases are 0"):
        multivariate_logistic(d, "y", ["age"])


def test_outcome_not_binary(asah):
    with pytest.raises(ValueError, match="coded 0/1"):
        multivariate_logistic(asah.assign(y=asah["y"] + 1), "y", ["age"])


def test_non_numeric_covariate_must_be_declared(asah):
    d = asah.assign(sex=np.where(asah["male"] == 1, "M", "F"))
    with pytest.raises(ValueError, match=r"'sex' is not numeric .*categorical="):
        multivariate_logistic(d, "y", ["age", "sex"])
    with pytest.raises(ValueError, match="not numeric"):
        univariate_logistic(d, "y", ["sex"])


def test_unseen_level_and_absent_column(asah):
    m = multivariate_logistic(asah, "y", ["age", "wfns"], categorical=["wfns"])
    with pytest.raises(ValueError, match="not seen in training"):
        m.predict_proba(pd.DataFrame({"age": [50], "wfns": [6]}))
    with pytest.raises(ValueError, match="not in the table"):
        multivariate_logistic(asah, "y", ["age", "bmi"])


def test_too_few_cases_and_constant(asah):
    with pytest.raises(ValueError, match="constant"):
        multivariate_logistic(asah.assign(c=1.0), "y", ["age", "c"])
    rows = list(asah.index[asah["male"] == 1][:2]) + list(asah.index[asah["male"] == 0][:2])
    with pytest.raises(ValueError, match="4 cases for 5 coefficients"):
        multivariate_logistic(asah.loc[rows].assign(y=[0, 1, 0, 1]), "y", COVS)
