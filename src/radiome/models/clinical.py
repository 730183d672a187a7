"""The clinical model of a radiomics paper: univariable screening, then a multivariable logistic model.

* :func:`univariate_logistic` — one logistic model per covariate: odds ratio, 95 % Wald CI, Wald p
  (the "Table 2" of a paper).  Categorical covariates get one row per level, the reference level
  first (OR 1), and a joint Wald p for the whole variable (``p_variable``).
* :func:`multivariate_logistic` — a logistic model on given covariates, or on those with univariable
  ``p_variable < p_threshold`` (``covariates="from_univariate"``), optionally reduced by backward
  stepwise AIC (as R's ``step(direction="backward")``).  Returns a :class:`ClinicalModel` with a tidy
  table (OR, CI, p), the AIC, and ``predict_proba`` for new patients (scikit-learn style).

Estimation is maximum likelihood (statsmodels ``GLM``, binomial, IRLS with R's starting values and
convergence rule, so coefficients and standard errors equal R's ``glm(..., binomial)``; CIs are Wald,
as R's ``confint.default``).  Before fitting, separation is
detected exactly (:func:`radiome.models.firth.detect_separation`).  Under complete or quasi-complete
separation ML estimates do not exist (they run off to infinity); with ``firth="auto"`` (default) a
:class:`SeparationWarning` names the variables involved and Firth's penalised likelihood is used
instead, with *profile penalised-likelihood* CIs and penalised likelihood-ratio p-values (see
:mod:`radiome.models.firth`); the ``method`` and ``ci_method`` columns say which was used.

Missing values follow an explicit policy, ``missing=``:

* ``"error"`` (default) — refuse, naming the columns and counts;
* ``"drop"`` — complete cases (per covariate in the univariable table; over all covariates of the
  multivariable model, fixed before any stepwise step so all compared models use the same rows);
* ``"impute_median"`` — the training median (most frequent level for categorical covariates),
  learned on the training table only and reused for new patients in ``predict_proba``.

A missing outcome is never imputed: such rows are dropped under ``drop``/``impute_median``.  What was
done is reported in ``ClinicalModel.missing`` (n missing / imputed per column, n dropped).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from radiome.models._design import Design, MissingReport, check_outcome
from radiome.models.firth import Separation, detect_separation, firth_logistic, penalised_lr_test

__all__ = [
    "ClinicalModel",
    "SeparationWarning",
    "multivariate_logistic",
    "univariate_logistic",
]

FIRTH_MODES = ("auto", "always", "never")


class SeparationWarning(UserWarning):
    """The outcome is (quasi-)completely separated; Firth's penalised likelihood is used instead."""


# --------------------------------------------------------------------------------------------------
# one logistic fit
# --------------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    method: str  # "ml" or "firth"
    ci_method: str  # "wald" or "profile"
    params: pd.Series
    cov: pd.DataFrame
    table: pd.DataFrame  # term, coef, se, z, p, odds_ratio, or_ci_lower, or_ci_upper
    loglik: float
    aic: float
    separation: Separation
    X: pd.DataFrame
    y: np.ndarray


