"""ROI signals, atlas reading and connectivity features."""

from __future__ import annotations


import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from radiome.errors import GeometryError, MaskError, RadiomeError
from radiome.fmri.atlas import (
    connectivity,
    fisher_z,
    matrix_features,
    read_atlas,
    read_label_table,
    regional_means,
    roi_timeseries,
)

AFFINE = np.diag([3.0, 3.0, 4.0, 1.0])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    bold = rng.standard_normal((7, 6, 5, 40)) + 10
    atlas = np.zeros((7, 6, 5), dtype=np.int16)
    atlas[:3, :, :2] = 1
    atlas[3:, :3, :] = 4
    atlas[3:, 3:, 2:] = 9
    return bold, atlas


def test_roi_timeseries_equals_hand_loop(data):
    bold, atlas = data
    ts, labels = roi_timeseries(bold, atlas)
    assert labels == [1, 4, 9]
    ref = np.zeros((40, 3))
    for r, lab in enumerate(labels):
        for t in range(40):
            vals = [bold[x, y, z, t] for x, y, z in zip(*np.nonzero(atlas == lab))]
            ref[t, r] = sum(vals) / len(vals)
    np.testing.assert_allclose(ts, ref, rtol=1e-12)


def test_roi_timeseries_mask_labels_and_images(data):
    bold, atlas = data
    mask = np.ones(atlas.shape, bool)
    mask[:, :, 0] = False
    ts, labels = roi_timeseries(nib.Nifti1Image(bold, AFFINE), nib.Nifti1Image(atlas, AFFINE), labels=[9, 1],
                                mask=mask)
    assert labels == [9, 1]
    np.testing.assert_allclose(ts[:, 1], bold[(atlas == 1) & mask].mean(axis=0))
    np.testing.assert_allclose(ts[:, 0], bold[atlas == 9].mean(axis=0))


def test_roi_errors(data, tmp_path):
    bold, atlas = data
    with pytest.raises(MaskError, match=r"label\(s\) \[2\] not found"):
        roi_timeseries(bold, atlas, labels=[1, 2])
    mask = atlas != 1
    with pytest.raises(MaskError, match="no voxel inside the mask"):
        roi_timeseries(bold, atlas, mask=mask)
    p = tmp_path / "atlas.nii.gz"
    nib.save(nib.Nifti1Image(atlas[:-1], AFFINE), p)
    with pytest.raises(GeometryError, match="atlas.nii.gz") as exc:
        roi_timeseries(nib.Nifti1Image(bold, AFFINE), read_atlas(p))
    assert "does not match the data grid" in str(exc.value)
    nib.save(nib.Nifti1Image(atlas, np.diag([2.0, 2.0, 2.0, 1.0])), p)
    with pytest.raises(GeometryError, match="affine"):
        roi_timeseries(nib.Nifti1Image(bold, AFFINE), read_atlas(p))


def test_regional_means(data):
    bold, atlas = data
    m = bold[..., 0]
    s = regional_means(m, atlas, names={1: "a", 4: "b", 9: "c"})
    assert isinstance(s, pd.Series) and list(s.index) == ["a", "b", "c"]
    assert s["b"] == pytest.approx(m[atlas == 4].mean())


@pytest.mark.parametrize(
    "fname,text",
    [
        ("aal.txt", "1 Precentral_L 2001\n4 Precentral_R 2002\n9 Frontal Sup-L 2101\n"),
        ("aal.csv", "index,name\n1,Precentral_L\n4,Precentral_R\n9,Frontal Sup-L\n"),
        ("aal.tsv", "Name\tLabel\nPrecentral_L\t1\nPrecentral_R\t4\nFrontal Sup-L\t9\n"),
    ],
)
def test_read_atlas_with_label_table(tmp_path, data, fname, text):
    _, atlas = data
    p = tmp_path / "aal.nii.gz"
    nib.save(nib.Nifti1Image(atlas, AFFINE), p)
    (tmp_path / fname).write_text(text)
    at = read_atlas(p, tmp_path / fname, prefix="AAL")
    assert at.labels == [1, 4, 9]
    assert at.names == ["AAL_Precentral_L", "AAL_Precentral_R", "AAL_Frontal_Sup_L"]
    assert read_atlas(p).names == ["roi_1", "roi_4", "roi_9"]


def test_read_atlas_errors(tmp_path, data):
    _, atlas = data
    p = tmp_path / "prob.nii.gz"
    nib.save(nib.Nifti1Image(atlas * 0.5, AFFINE), p)
    with pytest.raises(MaskError, match="not integers") as exc:
        read_atlas(p)
    assert "prob.nii.gz" in str(exc.value)
    with pytest.raises(RadiomeError, match="not found"):
        read_atlas(tmp_path / "missing.nii.gz")
    bad = tmp_path / "bad.txt"
    bad.write_text("one Precentral_L\n")
    with pytest.raises(RadiomeError, match="bad.txt"):
        read_label_table(bad)


def test_connectivity_kinds():
    rng = np.random.default_rng(2)
    ts = rng.standard_normal((120, 5))
    ts[:, 1] += ts[:, 0]
    np.testing.assert_allclose(connectivity(ts), np.corrcoef(ts.T), atol=1e-10)
    P = np.linalg.inv(np.cov(ts.T))
    ref = -P / np.sqrt(np.outer(np.diag(P), np.diag(P)))
    np.fill_diagonal(ref, 1)
    np.testing.assert_allclose(connectivity(ts, "partial", estimator="empirical"), ref, atol=1e-10)
    group = [ts, rng.standard_normal((100, 5)), rng.standard_normal((90, 5))]
    tg = connectivity(group, "tangent")
    assert tg.shape == (3, 5, 5) and np.allclose(tg, np.transpose(tg, (0, 2, 1)))
    with pytest.raises(RadiomeError, match="group"):
        connectivity(ts, "tangent")
    with pytest.raises(RadiomeError, match="unknown"):
        connectivity(ts, "mutual information")


def test_matrix_features_names_and_fisher():
    M = np.array([[1.0, 0.5, -0.2], [0.5, 1.0, 0.9], [-0.2, 0.9, 1.0]])
    f = matrix_features(M, ["A", "B", "C"])
    assert f == {"fc_A__B": 0.5, "fc_A__C": -0.2, "fc_B__C": 0.9}
    fz = matrix_features(M, ["A", "B", "C"], prefix="fcz", fisher=True)
    assert fz["fcz_B__C"] == pytest.approx(np.arctanh(0.9))
    assert np.isfinite(fisher_z(np.array([1.0, -1.0]))).all()
    with pytest.raises(RadiomeError):
        matrix_features(M, ["A", "B"])
