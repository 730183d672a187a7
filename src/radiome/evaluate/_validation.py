"""Input checks shared by the evaluation functions.

Every public function of :mod:`radiome.evaluate` takes a binary outcome ``y`` (1 = event / case,
0 = no event / control) and a score or predicted probability ``p`` per subject. Bad input is
refused with a :class:`ValueError` whose message says what is wrong, instead of a NaN result or a
numpy traceback further down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _as_array(x: ArrayLike) -> np.ndarray:
    """numpy view of ``x``; pandas nullable columns (``pd.NA``) become float with NaN."""
    to_numpy = getattr(x, "to_numpy", None)
    if to_numpy is not None and getattr(getattr(x, "dtype", None), "kind", "O") in "OiufbI":
        try:
            return np.asarray(to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            pass
    return np.asarray(x)


def check_outcome(y: ArrayLike, *, name: str = "y", require_both: bool = True) -> NDArray[np.int64]:
    """``y`` as a 1-D int array of 0/1; both classes must be present unless ``require_both=False``."""
    arr = _as_array(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype == bool:
        out = arr.astype(np.int64)
    else:
        try:
            num = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be numeric 0/1 (or boolean), got dtype {arr.dtype}") from None
        if np.isnan(num).any():
            raise ValueError(f"{name} contains {int(np.isnan(num).sum())} missing value(s) (NaN)")
        bad = ~np.isin(num, (0.0, 1.0))
        if bad.any():
            raise ValueError(
                f"{name} must contain only 0 and 1; found {np.unique(num[bad])[:5].tolist()}"
            )
        out = num.astype(np.int64)
    if require_both:
        n1 = int(out.sum())
        if n1 == 0 or n1 == out.size:
            only = 1 if n1 else 0
            raise ValueError(
                f"{name} has a single class (all {only}); both events (1) and non-events (0) are needed"
            )
    return out


def check_scores(
    p: ArrayLike, n: int, *, name: str = "p", probability: bool = False
) -> NDArray[np.float64]:
    """``p`` as a finite 1-D float array of length ``n``; within [0, 1] if ``probability``."""
    arr = _as_array(p)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}") from None
    if out.size != n:
        raise ValueError(f"length mismatch: y has {n} values but {name} has {out.size}")
    nan = np.isnan(out)
    if nan.any():
        raise ValueError(f"{name} contains {int(nan.sum())} missing value(s) (NaN)")
    if np.isinf(out).any():
        raise ValueError(f"{name} contains infinite value(s)")
    if probability and ((out < 0.0).any() or (out > 1.0).any()):
        lo, hi = float(out.min()), float(out.max())
        raise ValueError(
            f"{name} must be probabilities within [0, 1]; found values in [{lo:g}, {hi:g}]"
        )
    return out


def check_pair(
    y: ArrayLike, p: ArrayLike, *, probability: bool = False, name: str = "p"
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Validate an outcome and one score vector together."""
    yy = check_outcome(y)
    return yy, check_scores(p, yy.size, name=name, probability=probability)


def check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be within (0, 1), got {level}")
    return level
