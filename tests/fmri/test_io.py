from __future__ import annotations

import numpy as np
import pytest

from radiome.errors import RadiomeError
from radiome.fmri import clean, load_bold, save_map
from tests.fmri.conftest import NIBABEL_DATA, write_nifti


def test_load_bold_roundtrip(tiny_bold):
    bold, mask_path, data, mask = tiny_bold
    d, m, tr, aff = load_bold(bold, mask_path)
    assert d.dtype == np.float32 and d.shape == data.shape
    assert np.array_equal(m, mask)
    assert tr == pytest.approx(2.0)
    assert np.allclose(d[m], data[mask])
    assert np.all(d[~m] == 0)
    assert aff.shape == (4, 4)


def test_tr_override_and_msec_units(tmp_path):
    arr = np.random.default_rng(0).normal(size=(3, 3, 3, 10)).astype(np.float32)
    p = write_nifti(tmp_path / "ms.nii.gz", arr, tr=2500.0, time_unit="msec")
    assert load_bold(p)[2] == pytest.approx(2.5)
    assert load_bold(p, tr=0.8)[2] == pytest.approx(0.8)


def test_default_mask_excludes_constant_voxels(tmp_path):
    arr = np.random.default_rng(0).normal(size=(3, 3, 3, 10)).astype(np.float32)
    arr[0, 0, 0] = 5.0
    _, m, _, _ = load_bold(write_nifti(tmp_path / "b.nii.gz", arr, tr=2.0))
    assert not m[0, 0, 0] and m.sum() == 26


def test_3d_bold_is_rejected_naming_the_file(tmp_path):
    p = write_nifti(tmp_path / "anat.nii.gz", np.zeros((4, 4, 4), np.float32))
    with pytest.raises(RadiomeError, match="4D") as exc:
        load_bold(p)
    assert "anat.nii.gz" in str(exc.value)


def test_mask_shape_mismatch(tiny_bold, tmp_path):
    bold, _, _, _ = tiny_bold
    bad = write_nifti(tmp_path / "badmask.nii.gz", np.ones((6, 5, 3), np.uint8))
    with pytest.raises(RadiomeError, match="does not match") as exc:
        load_bold(bold, bad)
    assert "badmask.nii.gz" in str(exc.value)


def test_nan_in_mask_is_rejected(tmp_path, tiny_bold):
    _, mask_path, data, mask = tiny_bold
    data = data.copy()
    data[2, 2, 1, 5] = np.nan
    p = write_nifti(tmp_path / "nanbold.nii.gz", data, tr=2.0)
    with pytest.raises(RadiomeError, match="NaN") as exc:
        load_bold(p, mask_path)
    assert "nanbold.nii.gz" in str(exc.value)
    data2 = data.copy()
    data2[2, 2, 1, 5] = 1.0
    data2[0, 0, 0, 3] = np.nan  # outside the mask: ignored
    d, _, _, _ = load_bold(write_nifti(tmp_path / "ok.nii.gz", data2, tr=2.0), mask_path)
    assert np.isfinite(d).all()


def test_missing_tr_and_empty_mask(tmp_path):
    arr = np.random.default_rng(0).normal(size=(3, 3, 3, 10)).astype(np.float32)
    p = write_nifti(tmp_path / "notr.nii.gz", arr, tr=0.0)
    with pytest.raises(RadiomeError, match="TR") as exc:
        load_bold(p)
    assert "notr.nii.gz" in str(exc.value)
    empty = write_nifti(tmp_path / "empty.nii.gz", np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(RadiomeError, match="empty") as exc:
        load_bold(p, empty, tr=2.0)
    assert "empty.nii.gz" in str(exc.value)


def test_missing_file():
    with pytest.raises(RadiomeError, match="not found"):
        load_bold("/nonexistent/bold.nii.gz")


def test_nibabel_example4d_too_short():
    # nibabel's example4d has only 2 volumes: refused with a clear message
    with pytest.raises(RadiomeError, match="time points"):
        load_bold(NIBABEL_DATA / "example4d.nii.gz")


def test_save_map_atomic(tmp_path):
    import nibabel as nib

    arr = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    out = save_map(arr, np.diag([2, 2, 2, 1.0]), tmp_path / "sub" / "map.nii.gz")
    img = nib.load(str(out))
    assert np.allclose(img.get_fdata(), arr) and img.get_data_dtype() == np.float32
    assert [p.name for p in out.parent.iterdir()] == ["map.nii.gz"]  # no temp file left behind


def test_clean_records_settings(tiny_bold):
    _, _, data, mask = tiny_bold
    conf = np.linspace(0, 1, data.shape[3])
    cleaned, settings = clean(data + 5 * conf, mask, 2.0, confounds=conf)
    assert settings["confounds"] == 1 and settings["detrend"] is True
    # the confound is regressed out: in-mask series are orthogonal to it
    x = cleaned[mask]
    assert np.abs(x @ (conf - conf.mean())).max() < 1e-3
    assert np.all(cleaned[~mask] == 0)
