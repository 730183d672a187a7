"""``radiome run``: stages, caching, determinism, resumption and errors on a small synthetic study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from radiome.evaluate import roc_auc_ci
from radiome.study import stages as st
from radiome.study.loader import load_study
from radiome.study.runner import StageError, run_command, run_study
from radiome.study.schema import ModelsSection

from tests.conftest import write_run_study as _write_study


class Counter:
    def __init__(self, monkeypatch):
        self.n = 0
        real = st.extract_cohort

        def counted(*a, **k):
            self.n += 1
            return real(*a, **k)

        monkeypatch.setattr(st, "extract_cohort", counted)


@pytest.fixture(scope="module")
def first_run(small_study_run):
    return small_study_run


def _copy(out: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "out"
    shutil.copytree(out, dst)
    return dst


EXPECTED = [
    "split.csv", "results.json", "run.json",
    "validation/validation_faults.csv", "validation/validation_summary.json",
    "features/features.parquet", "features_reader2/features.parquet",
    "clinical/clinical_univariate.csv", "clinical/clinical_multivariate.csv", "clinical/predictions.csv",
    "models/all/selected_features.csv", "models/all/radscore_formula.txt", "models/all/icc.csv",
    "models/all/best_params.json", "models/radscore.csv", "models/predictions.csv",
    "combined/all/combined_multivariate.csv", "combined/all/nomogram_points.csv",
    "combined/all/nomogram.png", "combined/all/nomogram.svg",
    "evaluation/model_comparison.csv", "evaluation/delong_matrix.csv", "evaluation/calibration.csv",
    "evaluation/decision_curve.csv", "evaluation/hosmer_lemeshow.csv", "evaluation/predictions.csv",
    "clinical/table1.csv", "clinical/table1_split.csv", "models/all/lasso_path.csv", "models/all/lasso_cv.csv",
    "models/all/lasso.json", "models/all/selected_correlation.csv", "models/all/shap_values.csv",
    "models/all/shap.json", "report/report.html", "report/figures/roc_all_test.svg",
    "report/figures/roc_all_test.pdf",
]


def test_outputs_exist(first_run):
    _, out, res, _ = first_run
    assert res.ran == ["validate", "morphometry", "extract", "clinical", "models", "combined", "evaluation", "results",
                      "report"]
    for rel in EXPECTED:
        assert (out / rel).is_file() and (out / rel).stat().st_size > 0, rel
    assert (out / "models/all/radscore_formula.txt").read_text().startswith("Rad-score = ")
    sel = pd.read_csv(out / "models/all/selected_features.csv")
    assert sel["feature"].iloc[0] == "(Intercept)" and len(sel) >= 2
    split = pd.read_csv(out / "split.csv")
    assert set(split["split"]) == {"train", "test"} and len(split) == 24
    comp = pd.read_csv(out / "evaluation/model_comparison.csv")
    assert {"radscore[all]", "all/logistic", "all/naive_bayes", "all/random_forest",
            "combined[all]"} <= set(comp["model"])


def test_rerun_is_cached_and_identical(first_run, tmp_path, monkeypatch):
    study_path, out, _, results = first_run
    out = _copy(out, tmp_path)
    calls = Counter(monkeypatch)
    res = run_study(load_study(study_path), out)
    assert res.ran == [] and len(res.cached) == 9
    assert calls.n == 0
    assert (out / "results.json").read_bytes() == results


def test_from_selection_is_identical(first_run, tmp_path, monkeypatch):
    study_path, out, _, results = first_run
    out = _copy(out, tmp_path)
    calls = Counter(monkeypatch)
    res = run_study(load_study(study_path), out, from_stage="selection")
    assert res.cached == ["validate", "morphometry", "extract", "clinical"]
    assert res.ran == ["models", "combined", "evaluation", "results", "report"]
    assert calls.n == 0
    assert (out / "results.json").read_bytes() == results


def test_changing_classifiers_does_not_reextract(first_run, tmp_path, monkeypatch):
    study_path, out, _, _ = first_run
    out = _copy(out, tmp_path)
    calls = Counter(monkeypatch)
    changed = _write_study(study_path.parent, "changed.yaml", models={"classifiers": ["logistic"]})
    try:
        res = run_study(load_study(changed), out)
    finally:
        changed.unlink()
    assert calls.n == 0
    assert res.cached == ["validate", "morphometry", "extract", "clinical"]
    assert res.ran == ["models", "combined", "evaluation", "results", "report"]
    comp = pd.read_csv(out / "evaluation/model_comparison.csv")
    assert "all/random_forest" not in set(comp["model"]) and "all/logistic" in set(comp["model"])


def test_aucs_match_saved_predictions(first_run):
    import json

    _, out, _, _ = first_run
    results = json.loads((out / "results.json").read_text())
    preds = pd.read_csv(out / "evaluation/predictions.csv", dtype={"patient_id": str})
    assert results["metrics"]
    for m in results["metrics"]:
        d = preds[(preds["model"] == m["model"]) & (preds["split"] == m["split"])]
        r = roc_auc_ci(d["y"].to_numpy(), d["p"].to_numpy())
        assert m["auc"] == pytest.approx(r.auc, rel=1e-11, abs=1e-12)
        assert m["auc_delong_lower"] == pytest.approx(r.lower, rel=1e-11, abs=1e-12)
        assert m["auc_delong_upper"] == pytest.approx(r.upper, rel=1e-11, abs=1e-12)


def test_failing_stage_is_named_and_rerun_resumes(first_run, tmp_path):
    study_path, out, _, _ = first_run
    out = _copy(out, tmp_path)
    study = load_study(study_path)
    bad = study.model_copy(update={"models": ModelsSection.model_construct(
        classifiers=["no_such_model"], search="grid", n_iter=20, roi_sets=None)})
    with pytest.raises(StageError) as err:
        run_study(bad, out, from_stage="models")
    assert err.value.stage == "models" and "no_such_model" in str(err.value)
    assert not (out / ".cache" / "models.json").exists()
    assert (out / "features/features.parquet").is_file()  # earlier outputs remain
    res = run_study(study, out)
    assert res.cached == ["validate", "morphometry", "extract", "clinical"]
    assert res.ran == ["models", "combined", "evaluation", "results", "report"]


def test_corrupt_features_are_reextracted(first_run, tmp_path, monkeypatch):
    study_path, out, _, _ = first_run
    out = _copy(out, tmp_path)
    (out / "features/features.parquet").write_bytes(b"not a parquet file")
    # the cache entry's checksum no longer matches: extract reruns (the per-case cache makes it cheap)
    calls = Counter(monkeypatch)
    res = run_study(load_study(study_path), out)
    assert calls.n == 2 and "extract" in res.ran


def test_run_command_exit_codes(first_run, tmp_path):
    study_path, out, _, _ = first_run
    out = _copy(out, tmp_path)
    assert run_command(study_path, out, None, True) == 0
    assert run_command(study_path, out, "nonsense", True) == 1
    assert run_command(tmp_path / "missing.yaml", out, None, True) == 1


def test_morphometry_measures_are_clinical_covariates(first_run):
    """The demo names MF/ES fat rates as covariates (source: morphometry): they reach Table 1 and the
    univariable logistic models with the values of morphometry.csv (checked with statsmodels)."""
    import json

    import numpy as np
    import statsmodels.api as sm

    _, out, _, _ = first_run
    results = json.loads((out / "results.json").read_text())
    morph = pd.read_csv(out / "morphometry/morphometry.csv", dtype={"patient_id": str}).set_index("patient_id")
    split = pd.read_csv(out / "split.csv", dtype={"patient_id": str}).set_index("patient_id")
    assert results["morphometry"]["covariates"] == ["MF_L_fat_rate", "MF_R_fat_rate", "ES_L_fat_rate",
                                                    "ES_R_fat_rate"]
    row = next(r for r in results["table1"] if r["variable"] == "MF_L_fat_rate")
    v = morph.loc[split.index, "MF_L_fat_rate"] * 100  # scale: 100 in the demo study (percent)
    stat = "mean" if row["summary"] == "mean ± SD" else "median"
    for label, group in ((0, "mild"), (1, "severe")):
        vals = v[split["label"] == label].to_numpy(float)
        assert row[f"{stat}_{group}"] == pytest.approx(np.mean(vals) if stat == "mean" else np.median(vals), rel=1e-9)
    uni = next(r for r in results["clinical"]["univariate"] if r["variable"] == "MF_L_fat_rate")
    tr = split[split["split"] == "train"]
    x = morph.loc[tr.index, "MF_L_fat_rate"].to_numpy(float) * 100
    fit = sm.Logit(tr["label"].to_numpy(float), sm.add_constant(x)).fit(disp=0)
    assert uni["coef"] == pytest.approx(fit.params[1], rel=1e-6)
    assert uni["p"] == pytest.approx(fit.pvalues[1], rel=1e-6)
