"""Acceptance of the brain half: ``radiome demo --brain`` (60 synthetic subjects, rs-fMRI) runs the
whole study, classifies patients vs controls and names the regions it found (planted: Insula_L,
ACC_L, Thalamus_L)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from radiome.cli import app
from radiome.evaluate import roc_auc_ci
from radiome.report.html import brain_regions

PLANTED = {"Insula_L", "ACC_L", "Thalamus_L"}


@pytest.fixture(scope="module")
def brain(tmp_path_factory):
    out = tmp_path_factory.mktemp("brain") / "demo"
    r = CliRunner().invoke(app, ["demo", "--brain", "--out", str(out)], env={"COLUMNS": "200"})
    return out, r


def test_brain_demo_runs_every_stage(brain):
    out, r = brain
    assert r.exit_code == 0, r.output
    run = json.loads((out / "results" / "run.json").read_text())
    assert run["stages_ran"] == ["validate", "morphometry", "extract", "clinical", "models", "combined",
                                 "evaluation", "results", "report"]
    feats = pd.read_parquet(out / "results" / "features" / "features.parquet")
    assert len(feats) == 60
    for prefix in ("alff_", "falff_", "reho_", "dc_", "fc_", "graph_"):
        assert any(c.startswith(prefix) for c in feats.columns), prefix


def test_brain_demo_classifies_and_finds_the_planted_regions(brain):
    out, _ = brain
    results = json.loads((out / "results" / "results.json").read_text())
    assert results["input"] == "brain"
    preds = pd.read_csv(out / "results" / "evaluation" / "predictions.csv", dtype={"patient_id": str})
    best = results["radiomics"]["all"]["best_classifier"]
    test = preds[(preds["model"] == f"all/{best}") & (preds["split"] == "test")]
    assert len(test) == 15
    assert roc_auc_ci(test["y"], test["p"]).auc > 0.7  # the planted group difference is learnable
    selected = [f["feature"] for f in results["radiomics"]["all"]["selected_features"]]
    found = set(brain_regions(selected))
    assert found & PLANTED, found
    html = (out / "results" / "report" / "report.html").read_text()
    assert "Regions of the selected features" in html and "Brain features." in html


def test_brain_regions_parses_feature_names():
    names = ["(Intercept)", "reho_Insula_L", "fc_ACC_L__Insula_L", "dcw_PCC_R", "nodal_degree_auc_S1_L",
             "graph_Eglob_auc", "dti_FA_Thalamus_L", "t1_vol_PFC_R"]
    assert brain_regions(names) == ["Insula_L", "ACC_L", "PCC_R", "S1_L", "Thalamus_L", "PFC_R"]
