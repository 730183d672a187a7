"""Firth's penalised logistic regression: logistf's sex2 example, a hand-checkable 2x2 table,
separation detection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiome.models.firth import detect_separation, firth_logistic, penalised_lr_test

DATA = Path(__file__).parent / "data"
TERMS = ["(Intercept)", "age", "oc", "vic", "vicl", "vis", "dia"]

# logistf(case ~ age + oc + vic + vicl + vis + dia, data = sex2)  (see data/README.md)
LOGISTF_COEF = [0.12025405, -1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694,
                3.09601166]
LOGISTF_CI = [(-0.8185591, 1.07315122), (-1.9737884, -0.30742514), (-0.9414363, 0.78920202),
              (1.2730216, 3.43543273), (-3.2608611, -1.11773495), (-1.6080879, 0.01518468),
              (0.7745682, 8.03029352)]
LOGISTF_P = [8.020268e-01, 6.143472e-03, 8.751911e-01, 1.678877e-06, 1.237805e-05, 5.449701e-02,
             4.951873e-03]


@pytest.fixture(scope="module")
def sex2() -> pd.DataFrame:
    c = pd.read_csv(DATA / "sex2_counts.csv")
    d = c.loc[c.index.repeat(c["n"])].drop(columns="n").reset_index(drop=True)
    assert len(d) == 239 and d["case"].sum() == 130
    return d


def design(d, cols):
    X = d[cols].astype(float)
    X.insert(0, "(Intercept)", 1.0)
    return X


@pytest.fixture(scope="module")
def sex2_fit(sex2):
    return firth_logistic(design(sex2, TERMS[1:]), sex2["case"].to_numpy())


def test_sex2_coefficients_match_logistf(sex2_fit):
    np.testing.assert_allclose(sex2_fit.coef, LOGISTF_COEF, rtol=1e-6, atol=1e-7)
    assert sex2_fit.converged


def test_sex2_profile_ci_match_logistf(sex2_fit):
    t = sex2_fit.table
    np.testing.assert_allclose(t["ci_lower"], [c[0] for c in LOGISTF_CI], atol=1e-4)
    np.testing.assert_allclose(t["ci_upper"], [c[1] for c in LOGISTF_CI], atol=1e-4)
    assert sex2_fit.ci_method == "profile"
    # the profile interval of dia (separated) is strongly asymmetric, unlike Wald's
    dia = t.set_index("term").loc["dia"]
    assert dia["ci_upper"] - dia["coef"] > 2 * (dia["coef"] - dia["ci_lower"])


def test_sex2_penalised_lr_p_values_match_logistf(sex2_fit):
    np.testing.assert_allclose(sex2_fit.table["p"], LOGISTF_P, rtol=1e-5)


def test_penalised_log_likelihoods_match_logistf(sex2):
    y = sex2["case"].to_numpy()
    full = design(sex2, ["oc", "vic", "vicl", "vis", "age"])
    f = firth_logistic(full, y, ci="none")
    assert f.loglik == pytest.approx(-136.6498, abs=1e-4)
    # 'null' of logistf: all slopes 0 under the full model's penalty
    chisq, df, _ = penalised_lr_test(full.to_numpy(), y, [1, 2, 3, 4, 5])
    assert df == 5
    assert f.loglik - chisq / 2 == pytest.approx(-157.3390, abs=1e-4)
    reduced = firth_logistic(design(sex2, ["oc", "vic", "vicl", "vis"]), y, ci="none")
    assert reduced.loglik == pytest.approx(-140.8798, abs=1e-4)
    null = firth_logistic(design(sex2, []), y, ci="none")
    assert null.loglik == pytest.approx(-162.6972, abs=1e-4)


def test_wald_option_is_symmetric(sex2):
    f = firth_logistic(design(sex2, TERMS[1:]), sex2["case"].to_numpy(), ci="wald")
    t = f.table
    np.testing.assert_allclose(t["coef"] - t["ci_lower"], t["ci_upper"] - t["coef"], rtol=1e-12)
    np.testing.assert_allclose(t["coef"], LOGISTF_COEF, rtol=1e-6, atol=1e-7)


def _two_by_two(a, b, c, d):
    """x=1: a events, b non-events; x=0: c events, d non-events."""
    x = np.r_[np.ones(a + b), np.zeros(c + d)]
    y = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
    return np.column_stack([np.ones_like(x), x]), y


@pytest.mark.parametrize("cells", [(7, 3, 4, 9), (5, 0, 2, 8), (0, 6, 3, 3)])
def test_two_by_two_table_is_haldane_corrected_odds_ratio(cells):
    # Hand check: for one binary covariate the Firth estimates equal the ML estimates of the table
    # with 1/2 added to every cell: slope = log OR of (a+.5)(d+.5)/((b+.5)(c+.5)),
    # intercept = log((c+.5)/(d+.5)).  Holds with a zero cell (separation) too.
    a, b, c, d = cells
    X, y = _two_by_two(a, b, c, d)
    f = firth_logistic(X, y, ["const", "x"], ci="wald")
    slope = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))
    icpt = np.log((c + 0.5) / (d + 0.5))
    np.testing.assert_allclose(f.coef, [icpt, slope], atol=1e-9)
    # Wald SE of the slope from the information at the estimate: the fitted risks are the
    # corrected proportions p1 = (a+.5)/(a+b+1), p0 = (c+.5)/(c+d+1) on the *observed* group sizes
    p1, p0 = (a + 0.5) / (a + b + 1), (c + 0.5) / (c + d + 1)
    se = np.sqrt(1 / ((a + b) * p1 * (1 - p1)) + 1 / ((c + d) * p0 * (1 - p0)))
    assert f.table["se"].iloc[1] == pytest.approx(se, rel=1e-9)


def test_separation_detection():
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8], float)
    ones = np.ones_like(x)
    complete = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    s = detect_separation(np.column_stack([ones, x]), complete, ["const", "x"])
    assert s.kind == "complete" and s.variables == ("x",)
    quasi = np.array([0, 0, 0, 1, 0, 1, 1, 1])  # x=4 and x=5 swap -> overlap at no point...
    x_q = np.array([1, 2, 3, 4, 4, 6, 7, 8], float)  # ...tied at x=4: quasi-complete
    s = detect_separation(np.column_stack([ones, x_q]), quasi, ["const", "x"])
    assert s.kind == "quasi-complete"
    overlap = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    s = detect_separation(np.column_stack([ones, x]), overlap, ["const", "x"])
    assert not s and s.kind == "none"


def test_sex2_is_quasi_separated_by_dia(sex2):
    s = detect_separation(design(sex2, TERMS[1:]).to_numpy(), sex2["case"].to_numpy(), TERMS)
    assert s.kind == "quasi-complete" and s.variables == ("dia",)


def test_bad_input():
    X, y = _two_by_two(3, 2, 2, 3)
    with pytest.raises(ValueError, match="0/1"):
        firth_logistic(X, y * 2)
    with pytest.raises(ValueError, match="ci must be"):
        firth_logistic(X, y, ci="score")
