from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from radiome.cli import app
from radiome.models.zoo import MODEL_NAMES as ZOO_NAMES
from radiome.study import load_study, parse_study
from radiome.study.schema import MODEL_NAMES


def test_init_template_parses_and_equals_the_schema_defaults(tmp_path: Path) -> None:
    out = tmp_path / "study.yaml"
    r = CliRunner().invoke(app, ["init", "--out", str(out)])
    assert r.exit_code == 0, r.output
    from_template = load_study(out)
    # the same study written minimally: every other key takes its schema default
    minimal = parse_study(
        {
            "name": "My radiomics study",
            "inputs": {"manifest": "manifest.csv"},
            "rois": {"MF_L": 1, "MF_R": 2},
            "outcome": {"column": "pain_group", "positive": "severe"},
            "covariates": ["age", {"name": "sex", "categorical": True, "reference": "F"}],
        },
        tmp_path,
    )
    assert from_template.model_dump() == minimal.model_dump()
    # the lumbar pain study's design
    assert from_template.selection.chain == ["zscore", "icc", "univariate", "mrmr", "lasso"]
    assert from_template.selection.mrmr_k == 20 and from_template.validation.test_size == 0.2
    r = CliRunner().invoke(app, ["init", "--out", str(out)])
    assert r.exit_code == 1 and "--force" in r.output


def test_study_classifier_names_are_the_zoo() -> None:
    assert tuple(MODEL_NAMES) == tuple(ZOO_NAMES)


def test_unknown_classifier_and_roi_set(tmp_path: Path) -> None:
    base = "inputs: {manifest: m.csv}\nrois: {A: 1}\n"
    p = tmp_path / "s.yaml"
    p.write_text(base + "models: {classifiers: [logistic, catboost]}\n")
    with pytest.raises(Exception, match="unknown classifier"):
        load_study(p)
    p.write_text(base + "models: {roi_sets: {X: [A, B]}}\n")
    with pytest.raises(Exception, match="not defined under rois: B"):
        load_study(p)
