"""Calibration of predicted probabilities: rms ``val.prob`` statistics, the Hosmer-Lemeshow test,
calibration curves and rms ``calibrate``-style bootstrap bias-corrected calibration.

References
----------
* Harrell FE (2015). *Regression Modeling Strategies*, 2nd ed., Springer; R package rms
  (``val.prob``, ``calibrate``, ``predab.resample``).
* Hosmer DW, Lemeshow S (1980). Goodness of fit tests for the multiple logistic regression model.
  *Communications in Statistics - Theory and Methods* 9:1043-1069; R package ResourceSelection
  (``hoslem.test``).
* Cox DR (1958). Two further applications of a model for binary regression. *Biometrika*
  45:562-565 (calibration intercept and slope).
* Van Calster B, Nieboer D, Vergouwe Y, et al. (2016). A calibration hierarchy for risk models was
  defined: from utopia to empirical data. *J Clin Epidemiol* 74:167-176 (calibration-in-the-large).
* Nagelkerke NJD (1991). A note on a general definition of the coefficient of determination.
  *Biometrika* 78:691-692.
* Spiegelhalter DJ (1986). Probabilistic prediction in patient management and clinical trials.
  *Statistics in Medicine* 5:421-433.
* Brier GW (1950). Verification of forecasts expressed in terms of probability. *Monthly Weather
  Review* 78:1-3.
* Austin PC, Steyerberg EW (2019). The Integrated Calibration Index (ICI) and related metrics for
  quantifying the calibration of logistic regression models. *Statistics in Medicine* 38:4051-4065
  (Eavg = ICI, Emax).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import expit, logit

from radiome.evaluate._lowess import lowess_r
from radiome.evaluate._validation import check_level, check_outcome, check_pair
from radiome.evaluate.roc import _placements

__all__ = [
    "BootstrapCalibration",
    "HLResult",
    "bootstrap_calibration",
    "brier_score",
    "calibration",
    "calibration_curve",
    "hosmer_lemeshow",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _quantile_type7(x: NDArray[np.float64], probs: NDArray[np.float64]) -> NDArray[np.float64]:
    """R's ``quantile(x, probs, type = 7)`` with R's own arithmetic (``(1 - h) x[lo] + h x[hi]``)."""
    xs = np.sort(x)
    n = xs.size
    index = 1.0 + (n - 1) * probs
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    qs = xs[lo - 1].copy()
    xhi = xs[hi - 1]
    i = (index > lo) & (xhi != qs)
    h = (index - lo)[i]
    qs[i] = (1.0 - h) * qs[i] + h * xhi[i]
    return qs


def _cut_include_lowest(p: NDArray[np.float64], breaks: NDArray[np.float64]) -> NDArray[np.int64]:
    """R's ``cut(p, breaks, include.lowest = TRUE)`` (right-closed): 0-based interval index."""
    idx = np.searchsorted(breaks, p, side="left")  # breaks[idx-1] < p <= breaks[idx]
    return np.clip(idx, 1, breaks.size - 1) - 1


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _interval_labels(breaks: NDArray[np.float64]) -> list[str]:
    return [
        ("[" if k == 0 else "(") + f"{_fmt(breaks[k])},{_fmt(breaks[k + 1])}]" for k in range(breaks.size - 1)
    ]


