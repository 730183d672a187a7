"""A PNG montage of 2D MRI slices, optionally with coloured ROI outlines.

Each panel is shown in grayscale with an MRI-style window (by default from 0 to the 99th
percentile of the panel's non-background voxels, so fat and fluid are near white without
saturating most of the anatomy), at the true pixel aspect ratio, with row 0 at the top (for an axial
LPS slice: anterior at the top, patient's left on the right of the display, the radiological
convention). Label masks are drawn as outlines, one colour per label, with a legend.

Matplotlib's object-oriented API is used with the Agg canvas (no pyplot, no global state), and the
file is written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from radiome._atomic import atomic_path

_COLOURS = (
    "#e6194b",  # red
    "#3cb44b",  # green
    "#ffe119",  # yellow
    "#4363d8",  # blue
    "#f58231",  # orange
    "#42d4f4",  # cyan
    "#f032e6",  # magenta
    "#bfef45",  # lime
    "#fabed4",  # pink
    "#469990",  # teal
)


def mri_window(image: np.ndarray, *, upper_percentile: float = 99.0) -> tuple[float, float]:
    """A display window (low, high) for a magnitude MRI slice: 0 to a high percentile of the object."""
    a = np.asarray(image, dtype=float)
    finite = a[np.isfinite(a)]
    if finite.size == 0:
        return 0.0, 1.0
    hi_all = float(np.percentile(finite, 99.9))
    obj = finite[finite > 0.05 * hi_all]  # leave out the air/noise background
    hi = float(np.percentile(obj if obj.size else finite, upper_percentile))
    lo = float(min(0.0, finite.min()))
    return lo, hi if hi > lo else lo + 1.0


def save_montage(
    path: str | Path,
    images: Sequence[np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    masks: Sequence[np.ndarray | None] | None = None,
    labels: Mapping[str, int] | None = None,
    ncols: int = 4,
    pixel_spacing: tuple[float, float] = (1.0, 1.0),
    window: tuple[float, float] | None = None,
    suptitle: str | None = None,
    panel_inches: float = 3.2,
    dpi: int = 100,
    linewidth: float = 0.9,
) -> Path:
    """Save 2D slices as a grid of panels in a PNG file; returns ``path``.

    Parameters
    ----------
    path:
        Output PNG file (written atomically).
    images:
        2D arrays ``[row, column]`` (for a SimpleITK volume array ``a[z, y, x]``: ``a[k]``).
    titles:
        One title per panel (optional).
    masks:
        One entry per panel: ``None`` or an integer label array of the panel's shape, drawn as
        coloured outlines.
    labels:
        ``{name: value}`` of the labels to outline and name in the legend; default: every non-zero
        value found, named by its number.
    ncols:
        Panels per row.
    pixel_spacing:
        ``(row spacing, column spacing)`` in mm, for the display aspect ratio.
    window:
        Fixed ``(low, high)`` display window for every panel; default: :func:`mri_window` per panel.
    """
    if len(images) == 0:
        raise ValueError("save_montage needs at least one image")
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"{len(titles)} titles for {n} images")
    if masks is not None and len(masks) != n:
        raise ValueError(f"{len(masks)} masks for {n} images")
    for i, img in enumerate(images):
        if np.ndim(img) != 2:
            raise ValueError(f"image {i} is {np.ndim(img)}D; 2D slices are required")
        if masks is not None and masks[i] is not None and np.shape(masks[i]) != np.shape(img):
            raise ValueError(f"mask {i} has shape {np.shape(masks[i])}, image {np.shape(img)}")

    if labels is None:
        found = sorted({int(v) for m in (masks or []) if m is not None for v in np.unique(m) if v != 0})
        labels = {str(v): v for v in found}
    colour_of = {v: _COLOURS[i % len(_COLOURS)] for i, v in enumerate(labels.values())}

    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    aspect = pixel_spacing[0] / pixel_spacing[1]
    h0, w0 = np.shape(images[0])
    panel_h = panel_inches * (h0 * aspect) / w0
    title_space = 0.3 if titles is not None else 0.05
    legend_space = 0.45 if masks is not None and any(m is not None for m in masks) else 0.0
    top_space = 0.45 if suptitle else 0.1
    fig_w = ncols * panel_inches
    fig_h = nrows * (panel_h + title_space) + top_space + legend_space
    fig = Figure(figsize=(fig_w, fig_h), dpi=dpi, facecolor="black")
    FigureCanvasAgg(fig)

    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        left = c / ncols
        bottom = 1 - (top_space + (r + 1) * (panel_h + title_space)) / fig_h
        ax = fig.add_axes((left + 0.004, bottom, 1 / ncols - 0.008, panel_h / fig_h))
        lo, hi = window if window is not None else mri_window(img)
        ax.imshow(np.asarray(img, dtype=float), cmap="gray", vmin=lo, vmax=hi, aspect=aspect, interpolation="bilinear", origin="upper")
        m = masks[i] if masks is not None else None
        if m is not None:
            m = np.asarray(m)
            for v, col in colour_of.items():
                b = (m == v).astype(float)
                if b.any():
                    ax.contour(b, levels=[0.5], colors=[col], linewidths=linewidth)
        ax.set_axis_off()
        if titles is not None:
            ax.set_title(titles[i], color="white", fontsize=9, pad=3)
    if suptitle:
        fig.text(0.5, 1 - 0.25 / fig_h, suptitle, ha="center", va="center", color="white", fontsize=11)
    if legend_space:
        handles = [Line2D([0], [0], color=colour_of[v], lw=2) for v in labels.values()]
        names = [f"{v} {k}" for k, v in labels.items()]
        fig.legend(
            handles, names, loc="lower center", ncol=min(len(names), 8), frameon=False, labelcolor="white", fontsize=9
        )

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", facecolor=fig.get_facecolor(), metadata={"Software": None})
    return path


__all__ = ["mri_window", "save_montage"]
