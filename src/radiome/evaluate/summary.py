"""One-call summary of a model's predictions for a results table."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from radiome.evaluate._validation import check_level, check_pair
from radiome.evaluate.roc import SeedLike, roc_auc_ci, threshold_metrics, youden

__all__ = ["evaluate_model"]


def evaluate_model(
    y: ArrayLike,
    p: ArrayLike,
    threshold: float | None = None,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: SeedLike = None,
) -> dict[str, float | int | str]:
    """Discrimination and classification metrics of predicted probabilities, as one flat dict.

    Keys: ``n``, ``n_events``, ``prevalence``; ``auc`` with its DeLong standard error ``auc_se`` and
    confidence limits ``auc_delong_lower``/``auc_delong_upper`` (:func:`roc_auc_ci`), the stratified
    percentile bootstrap limits ``auc_boot_lower``/``auc_boot_upper`` (``n_boot`` replicates,
    ``seed``; skipped with ``n_boot=0``); ``brier``; ``threshold`` and ``threshold_method``
    (``"fixed"`` when given, else ``"youden"``: the Youden-optimal threshold of these data, which is
    optimistic -- pass the threshold chosen on training data when evaluating a test set); and the
    :func:`threshold_metrics` at that threshold (``sensitivity``, ``specificity``, ``ppv``, ``npv``,
    ``accuracy``, ``balanced_accuracy``, ``f1``, ``youden_index``, ``tp``, ``fp``, ``tn``, ``fn``).

    >>> r = evaluate_model([0, 0, 0, 1, 1, 1], [0.1, 0.3, 0.6, 0.4, 0.7, 0.9], threshold=0.5, n_boot=0)
    >>> round(r["auc"], 4), r["sensitivity"], r["threshold_method"]
    (0.8889, 0.6666666666666666, 'fixed')
    """
    yy, pp = check_pair(y, p, probability=True)
    level = check_level(level)
    out: dict[str, float | int | str] = {
        "n": int(yy.size),
        "n_events": int(yy.sum()),
        "prevalence": float(yy.mean()),
    }
    dl = roc_auc_ci(yy, pp, method="delong", level=level)
    out.update(
        auc=dl.auc,
        auc_se=float(dl.se) if dl.se is not None else float("nan"),
        auc_delong_lower=dl.lower,
        auc_delong_upper=dl.upper,
    )
    if n_boot:
        bt = roc_auc_ci(yy, pp, method="bootstrap", level=level, n_boot=n_boot, seed=seed)
        out.update(auc_boot_lower=bt.lower, auc_boot_upper=bt.upper)
    else:
        out.update(auc_boot_lower=float("nan"), auc_boot_upper=float("nan"))
    out["level"] = level
    out["brier"] = float(np.mean((pp - yy) ** 2))
    if threshold is None:
        thr, method = youden(yy, pp).threshold, "youden"
    else:
        thr, method = float(threshold), "fixed"
    out["threshold_method"] = method
    out.update(threshold_metrics(yy, pp, thr))
    return out
