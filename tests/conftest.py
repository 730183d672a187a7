"""Shared fixtures: a small synthetic cohort written to disk, easy to break one fault at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml
import pandas as pd
import pytest
import SimpleITK as sitk

SPACING = (0.8, 0.8, 3.0)
ORIGIN = (-10.0, 20.0, 5.0)
SIZE = (24, 20, 6)  # x, y, z


def make_image(arr: np.ndarray, spacing=SPACING, origin=ORIGIN, direction=None) -> sitk.Image:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    if direction is not None:
        img.SetDirection(direction)
    return img


def phantom_arrays(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """An image with two boxes (labels 1 and 2) of known size: 8*6*4=192 and 6*6*4=144 voxels."""
    rng = np.random.default_rng(seed)
    z, y, x = SIZE[2], SIZE[1], SIZE[0]
    img = rng.normal(100, 10, size=(z, y, x)).astype(np.float32)
    mask = np.zeros((z, y, x), np.uint8)
    mask[1:5, 4:10, 2:10] = 1
    mask[1:5, 4:10, 14:20] = 2
    img[mask == 1] += 50
    return img, mask


@pytest.fixture
def cohort_factory(tmp_path: Path) -> Callable[..., Path]:
    """Write a cohort of ``n`` patients and return the path of its study.yaml.

    Labels alternate 0/1 (``outcome`` column, coded 0/1), ROIs A=1 and B=2, covariates age and sex.
    Keyword ``study_extra`` is appended to the YAML text.
    """

    def make(n: int = 12, study_extra: str = "", outcome: list | None = None) -> Path:
        (tmp_path / "img").mkdir(exist_ok=True)
        rows = []
        for i in range(n):
            pid = f"P{i:03d}"
            arr, mask = phantom_arrays(i)
            sitk.WriteImage(make_image(arr), str(tmp_path / "img" / f"{pid}.nii.gz"))
            sitk.WriteImage(make_image(mask), str(tmp_path / "img" / f"{pid}_mask.nii.gz"))
            rows.append(
                {
                    "patient_id": pid,
                    "image": f"img/{pid}.nii.gz",
                    "mask": f"img/{pid}_mask.nii.gz",
                    "outcome": (outcome[i] if outcome is not None else i % 2),
                    "age": 40 + i,
                    "sex": "F" if i % 3 else "M",
                }
            )
        pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
        study = tmp_path / "study.yaml"
        study.write_text(
            "name: test cohort\n"
            "inputs:\n  manifest: manifest.csv\n"
            "rois:\n  A: 1\n  B: 2\n"
            "outcome:\n  column: outcome\n"
            "covariates: [age, {name: sex, categorical: true}]\n"
            "validation: {test_size: 0.25, cv_folds: 2, seed: 1}\n" + study_extra
        )
        return study

    return make


# ------------------------------------------------------------------------------------------------
# one small ``radiome run`` shared by the runner and report tests (about a minute)
# ------------------------------------------------------------------------------------------------

RUN_SETTINGS = {
    "features": {
        "jobs": 2,
        "params": {  # replaces the demo's params.yaml: original image, two classes (fast)
            "setting": {"binWidth": 25},
            "imageType": {"Original": {}},
            "featureClass": {"firstorder": [], "glcm": []},
        },
    },
    # tiny cohort (19 training patients): the classifiers use z-score -> ICC -> univariate -> mRMR
    # and the Rad-score adds the LASSO
    "selection": {"chain": ["zscore", "icc", "univariate", "mrmr"], "mrmr_k": 5, "alpha": 0.5,
                  "lasso_folds": 3, "lasso_rule": "min"},
    "models": {"classifiers": ["logistic", "naive_bayes", "random_forest"], "roi_sets": None},
    "validation": {"test_size": 0.2, "cv_folds": 3, "seed": 42},
    "evaluation": {"n_bootstrap": 200},
    "report": {"title": "Small synthetic study", "authors": ["A. Author", "B. Author"]},
}


def write_run_study(folder: Path, name: str = "run_study.yaml", **changes) -> Path:
    """The demo's study.yaml in ``folder`` with :data:`RUN_SETTINGS` and ``changes`` (merged per section)."""
    data = yaml.safe_load((folder / "study.yaml").read_text())
    data.update(RUN_SETTINGS)
    for k, v in changes.items():
        data[k] = {**data.get(k, {}), **v}
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def small_study_run(tmp_path_factory):
    """(study path, run folder, RunResult, results.json bytes) of a 24-patient demo study run."""
    from radiome.demo import write_demo_study
    from radiome.study.loader import load_study
    from radiome.study.runner import run_study

    root = tmp_path_factory.mktemp("run")
    write_demo_study(root / "demo", n_mild=10, n_severe=14, shape=(128, 128, 6), spacing=(1.4, 1.4, 4.0))
    study_path = write_run_study(root / "demo")
    out = root / "out"
    res = run_study(load_study(study_path), out)
    return study_path, out, res, (out / "results.json").read_bytes()