def _fit_logit(X: pd.DataFrame, y: np.ndarray, *, firth: str, alpha: float = 0.05,
               ci: bool = True, context: str = "") -> _Fit:
    if firth not in FIRTH_MODES:
        raise ValueError(f"firth must be one of {FIRTH_MODES}, not {firth!r}")
    n, k = X.shape
    if n <= k:
        raise ValueError(f"{context}{n} cases for {k} coefficients: too few cases to fit the model")
    rank = np.linalg.matrix_rank(X.to_numpy())
    if rank < k:
        raise ValueError(
            f"{context}the design matrix is rank deficient (rank {rank} < {k} columns: "
            f"{list(X.columns)}); some covariates are collinear or a level is empty"
        )
    sep = detect_separation(X.to_numpy(), y, X.columns)
    use_firth = firth == "always"
    if sep and firth == "never":
        raise ValueError(
            f"{context}{sep.kind} separation by {list(sep.variables)}: maximum-likelihood estimates "
            "do not exist; use firth='auto' (Firth's penalised likelihood)"
        )
    if sep and firth == "auto":
        warnings.warn(
            f"{context}{sep.kind} separation of the outcome by {list(sep.variables)}: maximum-"
            "likelihood estimates would be infinite; falling back to Firth's penalised-likelihood "
            "logistic regression (profile penalised-likelihood CIs, penalised LR p-values)",
            SeparationWarning,
            stacklevel=3,
        )
        use_firth = True
    z = stats.norm.ppf(1 - alpha / 2)
    if use_firth:
        fr = firth_logistic(X, y, ci="profile" if ci else "none", alpha=alpha)
        t = fr.table
        table = pd.DataFrame({
            "term": t["term"], "coef": t["coef"], "se": t["se"], "z": t["coef"] / t["se"],
            "p": t["p"], "odds_ratio": t["odds_ratio"],
            "or_ci_lower": t["or_ci_lower"], "or_ci_upper": t["or_ci_upper"],
        })
        cov = pd.DataFrame(fr.cov, index=X.columns, columns=X.columns)
        return _Fit("firth", "profile" if ci else "wald", fr.params, cov, table, fr.loglik,
                    fr.aic, sep, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter; checked below
        # IRLS with R's glm.fit start ((y + 1/2) / 2) and convergence rule
        # |dev - dev_old| <= 1e-8 (|dev| + 0.1), so that estimates *and* standard errors (taken,
        # as in R, from the last IRLS weights) equal R's glm(..., binomial) to ~1e-12.
        from statsmodels.genmod.families import Binomial
        from statsmodels.genmod.generalized_linear_model import GLM

        res = GLM(y, X, family=Binomial()).fit(
            method="IRLS", maxiter=100, tol=1e-8, atol=1e-9, rtol=1e-8
        )
    if not res.converged:
        raise RuntimeError(f"{context}the logistic model did not converge in 100 IRLS iterations")
    params = pd.Series(np.asarray(res.params), index=X.columns)
    se = pd.Series(np.asarray(res.bse), index=X.columns)
    zval = params / se
    table = pd.DataFrame({
        "term": X.columns, "coef": params.values, "se": se.values, "z": zval.values,
        "p": 2 * stats.norm.sf(np.abs(zval.values)), "odds_ratio": np.exp(params.values),
        "or_ci_lower": np.exp(params.values - z * se.values),
        "or_ci_upper": np.exp(params.values + z * se.values),
    })
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=X.columns, columns=X.columns)
    return _Fit("ml", "wald", params, cov, table, float(res.llf), float(res.aic), sep, X, y)


def _variable_p(fit: _Fit, terms: list[str]) -> float:
    """Joint test of all terms of one variable: Wald (ML) or penalised LR (Firth); 1 term = its p."""
    if len(terms) == 1:
        return float(fit.table.set_index("term").loc[terms[0], "p"])
    if fit.method == "firth":
        idx = [list(fit.X.columns).index(t) for t in terms]
        return penalised_lr_test(fit.X.to_numpy(), fit.y, idx)[2]
    b = fit.params[terms].to_numpy()
    v = fit.cov.loc[terms, terms].to_numpy()
    w = float(b @ np.linalg.solve(v, b))
    return float(stats.chi2.sf(w, len(terms)))


# --------------------------------------------------------------------------------------------------
# univariable table
# --------------------------------------------------------------------------------------------------


