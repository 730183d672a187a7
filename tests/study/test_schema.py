from __future__ import annotations

from pathlib import Path

import pytest

from radiome.errors import ConfigError
from radiome.study import load_study, parse_study

MINIMAL = "inputs:\n  manifest: data/manifest.csv\nrois:\n  MF_L: 1\n  MF_R: {label: 2, mask_column: mask_r}\n"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "study.yaml"
    p.write_text(text)
    return p


def test_minimal_study_defaults_and_path_resolution(tmp_path: Path) -> None:
    s = load_study(write(tmp_path, MINIMAL))
    assert s.inputs.manifest == tmp_path.resolve() / "data" / "manifest.csv"
    assert s.output_dir == tmp_path.resolve() / "results"
    assert s.rois["MF_L"].label == 1 and s.roi_mask_column("MF_L") == "mask"
    assert s.roi_mask_column("MF_R") == "mask_r"
    assert s.mask_columns == ["mask", "mask_r"]
    # the lumbar pain study's design is the default
    assert (s.validation.test_size, s.validation.cv_folds) == (0.2, 5)
    assert s.checks.min_roi_voxels == 10 and s.outcome is None and s.covariates == []


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    s = parse_study({"inputs": {"manifest": "/abs/m.csv"}, "rois": {"A": 1}}, tmp_path)
    assert s.inputs.manifest == Path("/abs/m.csv")


def test_covariate_shorthand_and_categorical(tmp_path: Path) -> None:
    text = MINIMAL + "outcome: {column: pain_group, positive: severe}\ncovariates: [age, {name: sex, categorical: true, reference: F}]\n"
    s = load_study(write(tmp_path, text))
    assert [c.name for c in s.covariates] == ["age", "sex"]
    assert s.covariates[1].categorical and s.covariates[1].reference == "F"
    assert s.outcome.positive == "severe"


def test_unknown_keys_and_wrong_types_report_path_and_line(tmp_path: Path) -> None:
    text = (
        "inputs:\n"  # 1
        "  manifest: m.csv\n"  # 2
        "  manfest_typo: x\n"  # 3
        "rois:\n"  # 4
        "  MF_L: one\n"  # 5
        "  ES_L: {label: 0}\n"  # 6
        "outcom: {column: y}\n"  # 7
        "validation:\n"  # 8
        "  cv_folds: 1\n"  # 9
    )
    with pytest.raises(ConfigError) as e:
        load_study(write(tmp_path, text))
    msg = str(e.value)
    assert "study.yaml line 3, inputs.manfest_typo: unknown key" in msg
    assert "line 5, rois.MF_L" in msg
    assert "line 6, rois.ES_L.label: Input should be greater than or equal to 1" in msg
    assert "line 7, outcom: unknown key" in msg
    assert "line 9, validation.cv_folds" in msg
    assert msg.startswith("5 problem(s)")


def test_missing_required_sections(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_study(write(tmp_path, "name: x\n"))
    assert "inputs: required key is missing" in str(e.value)
    with pytest.raises(ConfigError, match="name at least one ROI"):
        load_study(write(tmp_path, "inputs: {manifest: m.csv}\n"))


def test_feature_table_inputs(tmp_path: Path) -> None:
    s = load_study(write(tmp_path, "inputs: {features: t.csv, id: ID, outcome: Target}\n"))
    assert s.is_table and s.inputs.id_column == "ID" and s.outcome.column == "Target"
    assert s.inputs.features == tmp_path / "t.csv" and s.rois == {}
    with pytest.raises(ConfigError, match="exactly one of 'manifest'"):
        load_study(write(tmp_path, "inputs: {features: t.csv, manifest: m.csv}\nrois: {A: 1}\n"))
    with pytest.raises(ConfigError, match="no ROIs"):
        load_study(write(tmp_path, "inputs: {features: t.csv}\nrois: {A: 1}\noutcome: {column: y}\n"))
    with pytest.raises(ConfigError, match="named twice"):
        load_study(write(tmp_path, "inputs: {features: t.csv, outcome: y}\noutcome: {column: y}\n"))


def test_bad_roi_name_and_duplicate_covariate(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rois.2L: ROI names must start with a letter"):
        load_study(write(tmp_path, "inputs: {manifest: m.csv}\nrois: {2L: 1}\n"))
    with pytest.raises(ConfigError, match="covariates listed twice: age"):
        load_study(write(tmp_path, MINIMAL + "covariates: [age, age]\n"))
    with pytest.raises(ConfigError, match="also listed as a covariate"):
        load_study(write(tmp_path, MINIMAL + "outcome: {column: age}\ncovariates: [age]\n"))


def test_yaml_syntax_error_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid YAML at line 3"):
        load_study(write(tmp_path, "inputs:\n  manifest: [unclosed\n"))
    with pytest.raises(ConfigError, match="empty"):
        load_study(write(tmp_path, ""))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_study(write(tmp_path, "- a\n- b\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_study(tmp_path / "missing.yaml")
