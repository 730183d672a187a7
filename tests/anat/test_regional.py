"""Regional volumes, intensities and GM volumes on synthetic label images with known counts."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from radiome.anat import (
    gm_regional_sums,
    regional_intensity,
    regional_volumes,
    total_intracranial_volume,
    voxel_volume,
)
from radiome.errors import GeometryError, MaskError, RadiomeError

ZOOMS = (0.8, 1.2, 3.0)
AFFINE = np.diag(ZOOMS + (1.0,))


@pytest.fixture
def labels():
    lab = np.zeros((10, 8, 6), np.int16)
    lab[0:4, 0:5, 0:2] = 1  # 40 voxels
    lab[5:10, 0:3, 0:6] = 3  # 90 voxels
    lab[0:2, 6:8, 3:4] = 7  # 4 voxels
    return lab


def test_regional_volumes_known_counts_anisotropic(labels, tmp_path):
    p = tmp_path / "seg.nii.gz"
    nib.save(nib.Nifti1Image(labels, AFFINE), p)
    vv = 0.8 * 1.2 * 3.0
    vols = regional_volumes(p, names={1: "L_hippo", 3: "R_hippo"})
    assert vols == pytest.approx({"t1_vol_L_hippo": 40 * vv, "t1_vol_R_hippo": 90 * vv, "t1_vol_roi_7": 4 * vv})
    # an oblique (rotated) affine keeps the voxel volume
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]) @ AFFINE
    assert voxel_volume(rot) == pytest.approx(vv)
    assert regional_volumes(nib.Nifti1Image(labels, rot), labels=[3])["t1_vol_roi_3"] == pytest.approx(90 * vv)


def test_regional_intensity_and_gm(labels):
    rng = np.random.default_rng(0)
    t1 = rng.uniform(100, 200, labels.shape)
    gm = rng.uniform(0, 1, labels.shape)
    lab_img = nib.Nifti1Image(labels, AFFINE)
    mean = regional_intensity(nib.Nifti1Image(t1, AFFINE), lab_img, names=["a", "b", "c"])
    assert mean["t1_mean_b"] == pytest.approx(t1[labels == 3].mean())
    gmv = gm_regional_sums(nib.Nifti1Image(gm, AFFINE), lab_img)
    assert gmv["gm_vol_roi_1"] == pytest.approx(gm[labels == 1].sum() * 0.8 * 1.2 * 3.0)
    wm = np.clip(1 - gm, 0, 1) * 0.5
    tiv = total_intracranial_volume(nib.Nifti1Image(gm, AFFINE), nib.Nifti1Image(wm, AFFINE))
    assert tiv == pytest.approx(np.clip(gm + wm, 0, 1).sum() * 0.8 * 1.2 * 3.0)


def test_geometry_mismatch_and_label_errors(labels, tmp_path):
    lab_img = nib.Nifti1Image(labels, AFFINE)
    p = tmp_path / "t1.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((10, 8, 5)), AFFINE), p)
    with pytest.raises(GeometryError, match="t1.nii.gz"):
        regional_intensity(p, lab_img)
    nib.save(nib.Nifti1Image(np.ones(labels.shape), np.diag([1.0, 1.0, 1.0, 1.0])), p)
    with pytest.raises(GeometryError, match="affine"):
        regional_intensity(p, lab_img)
    with pytest.raises(MaskError, match="not found"):
        regional_volumes(lab_img, labels=[1, 2])
    with pytest.raises(RadiomeError, match="expected \\[0, 1\\]"):
        gm_regional_sums(nib.Nifti1Image(np.full(labels.shape, 2.0), AFFINE), lab_img)
    with pytest.raises(RadiomeError, match="voxel size"):
        regional_volumes(labels)
