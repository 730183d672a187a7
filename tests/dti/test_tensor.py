"""DTI: recover a known tensor from a noise-free synthetic DWI; input checks; dipy sample data."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from radiome.dti import fit_tensor, read_dwi, regional_dti, write_maps
from radiome.errors import RadiomeError

EV = np.array([1.7e-3, 0.3e-3, 0.3e-3])


def _fa(l1, l2, l3):
    return np.sqrt(0.5) * np.sqrt((l1 - l2) ** 2 + (l2 - l3) ** 2 + (l3 - l1) ** 2) / np.sqrt(l1**2 + l2**2 + l3**2)


def _gradients(n_dirs: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n_dirs, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    bvecs = np.vstack([[0, 0, 0], [0, 0, 0], v])
    bvals = np.r_[0, 5, np.full(n_dirs, 1000.0)]
    return bvals, bvecs


def _synthetic(shape=(3, 2, 2), seed=0):
    bvals, bvecs = _gradients(seed=seed)
    rng = np.random.default_rng(seed + 1)
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # a random orientation
    D = Q @ np.diag(EV) @ Q.T
    S = 800.0 * np.exp(-bvals * np.einsum("ni,ij,nj->n", bvecs, D, bvecs))
    return np.broadcast_to(S, shape + (S.size,)).copy(), bvals, bvecs


@pytest.mark.parametrize("method", ["WLS", "OLS", "NLLS"])
def test_fit_recovers_known_tensor(method):
    data, bvals, bvecs = _synthetic()
    maps = fit_tensor(data, bvals, bvecs, fit_method=method)
    expected = {"FA": _fa(*EV), "MD": EV.mean(), "AD": EV[0], "RD": EV[1:].mean()}
    assert expected["FA"] == pytest.approx(0.7990, abs=1e-4) and expected["MD"] == pytest.approx(0.767e-3, rel=1e-3)
    for k, v in expected.items():
        np.testing.assert_allclose(maps[k], v, rtol=1e-6)


def test_mask_and_regional_features():
    data, bvals, bvecs = _synthetic(shape=(4, 3, 2))
    mask = np.zeros((4, 3, 2), bool)
    mask[:2] = True
    maps = fit_tensor(data, bvals, bvecs, mask=mask)
    assert np.all(maps["FA"][~mask] == 0) and np.allclose(maps["FA"][mask], _fa(*EV))
    atlas = np.zeros((4, 3, 2), int)
    atlas[0] = 1
    atlas[1] = 2
    feats = regional_dti(maps, atlas, names={1: "CC", 2: "CST"})
    assert set(feats) == {f"dti_{m}_{r}" for m in ("FA", "MD", "AD", "RD") for r in ("CC", "CST")}
    assert feats["dti_MD_CST"] == pytest.approx(EV.mean(), rel=1e-6)


def _write(tmp_path: Path, data, bvals, bvecs, bvec_rows=True):
    nib.save(nib.Nifti1Image(data.astype(np.float32), np.diag([2.0, 2.0, 2.0, 1.0])), tmp_path / "dwi.nii.gz")
    np.savetxt(tmp_path / "dwi.bval", bvals[None], fmt="%g")
    np.savetxt(tmp_path / "dwi.bvec", bvecs.T if bvec_rows else bvecs, fmt="%.8f")
    return tmp_path / "dwi.nii.gz", tmp_path / "dwi.bval", tmp_path / "dwi.bvec"


def test_read_dwi_and_write_maps(tmp_path):
    data, bvals, bvecs = _synthetic()
    nii, bval, bvec = _write(tmp_path, data, bvals, bvecs)
    dwi = read_dwi(nii, bval, bvec)
    assert dwi.bvecs.shape == (14, 3)
    maps = fit_tensor(dwi)
    paths = write_maps(maps, dwi.affine, tmp_path / "out" / "sub01")
    assert sorted(p.name for p in paths.values()) == [f"sub01_{m}.nii.gz" for m in ("AD", "FA", "MD", "RD")]
    fa = nib.load(paths["FA"])
    np.testing.assert_allclose(fa.get_fdata(), _fa(*EV), rtol=1e-5)
    np.testing.assert_allclose(fa.affine, dwi.affine)
    nii, bval, bvec = _write(tmp_path, data, bvals, bvecs, bvec_rows=False)  # N x 3 layout accepted
    assert read_dwi(nii, bval, bvec).bvecs.shape == (14, 3)


def test_read_dwi_errors(tmp_path):
    data, bvals, bvecs = _synthetic()
    nii, bval, bvec = _write(tmp_path, data, bvals, bvecs)
    np.savetxt(bval, bvals[None, :-1], fmt="%g")
    with pytest.raises(RadiomeError, match="13 b-values for 14 DWI volumes") as exc:
        read_dwi(nii, bval, bvec)
    assert "dwi.bval" in str(exc.value)
    np.savetxt(bval, (bvals + 100)[None], fmt="%g")
    with pytest.raises(RadiomeError, match="no b0"):
        read_dwi(nii, bval, bvec)
    np.savetxt(bval, bvals[None], fmt="%g")
    np.savetxt(bvec, bvecs.T[:, :-2], fmt="%.8f")
    with pytest.raises(RadiomeError, match="b-vectors of shape"):
        read_dwi(nii, bval, bvec)
    (tmp_path / "broken.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(RadiomeError, match="broken.nii.gz"):
        read_dwi(tmp_path / "broken.nii.gz", bval, bvec)


def _dipy_small_64d():
    import dipy

    folder = Path(dipy.__file__).parent / "data" / "files"
    files = [folder / f for f in ("small_64D.nii", "small_64D.bval", "small_64D.bvec")]
    return files if all(f.exists() for f in files) else None


@pytest.mark.skipif(_dipy_small_64d() is None, reason="dipy's small_64D sample is not shipped in this install")
def test_smoke_dipy_small_64d():
    nii, bval, bvec = _dipy_small_64d()  # paths inside the installed package: nothing is downloaded
    dwi = read_dwi(nii, bval, bvec)
    maps = fit_tensor(dwi)
    mask = dwi.data[..., dwi.bvals <= 50].mean(-1) > 0
    assert np.all((maps["FA"] >= 0) & (maps["FA"] <= 1))
    assert np.all(maps["MD"][mask] >= 0) and np.median(maps["MD"][mask]) > 0
    np.testing.assert_allclose(maps["MD"], (maps["AD"] + 2 * maps["RD"]) / 3, rtol=1e-6, atol=1e-12)


def test_cli_fit(tmp_path):
    from typer.testing import CliRunner

    from radiome.dti.cli import app

    data, bvals, bvecs = _synthetic()
    nii, bval, bvec = _write(tmp_path, data, bvals, bvecs)
    runner = CliRunner()
    r = runner.invoke(app, ["fit", str(nii), str(bval), str(bvec), "--out-prefix", str(tmp_path / "res" / "s1")])
    assert r.exit_code == 0, r.output
    fa = nib.load(tmp_path / "res" / "s1_FA.nii.gz").get_fdata()
    np.testing.assert_allclose(fa, _fa(*EV), rtol=1e-5)
    np.savetxt(bval, bvals[None, :-1], fmt="%g")
    r = runner.invoke(app, ["fit", str(nii), str(bval), str(bvec), "--out-prefix", str(tmp_path / "bad")])
    assert r.exit_code == 1 and "error:" in r.stderr and "dwi.bval" in r.stderr
    assert not list(tmp_path.glob("bad_*"))
