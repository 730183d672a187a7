"""Shared helpers of the fMRI tests: tiny volumes written to NIfTI."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

NIBABEL_DATA = Path(nib.__file__).parent / "tests" / "data"


def write_nifti(path: Path, arr: np.ndarray, affine: np.ndarray | None = None, tr: float | None = None,
                time_unit: str = "sec") -> Path:
    img = nib.Nifti1Image(np.asarray(arr), np.eye(4) if affine is None else affine)
    if tr is not None and np.asarray(arr).ndim == 4:
        zooms = list(img.header.get_zooms()[:3]) + [tr]
        img.header.set_zooms(zooms)
    img.header.set_xyzt_units("mm", time_unit)
    nib.save(img, str(path))
    return path


@pytest.fixture
def tiny_bold(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    data = (100 + rng.normal(size=(6, 5, 4, 40))).astype(np.float32)
    mask = np.zeros((6, 5, 4), np.uint8)
    mask[1:5, 1:4, 1:3] = 1
    return (
        write_nifti(tmp_path / "bold.nii.gz", data, tr=2.0),
        write_nifti(tmp_path / "mask.nii.gz", mask),
        data,
        mask.astype(bool),
    )
