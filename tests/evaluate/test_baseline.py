"""Table 1 against R's outputs on the ``sleep`` data and against hand-computed test statistics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from radiome.evaluate.baseline import baseline_table, format_p

# R's datasets::sleep (Cushny & Peebles): extra sleep, group 1 and group 2
G1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
G2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def sleep() -> pd.DataFrame:
    return pd.DataFrame({"extra": G1 + G2, "group": [1] * 10 + [2] * 10})


def test_t_test_matches_r_sleep():
    # R: t.test(extra ~ group, data = sleep, var.equal = TRUE): t = -1.8608, df = 18, p-value = 0.07919
    t = baseline_table(sleep(), "group", ["extra"])
    row = t[t["variable"] == "extra"].iloc[0]
    assert row["test"] == "t-test"
    assert row["p_value"] == pytest.approx(0.07919, abs=5e-6)
    # mean ± SD by hand
    assert row["mean_1"] == pytest.approx(sum(G1) / 10)
    sd2 = math.sqrt(sum((x - sum(G2) / 10) ** 2 for x in G2) / 9)
    assert row["sd_2"] == pytest.approx(sd2)
    assert row["2"] == f"{sum(G2) / 10:.2f} ± {sd2:.2f}"
    assert t.iloc[0]["overall"] == "20" and t.iloc[0]["1"] == "10"


def test_mann_whitney_matches_r_sleep():
    # R: wilcox.test(extra ~ group, data = sleep, exact = FALSE): W = 25.5, p-value = 0.06933
    t = baseline_table(sleep(), "group", ["extra"], normal_alpha=1.0)  # force the non-normal branch
    row = t[t["variable"] == "extra"].iloc[0]
    assert row["test"] == "Mann-Whitney U" and row["summary"] == "median [IQR]"
    assert row["p_value"] == pytest.approx(0.06933, abs=5e-6)
    # R: quantile(G1) type 7: 25% -0.175, 50% 0.35, 75% 1.7
    assert (row["q1_1"], row["median_1"], row["q3_1"]) == pytest.approx((-0.175, 0.35, 1.7))


def _yates_p(a, b, c, d):
    n = a + b + c + d
    chi2 = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    return math.erfc(math.sqrt(chi2 / 2))  # chi-square(1) upper tail


def _fisher_p(a, b, c, d):
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return math.comb(c1, x) * math.comb(n - c1, r1 - x) / math.comb(n, r1)

    p0 = prob(a)
    lo, hi = max(0, r1 + c1 - n), min(r1, c1)
    return sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= p0 * (1 + 1e-7))


def test_categorical_chi_square_with_yates_by_hand():
    # 2x2: sex by group; expected counts all >= 5 -> chi-square with continuity correction
    sex = ["F"] * 18 + ["M"] * 12 + ["F"] * 9 + ["M"] * 21
    grp = ["mild"] * 30 + ["severe"] * 30
    t = baseline_table(pd.DataFrame({"sex": sex, "g": grp}), "g", ["sex"])
    head = t[(t["variable"] == "sex") & (t["level"] == "")].iloc[0]
    assert head["test"] == "chi-square"
    assert head["p_value"] == pytest.approx(_yates_p(18, 9, 12, 21), rel=1e-12)
    f = t[(t["variable"] == "sex") & (t["level"] == "F")].iloc[0]
    assert f["mild"] == "18 (60.0)" and f["severe"] == "9 (30.0)" and f["n_mild"] == 18


def test_categorical_fisher_when_expected_below_5_by_hand():
    x = ["yes"] * 1 + ["no"] * 5 + ["yes"] * 5 + ["no"] * 1
    g = [0] * 6 + [1] * 6
    t = baseline_table(pd.DataFrame({"x": x, "g": g}), "g", ["x"], group_labels={0: "ctrl", 1: "case"})
    head = t[(t["variable"] == "x") & (t["level"] == "")].iloc[0]
    assert head["test"] == "Fisher's exact"
    # levels sorted: no, yes -> table [[5, 1], [1, 5]]
    assert head["p_value"] == pytest.approx(_fisher_p(5, 1, 1, 5), rel=1e-10)
    assert "ctrl" in t.columns and "case" in t.columns


def test_missing_values_counted_and_errors():
    df = sleep()
    df.loc[[0, 15], "extra"] = np.nan
    t = baseline_table(df, "group", ["extra"])
    assert t[t["variable"] == "extra"].iloc[0]["missing"] == 2
    with pytest.raises(ValueError, match="not in the data: age"):
        baseline_table(df, "group", ["age"])
    with pytest.raises(ValueError, match="1 level"):
        baseline_table(df.assign(group=1), "group", ["extra"])


def test_format_p():
    assert format_p(0.0004) == "<0.001" and format_p(0.04567) == "0.046" and format_p(float("nan")) == ""
