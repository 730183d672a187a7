"""Nomograms of logistic models, constructed as R's ``rms::nomogram``.

Construction (Harrell's ``rms`` 6.x, ``nomogram()`` with default arguments):

1. **Axis values** of each predictor: a categorical covariate's levels; a numeric covariate with at
   most ``n_unique`` (10) distinct training values (``datadist``'s ``values``) those values; any
   other numeric covariate ``pretty(range(x), n = nint)`` over its *full* training range (R's
   :func:`r_pretty`, ``nint = 10``).
2. **Contribution** of a value: beta * x (categorical: the level's coefficient, 0 for the reference).
3. **Scale**: the predictor whose contributions over its axis values span the widest range gets
   ``0-maxscale`` (100) points; ``sc = maxscale / max range`` points per unit of linear predictor;
   ``points = sc * (contribution - min contribution of that predictor)``.
4. **Total points -> linear predictor**: ``lp = Intercept + total / sc``, with ``Intercept`` =
   beta0 + the sum of each predictor's minimum contribution.  The linear-predictor axis is
   ``pretty(range(training lp), nint)``; the total-points axis ``pretty(c(0, max(maxscale,
   sc * max(lp axis - Intercept))), nint)``.
5. **Probability axis**: ``p = plogis(lp)`` at ``prob_at``, placed at ``sc * (qlogis(p) -
   Intercept)`` and kept where ``qlogis(p)`` lies within the linear-predictor axis (rms inverts the
   function numerically over the same range).

The figure (:meth:`Nomogram.figure`) is drawn in a plain journal style and returned, not saved.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Nomogram", "nomogram", "r_pretty"]

DEFAULT_PROB_AT = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def r_pretty(x, n: int = 5, min_n: int | None = None, shrink_sml: float = 0.75,
             high_u_bias: float = 1.5, u5_bias: float | None = None) -> np.ndarray:
    """R's ``pretty(x, n)`` (R 4.x ``pretty.default`` / ``R_pretty``, ``eps.correct = 0``).

    About ``n + 1`` equally spaced round values (1, 2 or 5 times a power of 10) covering
    ``range(x)``.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("pretty() needs at least one finite value")
    lo, up = float(x.min()), float(x.max())
    if min_n is None:
        min_n = n // 3
    h = high_u_bias
    h5 = 0.5 + 1.5 * h if u5_bias is None else u5_bias
    rounding_eps = 1e-10
    eps = sys.float_info.epsilon
    dx = up - lo
    if dx == 0 and up == 0:
        cell, i_small = 1.0, True
    else:
        cell = max(abs(lo), abs(up))
        u = 1 + (1 / (1 + h) if h5 >= 1.5 * h + 0.5 else 1.5 / (1 + h5))
        u *= max(1, n) * eps
        i_small = dx < cell * u * 3
    if i_small:
        if cell > 10:
            cell = 9 + cell / 10
        cell *= shrink_sml
        if min_n > 1:
            cell /= min_n
    else:
        cell = dx
        if n > 1:
            cell /= n
    cell = max(cell, sys.float_info.min)
    base = 10.0 ** math.floor(math.log10(cell))
    unit = base
    if (ns := 2 * base) - cell < h * (cell - unit):
        unit = ns
        if (ns := 5 * base) - cell < h5 * (cell - unit):
            unit = ns
            if (ns := 10 * base) - cell < h * (cell - unit):
                unit = ns
    ns = math.floor(lo / unit + rounding_eps)
    nu = math.ceil(up / unit - rounding_eps)
    while ns * unit > lo + rounding_eps * unit:
        ns -= 1
    while nu * unit < up - rounding_eps * unit:
        nu += 1
    k = int(0.5 + nu - ns)
    if k < min_n:
        k = min_n - k
        if ns >= 0:
            nu += k // 2
            ns -= k // 2 + k % 2
        else:
            ns -= k // 2
            nu += k // 2 + k % 2
        ndiv = min_n
    else:
        ndiv = k
    lo_b = ns * unit if ns * unit < lo else lo
    up_b = nu * unit if nu * unit > up else up
    s = np.linspace(lo_b, up_b, ndiv + 1)
    if ndiv:
        delta = (up_b - lo_b) / ndiv
        s[np.abs(s) < 1e-14 * delta] = 0.0
    # R prints 0.6 where seq() holds 0.6000000000000001; keep the round values exactly
    if lo_b == ns * unit and up_b == nu * unit:
        s = np.array([float(f"{v:.12g}") for v in s])
    return s


