"""ROC functions: hand-computed examples, a published example, and a second (naive O(mn))
implementation of DeLong's structural components."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from radiome.evaluate import (
    delong_test,
    roc_auc,
    roc_auc_ci,
    roc_curve,
    threshold_metrics,
    youden,
)
from radiome.evaluate.roc import _midranks

# --------------------------------------------------------------------------------------------
# naive DeLong (DeLong et al. 1988, section 2): psi kernel over all case-control pairs
# --------------------------------------------------------------------------------------------


def naive_components(y, p):
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    x, z = p[y == 1], p[y == 0]
    psi = (x[:, None] > z[None, :]) + 0.5 * (x[:, None] == z[None, :])
    return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)  # theta, V10 (cases), V01 (controls)


def naive_delong_cov(y, *scores):
    comps = [naive_components(y, s) for s in scores]
    v10 = np.array([c[1] for c in comps])
    v01 = np.array([c[2] for c in comps])
    m, n = v10.shape[1], v01.shape[1]
    s10 = np.cov(v10, ddof=1).reshape(len(scores), len(scores))
    s01 = np.cov(v01, ddof=1).reshape(len(scores), len(scores))
    return np.array([c[0] for c in comps]), s10 / m + s01 / n


@pytest.fixture(scope="module")
def tied_data():
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(37, int), np.zeros(52, int)]
    # rounded scores: many ties within and across classes
    p1 = np.round(rng.normal(y * 0.8, 1.0), 1)
    p2 = np.round(0.6 * p1 + rng.normal(y * 0.3, 0.8), 1)
    return y, p1, p2


def test_sun_xu_variance_equals_naive_delong(tied_data):
    y, p1, _ = tied_data
    theta, cov = naive_delong_cov(y, p1)
    r = roc_auc_ci(y, p1)
    assert r.auc == pytest.approx(theta[0], abs=1e-14)
    assert r.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-12)
    q = stats.norm.ppf(0.975)
    assert r.lower == pytest.approx(theta[0] - q * np.sqrt(cov[0, 0]), abs=1e-12)


def test_paired_test_equals_naive_delong(tied_data):
    y, p1, p2 = tied_data
    theta, cov = naive_delong_cov(y, p1, p2)
    se = np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    z = (theta[0] - theta[1]) / se
    r = delong_test(y, p1, p2)
    assert (r.auc1, r.auc2) == pytest.approx(tuple(theta), abs=1e-14)
    assert r.z == pytest.approx(z, rel=1e-10)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)
    assert r.se == pytest.approx(se, rel=1e-10)
    assert (r.lower, r.upper) == pytest.approx(
        (r.difference - 1.959963984540054 * se, r.difference + 1.959963984540054 * se)
    )


def test_naive_check_on_asah(asah, ref):
    y = asah["y"].to_numpy()
    theta, cov = naive_delong_cov(y, asah["s100b"], asah["wfns_num"])
    z = (theta[0] - theta[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert z == pytest.approx(ref["delong_z.s100b_vs_wfns_num"], abs=1e-9)


def test_midranks_algorithm_1():
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    # sorted: 1,1 -> ranks 1,2 (mid 1.5); 2 -> 3; 3,3,3 -> 4,5,6 (mid 5)
    np.testing.assert_array_equal(_midranks(x), [5.0, 1.5, 5.0, 3.0, 5.0, 1.5])
    rng = np.random.default_rng(0)
    z = rng.integers(0, 20, 500).astype(float)
    np.testing.assert_array_equal(_midranks(z), stats.rankdata(z, method="average"))


def test_auc_with_ties_by_hand():
    # cases 0.8, 0.5, 0.5; controls 0.5, 0.3, 0.5, 0.9
    # case 0.8 beats 0.5, 0.3, 0.5                    -> 3
    # each case 0.5 beats 0.3 and ties two 0.5s      -> 1 + 2 * 1/2 = 2   (twice)
    # AUC = (3 + 2 + 2) / (3 * 4) = 7/12
    y = [1, 1, 1, 0, 0, 0, 0]
    p = [0.8, 0.5, 0.5, 0.5, 0.3, 0.5, 0.9]
    assert roc_auc(y, p) == pytest.approx(7 / 12, abs=1e-15)
    # the same through midranks: pooled ranks 0.3->1, 0.5 x4 -> 3.5, 0.8->6, 0.9->7
    # (6 + 3.5 + 3.5 - 3*4/2) / 12 = 7/12
    assert roc_auc_ci(y, p).auc == pytest.approx(7 / 12, abs=1e-15)


def test_hanley_mcneil_1982_ct_ratings():
    # Hanley & McNeil (1982) Radiology 143:29, table 1: 109 CT images rated 1 (definitely normal)
    # to 5 (definitely abnormal); 58 truly normal, 51 truly abnormal. Published area: 0.893.
    normal = [33, 6, 6, 11, 2]
    abnormal = [3, 2, 2, 11, 33]
    y = np.r_[np.zeros(sum(normal), int), np.ones(sum(abnormal), int)]
    p = np.r_[np.repeat(np.arange(1, 6), normal), np.repeat(np.arange(1, 6), abnormal)]
    # by hand: for abnormal rating k, normals rated below k plus half those rated k
    #   3*(0 + 33/2) + 2*(33 + 6/2) + 2*(39 + 6/2) + 11*(45 + 11/2) + 33*(56 + 2/2) = 2642
    assert roc_auc(y, p) == pytest.approx(2642 / (51 * 58), abs=1e-15)
    assert round(roc_auc(y, p), 3) == 0.893


def test_direction_is_not_flipped():
    y = [0, 0, 1, 1]
    assert roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    r = roc_auc_ci(y, [0.9, 0.8, 0.2, 0.1])
    assert r.lower == 0.0 and r.upper == 0.0  # clipped to [0, 1] as pROC


def test_ci_level_and_clipping(tied_data):
    y, p1, _ = tied_data
    r90, r95 = roc_auc_ci(y, p1, level=0.90), roc_auc_ci(y, p1, level=0.95)
    assert r95.lower < r90.lower < r90.auc < r90.upper < r95.upper
    perfect = roc_auc_ci([0, 0, 0, 1, 1, 1], [1, 2, 3, 4, 5, 6])
    assert (perfect.auc, perfect.upper, perfect.se) == (1.0, 1.0, 0.0)


def test_identical_curves_give_z0_p1(tied_data):
    y, p1, _ = tied_data
    r = delong_test(y, p1, p1 * 2 + 1)  # a monotone transform: the same ROC curve
    assert (r.z, r.p_value, r.difference) == (0.0, 1.0, 0.0)


def test_bootstrap_reproducible_and_seeded(tied_data):
    y, p1, _ = tied_data
    a = roc_auc_ci(y, p1, method="bootstrap", n_boot=500, seed=3)
    b = roc_auc_ci(y, p1, method="bootstrap", n_boot=500, seed=3)
    c = roc_auc_ci(y, p1, method="bootstrap", n_boot=500, seed=4)
    g = roc_auc_ci(y, p1, method="bootstrap", n_boot=500, seed=np.random.default_rng(3))
    assert (a.lower, a.upper) == (b.lower, b.upper) == (g.lower, g.upper)
    assert (a.lower, a.upper) != (c.lower, c.upper)


def test_bootstrap_against_a_plain_loop(tied_data):
    # independent bootstrap (a plain loop, own RNG stream): limits agree within Monte-Carlo error
    y, p1, _ = tied_data
    rng = np.random.default_rng(11)
    cases, controls = p1[y == 1], p1[y == 0]
    aucs = []
    for _ in range(3000):
        xc = rng.choice(cases, cases.size)
        xn = rng.choice(controls, controls.size)
        aucs.append(naive_components(np.r_[np.ones(xc.size), np.zeros(xn.size)], np.r_[xc, xn])[0])
    lo, hi = np.quantile(aucs, [0.025, 0.975])
    r = roc_auc_ci(y, p1, method="bootstrap", n_boot=3000, seed=12)
    assert abs(r.lower - lo) < 0.015 and abs(r.upper - hi) < 0.015
    # the bootstrap SD estimates the DeLong SE
    assert r.se == pytest.approx(roc_auc_ci(y, p1).se, rel=0.15)


def test_bootstrap_non_stratified():
    y = np.r_[np.ones(2, int), np.zeros(8, int)]
    p = np.arange(10.0)[::-1]
    with pytest.warns(RuntimeWarning, match="without a case or a control"):
        r = roc_auc_ci(y, p, method="bootstrap", stratified=False, n_boot=300, seed=1)
    assert 0 <= r.lower <= r.upper <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # stratified resamples always keep both classes
        roc_auc_ci(y, p, method="bootstrap", stratified=True, n_boot=300, seed=1)


def test_bad_method():
    with pytest.raises(ValueError, match="method"):
        roc_auc_ci([0, 1], [0.1, 0.2], method="hanley")


# --------------------------------------------------------------------------------------------
# thresholds
# --------------------------------------------------------------------------------------------


def test_youden_by_hand():
    y = [0, 0, 0, 1, 1, 1, 1]
    p = [0.1, 0.3, 0.7, 0.4, 0.8, 0.9, 0.95]
    # candidate thresholds (midpoints): .2 .35 .55 .75 .85 .925, and -inf, +inf
    # t = .35: se 4/4, sp 2/3 -> 1.667;  t = .75: se 3/4, sp 3/3 -> 1.75 (best)
    t = youden(y, p)
    assert t.threshold == pytest.approx(0.75)
    assert (t.sensitivity, t.specificity) == (0.75, 1.0)
    assert t.youden_index == pytest.approx(0.75)
    assert t.ties == (t.threshold,)


def test_youden_ties_reported():
    # symmetric data: t = .35 (se 1, sp 2/3) and t = .55 (se 2/3, sp 1) tie
    t = youden([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.5, 0.4, 0.6, 0.9])
    assert t.ties == pytest.approx((0.3, 0.55))
    assert t.threshold == pytest.approx(0.3)


def test_roc_curve_thresholds_are_midpoints():
    df = roc_curve([0, 1, 1, 0], [2.0, 4.0, 3.0, 2.0])
    assert df["threshold"].tolist() == [-np.inf, 2.5, 3.5, np.inf]
    assert df["sensitivity"].tolist() == [1.0, 1.0, 0.5, 0.0]
    assert df["specificity"].tolist() == [0.0, 1.0, 1.0, 1.0]


def test_threshold_metrics_by_hand():
    y = [1, 1, 1, 0, 0, 0, 0, 0]
    p = [0.9, 0.5, 0.2, 0.5, 0.6, 0.1, 0.3, 0.05]
    m = threshold_metrics(y, p, 0.5)  # p >= .5 positive: cases .9 .5 ; controls .5 .6
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 2, 3)
    assert m["sensitivity"] == pytest.approx(2 / 3)
    assert m["specificity"] == pytest.approx(3 / 5)
    assert m["ppv"] == pytest.approx(2 / 4)
    assert m["npv"] == pytest.approx(3 / 4)
    assert m["accuracy"] == pytest.approx(5 / 8)
    assert m["f1"] == pytest.approx(2 * 2 / (2 * 2 + 2 + 1))
    assert m["balanced_accuracy"] == pytest.approx((2 / 3 + 3 / 5) / 2)
    none = threshold_metrics(y, p, 2.0)
    assert np.isnan(none["ppv"]) and none["specificity"] == 1.0


def test_threshold_metrics_agree_with_youden(asah, ref):
    y = asah["y"]
    t = youden(y, asah["s100b"])
    m = threshold_metrics(y, asah["s100b"], t.threshold)
    assert m["sensitivity"] == t.sensitivity and m["specificity"] == t.specificity
    assert m["sensitivity"] == pytest.approx(ref["youden_sensitivity.s100b"], abs=1e-12)
