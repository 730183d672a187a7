"""Acceptance: ``radiome demo --out DIR`` (148 patients, all image types) exits 0 and writes a report
with every section and figure, whose numbers equal results.json; a rerun is cached and identical.

This is the slowest test of the suite (the whole demo study, a few minutes on 2 cores)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from radiome.cli import app
from radiome.report import SECTIONS
from tests.report.test_html import ReportParser, expected_text, lookup


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    r = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"COLUMNS": "200"})
    return out, r


def test_demo_exits_0_and_prints_the_report_path(demo):
    out, r = demo
    assert r.exit_code == 0, r.output
    report = out / "results" / "report" / "report.html"
    assert str(report.resolve()) in r.output.replace("\n", "")
    assert "Headline models" in r.output


def test_demo_report_has_every_section_figure_and_number(demo):
    out, _ = demo
    run = out / "results"
    p = ReportParser()
    p.feed((run / "report" / "report.html").read_text(encoding="utf-8"))
    results = json.loads((run / "results.json").read_text())
    assert list(p.sections) == list(SECTIONS)
    figures = set(p.figures)
    for s in ("MF", "ES"):
        for name in ("lasso_path", "lasso_cv", "correlation", "shap", "nomogram"):
            assert f"{name}_{s}" in figures, (name, s)
        for kind in ("roc", "calibration", "dca"):
            assert {f"{kind}_{s}_train", f"{kind}_{s}_test"} <= figures
    assert "roi_examples" in figures
    assert len(p.values) > 300
    for path, f, text in p.values:
        assert text == expected_text(lookup(results, path), f), path
    # all image types of the lumbar pain study were extracted, for the four muscles and both readers
    import pandas as pd

    feats = pd.read_parquet(run / "features" / "features.parquet")
    kinds = {c.split("_")[0].split("-")[0] for c in feats.columns if "_" in c and c not in ("patient_id",)}
    assert {"original", "wavelet", "log", "square", "squareroot", "logarithm", "lbp"} <= kinds
    assert set(feats["roi"]) == {"MF_L", "MF_R", "ES_L", "ES_R"} and feats["patient_id"].nunique() == 148
    reader2 = pd.read_parquet(run / "features_reader2" / "features.parquet")
    assert reader2["patient_id"].nunique() == 40  # the second reader's random subset (ICC)
    ran = json.loads((run / "run.json").read_text())
    assert ran["stages_ran"][-1] == "report" and ran["elapsed_s"] > 0


def test_demo_rerun_is_cached_and_byte_identical(demo):
    out, _ = demo
    run = out / "results"
    before = (run / "results.json").read_bytes()
    r = CliRunner().invoke(app, ["run", str(out / "study.yaml")], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert r.output.count("cached") == 9
    assert (run / "results.json").read_bytes() == before