@dataclass
class Nomogram:
    """Points of a logistic model, as drawn by a nomogram.

    ``points``: one row per axis value (``variable``, ``value``, ``label``, ``points``);
    ``total_points_axis``; ``lp_axis`` (``lp``, ``total_points``); ``probability_axis``
    (``probability``, ``total_points``); ``scale`` (points per unit of linear predictor) and
    ``intercept`` (linear predictor at 0 total points).
    """

    points: pd.DataFrame
    total_points_axis: np.ndarray
    lp_axis: pd.DataFrame
    probability_axis: pd.DataFrame
    scale: float
    intercept: float
    maxscale: float
    coefficients: pd.Series
    minimum: dict
    variables: list[str]
    categorical: list[str]
    labels: dict
    outcome_label: str

    def to_frame(self) -> pd.DataFrame:
        """All axes in one long table (``axis``, ``value``, ``points``) for export."""
        rows = [self.points.rename(columns={"variable": "axis"})[["axis", "value", "points"]]]
        rows.append(pd.DataFrame({"axis": "Total points", "value": self.total_points_axis,
                                  "points": self.total_points_axis}))
        rows.append(pd.DataFrame({"axis": "Linear predictor", "value": self.lp_axis["lp"],
                                  "points": self.lp_axis["total_points"]}))
        rows.append(pd.DataFrame({"axis": self.outcome_label,
                                  "value": self.probability_axis["probability"],
                                  "points": self.probability_axis["total_points"]}))
        return pd.concat(rows, ignore_index=True)

    def total_points(self, df: pd.DataFrame) -> np.ndarray:
        """Total points of each row of ``df`` (any values, not only axis values)."""
        tot = np.zeros(len(df))
        for v in self.variables:
            if v in self.categorical:
                contrib = np.array([self.coefficients.get(f"{v}[{x}]", 0.0) for x in df[v]])
            else:
                contrib = self.coefficients[v] * df[v].to_numpy(dtype=float)
            tot += self.scale * (contrib - self.minimum[v])
        return tot

    def linear_predictor(self, total_points) -> np.ndarray:
        return self.intercept + np.asarray(total_points, dtype=float) / self.scale

    def probability(self, total_points) -> np.ndarray:
        """Predicted probability read off the nomogram for the given total points."""
        return 1.0 / (1.0 + np.exp(-self.linear_predictor(total_points)))

    # ---------------------------------------------------------------------------------- drawing
    def figure(self, *, width: float = 7.0, row_height: float = 0.42, lp_axis: bool = False,
               fontsize: float = 8.0, title: str | None = None):
        """Draw the nomogram (matplotlib) and return the Figure; the caller saves it.

        One horizontal scale per row: Points (0-``maxscale``), each predictor, Total points,
        optionally the linear predictor, and the probability.  Total points and the scales below
        it share one physical width (as in rms: 0 to the last total-points tick).
        """
        import matplotlib.pyplot as plt

        rows = ["Points"] + self.variables + ["Total points"] + (["Linear predictor"] if lp_axis
                                                                 else []) + [self.outcome_label]
        fig, ax = plt.subplots(figsize=(width, row_height * len(rows) + 0.4))
        ax.set_xlim(-0.42 * self.maxscale, self.maxscale * 1.04)
        ax.set_ylim(-len(rows) + 0.4, 0.75)
        ax.axis("off")
        tick = 0.12
        tot_max = float(self.total_points_axis.max())
        to_x = self.maxscale / tot_max  # total points -> x

        def scale_row(y, xs, labels, minor=None, label_above=True):
            xs = np.asarray(xs, dtype=float)
            ax.plot([xs.min(), xs.max()], [y, y], color="black", lw=0.8, solid_capstyle="butt")
            if minor is not None:
                for xm in minor:
                    ax.plot([xm, xm], [y, y + tick * 0.55], color="black", lw=0.6)
            # alternate labels above/below when ticks are crowded
            order = np.argsort(xs)
            gaps = np.diff(xs[order]) if len(xs) > 1 else np.array([np.inf])
            crowded = np.min(gaps) < 0.055 * self.maxscale * (fontsize / 8.0) * max(
                1.0, max(len(lb) for lb in labels) / 3.0)
            # a label is drawn only where it does not overlap the previous one on its side (the
            # tick mark always is): dense probability axes keep a readable subset of labels
            char_w = 0.021 * self.maxscale * (fontsize - 1) / 7.0
            last_end = {True: -np.inf, False: -np.inf}
            for j, i in enumerate(order):
                ax.plot([xs[i], xs[i]], [y, y + tick], color="black", lw=0.8)
                half = 0.5 * char_w * len(labels[i]) + 0.25 * char_w
                sides = [label_above] if not crowded else [j % 2 == 0, j % 2 != 0]
                for above in sides:
                    if xs[i] - half >= last_end[above]:
                        ax.text(xs[i], y + tick * 1.4 if above else y - tick * 1.1, labels[i],
                                ha="center", va="bottom" if above else "top", fontsize=fontsize - 1)
                        last_end[above] = xs[i] + half
                        break

        y = 0.0
        ax.text(-0.4 * self.maxscale, y, "Points", ha="left", va="center", fontsize=fontsize,
                fontweight="bold")
        pts = np.arange(0, self.maxscale + 1e-9, self.maxscale / 10)
        scale_row(y, pts, [f"{p:g}" for p in pts],
                  minor=np.arange(0, self.maxscale + 1e-9, self.maxscale / 50))
        for v in self.variables:
            y -= 1
            sub = self.points[self.points["variable"] == v]
            ax.text(-0.4 * self.maxscale, y, self.labels.get(v, v), ha="left", va="center",
                    fontsize=fontsize)
            scale_row(y, sub["points"].to_numpy(), list(sub["label"]))
        y -= 1
        ax.text(-0.4 * self.maxscale, y, "Total points", ha="left", va="center", fontsize=fontsize,
                fontweight="bold")
        tp = self.total_points_axis
        scale_row(y, tp * to_x, [f"{t:g}" for t in tp])
        if lp_axis:
            y -= 1
            ax.text(-0.4 * self.maxscale, y, "Linear predictor", ha="left", va="center",
                    fontsize=fontsize)
            lp = self.lp_axis[(self.lp_axis["total_points"] >= 0)
                              & (self.lp_axis["total_points"] <= tot_max)]
            scale_row(y, lp["total_points"].to_numpy() * to_x, [f"{v:g}" for v in lp["lp"]])
        y -= 1
        ax.text(-0.4 * self.maxscale, y, self.outcome_label, ha="left", va="center",
                fontsize=fontsize, fontweight="bold")
        pa = self.probability_axis[(self.probability_axis["total_points"] >= 0)
                                   & (self.probability_axis["total_points"] <= tot_max)]
        if len(pa):
            scale_row(y, pa["total_points"].to_numpy() * to_x,
                      [f"{p:g}" for p in pa["probability"]])
        if title:
            ax.set_title(title, fontsize=fontsize + 1, loc="left")
        fig.tight_layout()
        return fig


