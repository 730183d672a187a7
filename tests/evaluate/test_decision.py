"""Decision curves: Vickers & Elkin's (2006) net-benefit formula by hand, and its limiting cases."""

from __future__ import annotations

import numpy as np
import pytest

from radiome.evaluate import decision_curve


def test_vickers_elkin_net_benefit_by_hand():
    # 20 patients, 5 events. At pt = 0.10 (odds 1/9) the model treats p >= .10:
    #   events with p >= .1: .9 .7 .4 .15 -> TP = 4;  non-events with p >= .1: .5 .3 .2 .12 .1 -> FP = 5
    #   NB = 4/20 - 5/20 * (0.1/0.9) = 0.2 - 0.25/9
    # At pt = 0.40 (odds 2/3): TP = 3 (.9 .7 .4), FP = 1 (.5) -> NB = 3/20 - 1/20 * 2/3
    # Treat all: NB = 5/20 - 15/20 * odds
    y = np.r_[np.ones(5, int), np.zeros(15, int)]
    p = np.r_[[0.9, 0.7, 0.4, 0.15, 0.05], [0.5, 0.3, 0.2, 0.12, 0.1], np.full(10, 0.02)]
    dc = decision_curve(y, p, [0.10, 0.40])
    assert dc["tp"].tolist() == [4, 3] and dc["fp"].tolist() == [5, 1]
    assert dc["net_benefit"][0] == pytest.approx(0.2 - 0.25 / 9, abs=1e-15)
    assert dc["net_benefit"][1] == pytest.approx(3 / 20 - 1 / 20 * 2 / 3, abs=1e-15)
    assert dc["treat_all"][0] == pytest.approx(0.25 - 0.75 / 9, abs=1e-15)
    assert dc["treat_all"][1] == pytest.approx(0.25 - 0.75 * 2 / 3, abs=1e-15)
    assert (dc["treat_none"] == 0).all()
    # net interventions avoided per patient (Vickers 2008): (NB - NB_all) / odds
    assert dc["net_interventions_avoided"][1] == pytest.approx(
        (dc["net_benefit"][1] - dc["treat_all"][1]) / (2 / 3)
    )


def test_limiting_cases():
    rng = np.random.default_rng(1)
    y = (rng.uniform(size=300) < 0.3).astype(int)
    pt = np.arange(0, 1, 0.05)
    # a perfect classifier (p = y) treats exactly the events: NB = prevalence at every pt
    dc = decision_curve(y, y.astype(float), pt)
    np.testing.assert_allclose(dc["net_benefit"], y.mean(), atol=1e-15)
    # a model predicting 1 for everyone is treat-all
    dc = decision_curve(y, np.ones(y.size), pt)
    np.testing.assert_allclose(dc["net_benefit"], dc["treat_all"], atol=1e-15)
    # at pt = 0 any model treats all (p >= 0)
    dc = decision_curve(y, rng.uniform(size=y.size), [0.0])
    assert dc["net_benefit"][0] == pytest.approx(y.mean()) and np.isnan(dc["net_interventions_avoided"][0])


def test_default_grid():
    dc = decision_curve([0, 1, 0, 1], [0.2, 0.7, 0.4, 0.9])
    assert len(dc) == 100 and dc["threshold"].iloc[0] == 0.0 and dc["threshold"].iloc[-1] == 0.99


@pytest.mark.parametrize("bad", [[1.0], [-0.1], [np.nan], []])
def test_bad_thresholds(bad):
    with pytest.raises(ValueError, match="thresholds"):
        decision_curve([0, 1], [0.2, 0.8], bad)
