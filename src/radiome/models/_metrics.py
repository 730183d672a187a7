"""The one place where ``radiome.models`` gets its performance metrics.

When ``radiome.evaluate`` is importable its functions are used (``roc_auc_ci(y, p,
method="delong")``, ``youden(y, p)``, ``threshold_metrics(y, p, threshold)``); otherwise small local
stand-ins give the same quantities: AUC from scikit-learn's ``roc_auc_score`` with DeLong's CI,
the Youden threshold placed midway between adjacent distinct scores (as pROC), and the 2x2 metrics
with a case called positive when ``p >= threshold``.  Switching implementation touches this file only.

The results of ``radiome.evaluate`` are read defensively (a mapping, an object with attributes, or a
tuple), because that module is developed in parallel; if its answer cannot be read, the local
implementation is used and a warning says so once.
"""

from __future__ import annotations

import importlib
import warnings
from functools import cache

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

__all__ = ["auc_ci", "backend", "threshold_metrics", "youden_threshold"]


@cache
def _evaluate():
    try:
        return importlib.import_module("radiome.evaluate")
    except ImportError:
        return None
    except Exception as err:  # a half-written module must not break model fitting
        warnings.warn(f"radiome.evaluate failed to import ({err!r}); using local metrics",
                      RuntimeWarning, stacklevel=2)
        return None


def backend() -> str:
    """``"radiome.evaluate"`` or ``"local"``: which implementation the metrics come from."""
    return "radiome.evaluate" if _evaluate() is not None else "local"


_warned: set[str] = set()


def _fallback_warning(what: str, err: Exception) -> None:
    if what not in _warned:
        _warned.add(what)
        warnings.warn(f"radiome.evaluate.{what} could not be used ({err}); using the local "
                      "implementation in radiome.models._metrics", RuntimeWarning, stacklevel=3)


def _get(obj, *names):
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if hasattr(obj, n):
            return getattr(obj, n)
    raise KeyError(names[0])


# -------------------------------------------------------------------------------- local versions
def _delong(y, p, level=0.95):
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    pos, neg = p[y == 1], p[y == 0]
    m, n = len(pos), len(neg)
    # structural components (placements)
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    auc = psi.mean()
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    var = (np.var(v10, ddof=1) / m if m > 1 else 0.0) + (np.var(v01, ddof=1) / n if n > 1 else 0.0)
    se = np.sqrt(var)
    z = stats.norm.ppf(0.5 + level / 2)
    return float(auc), float(max(0.0, auc - z * se)), float(min(1.0, auc + z * se))


def _local_youden(y, p):
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    u = np.unique(p)
    thr = np.concatenate([[-np.inf], (u[:-1] + u[1:]) / 2, [np.inf]])
    pos, neg = p[y == 1], p[y == 0]
    sens = (pos[None, :] >= thr[:, None]).mean(axis=1)
    spec = (neg[None, :] < thr[:, None]).mean(axis=1)
    j = sens + spec - 1
    i = int(np.argmax(j))
    t = thr[i]
    if not np.isfinite(t):  # degenerate: a constant score
        t = float(u[0])
    return float(t)


def _local_threshold_metrics(y, p, t):
    y = np.asarray(y).astype(int)
    pred = (np.asarray(p, dtype=float) >= t).astype(int)
    tp = int(np.sum((pred == 1) & (y == 1)))
    tn = int(np.sum((pred == 0) & (y == 0)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))

    def ratio(a, b):
        return a / b if b else float("nan")

    return {
        "accuracy": ratio(tp + tn, len(y)),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
    }


# -------------------------------------------------------------------------------- public adapter
def auc_ci(y, p) -> tuple[float, float, float]:
    """(AUC, lower, upper) with a 95 % DeLong CI."""
    ev = _evaluate()
    if ev is not None and hasattr(ev, "roc_auc_ci"):
        try:
            r = ev.roc_auc_ci(y, p, method="delong")
            if isinstance(r, tuple | list) and len(r) == 3:
                return float(r[0]), float(r[1]), float(r[2])
            if isinstance(r, tuple | list) and len(r) == 2:
                return float(r[0]), float(r[1][0]), float(r[1][1])
            auc = float(_get(r, "auc", "estimate", "value"))
            try:
                lo, hi = float(_get(r, "lower", "ci_lower", "low")), float(
                    _get(r, "upper", "ci_upper", "high"))
            except KeyError:
                lo, hi = map(float, _get(r, "ci"))
            return auc, lo, hi
        except (TypeError, KeyError, AttributeError, IndexError) as err:
            _fallback_warning("roc_auc_ci", err)
    auc, lo, hi = _delong(y, p)
    return float(roc_auc_score(y, p)), lo, hi


def youden_threshold(y, p) -> float:
    """The threshold maximising sensitivity + specificity - 1."""
    ev = _evaluate()
    if ev is not None and hasattr(ev, "youden"):
        try:
            r = ev.youden(y, p)
            if isinstance(r, int | float | np.floating):
                return float(r)
            if isinstance(r, tuple | list):
                return float(r[0])
            return float(_get(r, "threshold", "cutoff"))
        except (TypeError, KeyError, AttributeError, IndexError) as err:
            _fallback_warning("youden", err)
    return _local_youden(y, p)


def threshold_metrics(y, p, threshold: float) -> dict:
    """accuracy, sensitivity, specificity, ppv, npv at ``threshold`` (positive: p >= threshold)."""
    ev = _evaluate()
    if ev is not None and hasattr(ev, "threshold_metrics"):
        try:
            r = ev.threshold_metrics(y, p, threshold)
            out = {k: float(_get(r, k)) for k in ("sensitivity", "specificity")}
            for k in ("accuracy", "ppv", "npv"):
                try:
                    out[k] = float(_get(r, k))
                except KeyError:
                    out[k] = _local_threshold_metrics(y, p, threshold)[k]
            return out
        except (TypeError, KeyError, AttributeError, IndexError) as err:
            _fallback_warning("threshold_metrics", err)
    return _local_threshold_metrics(y, p, threshold)
