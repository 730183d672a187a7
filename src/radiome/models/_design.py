"""Design matrices for the clinical models: outcome checks, categorical coding, missing values.

A :class:`Design` is *fitted* on training data (levels, reference levels, imputation values) and then
*applied* to any table (the training table itself or new patients), so nothing learned from new
data leaks into the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MISSING_POLICIES = ("error", "drop", "impute_median")


def check_outcome(y: pd.Series, name: str) -> np.ndarray:
    """Return the outcome as 0/1 floats; ValueError for non-binary or single-class outcomes.

    Accepts 0/1 numbers and booleans. Missing values must have been handled before.
    """
    if y.isna().any():
        raise ValueError(f"outcome {name!r} has {int(y.isna().sum())} missing values")
    if y.dtype == bool:
        v = y.to_numpy(dtype=float)
    else:
        try:
            v = pd.to_numeric(y, errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError):
            vals = sorted(map(str, y.unique()))[:5]
            raise ValueError(
                f"outcome {name!r} must be coded 0/1 (1 = event); found values {vals}"
            ) from None
        bad = ~np.isin(v, (0.0, 1.0))
        if bad.any():
            vals = sorted(set(np.unique(v[bad]).tolist()))[:5]
            raise ValueError(f"outcome {name!r} must be coded 0/1 (1 = event); found {vals}")
    n1 = int(v.sum())
    n0 = len(v) - n1
    if n0 == 0 or n1 == 0:
        only = 1 if n0 == 0 else 0
        raise ValueError(
            f"outcome {name!r} has a single class: all {len(v)} cases are {only}; a logistic "
            "model needs both events (1) and non-events (0)"
        )
    return v


@dataclass
class MissingReport:
    """What the missing-value policy did.

    ``columns`` has one row per column involved (outcome and covariates): ``n_missing`` in the input,
    ``n_imputed`` and the ``fill_value`` used (``impute_median``; categorical columns get their most
    frequent training level). ``n_dropped`` rows were removed in all (``drop``, or a missing outcome,
    which is never imputed).
    """

    policy: str
    n_input: int
    n_used: int
    columns: pd.DataFrame

    @property
    def n_dropped(self) -> int:
        return self.n_input - self.n_used

    def __str__(self) -> str:
        miss = self.columns[self.columns["n_missing"] > 0]
        if miss.empty:
            return f"missing values: none ({self.n_input} cases used)"
        parts = ", ".join(f"{r.column}: {r.n_missing}" for r in miss.itertuples())
        return (
            f"missing values (policy {self.policy!r}): {parts}; {self.n_dropped} of {self.n_input}"
            f" cases dropped, {int(self.columns['n_imputed'].sum())} values imputed"
        )


def _as_list(x) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or (
        pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    )


@dataclass
class Design:
    """Covariate coding learned from a training table.

    ``categorical`` names covariates coded with one indicator per non-reference level (R's
    treatment contrasts); ``reference`` maps a categorical covariate to its reference level
    (default: the first level — sorted values, or the order of a pandas Categorical).
    """

    covariates: list[str]
    categorical: list[str] = field(default_factory=list)
    reference: dict = field(default_factory=dict)
    missing: str = "error"
    levels: dict = field(default_factory=dict)
    fill: dict = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    term_info: dict = field(default_factory=dict)  # term -> (variable, level or None)

    @classmethod
    def create(
        cls,
        covariates: Sequence[str],
        categorical: Iterable[str] | None = None,
        reference: Mapping | None = None,
        missing: str = "error",
    ) -> Design:
        covariates = _as_list(covariates)
        if not covariates:
            raise ValueError("no covariates given")
        if len(set(covariates)) != len(covariates):
            dup = sorted({c for c in covariates if covariates.count(c) > 1})
            raise ValueError(f"covariates listed twice: {dup}")
        if missing not in MISSING_POLICIES:
            raise ValueError(f"missing must be one of {MISSING_POLICIES}, not {missing!r}")
        cat = _as_list(categorical)
        reference = dict(reference or {})
        unknown = [r for r in reference if r not in cat]
        if unknown:
            raise ValueError(f"reference levels given for covariates not declared categorical: {unknown}")
        return cls(covariates=covariates, categorical=[c for c in covariates if c in cat],
                   reference=reference, missing=missing)

    # ------------------------------------------------------------------ fitting
    def fit(self, df: pd.DataFrame) -> Design:
        """Learn levels, reference levels and imputation values from ``df`` (training rows)."""
        absent = [c for c in self.covariates if c not in df.columns]
        if absent:
            raise ValueError(f"covariates not in the table: {absent}")
        self.levels, self.fill, self.terms, self.term_info = {}, {}, [], {}
        for c in self.covariates:
            s = df[c]
            if c in self.categorical:
                obs = s.dropna()
                if isinstance(s.dtype, pd.CategoricalDtype):
                    levels = [lv for lv in s.cat.categories if (obs == lv).any()]
                else:
                    levels = sorted(obs.unique().tolist(), key=lambda v: (str(type(v)), v))
                if len(levels) < 2:
                    raise ValueError(
                        f"categorical covariate {c!r} has {len(levels)} observed level(s) "
                        f"{levels}; it needs at least 2"
                    )
                ref = self.reference.get(c, levels[0])
                if ref not in levels:
                    raise ValueError(f"reference level {ref!r} of {c!r} is not among its levels {levels}")
                levels = [ref] + [lv for lv in levels if lv != ref]
                self.levels[c] = levels
                self.reference[c] = ref
                if obs.size:
                    self.fill[c] = obs.value_counts().index[0]
                for lv in levels[1:]:
                    t = f"{c}[{lv}]"
                    self.terms.append(t)
                    self.term_info[t] = (c, lv)
            else:
                if not _is_numeric(s):
                    sample = sorted(map(str, s.dropna().unique()))[:4]
                    raise ValueError(
                        f"covariate {c!r} is not numeric (values such as {sample}); declare it in "
                        f"categorical=[...] or recode it"
                    )
                v = s.astype(float)
                if v.notna().sum() and np.nanstd(v.to_numpy()) == 0:
                    raise ValueError(f"covariate {c!r} is constant ({float(v.dropna().iloc[0]):g}) in the data")
                self.fill[c] = float(np.nanmedian(v.to_numpy())) if v.notna().any() else np.nan
                self.terms.append(c)
                self.term_info[c] = (c, None)
        return self

    # ------------------------------------------------------------------ missing values
    def handle_missing(self, df: pd.DataFrame, outcome: str | None) -> tuple[pd.DataFrame, MissingReport]:
        """Apply the missing policy to a *training* table (before :meth:`fit`)."""
        cols = ([outcome] if outcome else []) + self.covariates
        absent = [c for c in cols if c not in df.columns]
        if absent:
            raise ValueError(f"columns not in the table: {absent}")
        n_missing = {c: int(df[c].isna().sum()) for c in cols}
        rows = []
        if self.missing == "error":
            bad = {c: n for c, n in n_missing.items() if n}
            if bad:
                raise ValueError(
                    f"missing values in {bad}; choose missing='drop' (complete cases) or "
                    "missing='impute_median' (training medians; most frequent level for categorical)"
                )
            out = df
        elif self.missing == "drop":
            out = df.dropna(subset=cols)
        else:  # impute_median: outcome never imputed
            out = df.dropna(subset=[outcome]) if outcome else df
        for c in cols:
            rows.append({"column": c, "n_missing": n_missing[c], "n_imputed": 0, "fill_value": np.nan})
        report = MissingReport(self.missing, len(df), len(out), pd.DataFrame(rows))
        return out, report

    def impute(self, df: pd.DataFrame, report: MissingReport | None = None) -> pd.DataFrame:
        """Fill missing covariates with the training values (``impute_median`` only)."""
        if self.missing != "impute_median":
            return df
        out = df.copy()
        for c in self.covariates:
            m = out[c].isna()
            if m.any():
                if c not in self.fill or (not isinstance(self.fill[c], str) and pd.isna(self.fill[c])):
                    raise ValueError(f"covariate {c!r} has no observed training value to impute from")
                out[c] = out[c].astype(object).where(~m, self.fill[c]) if c in self.categorical \
                    else out[c].astype(float).fillna(self.fill[c])
                if report is not None:
                    i = report.columns.index[report.columns["column"] == c][0]
                    report.columns.loc[i, "n_imputed"] = int(m.sum())
                    report.columns.loc[i, "fill_value"] = self.fill[c]
        return out

    def subset(self, covariates: Sequence[str]) -> Design:
        """The fitted design restricted to some of its covariates (same levels and fill values)."""
        covariates = list(covariates)
        terms = [t for t in self.terms if self.term_info[t][0] in covariates]
        return Design(
            covariates=covariates,
            categorical=[c for c in self.categorical if c in covariates],
            reference={k: v for k, v in self.reference.items() if k in covariates},
            missing=self.missing,
            levels={k: v for k, v in self.levels.items() if k in covariates},
            fill={k: v for k, v in self.fill.items() if k in covariates},
            terms=terms,
            term_info={t: self.term_info[t] for t in terms},
        )

    # ------------------------------------------------------------------ applying
    def matrix(self, df: pd.DataFrame, intercept: bool = True) -> pd.DataFrame:
        """The design matrix of ``df`` (float), columns ``const`` + :attr:`terms`.

        New patients are imputed with the *training* values under ``impute_median``; otherwise any
        missing covariate is an error.  Unseen categorical levels are an error.
        """
        absent = [c for c in self.covariates if c not in df.columns]
        if absent:
            raise ValueError(f"covariates not in the table: {absent}")
        df = self.impute(df)
        na = {c: int(df[c].isna().sum()) for c in self.covariates if df[c].isna().any()}
        if na:
            raise ValueError(
                f"missing covariate values {na}; the model was fitted with missing={self.missing!r} "
                "(only 'impute_median' fills new data, with the training values)"
            )
        cols = {}
        if intercept:
            cols["const"] = np.ones(len(df))
        for c in self.covariates:
            s = df[c]
            if c in self.categorical:
                levels = self.levels[c]
                unseen = set(s.unique().tolist()) - set(levels)
                if unseen:
                    raise ValueError(
                        f"categorical covariate {c!r} has levels not seen in training: "
                        f"{sorted(map(str, unseen))}; training levels are {levels}"
                    )
                for lv in levels[1:]:
                    cols[f"{c}[{lv}]"] = (s == lv).to_numpy(dtype=float)
            else:
                if not _is_numeric(s):
                    raise ValueError(f"covariate {c!r} is not numeric in the new data")
                cols[c] = s.to_numpy(dtype=float)
        return pd.DataFrame(cols, index=df.index)
