"""The report's figures, drawn with matplotlib in one journal style.

Every function takes plain tables (the CSV files of the run folder) and returns a matplotlib
``Figure``; :func:`save_figure` writes it as PNG (300 dpi), SVG and PDF with no timestamps, so a
rerun writes byte-identical files.  Style: sans-serif 8-9 pt (journal column figures), thin
spines, no top/right spines, one colour per model taken from the Okabe-Ito colour-blind-safe
palette and kept across all figures (:class:`ModelColours`), legends outside the data where they
would hide curves.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from radiome._atomic import atomic_path  # noqa: E402

__all__ = [
    "ModelColours",
    "calibration_figure",
    "correlation_figure",
    "dca_figure",
    "lasso_cv_figure",
    "lasso_path_figure",
    "roc_figure",
    "roi_overlay_figure",
    "save_figure",
    "shap_summary_figure",
]

# Okabe & Ito (2008) colour-blind-safe palette, black last (used for the clinical model)
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "legend.frameon": False,
    "svg.hashsalt": "radiome",  # deterministic SVG ids
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}


class ModelColours:
    """A fixed colour per model name, in order of first request (clinical models in black/grey)."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._map: dict[str, str] = {}
        for n in names:
            self(n)

    def __call__(self, name: str) -> str:
        if name not in self._map:
            if name == "clinical":
                self._map[name] = "#000000"
            else:
                used = sum(1 for k in self._map if k != "clinical")
                self._map[name] = OKABE_ITO[used % (len(OKABE_ITO) - 1)]
        return self._map[name]


def _fig(w: float, h: float) -> tuple[Figure, plt.Axes]:
    """A figure of ``w`` x ``h`` inches with constrained layout (legends may sit 'outside').  """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(w, h), layout="constrained")
    return fig, ax


def save_figure(fig: Figure, stem: Path, formats: Sequence[str] = ("png", "svg", "pdf")) -> tuple[list[Path], bytes]:
    """Write ``stem.png/.svg/.pdf`` atomically without timestamps; returns the paths and the PNG bytes."""
    paths = []
    png = b""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with plt.rc_context(STYLE):
        for ext in formats:
            meta = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "Producer": None}}[ext]
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, dpi=300 if ext == "png" else 150, metadata=meta)
            data = buf.getvalue()
            target = stem.with_suffix(f".{ext}")
            with atomic_path(target) as tmp:
                Path(tmp).write_bytes(data)
            paths.append(target)
            if ext == "png":
                png = data
    plt.close(fig)
    return paths, png


def _label(name: str, auc: float | None, lo: float | None, hi: float | None) -> str:
    if auc is None or not np.isfinite(auc):
        return name
    return f"{name}: AUC {auc:.3f} ({lo:.3f}-{hi:.3f})"


def roc_figure(curves: dict[str, pd.DataFrame], aucs: dict[str, tuple[float, float, float]], colours: ModelColours,
               title: str) -> Figure:
    """ROC curves (1 - specificity vs sensitivity); ``aucs[name] = (auc, lower, upper)`` for the legend."""
    fig, ax = _fig(3.6, 3.6)
    with plt.rc_context(STYLE):
        ax.plot([0, 1], [0, 1], color="#9a9a9a", lw=0.8, ls="--", zorder=0)
        for name, c in curves.items():
            a = aucs.get(name, (None, None, None))
            ax.step(1 - c["specificity"].to_numpy(), c["sensitivity"].to_numpy(), where="post", color=colours(name),
                    label=_label(name, *a))
        ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), xlabel="1 - Specificity", ylabel="Sensitivity", title=title)
        ax.set_aspect("equal")
        ax.legend(loc="lower right", handlelength=1.5)
    return fig


