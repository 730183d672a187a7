"""Feature-table studies: ``radiome init --from-table`` and ``radiome run`` without images."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from radiome.evaluate import roc_auc_ci
from radiome.study.loader import load_study
from radiome.study.runner import StageError, run_study
from radiome.study.template import table_template


def make_table(n: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.array([0, 1] * (n // 2))
    rng.shuffle(y)
    feats = {f"original_firstorder_F{i:02d}": rng.normal(size=n) for i in range(25)}
    feats["original_firstorder_F00"] += 1.5 * y  # two informative features
    feats["original_glcm_Contrast"] = rng.normal(size=n) - 1.2 * y
    return pd.DataFrame({"ID": [f"S{i:03d}" for i in range(n)], "Target": np.where(y == 1, "case", "control"),
                         "age": rng.normal(60, 8, n).round(1), "sex": rng.choice(["F", "M"], n), **feats})


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("table")
    make_table().to_csv(root / "features.csv", index=False)
    text = table_template(root / "features.csv", root / "study.yaml")
    data = yaml.safe_load(text)
    data["models"] = {"classifiers": ["logistic", "random_forest"]}
    data["evaluation"] = {"n_bootstrap": 200}
    data["validation"] = {"test_size": 0.25, "cv_folds": 3, "seed": 3, "scheme": "repeated_kfold", "repeats": 2}
    (root / "study.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    res = run_study(load_study(root / "study.yaml"), root / "out")
    return root, text, res


def test_init_from_table_guesses_id_outcome_features_and_covariates(table_run):
    _, text, _ = table_run
    data = yaml.safe_load(text)
    assert data["inputs"] == {"features": "features.csv", "id": "ID", "feature_columns": None, "cohort_column": "cohort"}
    assert data["outcome"] == {"column": "Target", "positive": "case"}
    assert data["covariates"] == ["age", {"name": "sex", "categorical": True}]
    assert "26 feature columns (named like radiomics features)" in text
    assert "icc" not in data["selection"]["chain"]


def test_table_study_runs_without_image_stages(table_run):
    root, _, res = table_run
    out = root / "out"
    assert res.ran == ["validate", "morphometry", "extract", "clinical", "models", "combined", "evaluation", "results",
                      "report"]
    results = json.loads((out / "results.json").read_text())
    assert results["input"] == "table"
    assert results["split"]["train"]["n"] + results["split"]["test"]["n"] == 90
    # the features keep their names (no ROI prefix) and the LASSO finds the planted ones
    chosen = {r["feature"] for r in results["radiomics"]["all"]["selected_features"]}
    assert {"original_firstorder_F00", "original_glcm_Contrast"} <= chosen
    # reported AUCs equal the AUCs of the saved predictions
    preds = pd.read_csv(out / "evaluation/predictions.csv", dtype={"patient_id": str})
    for m in results["metrics"]:
        d = preds[(preds["model"] == m["model"]) & (preds["split"] == m["split"])]
        assert m["auc"] == pytest.approx(roc_auc_ci(d["y"], d["p"]).auc, abs=1e-12)
    html = (out / "report/report.html").read_text()
    assert "Feature-table study: no images" in html and "computed outside radiome" in html
    # validation.scheme: repeated k-fold on the training patients, per classifier, in the report
    iv = results["radiomics"]["all"]["classifiers"]["logistic"]["internal_validation"]
    assert iv["scheme"] == "repeated_kfold" and 0.5 < iv["auc"] <= 1 and iv["auc_sd"] > 0
    assert "repeated 3-fold CV (2 repeats)" in html and "Internal validation AUC" in html


def test_table_with_duplicate_ids_fails_in_validate(tmp_path):
    t = make_table(40)
    t.loc[3, "ID"] = t.loc[2, "ID"]
    t.to_csv(tmp_path / "features.csv", index=False)
    (tmp_path / "study.yaml").write_text(table_template(tmp_path / "features.csv", tmp_path / "study.yaml"))
    with pytest.raises(StageError) as err:
        run_study(load_study(tmp_path / "study.yaml"), tmp_path / "out")
    assert err.value.stage == "validate" and "S002" in str(err.value) and "features.csv" in str(err.value)
