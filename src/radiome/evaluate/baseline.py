"""Table 1: baseline characteristics by group, with the tests clinical journals expect.

The layout and the choice of tests follow R's ``tableone::CreateTableOne`` as used in clinical
papers:

* a continuous variable is shown as ``mean ± SD`` and compared with Student's two-sample t-test
  (equal variances, ``oneway.test(var.equal = TRUE)``, which equals ``t.test(var.equal = TRUE)`` for
  two groups) when it looks normal in every group (Shapiro-Wilk p > ``normal_alpha``, the common
  pre-check); otherwise as ``median [Q1, Q3]`` (type-7 quantiles, R's default) and compared with the
  Wilcoxon rank-sum / Mann-Whitney U test (normal approximation with tie correction and continuity
  correction, as R's ``wilcox.test(exact = FALSE)``);
* a categorical variable is shown as ``n (%)`` per level and compared with Pearson's chi-square test
  (Yates' continuity correction for 2x2 tables, R's ``chisq.test`` default), or Fisher's exact test
  when an expected count is below 5 (2x2 tables; larger tables keep chi-square and say so).

The statistics come from :mod:`scipy.stats` (a well-kept implementation of each test); this module
only chooses among them and lays the table out.  Missing values are left out of each variable's
summary and counted in the ``missing`` column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["baseline_table", "format_p"]


def format_p(p: float | None) -> str:
    """A p-value as journals print it: ``<0.001``, else three decimals."""
    if p is None or not math.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def _is_normal(groups: list[np.ndarray], alpha: float) -> bool:
    for g in groups:
        if g.size < 3:
            return False
        if np.ptp(g) == 0:
            return False
        if stats.shapiro(g).pvalue <= alpha:
            return False
    return True


def _continuous_row(name: str, values: pd.Series, group: pd.Series, levels: list, normal_alpha: float,
                    digits: int) -> dict:
    x = pd.to_numeric(values, errors="coerce")
    ok = x.notna()
    groups = [x[ok & (group == g)].to_numpy(dtype=float) for g in levels]
    allv = x[ok].to_numpy(dtype=float)
    normal = _is_normal(groups, normal_alpha)
    row: dict = {"variable": name, "level": "", "type": "continuous", "missing": int((~ok).sum())}

    def summary(v: np.ndarray) -> tuple[str, dict]:
        if v.size == 0:
            return "", {}
        if normal:
            sd = float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
            return f"{_fmt(v.mean(), digits)} ± {_fmt(sd, digits)}", {"mean": float(v.mean()), "sd": sd}
        q1, med, q3 = np.percentile(v, [25, 50, 75])
        return (f"{_fmt(med, digits)} [{_fmt(q1, digits)}, {_fmt(q3, digits)}]",
                {"median": float(med), "q1": float(q1), "q3": float(q3)})

    row["overall"], _ = summary(allv)
    for g, v in zip(levels, groups, strict=True):
        row[str(g)], nums = summary(v)
        for k, val in nums.items():
            row[f"{k}_{g}"] = val
    p = float("nan")
    if len(levels) == 2 and all(v.size >= 2 for v in groups):
        if normal:
            p = float(stats.ttest_ind(groups[0], groups[1], equal_var=True).pvalue)
            row["test"] = "t-test"
        else:
            p = float(stats.mannwhitneyu(groups[0], groups[1], alternative="two-sided", use_continuity=True,
                                         method="asymptotic").pvalue)
            row["test"] = "Mann-Whitney U"
    elif len(levels) > 2 and all(v.size >= 2 for v in groups):
        if normal:
            p = float(stats.f_oneway(*groups).pvalue)
            row["test"] = "ANOVA"
        else:
            p = float(stats.kruskal(*groups).pvalue)
            row["test"] = "Kruskal-Wallis"
    row.setdefault("test", "")
    row["summary"] = "mean ± SD" if normal else "median [IQR]"
    row["p_value"] = p
    row["p"] = format_p(p)
    return row


def _categorical_rows(name: str, values: pd.Series, group: pd.Series, levels: list, digits: int) -> list[dict]:
    ok = values.notna()
    cats = sorted(values[ok].unique(), key=lambda v: (str(type(v)), v))
    table = np.array([[int(((values == c) & ok & (group == g)).sum()) for g in levels] for c in cats])
    p, test = float("nan"), ""
    if table.shape[0] >= 2 and table.shape[1] >= 2 and table.sum(axis=0).min() > 0 and table.sum(axis=1).min() > 0:
        expected = stats.contingency.expected_freq(table)
        if table.shape == (2, 2) and expected.min() < 5:
            p, test = float(stats.fisher_exact(table).pvalue), "Fisher's exact"
        else:
            p = float(stats.chi2_contingency(table, correction=True).pvalue)
            test = "chi-square" + (" (expected count < 5)" if expected.min() < 5 else "")
    rows = [{"variable": name, "level": "", "type": "categorical", "missing": int((~ok).sum()), "overall": "",
             **{str(g): "" for g in levels}, "test": test, "summary": "n (%)", "p_value": p, "p": format_p(p)}]
    col_tot = table.sum(axis=0)
    for c, counts in zip(cats, table, strict=True):
        n_all = int(counts.sum())
        row = {"variable": name, "level": str(c), "type": "level", "missing": 0,
               "overall": f"{n_all} ({_fmt(100 * n_all / max(table.sum(), 1), digits - 1 if digits > 1 else 1)})",
               "test": "", "summary": "", "p_value": float("nan"), "p": ""}
        for g, n, tot in zip(levels, counts, col_tot, strict=True):
            row[str(g)] = f"{int(n)} ({_fmt(100 * n / tot, 1) if tot else '-'})"
            row[f"n_{g}"] = int(n)
        rows.append(row)
    return rows


def baseline_table(
    data: pd.DataFrame,
    group: str,
    variables: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    group_labels: dict | None = None,
    normal_alpha: float = 0.05,
    digits: int = 2,
) -> pd.DataFrame:
    """Baseline characteristics of ``variables`` by ``group`` (Table 1).

    Returns one row per continuous variable and, for a categorical one, a header row (with the
    p-value) followed by one row per level.  Columns: ``variable, level, type, summary, overall,
    <group level>..., test, p_value, p, missing`` plus the numbers behind each cell (``mean_<g>``,
    ``sd_<g>``, ``median_<g>``, ``q1_<g>``, ``q3_<g>``, ``n_<g>``).  ``group_labels`` renames the
    group levels in the column names (e.g. ``{0: "mild", 1: "severe"}``).  A first row ``n`` gives
    the group sizes.

    Raises ``ValueError`` when ``group`` has fewer than two levels or a variable is absent.
    """
    missing = [v for v in [group, *variables] if v not in data.columns]
    if missing:
        raise ValueError(f"Table 1: column(s) not in the data: {', '.join(map(str, missing))}")
    df = data[data[group].notna()].copy()
    if group_labels:
        df[group] = df[group].map(lambda g: group_labels.get(g, g))
    levels = sorted(df[group].unique(), key=lambda v: (str(type(v)), v))
    if len(levels) < 2:
        raise ValueError(f"Table 1: the group column {group!r} has {len(levels)} level(s); two or more are needed")
    g = df[group]
    rows: list[dict] = [{"variable": "n", "level": "", "type": "count", "missing": 0, "overall": str(len(df)),
                         **{str(lv): str(int((g == lv).sum())) for lv in levels}, "test": "", "summary": "",
                         "p_value": float("nan"), "p": ""}]
    cat = set(categorical)
    for v in variables:
        if v in cat or not pd.api.types.is_numeric_dtype(df[v]):
            rows += _categorical_rows(v, df[v], g, levels, digits)
        else:
            rows.append(_continuous_row(v, df[v], g, levels, normal_alpha, digits))
    out = pd.DataFrame(rows)
    first = ["variable", "level", "type", "summary", "overall", *[str(lv) for lv in levels], "test", "p_value", "p",
             "missing"]
    return out[first + [c for c in out.columns if c not in first]]
