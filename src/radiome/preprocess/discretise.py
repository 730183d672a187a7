"""Grey-level discretisation: fixed bin width (FBS) and fixed bin number (FBN).

Two conventions, selected by ``profile``:

* ``pyradiomics`` (default): bin edges as ``radiomics.imageoperations.getBinEdges``. With a bin width
  ``w`` the lowest edge is ``min - (min mod w)`` (so bins are aligned on multiples of ``w`` starting at 0,
  not at the ROI minimum), edges run up to ``max + 2w``, and ``numpy.digitize`` assigns levels 1, 2, ...
  With a bin count the edges are ``numpy.histogram``'s, the last widened by 1 so the maximum falls in
  the top bin. A flat ROI gets one bin.
* ``ibsi`` (IBSI 1, section 2.7 / 3.4): FBS ``X_d = floor((X - X_min) / w) + 1`` with ``X_min`` the lower
  bound of the re-segmentation range (the ROI minimum when there is none); FBN
  ``X_d = floor(N_g (X - X_min) / (X_max - X_min)) + 1`` with ``X = X_max`` mapped to ``N_g``.

Inputs are the intensities inside the ROI; outputs are integer levels >= 1.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Profile = Literal["pyradiomics", "ibsi"]


def bin_edges_pyradiomics(values: np.ndarray, bin_width: float = 25, bin_count: int | None = None) -> np.ndarray:
    """Bin edges exactly as PyRadiomics 3.x ``getBinEdges`` computes them."""
    if bin_count is not None:
        edges = np.histogram(values, int(bin_count))[1]
        edges[-1] += 1
        return edges
    lo, hi = np.min(values), np.max(values)
    low_bound = lo - (lo % bin_width)
    high_bound = hi + 2 * bin_width
    edges = np.arange(low_bound, high_bound, bin_width)
    if len(edges) == 1:  # flat region: one bin
        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])
    return edges


def discretise(
    values: np.ndarray,
    *,
    bin_width: float | None = 25,
    bin_count: int | None = None,
    profile: Profile = "pyradiomics",
    range_min: float | None = None,
) -> np.ndarray:
    """Discretise ROI intensities to integer grey levels starting at 1.

    ``bin_count`` takes precedence over ``bin_width`` (as in PyRadiomics). ``range_min`` is the lower
    bound of the re-segmentation range, used by the IBSI fixed-bin-size convention.
    """
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    if profile == "pyradiomics":
        edges = bin_edges_pyradiomics(values, bin_width if bin_width is not None else 25, bin_count)
        return np.digitize(values, edges).astype(np.int64)
    v = values.astype(np.float64)
    if bin_count is not None:
        lo, hi = v.min(), v.max()
        if hi == lo:
            return np.ones(v.shape, dtype=np.int64)
        d = np.floor(bin_count * (v - lo) / (hi - lo)).astype(np.int64) + 1
        return np.minimum(d, int(bin_count))
    if bin_width is None:
        raise ValueError("either bin_width or bin_count is required")
    lo = v.min() if range_min is None else float(range_min)
    return (np.floor((v - lo) / bin_width) + 1).astype(np.int64)