def univariate_logistic(
    df: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    categorical: Iterable[str] | None = None,
    reference: Mapping | None = None,
    *,
    missing: str = "error",
    firth: str = "auto",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One logistic model per covariate (outcome ~ covariate); a tidy table, one row per level.

    Columns: ``variable``, ``level`` (categorical level, else empty), ``term``, ``n``, ``n_events``,
    ``coef``, ``se``, ``z``, ``p``, ``odds_ratio``, ``or_ci_lower``, ``or_ci_upper`` (Wald
    1 - ``alpha`` CI), ``p_variable`` (the covariate as a whole: joint Wald test over its levels for
    a categorical covariate, else ``p``), ``method`` (``ml``/``firth``), ``ci_method``,
    ``n_missing`` (rows without this covariate), ``n_imputed`` and ``note``.  The reference level
    of a categorical covariate has its own row (OR 1, no CI or p) with ``note == "reference"``.
    Under separation the row is a Firth fit (profile CI, penalised LR p; joint penalised LR test
    for ``p_variable``), marked in ``method``/``ci_method``.
    """
    if outcome not in df.columns:
        raise ValueError(f"outcome column {outcome!r} not in the table")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    categorical = [categorical] if isinstance(categorical, str) else list(categorical or [])
    Design.create(covariates, categorical, reference, missing)  # validates the arguments
    rows = []
    for c in covariates:
        design = Design.create([c], [c] if c in categorical else [],
                               {c: reference[c]} if reference and c in reference else None, missing)
        data, report = design.handle_missing(df, outcome)
        y = check_outcome(data[outcome], outcome)
        design.fit(data)
        data = design.impute(data, report)
        X = design.matrix(data)
        fit = _fit_logit(X, y, firth=firth, alpha=alpha, context=f"covariate {c!r}: ")
        p_var = _variable_p(fit, design.terms)
        info = report.columns.set_index("column")
        base = {
            "variable": c, "n": len(y), "n_events": int(y.sum()), "p_variable": p_var,
            "method": fit.method, "ci_method": fit.ci_method,
            "n_missing": int(info.loc[c, "n_missing"]), "n_imputed": int(info.loc[c, "n_imputed"]),
        }
        tab = fit.table.set_index("term")
        if c in design.categorical:
            ref = design.levels[c][0]
            rows.append({**base, "level": ref, "term": f"{c}[{ref}]", "coef": 0.0, "se": np.nan,
                         "z": np.nan, "p": np.nan, "odds_ratio": 1.0, "or_ci_lower": np.nan,
                         "or_ci_upper": np.nan, "note": "reference"})
        for t in design.terms:
            r = tab.loc[t]
            rows.append({**base, "level": design.term_info[t][1] if c in design.categorical else "",
                         "term": t, **{k: float(r[k]) for k in
                                       ("coef", "se", "z", "p", "odds_ratio", "or_ci_lower",
                                        "or_ci_upper")}, "note": ""})
    cols = ["variable", "level", "term", "n", "n_events", "coef", "se", "z", "p", "odds_ratio",
            "or_ci_lower", "or_ci_upper", "p_variable", "method", "ci_method", "n_missing",
            "n_imputed", "note"]
    return pd.DataFrame(rows)[cols]


# --------------------------------------------------------------------------------------------------
# multivariable model
# --------------------------------------------------------------------------------------------------


@dataclass
class ClinicalModel:
    """A fitted multivariable logistic model.

    ``table``: one row per coefficient (``term``, ``variable``, ``level``, ``coef``, ``se``, ``z``,
    ``p``, ``odds_ratio``, ``or_ci_lower``, ``or_ci_upper``); ``aic``; ``loglik``; ``method``
    (``ml`` or ``firth``) and ``ci_method``; ``missing`` (:class:`MissingReport`); ``univariate``
    (the screening table when covariates came from it); ``steps`` (the backward-AIC path);
    ``notes`` (warnings worth a sentence in the paper, e.g. few events per variable).
    """

    outcome: str
    covariates: list[str]
    design: Design
    table: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    aic: float
    loglik: float
    method: str
    ci_method: str
    n: int
    n_events: int
    missing: MissingReport
    separation: Separation
    data: pd.DataFrame  # training rows actually used (after the missing policy), covariates + outcome
    univariate: pd.DataFrame | None = None
    steps: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    classes_: np.ndarray = field(default_factory=lambda: np.array([0, 1]))

    # scikit-learn-like prediction ------------------------------------------------------------
    def decision_function(self, df: pd.DataFrame) -> np.ndarray:
        """Linear predictor (log-odds) for the rows of ``df``."""
        X = self.design.matrix(df)
        return X[self.params.index].to_numpy() @ self.params.to_numpy()

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """Array (n, 2): P(outcome = 0), P(outcome = 1)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(df)))
        return np.column_stack([1.0 - p, p])

    def predict(self, df: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(df)[:, 1] >= threshold).astype(int)

    @property
    def linear_predictor_(self) -> np.ndarray:
        """Linear predictor of the training rows."""
        return self.decision_function(self.data)

    def summary(self) -> str:
        lines = [
            f"Logistic model for {self.outcome!r}: {self.n} cases, {self.n_events} events; "
            f"method {self.method} ({self.ci_method} CIs); AIC {self.aic:.2f}",
            str(self.missing),
        ]
        t = self.table
        for r in t.itertuples():
            lines.append(
                f"  {r.term:<24s} OR {r.odds_ratio:10.4g}  ({r.or_ci_lower:.4g} to "
                f"{r.or_ci_upper:.4g})  p = {r.p:.4g}"
            )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _prepare(df, outcome, covariates, categorical, reference, missing):
    design = Design.create(covariates, [c for c in categorical if c in covariates],
                           {k: v for k, v in (reference or {}).items() if k in covariates}, missing)
    data, report = design.handle_missing(df, outcome)
    y = check_outcome(data[outcome], outcome)
    design.fit(data)
    data = design.impute(data, report)
    return design, data, y, report