def calibration_figure(curves: dict[str, pd.DataFrame], stats: dict[str, str], colours: ModelColours,
                       title: str) -> Figure:
    """Grouped calibration (observed event rate vs mean predicted risk per decile, with exact 95 % CIs)."""
    fig, ax = _fig(3.6, 3.6 + 0.16 * (len(curves) + 1))
    with plt.rc_context(STYLE):
        ax.plot([0, 1], [0, 1], color="#9a9a9a", lw=0.8, ls="--", zorder=0, label="Ideal")
        for name, c in curves.items():
            col = colours(name)
            x, yv = c["mean_predicted"].to_numpy(), c["observed"].to_numpy()
            err = np.vstack([yv - c["lower"].to_numpy(), c["upper"].to_numpy() - yv])
            ax.errorbar(x, yv, yerr=err, color=col, marker="o", ms=3, lw=1.0, capsize=1.5, elinewidth=0.6,
                        label=f"{name} ({stats.get(name, '')})" if stats.get(name) else name)
        ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="Predicted probability", ylabel="Observed proportion", title=title)
        fig.legend(loc="outside lower center", ncol=1, handlelength=1.5)
    return fig


def dca_figure(curves: dict[str, pd.DataFrame], colours: ModelColours, title: str) -> Figure:
    """Decision curves: net benefit vs threshold probability, with treat-all and treat-none."""
    fig, ax = _fig(4.4, 3.2)
    with plt.rc_context(STYLE):
        first = next(iter(curves.values()))
        t = first["threshold"].to_numpy()
        ax.plot(t, first["treat_all"].to_numpy(), color="#9a9a9a", lw=1.0, label="Treat all")
        ax.plot(t, np.zeros_like(t), color="#9a9a9a", lw=1.0, ls="--", label="Treat none")
        top = float(np.nanmax(first["treat_all"].to_numpy()))
        for name, c in curves.items():
            ax.plot(c["threshold"], c["net_benefit"], color=colours(name), label=name)
            top = max(top, float(np.nanmax(c["net_benefit"].to_numpy())))
        ax.set(xlim=(0, 1), ylim=(-0.05, max(top, 0.05) * 1.1), xlabel="Threshold probability", ylabel="Net benefit",
               title=title)
        ax.legend(loc="upper right", handlelength=1.5)
    return fig


def _lambda_lines(fig: Figure, ax: plt.Axes, lambda_min: float, lambda_1se: float) -> None:
    """lambda.min (dotted) and lambda.1se (dashed) on a log(lambda) axis, legend under the plot."""
    for lam, ls, lab in ((lambda_min, ":", "lambda.min"), (lambda_1se, "--", "lambda.1se")):
        ax.axvline(np.log(lam), color="#444444", lw=0.8, ls=ls, label=f"{lab} = {lam:.3g}")
    fig.legend(loc="outside lower center", ncol=2)


def lasso_path_figure(path: pd.DataFrame, lambda_min: float, lambda_1se: float, title: str) -> Figure:
    """Coefficient paths against log(lambda) with lambda.min and lambda.1se marked (glmnet's plot)."""
    fig, ax = _fig(4.0, 3.0)
    with plt.rc_context(STYLE):
        x = np.log(path["lambda"].to_numpy())
        feats = [c for c in path.columns if c != "lambda"]
        cmap = plt.get_cmap("tab20")
        for i, f in enumerate(feats):
            ax.plot(x, path[f].to_numpy(), lw=0.9, color=cmap(i % 20))
        _lambda_lines(fig, ax, lambda_min, lambda_1se)
        ax.set(xlabel="log(lambda)", ylabel="Coefficient", title=title)
    return fig


def lasso_cv_figure(cv: pd.DataFrame, lambda_min: float, lambda_1se: float, title: str) -> Figure:
    """Cross-validated binomial deviance (mean ± 1 SE) against log(lambda) (glmnet's plot.cv.glmnet)."""
    fig, ax = _fig(4.0, 3.0)
    with plt.rc_context(STYLE):
        x = np.log(cv["lambda"].to_numpy())
        ax.errorbar(x, cv["cvm"], yerr=cv["cvsd"], fmt="o", ms=2.5, color="#D55E00", ecolor="#9a9a9a",
                    elinewidth=0.6, capsize=1.0)
        _lambda_lines(fig, ax, lambda_min, lambda_1se)
        ax.set(xlabel="log(lambda)", ylabel="Binomial deviance", title=title)
    return fig


