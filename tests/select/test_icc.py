"""ICC (Shrout & Fleiss 1979) and ICCFilter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from radiome.select import ICCFilter, ZScore, icc, icc_features, icc_table

# Shrout & Fleiss (1979), Table 2: 6 targets rated by 4 judges
SF = np.array(
    [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ],
    dtype=float,
)


def test_shrout_fleiss_published_values():
    """Shrout & Fleiss report .17, .29, .71 (single) and .44, .62, .91 (mean of 4 judges)."""
    published = {
        "ICC(1,1)": 0.17,
        "ICC(2,1)": 0.29,
        "ICC(3,1)": 0.71,
        "ICC(1,k)": 0.44,
        "ICC(2,k)": 0.62,
        "ICC(3,k)": 0.91,
    }
    table = icc_table(SF)
    for kind, value in published.items():
        assert round(table.loc[kind, "icc"], 2) == value, kind
    # irr::icc(model="twoway", type="agreement") prints 0.2897638; DescTools prints 0.166/0.715
    assert icc(SF, "ICC(2,1)").icc == pytest.approx(0.2897638, abs=5e-8)
    assert round(icc(SF, "ICC(1,1)").icc, 3) == 0.166
    assert round(icc(SF, "ICC(3,1)").icc, 3) == 0.715


def test_shrout_fleiss_confidence_intervals_and_f_tests_as_psych():
    """psych::ICC(sf): bounds -0.133/0.72, 0.019/0.76, 0.342/0.95; k forms -0.884, 0.071, 0.676."""
    t = icc_table(SF)
    assert round(t.loc["ICC(1,1)", "lower"], 3) == -0.133
    assert round(t.loc["ICC(1,1)", "upper"], 2) == 0.72
    assert round(t.loc["ICC(2,1)", "lower"], 3) == 0.019
    assert round(t.loc["ICC(2,1)", "upper"], 2) == 0.76
    assert round(t.loc["ICC(3,1)", "lower"], 3) == 0.342
    assert round(t.loc["ICC(3,1)", "upper"], 2) == 0.95
    assert round(t.loc["ICC(1,k)", "lower"], 3) == -0.884
    assert round(t.loc["ICC(1,k)", "upper"], 2) == 0.91
    assert round(t.loc["ICC(2,k)", "lower"], 3) == 0.071
    assert round(t.loc["ICC(3,k)", "lower"], 3) == 0.676
    # F tests (DescTools): F = 1.79 (5, 18), p = 0.164769; F = 11.03 (5, 15), p = 0.000135
    assert round(t.loc["ICC(1,1)", "F"], 2) == 1.79
    assert (t.loc["ICC(1,1)", "df1"], t.loc["ICC(1,1)", "df2"]) == (5, 18)
    assert round(t.loc["ICC(1,1)", "p"], 6) == 0.164769
    assert round(t.loc["ICC(2,1)", "F"], 2) == 11.03
    assert (t.loc["ICC(3,1)", "df1"], t.loc["ICC(3,1)", "df2"]) == (5, 15)
    assert round(t.loc["ICC(3,1)", "p"], 6) == 0.000135
    r = icc(SF, "ICC(3,1)")
    assert r.lower < r.icc < r.upper
    assert icc(SF, "ICC3") == r  # psych's names are accepted


def test_hand_computation():
    """3 subjects x 2 raters, two-way ANOVA by hand.

    Y = [[1, 2], [3, 3], [5, 7]]: grand mean 3.5; SST = 23.5, SSR = 21, SSC = 1.5, SSE = 1.0,
    MSR = 10.5, MSC = 1.5, MSE = 0.5, MSW = 2.5/3.
    ICC(3,1) = 10/11, ICC(2,1) = 10 / (11 + 2/3) = 6/7, ICC(1,1) = (29/3) / (34/3) = 29/34.
    CI of ICC(3,1): F = 21 on (2, 2) df and F_.975(2, 2) = 39, so FL = 21/39, FU = 21*39 and the
    bounds are (FL-1)/(FL+1) = -0.3 and (FU-1)/(FU+1) = 818/820.
    """
    Y = np.array([[1, 2], [3, 3], [5, 7]], dtype=float)
    r3 = icc(Y, "ICC(3,1)")
    assert r3.icc == pytest.approx(10 / 11, abs=1e-14)
    assert r3.F == pytest.approx(21.0)
    assert (r3.df1, r3.df2) == (2.0, 2.0)
    assert r3.lower == pytest.approx(-0.3, abs=1e-10)
    assert r3.upper == pytest.approx(818 / 820, abs=1e-10)
    assert icc(Y, "ICC(2,1)").icc == pytest.approx(6 / 7, abs=1e-14)
    assert icc(Y, "ICC(1,1)").icc == pytest.approx(29 / 34, abs=1e-14)
    assert icc(Y, "ICC(3,k)").icc == pytest.approx(10 / 10.5, abs=1e-14)  # (MSR-MSE)/MSR


def test_icc_properties():
    rng = np.random.default_rng(0)
    true = rng.normal(size=40)
    Y = np.column_stack([true, true])
    assert icc(Y, "ICC(2,1)").icc == pytest.approx(1.0)
    shifted = np.column_stack([true, true + 1.0])  # a systematic rater bias
    assert icc(shifted, "ICC(3,1)").icc == pytest.approx(1.0)  # consistency ignores it
    assert icc(shifted, "ICC(2,1)").icc < 0.7  # absolute agreement penalises it
    # invariant to a common affine map of all measurements
    noisy = np.column_stack([true, true + rng.normal(0, 0.5, 40)])
    a, b = icc(noisy, "ICC(2,1)"), icc(3.0 * noisy - 7.0, "ICC(2,1)")
    assert (a.icc, a.lower, a.upper) == pytest.approx((b.icc, b.lower, b.upper))
    with pytest.raises(ValueError, match="kind"):
        icc(noisy, "ICC(4,1)")
    with pytest.raises(ValueError, match="2 subjects"):
        icc(noisy[:1], "ICC(2,1)")
    with pytest.raises(ValueError, match="NaN"):
        icc(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_icc_features_is_the_per_feature_icc():
    rng = np.random.default_rng(1)
    n, p = 25, 6
    truth = rng.normal(size=(n, p))
    r1 = truth + rng.normal(0, 0.3, (n, p))
    r2 = truth + rng.normal(0, np.linspace(0.1, 2, p), (n, p))
    r3 = truth + rng.normal(0, 0.3, (n, p))
    for kind in ("ICC(2,1)", "ICC(3,1)", "ICC(1,1)", "ICC(2,k)"):
        table = icc_features([r1, r2, r3], kind=kind)
        for j in range(p):
            single = icc(np.column_stack([r1[:, j], r2[:, j], r3[:, j]]), kind)
            assert table["icc"].iloc[j] == pytest.approx(single.icc, abs=1e-12)
            assert table["lower"].iloc[j] == pytest.approx(single.lower, abs=1e-12)
            assert table["upper"].iloc[j] == pytest.approx(single.upper, abs=1e-12)


@pytest.fixture
def reproducibility():
    """Two readers; features f0..f3 reproducible, f4, f5 not."""
    rng = np.random.default_rng(2)
    n = 30
    truth = rng.normal(size=(n, 6)) * [1, 2, 5, 0.5, 1, 1]
    noise_sd = np.array([0.05, 0.1, 0.5, 0.05, 2.0, 3.0]) * [1, 2, 5, 0.5, 1, 1]
    cols = [f"f{i}" for i in range(6)]
    r1 = pd.DataFrame(truth + rng.normal(size=(n, 6)) * noise_sd, columns=cols)
    r2 = pd.DataFrame(truth + rng.normal(size=(n, 6)) * noise_sd, columns=cols)
    return r1, r2


def test_icc_filter_with_reference(reproducibility):
    r1, r2 = reproducibility
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(50, 6)), columns=r1.columns)  # the study cohort
    y = np.arange(50) % 2
    f = ICCFilter(threshold=0.75, reference=[r1, r2]).fit(X, y)
    assert list(f.get_feature_names_out()) == ["f0", "f1", "f2", "f3"]
    assert list(f.transform(X).columns) == ["f0", "f1", "f2", "f3"]
    np.testing.assert_allclose(f.icc_["icc"], icc_features([r1, r2])["icc"])
    # reference columns are matched by name, whatever their order
    f2 = ICCFilter(reference=[r1[r1.columns[::-1]], r2]).fit(X, y)
    np.testing.assert_array_equal(f2.get_support(), f.get_support())
    # stricter: the lower confidence bound must reach the threshold
    strict = ICCFilter(threshold=0.75, reference=[r1, r2], use="lower").fit(X)
    assert strict.get_support().sum() <= f.get_support().sum()
    assert np.all(strict.icc_["lower"][strict.get_support()] >= 0.75)
    # ICC(3,1) option
    f3 = ICCFilter(kind="ICC(3,1)", reference=[r1, r2]).fit(X)
    np.testing.assert_allclose(f3.icc_["icc"], icc_features([r1, r2], kind="ICC(3,1)")["icc"])


def test_icc_filter_fit_time_second_reader_and_precomputed(reproducibility):
    r1, r2 = reproducibility
    f = ICCFilter().fit(r1, X_reader2=r2)
    assert list(f.get_feature_names_out()) == ["f0", "f1", "f2", "f3"]
    g = ICCFilter().fit(r1.to_numpy(), X_reader2=r2.to_numpy())
    np.testing.assert_array_equal(g.get_support(), f.get_support())
    pre = dict(zip(r1.columns, f.icc_["icc"]))
    h = ICCFilter(reference=pre).fit(r1)
    np.testing.assert_array_equal(h.get_support(), f.get_support())
    with pytest.raises(ValueError, match="repeated measurements"):
        ICCFilter().fit(r1)
    with pytest.raises(ValueError, match="not both"):
        ICCFilter(reference=[r1, r2]).fit(r1, X_reader2=r2)
    with pytest.raises(ValueError, match="lack feature"):
        ICCFilter(reference=[r1.drop(columns="f2"), r2]).fit(r1)


def test_icc_filter_in_pipeline_after_zscore(reproducibility):
    """ICCs are invariant to ZScore's per-feature affine maps, so the filter works after it."""
    r1, r2 = reproducibility
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(3, 2, size=(40, 6)), columns=r1.columns)
    pipe = Pipeline([("z", ZScore()), ("icc", ICCFilter(reference=[r1, r2]))])
    out = pipe.fit_transform(X)
    assert list(out.columns) == ["f0", "f1", "f2", "f3"]
    np.testing.assert_allclose(out.to_numpy(), ZScore().fit_transform(X)[["f0", "f1", "f2", "f3"]].to_numpy())
    assert clone(pipe).fit(X).named_steps["icc"].get_support().tolist() == [True] * 4 + [False] * 2