def _axis_values(v: str, s: pd.Series, categorical: bool, levels, nint: int, n_unique: int):
    if categorical:
        return list(levels)
    vals = np.unique(s.dropna().to_numpy(dtype=float))
    if len(vals) <= n_unique:
        return vals.tolist()
    return r_pretty(vals, n=nint).tolist()


def nomogram(
    model,
    *,
    maxscale: float = 100.0,
    nint: int = 10,
    n_unique: int = 10,
    values: Mapping[str, Sequence] | None = None,
    prob_at: Sequence[float] = DEFAULT_PROB_AT,
    labels: Mapping[str, str] | None = None,
    outcome_label: str | None = None,
) -> Nomogram:
    """Build the nomogram of a fitted :class:`~radiome.models.clinical.ClinicalModel`.

    ``values`` overrides the axis values of some covariates (as ``nomogram(fit, age=seq(...))``);
    ``labels`` gives display names; ``prob_at`` the probabilities marked on the risk axis.
    The construction follows ``rms::nomogram`` (module docstring); numeric covariates enter linearly.
    """
    design = model.design
    coef = model.params
    data = model.data
    values = dict(values or {})
    unknown = [k for k in values if k not in design.covariates]
    if unknown:
        raise ValueError(f"values given for covariates not in the model: {unknown}")
    rows = []
    minimum, ranges = {}, {}
    for v in design.covariates:
        is_cat = v in design.categorical
        axis = list(values[v]) if v in values else _axis_values(
            v, data[v], is_cat, design.levels.get(v, ()), nint, n_unique)
        if is_cat:
            contrib = np.array([0.0 if lv == design.levels[v][0] else coef[f"{v}[{lv}]"]
                                for lv in axis])
        else:
            contrib = coef[v] * np.asarray(axis, dtype=float)
        minimum[v] = float(contrib.min())
        ranges[v] = float(contrib.max() - contrib.min())
        for a, c in zip(axis, contrib, strict=True):
            rows.append({"variable": v, "value": a, "label": f"{a:g}" if not is_cat and
                         isinstance(a, (int, float, np.floating, np.integer)) else str(a),
                         "contribution": float(c)})
    if max(ranges.values()) <= 0:
        raise ValueError("every predictor has a zero coefficient: nothing to draw")
    sc = maxscale / max(ranges.values())
    pts = pd.DataFrame(rows)
    pts["points"] = [sc * (r.contribution - minimum[r.variable]) for r in pts.itertuples()]
    intercept = float(coef["const"]) + sum(minimum.values())
    lp_train = model.linear_predictor_
    lp_at = r_pretty([lp_train.min(), lp_train.max()], n=nint)
    sum_max = maxscale if len(design.covariates) == 1 else max(
        maxscale, sc * float(np.max(lp_at - intercept)))
    total_axis = r_pretty([0.0, sum_max], n=nint)
    lp_axis = pd.DataFrame({"lp": lp_at, "total_points": (lp_at - intercept) * sc})
    prob = np.asarray(prob_at, dtype=float)
    if np.any((prob <= 0) | (prob >= 1)):
        raise ValueError("prob_at must lie strictly between 0 and 1")
    lp_p = np.log(prob / (1 - prob))
    keep = (lp_p >= lp_at.min()) & (lp_p <= lp_at.max())
    prob_axis = pd.DataFrame({"probability": prob[keep],
                              "total_points": (lp_p[keep] - intercept) * sc})
    return Nomogram(
        points=pts[["variable", "value", "label", "points", "contribution"]],
        total_points_axis=total_axis,
        lp_axis=lp_axis,
        probability_axis=prob_axis.reset_index(drop=True),
        scale=sc,
        intercept=intercept,
        maxscale=maxscale,
        coefficients=coef,
        minimum=minimum,
        variables=list(design.covariates),
        categorical=list(design.categorical),
        labels=dict(labels or {}),
        outcome_label=outcome_label or f"Risk of {model.outcome}",
    )
