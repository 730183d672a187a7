"""Decision curve analysis: net benefit of treating by a model's predicted risk.

At threshold probability ``pt`` (the risk at which a patient would opt for treatment), treating
the patients with ``p >= pt`` has net benefit (Vickers & Elkin 2006, eq. 1)::

    NB(pt) = TP / n - FP / n * pt / (1 - pt)

"treat all" has ``NB = prevalence - (1 - prevalence) * pt / (1 - pt)`` and "treat none" ``NB = 0``.
The convention ``p >= pt`` counts as positive, as R's dcurves ``dca``.

References
----------
* Vickers AJ, Elkin EB (2006). Decision curve analysis: a novel method for evaluating prediction
  models. *Medical Decision Making* 26:565-574.
* Vickers AJ, van Calster B, Steyerberg EW (2019). A simple, step-by-step guide to interpreting
  decision curve analysis. *Diagnostic and Prognostic Research* 3:18.
* Sjoberg DD. dcurves: Decision Curve Analysis for Model Evaluation (R package, ``dca``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from radiome.evaluate._validation import check_pair

__all__ = ["decision_curve"]


def decision_curve(y: ArrayLike, p: ArrayLike, thresholds: ArrayLike | None = None) -> pd.DataFrame:
    """Net benefit of a model, of treating all and of treating none, over threshold probabilities.

    Parameters
    ----------
    y : array of 0/1
        Outcome.
    p : array of float
        Predicted probabilities (within [0, 1]).
    thresholds : array of float, optional
        Threshold probabilities ``0 <= pt < 1``; default ``0.00, 0.01, ..., 0.99`` (dcurves).

    Returns
    -------
    DataFrame
        ``threshold``, ``net_benefit`` (the model), ``treat_all``, ``treat_none``, the counts
        ``tp`` and ``fp`` of patients treated (``p >= pt``), and ``net_interventions_avoided``
        per patient, ``(NB_model - NB_all) / (pt / (1 - pt))`` (NaN at ``pt = 0``).

    Examples
    --------
    Vickers & Elkin's formula by hand: 10 patients, 4 events; at ``pt = 0.2`` the model treats
    3 events and 2 non-events, so ``NB = 3/10 - 2/10 * 0.25 = 0.25``:

    >>> y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    >>> p = [0.9, 0.8, 0.5, 0.1, 0.6, 0.3, 0.1, 0.1, 0.05, 0.05]
    >>> dc = decision_curve(y, p, [0.2])
    >>> round(float(dc.net_benefit[0]), 6), round(float(dc.treat_all[0]), 6)
    (0.25, 0.25)
    """
    yy, pp = check_pair(y, p, probability=True)
    if thresholds is None:
        pt = np.round(np.arange(100) * 0.01, 2)
    else:
        pt = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if pt.ndim != 1 or pt.size == 0:
        raise ValueError("thresholds must be a non-empty 1-D sequence")
    if np.isnan(pt).any() or (pt < 0).any() or (pt >= 1).any():
        raise ValueError("thresholds must lie in [0, 1) (pt / (1 - pt) is infinite at 1)")
    n = yy.size
    prev = yy.mean()
    treated = pp[None, :] >= pt[:, None]
    tp = (treated & (yy == 1)[None, :]).sum(axis=1)
    fp = (treated & (yy == 0)[None, :]).sum(axis=1)
    odds = pt / (1.0 - pt)
    nb = tp / n - fp / n * odds
    nb_all = prev - (1.0 - prev) * odds
    with np.errstate(divide="ignore", invalid="ignore"):
        nia = np.where(pt > 0, (nb - nb_all) / odds, np.nan)
    return pd.DataFrame(
        {
            "threshold": pt,
            "net_benefit": nb,
            "treat_all": nb_all,
            "treat_none": np.zeros(pt.size),
            "tp": tp,
            "fp": fp,
            "net_interventions_avoided": nia,
        }
    )
