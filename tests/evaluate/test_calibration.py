"""Calibration: Hosmer-Lemeshow by hand, val.prob pieces against statsmodels / closed forms, the
R-lowess port against statsmodels' lowess, calibration curves and the rms-style bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from statsmodels.nonparametric.smoothers_lowess import lowess as sm_lowess

from radiome.evaluate import (
    bootstrap_calibration,
    brier_score,
    calibration,
    calibration_curve,
    hosmer_lemeshow,
)
from radiome.evaluate._lowess import lowess_r
from radiome.evaluate.calibration import _quantile_type7
from tests.evaluate.lowess_literal import lowess_literal

# --------------------------------------------------------------------------------------------
# Hosmer-Lemeshow
# --------------------------------------------------------------------------------------------


def test_hosmer_lemeshow_by_hand():
    y = [0, 0, 1, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]
    # R type-7 quantiles at 0, 1/3, 2/3, 1 (index 1 + 5 q): 0.1, 0.2 + (2/3)(0.1), 0.6 + (1/3)(0.1), 0.9
    # groups [0.1, 0.2667] = {.1, .2}; (0.2667, 0.6333] = {.3, .6}; (0.6333, 0.9] = {.7, .9}
    # group 1: O1 0 E1 .3, O0 2 E0 1.7 -> .09/.3 + .09/1.7
    # group 2: O1 1 E1 .9, O0 1 E0 1.1 -> .01/.9 + .01/1.1
    # group 3: O1 2 E1 1.6, O0 0 E0 .4 -> .16/1.6 + .16/.4
    chisq = 0.09 / 0.3 + 0.09 / 1.7 + 0.01 / 0.9 + 0.01 / 1.1 + 0.16 / 1.6 + 0.16 / 0.4
    r = hosmer_lemeshow(y, p, groups=3)
    assert r.statistic == pytest.approx(chisq, rel=1e-12)
    assert r.df == 1
    assert r.p_value == pytest.approx(stats.chi2.sf(chisq, 1), rel=1e-12)
    assert r.table["n"].tolist() == [2, 2, 2]
    assert r.table["observed_1"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(r.table["expected_1"], [0.3, 0.9, 1.6])


def test_hosmer_lemeshow_tied_quantiles_merge_groups():
    # 20 subjects, 12 sharing p = .2: the deciles collapse; unique() keeps 4 breaks -> 3 groups,
    # yet df stays g - 2 = 8 (ResourceSelection::hoslem.test)
    p = np.r_[np.full(12, 0.2), [0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8]]
    y = np.r_[np.zeros(10, int), [1, 1], [0, 1, 0, 1, 1, 0, 1, 1]]
    r = hosmer_lemeshow(y, p)
    breaks = np.unique(_quantile_type7(p, np.arange(11) / 10))
    assert len(r.table) == breaks.size - 1
    assert r.df == 8
    assert r.table["n"].sum() == 20
    assert r.table["n"].iloc[0] == 12  # include.lowest: the p = .2 block sits in the first group


def test_quantile_type7_is_numpy_linear():
    rng = np.random.default_rng(2)
    x = rng.normal(size=37)
    q = np.arange(11) * 0.1
    np.testing.assert_allclose(_quantile_type7(x, q), np.quantile(x, q), rtol=0, atol=1e-14)


def test_hosmer_lemeshow_groups_validated():
    with pytest.raises(ValueError, match="groups"):
        hosmer_lemeshow([0, 1, 0, 1], [0.2, 0.4, 0.6, 0.8], groups=2)


# --------------------------------------------------------------------------------------------
# val.prob statistics
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def miscalibrated():
    rng = np.random.default_rng(5)
    n = 400
    lp = rng.normal(-0.5, 1.2, n)
    y = (rng.uniform(size=n) < expit(0.3 + 0.7 * lp)).astype(int)  # true model: 0.3 + 0.7 lp
    return y, expit(lp)


def test_intercept_slope_and_citl_equal_statsmodels_glm(miscalibrated):
    y, p = miscalibrated
    c = calibration(y, p)
    lg = logit(p)
    fit = sm.GLM(y, sm.add_constant(lg), family=sm.families.Binomial()).fit(tol=1e-14)
    assert c["Intercept"] == pytest.approx(fit.params[0], abs=1e-8)
    assert c["Slope"] == pytest.approx(fit.params[1], abs=1e-8)
    off = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=lg).fit(tol=1e-14)
    assert c["citl"] == pytest.approx(off.params[0], abs=1e-8)
    # U chi-square is the deviance drop from the fixed (0, 1) model to the recalibrated one
    dev01 = -2 * np.sum(y * lg - np.log1p(np.exp(lg)))
    assert c["U_chisq"] == pytest.approx(dev01 - fit.deviance, rel=1e-8)


def test_closed_form_statistics(miscalibrated):
    y, p = miscalibrated
    c = calibration(y, p, cindex_bins=None)
    n = y.size
    assert c["Brier"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-14)
    assert brier_score(y, p) == c["Brier"]
    # Nagelkerke R2 of the fixed model
    lg = logit(p)
    L01 = -2 * np.sum(y * lg - np.log1p(np.exp(lg)))
    pb = y.mean()
    L0 = -2 * np.sum(y * np.log(pb) + (1 - y) * np.log(1 - pb))
    lr = L0 - L01
    assert c["R2"] == pytest.approx((1 - np.exp(-lr / n)) / (1 - np.exp(-L0 / n)), rel=1e-10)
    assert c["D"] == pytest.approx((lr - 1) / n, rel=1e-10)
    assert c["Q"] == pytest.approx(c["D"] - c["U"], rel=1e-12)
    # Spiegelhalter z
    z = np.sum((y - p) * (1 - 2 * p)) / np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    assert c["S_z"] == pytest.approx(z, rel=1e-12)
    # Dxy is 2(C - 1/2); C the Mann-Whitney AUC
    x1, x0 = p[y == 1], p[y == 0]
    auc = np.mean((x1[:, None] > x0[None, :]) + 0.5 * (x1[:, None] == x0[None, :]))
    assert c["C"] == pytest.approx(auc, abs=1e-14)
    assert c["Dxy"] == pytest.approx(2 * auc - 1, abs=1e-14)
    assert c["mean_predicted"] == pytest.approx(p.mean())
    assert c["observed_rate"] == pytest.approx(y.mean())


def test_emax_eavg_from_independent_lowess(miscalibrated):
    # no ties in p: statsmodels' lowess (it=0, same span and delta) is an independent smoother
    y, p = miscalibrated
    c = calibration(y, p)
    fit = sm_lowess(y.astype(float), p, frac=2 / 3, it=0, delta=0.01 * np.ptp(p), return_sorted=False)
    err = np.abs(p - fit)
    assert c["Emax"] == pytest.approx(err.max(), abs=1e-5)
    assert c["Eavg"] == pytest.approx(err.mean(), abs=1e-6)
    assert c["E90"] == pytest.approx(np.quantile(err, 0.9), abs=1e-5)


def test_perfect_calibration_recovered():
    rng = np.random.default_rng(9)
    p = rng.uniform(0.02, 0.98, 20000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    c = calibration(y, p)
    assert abs(c["Intercept"]) < 0.06 and abs(c["Slope"] - 1) < 0.06 and abs(c["citl"]) < 0.05
    assert c["Eavg"] < 0.02


def test_constant_predictions_branch():
    y = [0, 1, 0, 0]
    c = calibration(y, [0.4] * 4)
    assert (c["C"], c["Dxy"], c["Slope"]) == (0.5, 0.0, 0.0)
    assert c["Intercept"] == pytest.approx(logit(0.25))
    assert c["Emax"] == pytest.approx(0.15) and c["Eavg"] == pytest.approx(0.15)


def test_predictions_of_zero_or_one_are_left_out_with_warning():
    y = [0, 1, 0, 1, 1, 0, 1, 0]
    p = [0.0, 0.9, 0.2, 0.6, 1.0, 0.3, 0.7, 0.4]
    with pytest.warns(RuntimeWarning, match="left out"):
        c = calibration(y, p)
    keep = [1, 2, 3, 5, 6, 7]
    assert c["Slope"] == pytest.approx(calibration(np.array(y)[keep], np.array(p)[keep])["Slope"])
    assert c["Brier"] == pytest.approx(np.mean((np.array(p) - np.array(y)) ** 2))


# --------------------------------------------------------------------------------------------
# lowess port
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 23, 150])
def test_lowess_port_matches_statsmodels_without_ties(n):
    rng = np.random.default_rng(n)
    x = rng.uniform(size=n)
    y = (rng.uniform(size=n) < x).astype(float)
    xs, fit = lowess_r(x, y, iter=0)
    ref = sm_lowess(y, x, frac=2 / 3, it=0, delta=0.01 * np.ptp(x))
    np.testing.assert_array_equal(xs, ref[:, 0])
    np.testing.assert_allclose(fit, ref[:, 1], atol=1e-5)
    ref0 = sm_lowess(y, x, frac=2 / 3, it=0, delta=0.0)
    np.testing.assert_allclose(lowess_r(x, y, iter=0, delta=0.0)[1], ref0[:, 1], atol=1e-8)


@pytest.mark.parametrize("kind", ["continuous", "rounded", "few_values", "block_of_ties"])
def test_vectorised_lowess_equals_literal_clowess(kind):
    rng = np.random.default_rng(len(kind))
    n = 90
    x = {
        "continuous": rng.uniform(size=n),
        "rounded": np.round(rng.uniform(size=n), 2),
        "few_values": rng.integers(0, 5, n).astype(float),
        "block_of_ties": np.r_[np.zeros(40), rng.uniform(size=50)],
    }[kind]
    y = (rng.uniform(size=n) < 0.4).astype(float)
    for it in (0, 2):
        for delta in (None, 0.0, 0.1):
            xs, fit = lowess_r(x, y, iter=it, delta=delta)
            xs2, fit2 = lowess_literal(x, y, iter=it, delta=delta)
            np.testing.assert_array_equal(xs, xs2)
            np.testing.assert_allclose(fit, fit2, rtol=0, atol=1e-13)


def test_lowess_ties_share_a_fit_and_line_is_reproduced():
    x = np.array([1.0, 2, 2, 2, 3, 4, 4, 5, 6, 7])
    y = 2 * x + 1
    xs, fit = lowess_r(x, y, iter=0)
    np.testing.assert_allclose(fit, 2 * xs + 1, atol=1e-12)  # local linear: exact on a line
    yn = np.sin(x)
    xs, fit = lowess_r(x, yn, iter=0)
    assert fit[1] == fit[2] == fit[3] and fit[5] == fit[6]


# --------------------------------------------------------------------------------------------
# calibration curves
# --------------------------------------------------------------------------------------------


def test_binned_curve_matches_hosmer_lemeshow_groups(insample):
    y, p = insample
    cc = calibration_curve(y, p, bins=10)
    hl = hosmer_lemeshow(y, p, groups=10)
    np.testing.assert_array_equal(cc["n"], hl.table["n"])
    np.testing.assert_allclose(cc["observed"], hl.table["observed_rate"])
    np.testing.assert_allclose(cc["mean_predicted"], hl.table["mean_predicted"])
    assert ((cc["lower"] <= cc["observed"]) & (cc["observed"] <= cc["upper"])).all()


def test_binned_curve_clopper_pearson():
    # one bin, 3 events out of 10: exact 95 % limits are beta quantiles
    cc = calibration_curve([1, 1, 1] + [0] * 7, np.linspace(0.1, 0.5, 10), bins=1)
    assert cc["events"].tolist() == [3] and cc["n"].tolist() == [10]
    assert cc["lower"][0] == pytest.approx(stats.beta.ppf(0.025, 3, 8))
    assert cc["upper"][0] == pytest.approx(stats.beta.ppf(0.975, 4, 7))
    assert cc["lower"][0] == pytest.approx(0.0667, abs=1e-4)  # tabulated value


def test_uniform_bins_drop_empty():
    cc = calibration_curve([0, 0, 1, 1], [0.05, 0.15, 0.85, 0.95], bins=10, strategy="uniform")
    assert cc["n"].tolist() == [1, 1, 1, 1]
    assert cc["bin"].tolist()[0] == "[0,0.1]"


def test_loess_curve_is_valprob_smooth(insample):
    y, p = insample
    cc = calibration_curve(y, p, method="loess")
    assert cc["predicted"].is_monotonic_increasing and cc["predicted"].is_unique
    err = np.abs(np.interp(p, cc["predicted"], cc["observed"]) - p)
    c = calibration(y, p)
    assert err.max() == pytest.approx(c["Emax"], abs=1e-12)
    assert err.mean() == pytest.approx(c["Eavg"], abs=1e-12)


def test_curve_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        calibration_curve([0, 1], [0.2, 0.8], method="isotonic")
    with pytest.raises(ValueError, match="strategy"):
        calibration_curve([0, 1], [0.2, 0.8], strategy="kmeans")


# --------------------------------------------------------------------------------------------
# bootstrap bias-corrected calibration (rms::calibrate)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def overfit_data():
    rng = np.random.default_rng(21)
    n = 120
    X = rng.normal(size=(n, 12))  # one real predictor, 11 noise: optimism to correct
    y = (rng.uniform(size=n) < expit(0.9 * X[:, 0] - 0.3)).astype(int)
    return X, y


def _rms_calibrate_by_hand(X, y, B, seed, smooth):
    """rms calibrate.default + predab.resample for an unpenalised logistic model, written out."""
    def fit_predict(Xt, yt):
        return LogisticRegression(C=np.inf, max_iter=1000).fit(Xt, yt).predict_proba(X)[:, 1]

    def cal_err(p, yy, grid):
        xs, fit = smooth(p, yy.astype(float))
        ux, first = np.unique(xs, return_index=True)
        return np.interp(grid, ux, fit[first], left=np.nan, right=np.nan) - grid

    n = y.size
    p0 = fit_predict(X, y)
    ps = np.sort(p0)
    grid = np.linspace(ps[4], ps[n - 5], 50)  # seq(p[5], p[n-4], length = 50)
    orig = cal_err(p0, y, grid)
    rng = np.random.default_rng(seed)
    tr_sum, te_sum, num = np.zeros(50), np.zeros(50), np.zeros(50)
    for _ in range(B):
        i = rng.integers(0, n, size=n)
        pb = fit_predict(X[i], y[i])
        tr, te = cal_err(pb[i], y[i], grid), cal_err(pb, y, grid)
        ok = ~np.isnan(tr + te)
        num += ok
        tr_sum += np.where(ok, tr, 0)
        te_sum += np.where(ok, te, 0)
    opt = tr_sum / num - te_sum / num
    return grid, orig + grid, opt


def test_bootstrap_calibration_matches_written_out_algorithm(overfit_data):
    X, y = overfit_data
    res = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=8, seed=4)
    grid, apparent, opt = _rms_calibrate_by_hand(X, y, 8, 4, lambda a, b: lowess_r(a, b, iter=0))
    np.testing.assert_allclose(res.curve["predicted"], grid, atol=1e-9)
    np.testing.assert_allclose(res.curve["apparent"], apparent, atol=1e-9)
    np.testing.assert_allclose(res.curve["optimism"], opt, atol=1e-7)
    np.testing.assert_allclose(res.curve["corrected"], apparent - opt, atol=1e-7)
    assert res.B == 8 and res.n_failed == 0


def test_bootstrap_calibration_apparent_curve_by_statsmodels(overfit_data):
    X, y = overfit_data
    res = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=2, seed=0)
    p0 = LogisticRegression(C=np.inf, max_iter=1000).fit(X, y).predict_proba(X)[:, 1]
    sm_fit = sm_lowess(y.astype(float), p0, frac=2 / 3, it=0, delta=0.01 * np.ptp(p0))
    np.testing.assert_allclose(
        res.curve["apparent"], np.interp(res.curve["predicted"], sm_fit[:, 0], sm_fit[:, 1]), atol=1e-5
    )


def test_bootstrap_calibration_corrects_overfitting(overfit_data):
    X, y = overfit_data
    res = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=25, seed=1)
    c = res.curve.dropna()
    lo, hi = c.iloc[:10], c.iloc[-10:]
    # overfit risks are too extreme: the corrected curve is pulled toward the middle
    assert (lo["optimism"].mean() < 0) and (hi["optimism"].mean() > 0)
    assert np.ptp(c["corrected"]) < np.ptp(c["apparent"])
    assert res.mean_absolute_error > 0 and res.quantile90_absolute_error >= res.mean_absolute_error


def test_bootstrap_calibration_reproducible(overfit_data):
    X, y = overfit_data
    a = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=4, seed=8)
    b = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=4, seed=8)
    c = bootstrap_calibration(LogisticRegression(C=np.inf, max_iter=1000), X, y, B=4, seed=9)
    pd.testing.assert_frame_equal(a.curve, b.curve)
    assert not np.allclose(a.curve["optimism"], c.curve["optimism"], equal_nan=True)


def test_bootstrap_calibration_callable_and_dataframe(overfit_data):
    X, y = overfit_data
    Xdf = pd.DataFrame(X[:, :2], columns=["a", "b"])

    def model(X_train, y_train):
        f = sm.GLM(y_train, sm.add_constant(X_train.to_numpy()), family=sm.families.Binomial()).fit()
        return lambda Xn: f.predict(sm.add_constant(Xn.to_numpy(), has_constant="add"))

    res = bootstrap_calibration(model, Xdf, y, B=5, seed=3, grid=[0.2, 0.4, 0.6])
    assert res.curve["predicted"].tolist() == [0.2, 0.4, 0.6]
    assert (res.curve["n"] <= 5).all()


def test_bootstrap_calibration_counts_failed_fits():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 1))
    y = np.r_[1, np.zeros(11, int)]  # most resamples lack the single event: the refit fails
    res = bootstrap_calibration(LogisticRegression(), X, y, B=10, seed=0)
    assert res.n_failed > 0 and res.B == 10


def test_bootstrap_calibration_rejects_bad_model():
    with pytest.raises(TypeError, match="scikit-learn"):
        bootstrap_calibration(object(), np.zeros((12, 1)), [0, 1] * 6, B=1)
