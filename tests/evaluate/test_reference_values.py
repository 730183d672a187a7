"""radiome.evaluate against the R reference values of tests/data/stats (pROC 1.18.0, rms 6.5-0,
ResourceSelection's hoslem.test definition, dcurves' net benefit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiome.evaluate import (
    calibration,
    decision_curve,
    delong_test,
    hosmer_lemeshow,
    roc_auc_ci,
    youden,
)

TOL = 1e-4
MARKERS = ["s100b", "ndka", "wfns_num"]
PAIRS = [("s100b", "ndka"), ("s100b", "wfns_num"), ("ndka", "wfns_num")]
VALPROB = {"Dxy": "Dxy", "CROC": "C", "R2": "R2", "Brier": "Brier", "Intercept": "Intercept",
           "Slope": "Slope", "Emax": "Emax", "Eavg": "Eavg"}  # fmt: skip


def _ours(asah: pd.DataFrame, insample, external) -> dict[str, float]:
    """Every reference quantity of radiome.evaluate's remit, computed by radiome.evaluate."""
    y = asah["y"].to_numpy()
    out: dict[str, float] = {}
    for m in MARKERS:
        r = roc_auc_ci(y, asah[m])
        out[f"auc.{m}"] = r.auc
        out[f"auc_ci_delong_lower.{m}"] = r.lower
        out[f"auc_ci_delong_upper.{m}"] = r.upper
        t = youden(y, asah[m])
        out[f"youden_threshold.{m}"] = t.threshold
        out[f"youden_sensitivity.{m}"] = t.sensitivity
        out[f"youden_specificity.{m}"] = t.specificity
    for a, b in PAIRS:
        d = delong_test(y, asah[a], asah[b])
        out[f"delong_z.{a}_vs_{b}"] = d.z
        out[f"delong_p.{a}_vs_{b}"] = d.p_value
    hl = hosmer_lemeshow(*insample)
    out["hl_chisq.logistic"], out["hl_p.logistic"] = hl.statistic, hl.p_value
    hl = hosmer_lemeshow(*external)
    out["hl_chisq.external"], out["hl_p.external"] = hl.statistic, hl.p_value
    for prefix, data in (("valprob", insample), ("valprob_external", external)):
        c = calibration(*data)
        for rname, key in VALPROB.items():
            out[f"{prefix}.{rname}"] = c[key]
    return out


@pytest.fixture(scope="module")
def ours(asah, insample, external) -> dict[str, float]:
    return _ours(asah, insample, external)


def _exact_quantities(ref: dict[str, float]) -> list[str]:
    return [q for q in ref if not q.startswith(("glmnet_", "auc_ci_boot"))]


def test_every_reference_quantity_of_ours_is_checked(ref, ours):
    # all but the glmnet values (radiome.models) and the bootstrap limits (tested below)
    assert sorted(_exact_quantities(ref)) == sorted(ours)


@pytest.mark.parametrize(
    "quantity",
    [
        *(f"{k}.{m}" for m in MARKERS for k in ("auc", "auc_ci_delong_lower", "auc_ci_delong_upper",
                                                 "youden_threshold", "youden_sensitivity",
                                                 "youden_specificity")),
        *(f"delong_{s}.{a}_vs_{b}" for a, b in PAIRS for s in ("z", "p")),
        "hl_chisq.logistic", "hl_p.logistic", "hl_chisq.external", "hl_p.external",
        *(f"{pre}.{k}" for pre in ("valprob", "valprob_external") for k in VALPROB),
    ],
)  # fmt: skip
def test_matches_r(quantity, ref, ours):
    assert ours[quantity] == pytest.approx(ref[quantity], abs=TOL), quantity


@pytest.mark.parametrize("marker", MARKERS)
def test_bootstrap_ci_within_monte_carlo_error(marker, asah, ref):
    # pROC: ci.auc(method="bootstrap", boot.n=4000, boot.stratified=TRUE); R's RNG differs from ours
    r = roc_auc_ci(asah["y"], asah[marker], method="bootstrap", n_boot=4000, seed=20240611)
    assert r.method == "bootstrap" and r.n_boot == 4000
    assert abs(r.lower - ref[f"auc_ci_boot4000_lower.{marker}"]) < 0.015
    assert abs(r.upper - ref[f"auc_ci_boot4000_upper.{marker}"]) < 0.015
    assert r.auc == pytest.approx(ref[f"auc.{marker}"], abs=1e-12)


def test_decision_curve_matches_dcurves(insample, decision_reference):
    dc = decision_curve(*insample, decision_reference["threshold"].to_numpy())
    np.testing.assert_allclose(dc["threshold"], decision_reference["threshold"], atol=0)
    np.testing.assert_allclose(dc["net_benefit"], decision_reference["net_benefit_model"], atol=TOL)
    np.testing.assert_allclose(dc["treat_all"], decision_reference["net_benefit_treat_all"], atol=TOL)
    np.testing.assert_allclose(dc["treat_none"], decision_reference["net_benefit_treat_none"], atol=TOL)


def test_default_decision_thresholds_cover_the_reference(insample, decision_reference):
    dc = decision_curve(*insample).set_index("threshold")
    for _, row in decision_reference.iterrows():
        assert dc.loc[round(row["threshold"], 2), "net_benefit"] == pytest.approx(
            row["net_benefit_model"], abs=TOL
        )


def test_hl_table_counts(insample):
    y, p = insample
    hl = hosmer_lemeshow(y, p)
    assert hl.df == 8
    assert hl.table["n"].sum() == y.size
    assert hl.table["observed_1"].sum() == y.sum()
    assert hl.table["expected_1"].sum() == pytest.approx(p.sum())
    assert len(hl.table) == 10


def test_valprob_exact_cindex_option(insample):
    # cindex_bins=None gives the exact c-index (the reference rms 6.5 bins p into 1/5000 bins)
    y, p = insample
    c = calibration(y, p, cindex_bins=None)
    assert c["C"] == pytest.approx(roc_auc_ci(y, p).auc, abs=1e-15)
    assert abs(c["C"] - calibration(y, p)["C"]) < 1e-3