def _logistic_fit(
    x: NDArray[np.float64] | None,
    y: NDArray[np.float64],
    offset: NDArray[np.float64] | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[NDArray[np.float64], float]:
    """Maximum-likelihood logistic regression of ``y`` on an intercept (+ ``x``) (+ ``offset``).

    Newton-Raphson with step halving; returns the coefficients and the deviance ``-2 log L``.
    """
    n = y.size
    X = np.ones((n, 1)) if x is None else np.column_stack([np.ones(n), x])
    off = np.zeros(n) if offset is None else offset

    def deviance(beta: NDArray[np.float64]) -> float:
        eta = X @ beta + off
        return float(-2.0 * np.sum(y * eta - np.logaddexp(0.0, eta)))

    beta = np.zeros(X.shape[1])
    ybar = float(np.mean(y))
    if offset is None and 0.0 < ybar < 1.0:
        beta[0] = np.log(ybar / (1.0 - ybar))
    dev = deviance(beta)
    for _ in range(max_iter):
        mu = expit(X @ beta + off)
        grad = X.T @ (y - mu)
        info = X.T @ (X * (mu * (1.0 - mu))[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, grad, rcond=None)[0]
        t = 1.0
        while True:
            new = beta + t * step
            new_dev = deviance(new)
            if new_dev <= dev + 1e-12 * max(1.0, abs(dev)) or t < 1e-10:
                break
            t /= 2.0
        converged = abs(dev - new_dev) <= tol * max(1.0, abs(new_dev)) and np.max(np.abs(t * step)) < 1e-9
        beta, dev = new, new_dev
        if converged:
            break
    return beta, dev


# --------------------------------------------------------------------------------------------
# Brier score and val.prob
# --------------------------------------------------------------------------------------------


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Brier score, the mean squared difference between predicted probability and outcome.

    ``B = mean((p - y)^2)`` (Brier 1950; rms ``val.prob``'s ``Brier``). 0 is perfect; a constant
    prediction at the prevalence ``pi`` scores ``pi (1 - pi)``.

    >>> round(brier_score([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3]), 6)
    0.075
    """
    yy, pp = check_pair(y, p, probability=True)
    return float(np.mean((pp - yy) ** 2))


def _smooth_at_p(pp: NDArray[np.float64], yy: NDArray[np.float64]) -> NDArray[np.float64]:
    """``approx(lowess(p, y, iter = 0), xout = p, ties = mean)$y`` as in ``val.prob``."""
    xs, fit = lowess_r(pp, yy, iter=0)
    ux, inv = np.unique(xs, return_inverse=True)
    fy = np.bincount(inv, weights=fit) / np.bincount(inv)  # ties = mean
    return np.interp(pp, ux, fy)


def calibration(y: ArrayLike, p: ArrayLike, cindex_bins: int | None = 5000) -> dict[str, float]:
    """Calibration and discrimination statistics of predicted probabilities, as ``rms::val.prob``.

    Returns a dict with the ``val.prob`` statistics (their R names in brackets):

    * ``Dxy`` Somers' rank correlation ``2 (C - 0.5)``; ``C`` the c-index (``C (ROC)``, the AUC).
      rms 6.5's Fortran ``lrm.fit`` computes both after binning the predicted probabilities into
      bins of width 1/5000 (``floor(5000 p)``; rms NEWS 5.1-2), so predictions closer than 0.0002
      may count as ties; ``cindex_bins=5000`` (the default) reproduces that, ``cindex_bins=None``
      gives the exact c-index (= :func:`roc_auc`, as newer rms versions compute it).
    * ``R2`` Nagelkerke's R^2 of the predictions taken *as they are* (logit used as an offset with
      slope 1): ``(1 - exp(-LR / n)) / (1 - exp(-L0 / n))`` with ``LR = L0 - L01``, ``L0`` the
      intercept-only deviance and ``L01 = -2 sum(y logit(p) - log(1 + e^logit(p)))``.
    * ``D`` discrimination index ``(LR - 1) / n``, ``D_chisq`` = LR, ``D_p`` its chi-square(1)
      p-value; ``U`` unreliability index ``(U_chisq - 2) / n`` with ``U_chisq = L01 -`` deviance of
      the recalibration model, ``U_p`` (chi-square(2)); ``Q = D - U`` (``D:Chi-sq``, ``D:p``, ...).
    * ``Brier`` score.
    * ``Intercept``, ``Slope``: logistic recalibration ``logit P(y = 1) = a + b logit(p)`` (Cox 1958);
      ideal 0 and 1.
    * ``Emax``, ``E90``, ``Eavg``: maximum, 90th percentile and mean of ``|p - s(p)|`` where ``s`` is
      the nonparametric calibration curve ``lowess(p, y, iter = 0)`` with R's defaults (span 2/3,
      ``delta = 0.01 * range(p)``), read off at each ``p``. ``Eavg`` is the Integrated Calibration
      Index of Austin & Steyerberg (2019), up to the smoother.
    * ``S_z``, ``S_p``: Spiegelhalter's (1986) z test (``S:z``, ``S:p``).

    plus ``citl`` (calibration-in-the-large: the intercept of ``logit P(y = 1) = a + logit(p)``,
    slope fixed at 1; Van Calster et al. 2016), ``mean_predicted``, ``observed_rate``,
    ``oe_ratio`` (observed / expected events) and ``n``.

    Subjects with ``p`` exactly 0 or 1 have an infinite logit and are left out of the logistic
    statistics (``Dxy`` to ``Q``, ``Intercept``, ``Slope``, ``citl``), with a warning, as in
    ``val.prob``; they stay in ``Brier`` and the smooth.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 400)
    >>> y = (rng.uniform(size=400) < p).astype(int)
    >>> s = calibration(y, p)
    >>> 0.7 < s["Slope"] < 1.3 and abs(s["Intercept"]) < 0.3
    True
    """
    yy_i, pp = check_pair(y, p, probability=True)
    yy = yy_i.astype(np.float64)
    n_all = yy.size
    brier = float(np.mean((pp - yy) ** 2))
    mean_pred, obs_rate = float(pp.mean()), float(yy.mean())
    extra = {
        "mean_predicted": mean_pred,
        "observed_rate": obs_rate,
        "oe_ratio": obs_rate / mean_pred if mean_pred > 0 else float("nan"),
        "n": float(n_all),
    }
    spi_num = np.sum((yy - pp) * (1.0 - 2.0 * pp))
    spi_den = np.sqrt(np.sum((1.0 - 2.0 * pp) ** 2 * pp * (1.0 - pp)))
    with np.errstate(divide="ignore", invalid="ignore"):
        s_z = float(spi_num / spi_den)
    s_p = float(2.0 * stats.norm.sf(abs(s_z))) if np.isfinite(s_z) else float("nan")

    if np.unique(pp).size == 1:  # val.prob's constant-prediction branch
        with np.errstate(divide="ignore"):
            lg = logit(pp)
        P = obs_rate
        intc = float(logit(P))
        L01 = float(-2.0 * np.sum(yy * lg - np.log1p(np.exp(lg))))
        Lcal = float(-2.0 * np.sum(yy * intc - np.log1p(np.exp(intc))))
        u_chisq = L01 - Lcal
        D = -1.0 / n_all
        U = (u_chisq - 1.0) / n_all
        e = abs(pp[0] - P)
        return {
            "Dxy": 0.0, "C": 0.5, "R2": 0.0, "D": D, "D_chisq": 0.0, "D_p": 1.0,
            "U": U, "U_chisq": u_chisq, "U_p": float(stats.chi2.sf(u_chisq, 1)), "Q": D - U,
            "Brier": brier, "Intercept": intc, "Slope": 0.0, "Emax": e, "E90": e, "Eavg": e,
            "S_z": s_z, "S_p": s_p, "citl": intc - float(lg[0]), **extra,
        }  # fmt: skip

    keep = (pp > 0.0) & (pp < 1.0)
    if not keep.all():
        warnings.warn(
            f"{int((~keep).sum())} observation(s) with predicted probability 0 or 1 left out of the "
            "logistic calibration statistics",
            RuntimeWarning,
            stacklevel=2,
        )
    yk, lk = yy[keep], logit(pp[keep])
    n = yk.size
    if n == 0 or yk.min() == yk.max():
        raise ValueError("after removing predictions of exactly 0 or 1, y has a single class")
    if cindex_bins is None:
        score = pp[keep]
    else:  # rms lrm.fit (Fortran): ipp = int(bins * plogis(lp) + 1), lp clamped to [-30, 30]
        score = np.floor(float(cindex_bins) * expit(np.clip(lk, -30.0, 30.0)))
    auc = _placements(score[yk == 1], score[yk == 0])[0]
    L01 = float(-2.0 * np.sum(yk * lk - np.logaddexp(0.0, lk)))
    _, L0 = _logistic_fit(None, yk)
    lr = L0 - L01
    r2 = (1.0 - np.exp(-lr / n)) / (1.0 - np.exp(-L0 / n))
    (a, b), dev_recal = _logistic_fit(lk, yk)
    (citl,), _ = _logistic_fit(None, yk, offset=lk)
    D = (lr - 1.0) / n
    u_chisq = L01 - dev_recal
    U = (u_chisq - 2.0) / n

    er = np.abs(pp - _smooth_at_p(pp, yy))
    return {
        "Dxy": 2.0 * (auc - 0.5),
        "C": auc,
        "R2": float(r2),
        "D": float(D),
        "D_chisq": float(lr),
        "D_p": float(stats.chi2.sf(lr, 1)),
        "U": float(U),
        "U_chisq": float(u_chisq),
        "U_p": float(stats.chi2.sf(u_chisq, 2)),
        "Q": float(D - U),
        "Brier": brier,
        "Intercept": float(a),
        "Slope": float(b),
        "Emax": float(er.max()),
        "E90": float(np.quantile(er, 0.9)),
        "Eavg": float(er.mean()),
        "S_z": s_z,
        "S_p": s_p,
        "citl": float(citl),
        **extra,
    }


# --------------------------------------------------------------------------------------------
# Hosmer-Lemeshow
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HLResult:
    """Hosmer-Lemeshow test: ``statistic`` (chi-square), ``df``, ``p_value`` and the group ``table``
    (columns ``group``, ``n``, ``observed_0``, ``observed_1``, ``expected_0``, ``expected_1``,
    ``mean_predicted``, ``observed_rate``)."""

    statistic: float
    df: int
    p_value: float
    table: pd.DataFrame


def _quantile_groups(pp: NDArray[np.float64], groups: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    probs = np.arange(groups + 1) * (1.0 / groups)  # R: seq(0, 1, 1/g)
    breaks = np.unique(_quantile_type7(pp, probs))
    if breaks.size < 2:  # all predictions equal: one group holding everything
        return np.zeros(pp.size, dtype=np.int64), np.array([pp[0], pp[0]])
    return _cut_include_lowest(pp, breaks), breaks


def hosmer_lemeshow(y: ArrayLike, p: ArrayLike, groups: int = 10) -> HLResult:
    """Hosmer-Lemeshow goodness-of-fit test, as ``ResourceSelection::hoslem.test(y, p, g)``.

    Subjects are grouped by ``cut(p, unique(quantile(p, seq(0, 1, 1/g))), include.lowest = TRUE)``
    (R type-7 quantiles, right-closed intervals); with observed ``O`` and expected ``E`` counts of
    events and non-events per group (``E1 = sum p``, ``E0 = sum(1 - p)``),
    ``X^2 = sum (O - E)^2 / E`` over both columns, referred to chi-square with ``df = g - 2``.

    As in ``hoslem.test``, ``df`` uses the requested ``groups`` even when tied quantiles merge
    groups (the table shows the groups actually formed). Groups left empty are skipped.

    >>> y = [0, 0, 1, 0, 1, 1]
    >>> p = [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]
    >>> r = hosmer_lemeshow(y, p, groups=3)
    >>> r.df, len(r.table)
    (1, 3)
    """
    yy, pp = check_pair(y, p, probability=True)
    g = int(groups)
    if g < 3:
        raise ValueError(f"groups must be >= 3 (df = groups - 2), got {groups}")
    grp, breaks = _quantile_groups(pp, g)
    k = breaks.size - 1
    n_g = np.bincount(grp, minlength=k)
    o1 = np.bincount(grp, weights=yy, minlength=k)
    e1 = np.bincount(grp, weights=pp, minlength=k)
    o0, e0 = n_g - o1, n_g - e1
    used = n_g > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (o0 - e0) ** 2 / e0 + (o1 - e1) ** 2 / e1
    chisq = float(np.sum(terms[used]))
    df = g - 2
    labels = _interval_labels(breaks)
    table = pd.DataFrame(
        {
            "group": [labels[i] for i in range(k)],
            "n": n_g,
            "observed_0": o0,
            "observed_1": o1,
            "expected_0": e0,
            "expected_1": e1,
            "mean_predicted": np.where(used, e1 / np.maximum(n_g, 1), np.nan),
            "observed_rate": np.where(used, o1 / np.maximum(n_g, 1), np.nan),
        }
    )[used].reset_index(drop=True)
    return HLResult(chisq, df, float(stats.chi2.sf(chisq, df)), table)


# --------------------------------------------------------------------------------------------
# Calibration curves
# --------------------------------------------------------------------------------------------


def calibration_curve(
    y: ArrayLike,
    p: ArrayLike,
    method: str = "binned",
    bins: int = 10,
    strategy: str = "quantile",
    level: float = 0.95,
) -> pd.DataFrame:
    """Observed against predicted risk, for a calibration plot.

    ``method="binned"``: one row per group, with ``strategy="quantile"`` the Hosmer-Lemeshow
    groups of :func:`hosmer_lemeshow` (``bins`` quantile groups, tied breaks merged) or with
    ``strategy="uniform"`` equal-width intervals of [0, 1] (empty ones dropped). Columns ``bin``,
    ``n``, ``events``, ``mean_predicted``, ``observed`` (event rate) and the exact
    (Clopper-Pearson) ``lower``/``upper`` limits of the observed rate at ``level``.

    ``method="loess"`` (alias ``"lowess"``): the nonparametric calibration curve of rms
    ``val.prob``, ``lowess(p, y, iter = 0)`` with R's defaults, at each distinct predicted value;
    columns ``predicted``, ``observed``.

    >>> df = calibration_curve([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], bins=3)
    >>> df[["n", "events"]].values.tolist()
    [[2, 0], [2, 1], [2, 2]]
    """
    yy, pp = check_pair(y, p, probability=True)
    if method in ("loess", "lowess"):
        xs, fit = lowess_r(pp, yy.astype(np.float64), iter=0)
        ux, first = np.unique(xs, return_index=True)
        return pd.DataFrame({"predicted": ux, "observed": fit[first]})
    if method != "binned":
        raise ValueError(f"method must be 'binned' or 'loess', got {method!r}")
    level = check_level(level)
    nb = int(bins)
    if nb < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    if strategy == "quantile":
        grp, breaks = _quantile_groups(pp, nb)
    elif strategy == "uniform":
        breaks = np.linspace(0.0, 1.0, nb + 1)
        grp = _cut_include_lowest(pp, breaks)
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    k = breaks.size - 1
    n_g = np.bincount(grp, minlength=k)
    ev = np.bincount(grp, weights=yy, minlength=k).round().astype(np.int64)
    sp = np.bincount(grp, weights=pp, minlength=k)
    used = n_g > 0
    n_u, ev_u = n_g[used], ev[used]
    a = (1.0 - level) / 2.0
    lower = np.where(ev_u > 0, stats.beta.ppf(a, ev_u, n_u - ev_u + 1), 0.0)
    upper = np.where(ev_u < n_u, stats.beta.ppf(1.0 - a, ev_u + 1, n_u - ev_u), 1.0)
    labels = _interval_labels(breaks)
    return pd.DataFrame(
        {
            "bin": [labels[i] for i in np.flatnonzero(used)],
            "n": n_u,
            "events": ev_u,
            "mean_predicted": sp[used] / n_u,
            "observed": ev_u / n_u,
            "lower": lower,
            "upper": upper,
        }
    )


# --------------------------------------------------------------------------------------------
# Bootstrap bias-corrected calibration (rms::calibrate)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapCalibration:
    """Result of :func:`bootstrap_calibration`.

    ``curve`` has one row per grid value ``predicted`` with ``apparent`` (the lowess calibration
    curve of the model fitted on all data), ``optimism`` (mean over bootstraps of training minus
    test calibration error), ``corrected = apparent - optimism`` and ``n`` (bootstraps that
    contributed at that grid value). ``mean_absolute_error``, ``mean_squared_error`` and
    ``quantile90_absolute_error`` summarise ``p - corrected(p)`` over the subjects' apparent
    predictions, as ``print.calibrate``. ``n_failed`` counts resamples whose fit failed.
    """

    curve: pd.DataFrame
    mean_absolute_error: float
    mean_squared_error: float
    quantile90_absolute_error: float
    B: int
    n_failed: int


def _fit_predict(model: Any, X_train: Any, y_train: NDArray[np.int64], X_all: Any) -> NDArray[np.float64]:
    """Fit ``model`` on a training set and return predicted probabilities on ``X_all``."""
    if hasattr(model, "fit") and hasattr(model, "predict_proba"):
        from sklearn.base import clone

        est = clone(model).fit(X_train, y_train)
        proba = np.asarray(est.predict_proba(X_all))
        classes = list(getattr(est, "classes_", [0, 1]))
        return proba[:, classes.index(1)].astype(np.float64)
    if callable(model):
        predict = model(X_train, y_train)
        out = predict(X_all) if callable(predict) else np.asarray(predict.predict_proba(X_all))[:, 1]
        return np.asarray(out, dtype=np.float64).ravel()
    raise TypeError(
        "model must be a scikit-learn classifier (fit + predict_proba) or a callable "
        "model(X_train, y_train) returning predict(X) -> probabilities"
    )


def _take(X: Any, idx: NDArray[np.int64]) -> Any:
    return X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]


def _cal_error(
    p: NDArray[np.float64], y: NDArray[np.float64], grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    """rms ``calibrate.default``'s ``cal.error``: ``approx(lowess(p, y, iter = 0), xout = grid,
    ties = first)$y - grid`` (NaN outside the range of ``p``)."""
    xs, fit = lowess_r(p, y, iter=0)
    ux, first = np.unique(xs, return_index=True)
    if ux.size == 1:
        cal = np.where(grid == ux[0], fit[first[0]], np.nan)
    else:
        cal = np.interp(grid, ux, fit[first], left=np.nan, right=np.nan)
    return cal - grid


def bootstrap_calibration(
    model: Any,
    X: Any,
    y: ArrayLike,
    B: int = 200,
    seed: int | np.random.Generator | None = None,
    grid: ArrayLike | None = None,
) -> BootstrapCalibration:
    """Bootstrap bias-corrected (overfitting-corrected) calibration curve, as ``rms::calibrate``
    (``method = "boot"``) for a logistic model.

    1. Fit ``model`` on all data; ``apparent(g)`` is the ``lowess(p, y, iter = 0)`` calibration
       curve at each grid value ``g`` (default: 50 equally spaced values from the 5th smallest to
       the 5th largest prediction, rms's ``predy``).
    2. For each of ``B`` bootstrap samples: refit on the sample, predict the sample (training) and
       the original data (test); the optimism at ``g`` is
       ``[s_train(g) - g] - [s_test(g) - g]`` with ``s`` the lowess curves.
    3. ``corrected(g) = apparent(g) - mean optimism(g)`` (Harrell 2015, sec. 10.11; Efron's
       optimism bootstrap, rms ``predab.resample``). A grid value outside a sample's prediction
       range gives no estimate for that sample (rms: NA, averaged over the others).

    Parameters
    ----------
    model
        A scikit-learn classifier (cloned and refit on each sample; use
        ``LogisticRegression(C=np.inf)`` (no penalty) to mirror ``lrm``), or a callable
        ``model(X_train, y_train)`` returning a function ``predict(X) -> probabilities``.
    X
        Predictors (array or DataFrame), one row per subject.
    y
        Binary outcome.
    B
        Bootstrap repetitions (rms's default is 40; 200 or more for a stable curve).
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same result.
    grid
        Predicted probabilities at which to estimate the curve.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(150, 3))
    >>> y = (rng.uniform(size=150) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    >>> res = bootstrap_calibration(LogisticRegression(C=np.inf), X, y, B=20, seed=2)
    >>> list(res.curve.columns)
    ['predicted', 'apparent', 'optimism', 'corrected', 'n']
    """
    yy = check_outcome(y)
    n = yy.size
    if len(X) != n:
        raise ValueError(f"length mismatch: y has {n} values but X has {len(X)} rows")
    if int(B) < 1:
        raise ValueError(f"B must be >= 1, got {B}")
    yf = yy.astype(np.float64)
    p_app = _fit_predict(model, X, yy, X)
    if np.isnan(p_app).any() or (p_app < 0).any() or (p_app > 1).any():
        raise ValueError("the model's predictions must be probabilities within [0, 1] without NaN")
    if grid is None:
        if n < 11:
            raise ValueError("need n > 10 to choose the grid; pass grid=")
        ps = np.sort(p_app)
        g = np.linspace(ps[4], ps[n - 5], 50)
    else:
        g = np.asarray(grid, dtype=np.float64).ravel()
    err_orig = _cal_error(p_app, yf, g)
    apparent = err_orig + g

    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    train_sum = np.zeros(g.size)
    test_sum = np.zeros(g.size)
    num = np.zeros(g.size, dtype=np.int64)
    failed = 0
    for _ in range(int(B)):
        idx = rng.integers(0, n, size=n)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p_b = _fit_predict(model, _take(X, idx), yy[idx], X)
        except Exception:  # noqa: BLE001 - a failed refit is counted, as rms's predab.resample
            failed += 1
            continue
        if not np.all(np.isfinite(p_b)):
            failed += 1
            continue
        tr = _cal_error(p_b[idx], yf[idx], g)
        te = _cal_error(p_b, yf, g)
        ok = ~np.isnan(tr + te)
        num += ok
        train_sum += np.where(ok, tr, 0.0)
        test_sum += np.where(ok, te, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        optimism = train_sum / num - test_sum / num
    corrected = apparent - optimism
    curve = pd.DataFrame(
        {"predicted": g, "apparent": apparent, "optimism": optimism, "corrected": corrected, "n": num}
    )
    s = ~np.isnan(corrected)
    if s.sum() >= 2:
        err = p_app - np.interp(p_app, g[s], corrected[s], left=np.nan, right=np.nan)
        err = err[~np.isnan(err)]
    else:
        err = np.array([])
    if err.size:
        mae, mse = float(np.mean(np.abs(err))), float(np.mean(err**2))
        q90 = float(np.quantile(np.abs(err), 0.9))
    else:
        mae = mse = q90 = float("nan")
    return BootstrapCalibration(curve, mae, mse, q90, int(B), failed)

