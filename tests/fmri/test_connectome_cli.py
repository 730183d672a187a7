"""The connectome / graph sub-commands end to end on small synthetic files."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from radiome.fmri.connectome_cli import app, parse_densities
from radiome.fmri.graph import graph_metrics

AFFINE = np.diag([3.0, 3.0, 3.0, 1.0])
runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    atlas = np.zeros((8, 6, 4), np.int16)
    for i, lab in enumerate((1, 2, 5, 6, 8, 9)):
        atlas[i : i + 1, :, :] = lab
    shared = rng.standard_normal(60)
    paths = []
    for s in range(3):
        bold = rng.standard_normal((8, 6, 4, 60)) + 100
        bold[atlas == 1] += 2 * shared
        bold[atlas == 2] += 2 * shared
        p = tmp_path / f"sub{s}_bold.nii.gz"
        nib.save(nib.Nifti1Image(bold.astype(np.float32), AFFINE), p)
        paths.append(p)
    ap = tmp_path / "atlas.nii.gz"
    nib.save(nib.Nifti1Image(atlas, AFFINE), ap)
    table = tmp_path / "labels.txt"
    table.write_text("1 Precentral_L\n2 Precentral_R\n5 Insula_L\n6 Insula_R\n8 Cuneus_L\n9 Cuneus_R\n")
    return paths, ap, table, atlas


def test_connectome_correlation_csv(files, tmp_path):
    paths, ap, table, atlas = files
    out = tmp_path / "out" / "fc.csv"
    r = runner.invoke(app, ["connectome", str(paths[0]), str(ap), "--labels", str(table), "--prefix", "AAL",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out, index_col=0)
    assert list(df.columns)[:2] == ["AAL_Precentral_L", "AAL_Precentral_R"]
    bold = nib.load(paths[0]).get_fdata()
    ts = np.stack([bold[atlas == lab].mean(0) for lab in (1, 2, 5, 6, 8, 9)], 1)
    np.testing.assert_allclose(df.to_numpy(), np.corrcoef(ts.T), atol=1e-8)
    assert df.iloc[0, 1] > 0.5
    out_z = tmp_path / "fcz.csv"
    r = runner.invoke(app, ["connectome", str(paths[0]), str(ap), "--fisher", "--out", str(out_z)])
    assert r.exit_code == 0, r.output
    z = pd.read_csv(out_z, index_col=0).to_numpy()
    assert z[0, 0] == 0 and z[0, 1] == pytest.approx(np.arctanh(np.corrcoef(ts.T)[0, 1]), rel=1e-6)
    assert not list(tmp_path.glob("**/*.part*"))  # no temporary file left


def test_connectome_tangent_and_partial(files, tmp_path):
    paths, ap, _, _ = files
    r = runner.invoke(app, ["connectome", str(paths[0]), str(ap), "--kind", "tangent", "--out", str(tmp_path / "t.csv")])
    assert r.exit_code == 1 and "group" in r.stderr
    r = runner.invoke(app, ["connectome", str(paths[0]), str(ap), "--kind", "tangent", "--group", str(paths[1]),
                            "--group", str(paths[2]), "--out", str(tmp_path / "t.csv")])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "t.csv", index_col=0).shape == (6, 6)
    r = runner.invoke(app, ["connectome", str(paths[0]), str(ap), "--kind", "partial", "--out", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output


def test_connectome_grid_mismatch_is_one_red_line(files, tmp_path):
    paths, _, _, atlas = files
    bad = tmp_path / "small_atlas.nii.gz"
    nib.save(nib.Nifti1Image(atlas[:-1], AFFINE), bad)
    r = runner.invoke(app, ["connectome", str(paths[0]), str(bad), "--out", str(tmp_path / "x.csv")])
    assert r.exit_code == 1
    assert len(r.stderr.strip().splitlines()) == 1
    assert "error:" in r.stderr and "small_atlas.nii.gz" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.csv").exists()


def test_graph_command(files, tmp_path):
    rng = np.random.default_rng(3)
    R = np.corrcoef(rng.standard_normal((50, 20)).T)
    names = [f"r{i}" for i in range(20)]
    pd.DataFrame(R, index=names, columns=names).to_csv(tmp_path / "m.csv")
    out = tmp_path / "g.csv"
    r = runner.invoke(app, ["graph", str(tmp_path / "m.csv"), "--density", "0.2:0.4:0.1", "--n-random", "2",
                            "--seed", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    row = pd.read_csv(out).iloc[0]
    ref = graph_metrics(R, densities=[0.2, 0.3, 0.4], names=names, n_random=2, seed=1)
    assert row["matrix"] == "m"
    for key in ("graph_Eglob_auc", "graph_sigma_auc", "nodal_degree_auc_r4"):
        assert np.isfinite(ref[key]) and row[key] == pytest.approx(ref[key], rel=1e-8)
    r = runner.invoke(app, ["graph", str(tmp_path / "m.csv"), "--density", "0.5:0.1:0.1", "--out", str(out)])
    assert r.exit_code == 1 and "densities" in r.stderr
    r = runner.invoke(app, ["graph", str(tmp_path / "missing.csv"), "--out", str(out)])
    assert r.exit_code == 1 and "missing.csv" in r.stderr


def test_parse_densities():
    np.testing.assert_allclose(parse_densities("0.05:0.5:0.01"), np.round(np.arange(0.05, 0.505, 0.01), 10))
    assert parse_densities("0.05:0.5:0.01")[-1] == 0.5 and parse_densities("0.05:0.5:0.01").size == 46
    np.testing.assert_allclose(parse_densities("0.1,0.2"), [0.1, 0.2])