def multivariate_logistic(
    df: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str] | str,
    *,
    candidates: Sequence[str] | None = None,
    categorical: Iterable[str] | None = None,
    reference: Mapping | None = None,
    p_threshold: float = 0.05,
    stepwise: str = "none",
    keep: Sequence[str] = (),
    missing: str = "error",
    firth: str = "auto",
    alpha: float = 0.05,
) -> ClinicalModel:
    """Fit the multivariable logistic model.

    ``covariates`` is a list, or ``"from_univariate"``: then :func:`univariate_logistic` is run on
    ``candidates`` and the covariates with ``p_variable < p_threshold`` enter.  ``stepwise=
    "backward_aic"`` then drops, one at a time, the covariate (a categorical one as a whole) whose
    removal lowers the AIC most, until none does (R's ``step``); all models use the same rows;
    covariates in ``keep`` are never dropped.
    ``firth``: ``"auto"`` (Firth only under separation, with a :class:`SeparationWarning`),
    ``"always"`` or ``"never"`` (separation is then a ValueError).
    """
    if outcome not in df.columns:
        raise ValueError(f"outcome column {outcome!r} not in the table")
    if stepwise not in ("none", "backward_aic"):
        raise ValueError(f"stepwise must be 'none' or 'backward_aic', not {stepwise!r}")
    categorical = [categorical] if isinstance(categorical, str) else list(categorical or [])
    univ = None
    notes: list[str] = []
    if isinstance(covariates, str) and covariates == "from_univariate":
        if not candidates:
            raise ValueError("covariates='from_univariate' needs candidates=[...] to screen")
        if not 0 < p_threshold <= 1:
            raise ValueError(f"p_threshold must be in (0, 1], not {p_threshold}")
        univ = univariate_logistic(df, outcome, list(candidates), categorical, reference,
                                   missing=missing, firth=firth, alpha=alpha)
        per_var = univ.groupby("variable", sort=False)["p_variable"].first()
        covariates = [c for c in candidates if per_var[c] < p_threshold]
        if not covariates:
            best = per_var.sort_values().head(3)
            raise ValueError(
                f"no candidate covariate has univariable p < {p_threshold}; smallest: "
                + ", ".join(f"{k} (p = {v:.3g})" for k, v in best.items())
            )
        notes.append(f"covariates with univariable p < {p_threshold}: {covariates}")
    elif isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)

    design, data, y, report = _prepare(df, outcome, covariates, categorical, reference, missing)
    X = design.matrix(data)
    final_mode = firth
    steps = None
    if stepwise == "backward_aic":
        # ML or Firth is decided once, on the full model (a sub-model of a non-separated model is
        # not separated), so that all AICs compared are of the same kind
        mode = firth
        if firth == "auto":
            sep = detect_separation(X.to_numpy(), y, X.columns)
            if sep:
                warnings.warn(
                    f"{sep.kind} separation of the outcome by {list(sep.variables)}: maximum-"
                    "likelihood estimates would be infinite; stepwise selection and the final model "
                    "use Firth's penalised likelihood (AIC on the penalised log-likelihood)",
                    SeparationWarning,
                    stacklevel=2,
                )
            mode = final_mode = "always" if sep else "never"
        current = list(covariates)
        aic = _fit_logit(X, y, firth=mode, alpha=alpha, ci=False).aic
        path = [{"step": 0, "removed": "", "aic": aic, "covariates": ", ".join(current)}]
        keep = [keep] if isinstance(keep, str) else list(keep)
        absent = [k for k in keep if k not in covariates]
        if absent:
            raise ValueError(f"keep lists covariates not in the model: {absent}")
        while [c for c in current if c not in keep]:
            trials = {}
            for v in [c for c in current if c not in keep]:
                rest = [c for c in current if c != v]
                cols = ["const"] + [t for t in design.terms if design.term_info[t][0] in rest]
                trials[v] = _fit_logit(X[cols], y, firth=mode, alpha=alpha, ci=False).aic
            v_best = min(trials, key=trials.get)
            if trials[v_best] >= aic:
                break
            current.remove(v_best)
            aic = trials[v_best]
            path.append({"step": len(path), "removed": v_best, "aic": aic,
                         "covariates": ", ".join(current)})
        steps = pd.DataFrame(path)
        if not current:
            raise ValueError("backward AIC removed every covariate: the intercept-only model has "
                             "the lowest AIC")
        if current != covariates:
            notes.append(f"backward AIC kept {current} of {covariates}")
        covariates = current
        design = design.subset(covariates)
        X = design.matrix(data)
    fit = _fit_logit(X, y, firth=final_mode, alpha=alpha)
    epv = min(y.sum(), len(y) - y.sum()) / max(len(design.terms), 1)
    if epv < 10:
        notes.append(f"{epv:.1f} events per coefficient (fewer than 10): risk of overfitting")
    tab = fit.table.copy()
    tab.insert(1, "variable", [design.term_info.get(t, ("(Intercept)", None))[0] if t != "const"
                               else "(Intercept)" for t in tab["term"]])
    tab.insert(2, "level", [design.term_info[t][1] if t in design.term_info and
                            design.term_info[t][1] is not None else "" for t in tab["term"]])
    tab["term"] = tab["term"].replace({"const": "(Intercept)"})
    tab["note"] = ""
    for c in design.categorical:  # a reference row (OR 1) before the first level of each factor
        ref = design.levels[c][0]
        at = int(np.flatnonzero((tab["variable"] == c).to_numpy())[0])
        row = pd.DataFrame([{"term": f"{c}[{ref}]", "variable": c, "level": ref, "coef": 0.0,
                             "se": np.nan, "z": np.nan, "p": np.nan, "odds_ratio": 1.0,
                             "or_ci_lower": np.nan, "or_ci_upper": np.nan, "note": "reference"}])
        tab = pd.concat([tab.iloc[:at], row, tab.iloc[at:]], ignore_index=True)
    tab["p_variable"] = np.nan
    for c in design.covariates:
        terms = [t for t in design.terms if design.term_info[t][0] == c]
        tab.loc[tab["variable"] == c, "p_variable"] = _variable_p(fit, terms)
    params = fit.params.copy()
    keep_cols = covariates + [outcome]
    return ClinicalModel(
        outcome=outcome, covariates=covariates, design=design, table=tab.reset_index(drop=True),
        params=params, cov=fit.cov, aic=fit.aic, loglik=fit.loglik, method=fit.method,
        ci_method=fit.ci_method, n=len(y), n_events=int(y.sum()), missing=report,
        separation=fit.separation, data=data[keep_cols].copy(), univariate=univ, steps=steps,
        notes=notes,
    )
