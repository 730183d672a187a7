"""Re-segmentation: keep only ROI voxels whose intensity lies in a range (IBSI 1, section 2.5).

Modes as PyRadiomics' ``resegmentRange``/``resegmentMode``: ``absolute`` (the range in image units),
``relative`` (fractions of the ROI maximum) and ``sigma`` (mean + k * SD of the ROI, population SD).
A one-element range is a lower bound only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def resegment(
    image: np.ndarray, mask: np.ndarray, value_range: Sequence[float], mode: str = "absolute"
) -> np.ndarray:
    """Return the boolean mask of ROI voxels inside the range."""
    if not 1 <= len(value_range) <= 2:
        raise ValueError(f"resegmentRange needs 1 or 2 values, got {len(value_range)}")
    vals = image[mask]
    lims = sorted(float(v) for v in value_range)
    if mode == "absolute":
        th = lims
    elif mode == "relative":
        mx = np.max(vals)
        th = [mx * t for t in lims]
    elif mode == "sigma":
        mu, sd = np.mean(vals), np.std(vals)
        th = [mu + sd * t for t in lims]
    else:
        raise ValueError(f"unknown resegmentMode {mode!r}")
    keep = vals >= th[0]
    if len(th) == 2:
        keep &= vals <= th[1]
    out = np.zeros(mask.shape, dtype=bool)
    out[mask] = keep
    return out
