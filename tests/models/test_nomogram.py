"""Nomogram against rms::nomogram(lrm(y ~ age + s100b + wfns)) on the aSAH data; R's pretty()."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from radiome.models import multivariate_logistic, nomogram, r_pretty  # noqa: E402

STATS = Path(__file__).parents[1] / "data" / "stats"


@pytest.fixture(scope="module")
def model():
    # the README: wfns enters as a number (wfns_num), as in lrm(y ~ age + s100b + wfns_num)
    d = pd.read_csv(STATS / "asah.csv").rename(columns={"wfns": "wfns_num"})
    return multivariate_logistic(d, "y", ["age", "s100b", "wfns_num"])


@pytest.fixture(scope="module")
def nom(model):
    return nomogram(model)


def test_coefficients_match_lrm(model):
    ref = pd.read_csv(STATS / "asah_nomogram_lrm_coef.csv").set_index("term")["coef"]
    got = model.params.rename({"const": "Intercept"})[ref.index]
    # lrm stops its Newton iterations a little earlier than glm: agreement ~5e-7
    np.testing.assert_allclose(got, ref, atol=1e-6)


def test_points_match_rms(nom):
    ref = pd.read_csv(STATS / "asah_nomogram_points.csv")
    got = nom.points
    assert list(got["variable"]) == list(ref["variable"])
    np.testing.assert_allclose(got["value"].astype(float), ref["value"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["points"], ref["points"], atol=1e-4)
    # s100b spans the widest linear-predictor range: its axis runs 0..100
    s = got[got["variable"] == "s100b"]["points"]
    assert s.min() == 0 and s.max() == pytest.approx(100)


def test_total_points_axis_matches_rms(nom):
    ref = pd.read_csv(STATS / "asah_nomogram_total_points_axis.csv")["total_points_axis"]
    np.testing.assert_array_equal(nom.total_points_axis, ref.to_numpy(dtype=float))


def test_points_reproduce_model_probabilities(model, nom):
    # total points -> linear predictor -> probability is the model itself, for any patient
    d = model.data
    p_nom = nom.probability(nom.total_points(d))
    np.testing.assert_allclose(p_nom, model.predict_proba(d)[:, 1], rtol=1e-10)
    # and the probability axis sits where qlogis(p) = Intercept + points / scale
    pa = nom.probability_axis
    np.testing.assert_allclose(nom.probability(pa["total_points"]), pa["probability"], rtol=1e-10)
    assert pa["total_points"].is_monotonic_increasing


def test_r_pretty_known_values():
    # R: pretty(c(18, 81), n = 10) -> 15, 20, ..., 85 (the age axis of the rms reference above)
    np.testing.assert_array_equal(r_pretty([18, 81], 10), np.arange(15, 86, 5))
    # R: pretty(c(0.03, 2.07), n = 10) -> 0, 0.2, ..., 2.2 (the s100b axis)
    np.testing.assert_array_equal(r_pretty([0.03, 2.07], 10), np.round(np.arange(0, 2.21, 0.2), 10))
    # R: pretty(1:9) -> 0 2 4 6 8 10; pretty(c(0, 1)) -> 0 0.2 ... 1; pretty(c(-3.2, 4.7)) -> -4..6 by 2
    np.testing.assert_array_equal(r_pretty([1, 9]), [0, 2, 4, 6, 8, 10])
    np.testing.assert_array_equal(r_pretty([0, 1]), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_array_equal(r_pretty([-3.2, 4.7]), [-4, -2, 0, 2, 4, 6])


def test_categorical_axis_and_export(model):
    d = pd.read_csv(STATS / "asah.csv")
    m = multivariate_logistic(d, "y", ["age", "wfns"], categorical=["wfns"])
    n = nomogram(m, labels={"wfns": "WFNS grade"}, outcome_label="Risk of poor outcome")
    w = n.points[n.points["variable"] == "wfns"].set_index("value")["points"]
    # reference level 1 has contribution 0; points = scale * (beta_level - min over levels)
    betas = {1: 0.0} | {k: m.params[f"wfns[{k}]"] for k in [2, 3, 4, 5]}
    lo = min(betas.values())
    for k, b in betas.items():
        assert w[k] == pytest.approx(n.scale * (b - lo))
    assert n.points["points"].max() == pytest.approx(100)
    np.testing.assert_allclose(n.probability(n.total_points(m.data)), m.predict_proba(m.data)[:, 1])
    long = n.to_frame()
    assert {"Total points", "Linear predictor", "Risk of poor outcome"} <= set(long["axis"])


def test_figure(nom):
    import matplotlib.pyplot as plt

    fig = nom.figure(lp_axis=True, title="Nomogram")
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"Points", "Total points", "age", "s100b", "wfns_num", "Risk of y"} <= texts
    assert "260" in texts and "2.2" in texts
    plt.close(fig)


def test_values_override_and_errors(model):
    n = nomogram(model, values={"age": [20, 40, 60, 80]})
    assert list(n.points[n.points["variable"] == "age"]["value"]) == [20, 40, 60, 80]
    with pytest.raises(ValueError, match="not in the model"):
        nomogram(model, values={"bmi": [20, 30]})
    with pytest.raises(ValueError, match="between 0 and 1"):
        nomogram(model, prob_at=[0.5, 1.0])
