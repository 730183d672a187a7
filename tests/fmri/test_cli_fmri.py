from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from typer.testing import CliRunner

from radiome.fmri import alff, reho, synthetic_bold
from radiome.fmri.cli import app
from tests.fmri.conftest import write_nifti

runner = CliRunner()


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> tuple[Path, Path, Path, dict, np.ndarray, np.ndarray]:
    d = tmp_path_factory.mktemp("fmri_cli")
    data, mask, affine, truth = synthetic_bold(seed=7, n_timepoints=64)
    bold = write_nifti(d / "bold.nii.gz", data, affine, tr=truth["tr"])
    mpath = write_nifti(d / "mask.nii.gz", mask.astype(np.uint8), affine)
    seed = write_nifti(d / "seed.nii.gz", truth["cluster"].astype(np.uint8), affine)
    return bold, mpath, seed, truth, data, mask


def _read(p: Path) -> np.ndarray:
    return np.asarray(nib.load(str(p)).get_fdata())


def test_alff_and_reho(synth, tmp_path):
    bold, mpath, _, truth, data, mask = synth
    out = tmp_path / "alff.nii.gz"
    res = runner.invoke(app, ["alff", str(bold), str(mpath), "--out", str(out), "--convention", "afni",
                              "--band", "0.01", "0.1"])
    assert res.exit_code == 0, res.output
    assert "alff.nii.gz" in res.output
    expected = alff(data, mask, truth["tr"], band=(0.01, 0.1), convention="afni")
    assert np.allclose(_read(out), expected, rtol=1e-5)
    out = tmp_path / "reho.nii.gz"
    res = runner.invoke(app, ["reho", str(bold), str(mpath), "--out", str(out), "--neighbours", "7"])
    assert res.exit_code == 0, res.output
    assert np.allclose(_read(out), reho(data, mask, neighbours=7), atol=1e-6)


def test_falff_dc_vmhc_fc(synth, tmp_path):
    bold, mpath, seed, truth, _, _ = synth
    for cmd in ("falff", "vmhc"):
        res = runner.invoke(app, [cmd, str(bold), str(mpath), "--out", str(tmp_path / f"{cmd}.nii.gz")])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["dc", str(bold), str(mpath), "--out", str(tmp_path / "dc.nii.gz"), "--sparsity", "0.01"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dc.nii.gz").exists() and (tmp_path / "dc_weighted.nii.gz").exists()
    res = runner.invoke(
        app, ["fc", str(bold), str(mpath), "--out", str(tmp_path / "fc.nii.gz"), "--seed-mask", str(seed)]
    )
    assert res.exit_code == 0, res.output
    assert _read(tmp_path / "fc.nii.gz")[truth["cluster"]].min() > 2.5  # z of r > 0.99
    x, y, z = truth["seed_centre_mm"]
    res = runner.invoke(app, ["fc", str(bold), str(mpath), "--out", str(tmp_path / "fc2.nii.gz"),
                              "--seed-mm", str(x), str(y), str(z), "--radius", "3.5"])
    assert res.exit_code == 0, res.output
    assert _read(tmp_path / "fc2.nii.gz")[truth["cluster_core"]].min() > 2.5


def test_errors_are_one_red_line_exit_2(synth, tmp_path):
    bold, _, _, _, _, _ = synth
    anat = write_nifti(tmp_path / "anat.nii.gz", np.zeros((4, 4, 4), np.float32))
    mask = write_nifti(tmp_path / "m.nii.gz", np.ones((4, 4, 4), np.uint8))
    res = runner.invoke(app, ["alff", str(anat), str(mask), "--out", str(tmp_path / "x.nii.gz")])
    assert res.exit_code == 1
    assert "error:" in res.output and "anat.nii.gz" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["reho", str(bold), str(mask), "--out", str(tmp_path / "x.nii.gz")])
    assert res.exit_code == 1 and "does not match" in res.output
    res = runner.invoke(app, ["fc", str(bold), str(mask), "--out", str(tmp_path / "x.nii.gz")])
    assert res.exit_code == 1
    assert not (tmp_path / "x.nii.gz").exists()