def _short(name: str, width: int = 38) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def correlation_figure(corr: pd.DataFrame, title: str) -> Figure:
    """Pearson correlation heatmap of the selected features (training patients), values printed."""
    n = len(corr)
    size = min(max(3.4, 0.5 * n + 2.6), 7.5)
    fig, ax = _fig(size + 1.0, size)
    with plt.rc_context(STYLE):
        im = ax.imshow(corr.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
        labels = [_short(c) for c in corr.columns]
        ax.set_xticks(range(n), labels, rotation=45, ha="right", rotation_mode="anchor", fontsize=6.5)
        ax.set_yticks(range(n), labels, fontsize=6.5)
        if n <= 15:
            for i in range(n):
                for j in range(n):
                    v = corr.iloc[i, j]
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6.5,
                            color="white" if abs(v) > 0.6 else "black")
        ax.spines[:].set_visible(False)
        fig.colorbar(im, ax=ax, shrink=0.7, label="Pearson r")
        ax.set_title(title)
    return fig


def shap_summary_figure(values: pd.DataFrame, data: pd.DataFrame, title: str, max_features: int = 15) -> Figure:
    """SHAP summary ("beeswarm"): one row per feature by mean |SHAP|, points coloured by the feature's
    value (low blue, high red), horizontal position the SHAP value."""
    order = values.abs().mean().sort_values(ascending=False, kind="stable").index[:max_features]
    k = len(order)
    fig, ax = _fig(5.2, max(2.2, 0.32 * k + 1.0))
    rng = np.random.default_rng(0)
    with plt.rc_context(STYLE):
        for row, f in enumerate(reversed(list(order))):
            v = values[f].to_numpy()
            d = data[f].to_numpy(dtype=float)
            lo, hi = np.nanpercentile(d, [5, 95]) if np.isfinite(d).any() else (0, 1)
            c = np.clip((d - lo) / (hi - lo), 0, 1) if hi > lo else np.full_like(d, 0.5)
            # jitter rows by local density so dense regions spread like a beeswarm
            hist, edges = np.histogram(v, bins=40)
            idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(hist) - 1)
            spread = 0.35 * hist[idx] / max(hist.max(), 1)
            y = row + rng.uniform(-1, 1, v.size) * spread
            sc = ax.scatter(v, y, c=c, cmap="coolwarm", vmin=0, vmax=1, s=6, linewidths=0, rasterized=False)
        ax.axvline(0, color="#9a9a9a", lw=0.8, zorder=0)
        ax.set_yticks(range(k), [_short(f, 44) for f in reversed(list(order))], fontsize=6.5)
        ax.set(xlabel="SHAP value (impact on predicted probability)", title=title)
        cb = fig.colorbar(sc, ax=ax, shrink=0.8, ticks=[0, 1], aspect=30)
        cb.ax.set_yticklabels(["Low", "High"])
        cb.set_label("Feature value")
    return fig


def roi_overlay_figure(panels: list[tuple[np.ndarray, dict[str, np.ndarray], str]], colours: dict[str, str],
                       title: str = "") -> Figure:
    """Example axial slices with ROI outlines: ``panels`` = [(slice 2D, {roi: mask 2D}, caption)]."""
    from radiome.demo.montage import mri_window

    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n, 3.2), layout="constrained", squeeze=False)
    with plt.rc_context(STYLE):
        for ax, (img, masks, caption) in zip(axes[0], panels, strict=True):
            lo, hi = mri_window(img)
            ax.imshow(img, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
            for roi, m in masks.items():
                if m.any():
                    ax.contour(m.astype(float), levels=[0.5], colors=[colours[roi]], linewidths=0.9)
            ax.set_title(caption, fontsize=8)
            ax.set_axis_off()
        handles = [plt.Line2D([], [], color=colours[r], lw=1.5, label=r) for r in colours]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), fontsize=7, frameon=False)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig
