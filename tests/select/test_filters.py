"""ZScore, VarianceFilter, UnivariateFilter, CorrelationFilter, SelectKBest, SVMRFE."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import check_estimator

from radiome.select import (
    SVMRFE,
    CorrelationFilter,
    SelectKBest,
    UnivariateFilter,
    VarianceFilter,
    ZScore,
    univariate_auc,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n = 80
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 8))
    X[:, 0] += 1.5 * y  # strong
    X[:, 1] = X[:, 0] + rng.normal(0, 0.2, n)  # a near copy of f0, slightly weaker
    X[:, 2] += 0.8 * y  # moderate
    X[:, 3] = 5.0  # constant
    X[:, 4] *= 10.0  # large variance noise
    cols = [f"f{i}" for i in range(8)]
    return pd.DataFrame(X, columns=cols, index=[f"p{i}" for i in range(n)]), y


def test_zscore_ddof_and_training_statistics(data):
    X, _ = data
    train, test = X.iloc[:50], X.iloc[50:]
    z = ZScore().fit(train)
    np.testing.assert_allclose(z.mean_, train.mean().to_numpy())
    sd = train.std(ddof=1).to_numpy()  # pandas/R: sample SD
    np.testing.assert_allclose(z.scale_[sd > 0], sd[sd > 0])
    assert z.scale_[3] == 1.0  # constant feature: scale 1, not NaN
    out = z.transform(test)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(test.index) and list(out.columns) == list(X.columns)
    np.testing.assert_allclose(out.to_numpy(), ((test - train.mean()) / z.scale_).to_numpy())
    # the test set's own statistics are not used: its mean is not 0
    assert abs(out["f0"].mean()) > 1e-3
    # ddof=0 is scikit-learn's StandardScaler
    from sklearn.preprocessing import StandardScaler

    np.testing.assert_allclose(ZScore(ddof=0).fit_transform(train.to_numpy()), StandardScaler().fit_transform(train))
    np.testing.assert_allclose(z.inverse_transform(out).to_numpy(), test.to_numpy())
    assert list(z.get_feature_names_out()) == list(X.columns)


@pytest.mark.parametrize("est", [ZScore(), VarianceFilter(), SelectKBest(k=2)], ids=lambda e: type(e).__name__)
def test_sklearn_estimator_checks(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(est, on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []


def test_variance_filter(data):
    X, _ = data
    f = VarianceFilter().fit(X)
    assert "f3" not in f.get_feature_names_out()
    assert f.transform(X).shape == (80, 7)
    np.testing.assert_allclose(f.variances_, X.var(ddof=1).to_numpy())
    g = VarianceFilter(threshold=5.0).fit(X)
    assert list(g.get_feature_names_out()) == ["f4"]
    with pytest.raises(ValueError, match="no feature"):
        VarianceFilter(threshold=1e6).fit(X)


def test_univariate_welch_ttest_matches_scipy(data):
    X, y = data
    f = UnivariateFilter().fit(X, y)
    for j, col in enumerate(X.columns):
        if col == "f3":
            continue
        ref = stats.ttest_ind(X[col][y == 1], X[col][y == 0], equal_var=False)
        assert f.pvalues_[j] == pytest.approx(ref.pvalue, rel=1e-12)
        assert f.statistics_[j] == pytest.approx(ref.statistic, rel=1e-12)
    assert f.pvalues_[3] == 1.0  # constant feature: p set to 1
    assert {"f0", "f1", "f2"} <= set(f.get_feature_names_out())
    assert np.all(f.pvalues_[f.get_support()] < 0.05)
    # Student's t-test on request
    s = UnivariateFilter(equal_var=True).fit(X, y)
    ref = stats.ttest_ind(X["f2"][y == 1], X["f2"][y == 0], equal_var=True)
    assert s.pvalues_[2] == pytest.approx(ref.pvalue, rel=1e-12)


def test_univariate_mannwhitney_and_corrections(data):
    X, y = data
    f = UnivariateFilter(test="mannwhitney").fit(X, y)
    ref = stats.mannwhitneyu(X["f2"][y == 1], X["f2"][y == 0], alternative="two-sided")
    assert f.pvalues_[2] == pytest.approx(ref.pvalue, rel=1e-12)
    b = UnivariateFilter(correction="bonferroni").fit(X, y)
    np.testing.assert_allclose(b.pvalues_adjusted_, np.minimum(b.pvalues_ * 8, 1))
    bh = UnivariateFilter(correction="fdr_bh").fit(X, y)
    np.testing.assert_allclose(bh.pvalues_adjusted_, stats.false_discovery_control(bh.pvalues_))
    # nothing passes alpha = 1e-300: the min_features smallest p-values are kept
    none = UnivariateFilter(alpha=1e-300, min_features=2).fit(X, y)
    assert none.get_support().sum() == 2
    assert set(np.flatnonzero(none.get_support())) == set(np.argsort(none.pvalues_)[:2])
    with pytest.raises(ValueError, match="test"):
        UnivariateFilter(test="anova").fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        UnivariateFilter().fit(X, None)


def test_univariate_auc_matches_sklearn(data):
    X, y = data
    auc = univariate_auc(X.to_numpy(), y)
    for j in range(X.shape[1]):
        assert auc[j] == pytest.approx(roc_auc_score(y, X.iloc[:, j]), abs=1e-12)


def test_correlation_filter_keeps_the_more_relevant(data):
    X, y = data
    assert abs(np.corrcoef(X["f0"], X["f1"])[0, 1]) > 0.9
    auc = univariate_auc(X.to_numpy(), y)
    assert abs(auc[0] - 0.5) > abs(auc[1] - 0.5)  # f0 is the more relevant of the pair
    f = CorrelationFilter(threshold=0.9).fit(X, y)
    kept = list(f.get_feature_names_out())
    assert "f0" in kept and "f1" not in kept
    assert f.dropped_ == {"f1": "f0"}
    # the outcome decides, not the column order
    rev = X[X.columns[::-1]]
    g = CorrelationFilter(threshold=0.9).fit(rev, y)
    assert set(g.get_feature_names_out()) == set(kept)
    # if f1 is made the more relevant one, it is kept instead
    X2 = X.copy()
    X2["f1"] = X["f0"] * 1.0001 + 0.4 * (y - 0.5)
    h = CorrelationFilter(threshold=0.9).fit(X2, y)
    assert "f1" in h.get_feature_names_out() and "f0" not in h.get_feature_names_out()
    # Spearman works as well; without y the earlier column wins
    s = CorrelationFilter(threshold=0.9, method="spearman").fit(X, y)
    assert "f1" not in s.get_feature_names_out()
    u = CorrelationFilter(threshold=0.9).fit(X2)
    assert "f0" in u.get_feature_names_out() and "f1" not in u.get_feature_names_out()
    p = CorrelationFilter(threshold=0.9, relevance="pvalue").fit(X, y)
    assert "f0" in p.get_feature_names_out()


def test_correlation_filter_chains_are_deterministic():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(60, 1))
    X = np.hstack([base + rng.normal(0, 0.05, (60, 1)) for _ in range(5)] + [rng.normal(size=(60, 3))])
    y = (base[:, 0] > 0).astype(int)
    f = CorrelationFilter(threshold=0.9).fit(X, y)
    assert f.get_support()[:5].sum() == 1  # one representative of the 5 near-copies
    assert f.get_support()[5:].all()
    best = int(np.argmax(np.abs(univariate_auc(X[:, :5], y) - 0.5)))
    assert f.get_support()[best]
    again = clone(f).fit(X, y)
    np.testing.assert_array_equal(again.get_support(), f.get_support())


@pytest.mark.filterwarnings("ignore:Features .* are constant")
@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_selectkbest_keeps_dataframes(data):
    X, y = data
    s = SelectKBest(k=2).fit(X, y)
    out = s.transform(X)
    assert list(out.columns) == ["f0", "f1"] and out.index.equals(X.index)
    s2 = SelectKBest(k=2).fit(X.to_numpy(), y)
    assert isinstance(s2.transform(X.to_numpy()), np.ndarray)
    np.testing.assert_array_equal(s2.get_support(), s.get_support())


def test_svm_rfe(data):
    X, y = data
    Z = ZScore().fit_transform(X)
    r = SVMRFE(n_features=2, step=1, random_state=0).fit(Z, y)
    assert r.get_support().sum() == 2
    assert "f0" in r.get_feature_names_out() or "f1" in r.get_feature_names_out()
    assert list(r.transform(Z).columns) == list(r.get_feature_names_out())
    np.testing.assert_array_equal(clone(r).fit(Z, y).ranking_, r.ranking_)
    assert SVMRFE(n_features=100).fit(Z, y).get_support().all()
