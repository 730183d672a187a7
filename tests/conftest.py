"""Shared fixtures: a small synthetic cohort written to disk, easy to break one fault at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
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
