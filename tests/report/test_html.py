"""The HTML report of a small study run: every section and figure present, self-contained, and every
printed number equal to results.json (formatted independently here)."""

from __future__ import annotations

import base64
import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiome.report import SECTIONS


class ReportParser(HTMLParser):
    """Collects sections (id -> text), images (src) and data-r spans (path, format, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.figures: list[str] = []
        self.images: list[str] = []
        self.values: list[tuple[str, str, str]] = []
        self.external: list[str] = []
        self._section: str | None = None
        self._span: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._section = a.get("id")
            self.sections[self._section] = ""
        if tag == "figure" and "data-figure" in a:
            self.figures.append(a["data-figure"])
        if tag == "img":
            self.images.append(a.get("src", ""))
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)
        if tag == "span" and "data-r" in a:
            self._span = [a["data-r"], a.get("data-f"), ""]

    def handle_endtag(self, tag):
        if tag == "span" and self._span is not None:
            self.values.append(tuple(self._span))
            self._span = None
        if tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._span is not None:
            self._span[2] += data
        if self._section:
            self.sections[self._section] += data


def expected_text(value, f: str) -> str:
    """How the report must print a results.json value (written independently of radiome.report)."""
    if f == "s":
        return "" if value is None else str(value)
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if f == "p":
        return "<0.001" if value < 0.001 else "%.3f" % value
    if f == "i":
        return "%d" % value
    return ("%." + f + "f") % value


def lookup(results, path: str):
    node = results
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@pytest.fixture(scope="module")
def report(small_study_run):
    _, out, _, _ = small_study_run
    text = (out / "report" / "report.html").read_text(encoding="utf-8")
    p = ReportParser()
    p.feed(text)
    return out, text, p, json.loads((out / "results.json").read_text())


def test_every_section_is_present_and_not_empty(report):
    _, _, p, _ = report
    assert list(p.sections) == list(SECTIONS)
    for name, text in p.sections.items():
        assert len(text.strip()) > 40, name


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_figures_are_embedded_pngs_and_self_contained(report):
    out, text, p, _ = report
    expected = {"roi_examples", "lasso_path_all", "lasso_cv_all", "correlation_all", "roc_all_train", "roc_all_test",
                "calibration_all_train", "calibration_all_test", "dca_all_train", "dca_all_test", "nomogram_all",
                "shap_all"}
    assert expected <= set(p.figures)
    assert len(p.images) == len(p.figures)
    qa = [f for f in p.figures if f.startswith("morphometry_qa_")]
    assert len(qa) == 6  # the morphometry gallery: three training patients per outcome group
    for name, src in zip(p.figures, p.images, strict=True):
        assert src.startswith("data:image/png;base64,")
        w, h = png_size(base64.b64decode(src.split(",", 1)[1]))
        assert (w >= 300 and h >= 300) if name in qa else (w >= 600 and h >= 300), name
    assert p.external == []
    assert not re.search(r"""(src|href)=["']https?://""", text)
    for name in expected - {"nomogram_all"}:
        for ext in ("png", "svg", "pdf"):
            assert (out / "report" / "figures" / f"{name}.{ext}").stat().st_size > 1000


def test_every_number_equals_results_json(report):
    _, _, p, results = report
    assert len(p.values) > 100
    for path, f, text in p.values:
        assert text == expected_text(lookup(results, path), f), path
    paths = {v[0] for v in p.values}
    # the headline numbers are among them
    test_rad = next(i for i, m in enumerate(results["metrics"]) if m["model"] == "radscore[all]" and m["split"] == "test")
    for key in ("auc", "auc_delong_lower", "auc_delong_upper", "sensitivity", "specificity", "accuracy"):
        assert f"metrics.{test_rad}.{key}" in paths
    assert "radiomics.all.radscore_formula" in paths and "radiomics.all.lasso.lambda_1se" in paths
    assert any(x.startswith("table1.") for x in paths) and any(x.startswith("hosmer_lemeshow.") for x in paths)
    assert any(x.startswith("delong.") for x in paths) and any(x.startswith("clinical.univariate.") for x in paths)


def test_table1_matches_the_clinical_sheet(report, small_study_run):
    study_path, _, _, _ = small_study_run
    _, _, _, results = report
    clin = pd.read_csv(Path(study_path).parent / "clinical.csv")
    row = next(r for r in results["table1"] if r["variable"] == "age")
    for group in ("mild", "severe"):
        ages = clin.loc[clin["pain_group"] == group, "age"].to_numpy(float)
        if row["summary"] == "mean ± SD":
            assert row[f"mean_{group}"] == pytest.approx(ages.mean(), rel=1e-9)
            assert row[f"sd_{group}"] == pytest.approx(ages.std(ddof=1), rel=1e-9)
        else:
            assert row[f"median_{group}"] == pytest.approx(np.median(ages), rel=1e-9)
    assert results["table1"][0]["overall"] == str(len(clin))


def test_methods_and_checklist_state_the_configuration(report):
    _, _, p, _ = report
    methods = p.sections["methods"]
    for phrase in ("seed 42", "logistic regression", "Gaussian naive Bayes", "random forest", "3-fold", "IBSI",
                   "DeLong", "Hosmer-Lemeshow"):
        assert phrase in methods, phrase
    check = p.sections["checklist"]
    assert "Multiple segmentations" in check and "for the author" in check
