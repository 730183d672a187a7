"""Tests of the per-subject brain features, against hand computations on a tiny synthetic cohort."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from radiome.demo.brain import write_brain_demo
from radiome.errors import ConfigError, RadiomeError
from radiome.fmri.alff import alff_falff
from radiome.fmri.features import BrainFeatureSpec, brain_feature_table, graph_densities, subject_features
from radiome.fmri.reho import reho

SMALL = dict(n_patients=4, n_controls=4, shape=(16, 18, 14), n_timepoints=80)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, BrainFeatureSpec]:
    out = tmp_path_factory.mktemp("brain_small")
    write_brain_demo(out, seed=11, **SMALL)
    man = pd.read_csv(out / "participants.tsv", sep="\t")
    spec = BrainFeatureSpec(atlas=out / "atlas.nii.gz", labels=out / "atlas_labels.tsv")
    return out, man, spec


@pytest.fixture(scope="module")
def first(cohort) -> tuple[dict[str, float], np.ndarray, np.ndarray, float, np.ndarray, list[str]]:
    out, man, spec = cohort
    row = man.iloc[0]
    feats = subject_features(out / row["bold"], out / row["mask"], spec, patient=row["participant_id"])
    img = nib.load(out / row["bold"])
    data = np.asarray(img.dataobj, dtype=np.float64)
    mask = np.asarray(nib.load(out / row["mask"]).dataobj) > 0
    tr = float(img.header.get_zooms()[3])
    atlas = np.asarray(nib.load(out / "atlas.nii.gz").dataobj).astype(int)
    names = pd.read_csv(out / "atlas_labels.tsv", sep="\t")["name"].tolist()
    return feats, data, mask, tr, atlas, names


def _z(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    inside = x[mask]
    return (x - inside.mean()) / inside.std(ddof=1)  # as documented: n - 1 denominator


def test_feature_names_and_order(first) -> None:
    feats, _, _, _, _, names = first
    assert len(names) == 16 and names[:2] == ["PCC_L", "PCC_R"]
    expected = []
    for prefix in ("alff", "falff", "reho", "dc", "dcw"):
        expected += [f"{prefix}_{n}" for n in names]
    expected += [f"fc_{names[i]}__{names[j]}" for i in range(16) for j in range(i + 1, 16)]
    expected += [f"graph_{m}_auc" for m in ("Cp", "Lp", "Eglob", "Eloc", "gamma", "lambda", "sigma", "omega")]
    expected += [f"nodal_degree_auc_{n}" for n in names] + [f"nodal_efficiency_auc_{n}" for n in names]
    assert list(feats) == expected
    assert all(isinstance(v, float) for v in feats.values())
    finite = [k for k, v in feats.items() if not np.isfinite(v)]
    # only small-world indices may be undefined (no triangle in the random/lattice reference graphs)
    assert set(finite) <= {"graph_gamma_auc", "graph_sigma_auc", "graph_omega_auc"}


def test_regional_maps_equal_hand_computation(first) -> None:
    feats, data, mask, tr, atlas, names = first
    assert tr == 2.0
    a, f = alff_falff(data, mask, tr, band=(0.01, 0.08), convention="dpabi")
    w = reho(data, mask, neighbours=27, convention="dpabi")
    for prefix, m in (("alff", a), ("falff", f), ("reho", w)):
        z = _z(m, mask)
        for lab, name in enumerate(names, start=1):
            assert feats[f"{prefix}_{name}"] == pytest.approx(float(np.mean(z[atlas == lab])), rel=1e-9, abs=1e-12)


def test_fc_edges_equal_corrcoef_of_roi_means(first) -> None:
    feats, data, _, _, atlas, names = first
    series = np.column_stack([data[atlas == lab].mean(axis=0) for lab in range(1, 17)])
    r = np.corrcoef(series, rowvar=False)
    np.fill_diagonal(r, 0.0)
    z = np.arctanh(r)
    for i in range(16):
        for j in range(i + 1, 16):
            assert feats[f"fc_{names[i]}__{names[j]}"] == pytest.approx(z[i, j], abs=1e-9)


def test_nodal_degree_auc_counts_kept_edges(first, cohort) -> None:
    feats, _, _, _, _, names = first
    d = graph_densities(cohort[2])
    assert np.allclose(d, [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4])
    # sum of degrees = 2 x kept edges = 2 round(d x 120) at each density (the strongest r are positive here)
    expected = np.trapezoid(2 * np.round(d * 120), d)
    assert sum(feats[f"nodal_degree_auc_{n}"] for n in names) == pytest.approx(expected)


def test_vmhc_symmetric_and_standardize_none(cohort) -> None:
    out, man, spec = cohort
    row = man.iloc[1]
    s2 = BrainFeatureSpec(atlas=spec.atlas, labels=spec.labels, metrics=("vmhc", "alff"), standardize="none")
    feats = subject_features(out / row["bold"], out / row["mask"], s2)
    assert list(feats)[0] == "vmhc_PCC_L" and len(feats) == 32
    # the atlas and mask are mirror images, so each left ROI has the mean VMHC of its right twin
    for region in ("PCC", "Insula", "Thalamus", "Cerebellum"):
        assert feats[f"vmhc_{region}_L"] == pytest.approx(feats[f"vmhc_{region}_R"], abs=1e-9)
    img = nib.load(out / row["bold"])
    data = np.asarray(img.dataobj, dtype=np.float64)
    mask = np.asarray(nib.load(out / row["mask"]).dataobj) > 0
    atlas = np.asarray(nib.load(out / "atlas.nii.gz").dataobj)
    a, _ = alff_falff(data, mask, 2.0)
    assert feats["alff_Insula_L"] == pytest.approx(a[atlas == 9].mean(), rel=1e-9)  # raw ALFF


def test_atlas_grid_mismatch_names_file_and_patient(cohort, tmp_path: Path) -> None:
    out, man, spec = cohort
    row = man.iloc[0]
    atlas = nib.load(out / "atlas.nii.gz")
    cropped = tmp_path / "atlas_cropped.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(atlas.dataobj)[:-1], atlas.affine), cropped)
    bad = BrainFeatureSpec(atlas=cropped, labels=spec.labels)
    with pytest.raises(RadiomeError) as err:
        subject_features(out / row["bold"], out / row["mask"], bad, patient="sub-001")
    msg = str(err.value)
    assert "atlas_cropped.nii.gz" in msg and "sub-001" in msg and "grid" in msg
    assert err.value.patient == "sub-001"
    shifted = tmp_path / "atlas_shifted.nii.gz"
    aff = atlas.affine.copy()
    aff[0, 3] += 3.0
    nib.save(nib.Nifti1Image(np.asarray(atlas.dataobj), aff), shifted)
    with pytest.raises(RadiomeError, match="affine"):
        subject_features(out / row["bold"], out / row["mask"], BrainFeatureSpec(atlas=shifted), patient="sub-001")


def test_optional_structural_and_dti(cohort, tmp_path: Path) -> None:
    out, man, spec = cohort
    row = man.iloc[0]
    atlas_img = nib.load(out / "atlas.nii.gz")
    atlas = np.asarray(atlas_img.dataobj).astype(int)
    counts = np.bincount(atlas.ravel(), minlength=17)[1:]
    gm = tmp_path / "gm.nii.gz"
    nib.save(nib.Nifti1Image(np.full(atlas.shape, 0.5, np.float32), atlas_img.affine), gm)
    # a DWI on the atlas grid with one tensor everywhere: eigenvalues (1.7, 0.3, 0.3) um^2/ms
    bvecs = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, -1, 0], [0, 1, -1]],
                     dtype=float)
    bvecs /= np.linalg.norm(bvecs, axis=1, keepdims=True)
    bvecs = np.vstack([[0, 0, 0], bvecs])
    bvals = np.array([0] + [1000] * 8, dtype=float)
    D = np.diag([1.7e-3, 0.3e-3, 0.3e-3])
    signal = 1000.0 * np.exp(-bvals * np.einsum("ni,ij,nj->n", bvecs, D, bvecs))
    dwi = tmp_path / "dwi.nii.gz"
    nib.save(nib.Nifti1Image(np.broadcast_to(signal, atlas.shape + (9,)).astype(np.float32), atlas_img.affine), dwi)
    np.savetxt(tmp_path / "dwi.bval", bvals[None])
    np.savetxt(tmp_path / "dwi.bvec", bvecs.T)
    s1 = BrainFeatureSpec(atlas=spec.atlas, labels=spec.labels, metrics=("alff",))
    feats = subject_features(out / row["bold"], out / row["mask"], s1, patient="p1", dwi=dwi,
                             bval=tmp_path / "dwi.bval", bvec=tmp_path / "dwi.bvec", t1_labels=out / "atlas.nii.gz",
                             gm=gm)
    l1, l2, l3 = 1.7, 0.3, 0.3
    fa = np.sqrt(0.5) * np.sqrt((l1 - l2) ** 2 + (l2 - l3) ** 2 + (l3 - l1) ** 2) / np.sqrt(l1**2 + l2**2 + l3**2)
    assert feats["dti_FA_PCC_L"] == pytest.approx(fa, rel=1e-4)
    assert feats["dti_MD_Insula_R"] == pytest.approx(0.7667e-3, rel=1e-3)
    assert feats["t1_vol_ACC_L"] == pytest.approx(counts[4] * 27.0)
    assert feats["gm_vol_S1_R"] == pytest.approx(0.5 * counts[13] * 27.0, rel=1e-6)
    keys = list(feats)
    assert keys.index("alff_Cerebellum_R") < keys.index("dti_FA_PCC_L") < keys.index("t1_vol_PCC_L") < keys.index(
        "gm_vol_PCC_L")
    # a DWI off the atlas grid is refused, naming the file and the patient
    small = tmp_path / "dwi_small.nii.gz"
    nib.save(nib.Nifti1Image(np.asarray(nib.load(dwi).dataobj)[1:], atlas_img.affine), small)
    with pytest.raises(RadiomeError) as err:
        subject_features(out / row["bold"], out / row["mask"], s1, patient="p1", dwi=small,
                         bval=tmp_path / "dwi.bval", bvec=tmp_path / "dwi.bvec")
    assert "dwi_small.nii.gz" in str(err.value) and "p1" in str(err.value)
    with pytest.raises(RadiomeError, match="bvec"):
        subject_features(out / row["bold"], out / row["mask"], s1, dwi=dwi, bval=tmp_path / "dwi.bval")


def test_spec_validation(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown brain metric"):
        BrainFeatureSpec(atlas=tmp_path / "a.nii.gz", metrics=("alff", "entropy"))
    with pytest.raises(ConfigError, match="standardize"):
        BrainFeatureSpec(atlas=tmp_path / "a.nii.gz", standardize="robust")
    with pytest.raises(ConfigError, match="graph_densities"):
        BrainFeatureSpec(atlas=tmp_path / "a.nii.gz", graph_densities=(0.4, 0.1, 0.05))
    spec = BrainFeatureSpec(atlas=str(tmp_path / "a.nii.gz"), metrics=["ALFF", "fc"])
    assert spec.metrics == ("alff", "fc") and isinstance(spec.atlas, Path)


def test_table_order_failures_and_jobs(cohort, tmp_path: Path) -> None:
    out, man, spec = cohort
    corrupt = tmp_path / "corrupt_bold.nii.gz"
    corrupt.write_bytes(b"this is not a NIfTI file" * 10)
    subjects = []
    for _, row in man.iloc[::-1].iterrows():  # reversed order: the table must keep it
        bold = corrupt if row["participant_id"] == "sub-003" else out / row["bold"]
        subjects.append((row["participant_id"], {"bold": bold, "mask": out / row["mask"], "gm": None}))
    calls: list[int] = []
    t1, f1 = brain_feature_table(subjects, spec, jobs=1, progress=calls.append)
    assert sum(calls) == len(subjects)
    assert [sid for sid, _ in f1] == ["sub-003"]
    assert "corrupt_bold.nii.gz" in f1[0][1] and "sub-003" in f1[0][1]
    expected_ids = [sid for sid, _ in subjects if sid != "sub-003"]
    assert t1["patient_id"].tolist() == expected_ids
    one = subject_features(out / man.iloc[0]["bold"], out / man.iloc[0]["mask"], spec)
    assert t1.columns.tolist() == ["patient_id", *one]
    assert t1.loc[t1["patient_id"] == "sub-001", list(one)].iloc[0].tolist() == pytest.approx(
        list(one.values()), nan_ok=True, rel=1e-12)
    t2, f2 = brain_feature_table(subjects, spec, jobs=2)
    assert f2 == f1
    pd.testing.assert_frame_equal(t1, t2, check_exact=True)
    with pytest.raises(ValueError, match="twice"):
        brain_feature_table(subjects + subjects[:1], spec, jobs=1)


def test_confound_regression_removes_a_planted_nuisance_signal(cohort, tmp_path: Path) -> None:
    """Regression is linear: cleaning (data + c * s) with the confound s gives the same residual as
    cleaning data with s, so the features agree; without cleaning they differ."""
    out, man, spec = cohort
    row = man.iloc[2]
    img = nib.load(out / row["bold"])
    data = np.asarray(img.dataobj, dtype=np.float32)
    mask = np.asarray(nib.load(out / row["mask"]).dataobj) > 0
    t = np.arange(data.shape[3])
    nuisance = np.sin(2 * np.pi * 0.05 * t * 2.0) + 0.02 * t  # a "motion" regressor in the ALFF band
    noisy = data + (3.0 * nuisance)[None, None, None, :] * mask[..., None]
    hdr = img.header.copy()
    nib.save(nib.Nifti1Image(noisy.astype(np.float32), img.affine, hdr), tmp_path / "noisy.nii.gz")
    nib.save(nib.Nifti1Image(data, img.affine, hdr), tmp_path / "clean.nii.gz")
    pd.DataFrame({"trans_x": nuisance, "csf": np.r_[np.nan, np.ones(len(t) - 1)]}).to_csv(
        tmp_path / "conf.tsv", sep="\t", index=False)
    s2 = BrainFeatureSpec(atlas=spec.atlas, labels=spec.labels, metrics=("alff", "fc"), clean=True,
                          confound_columns=("trans_x",))
    a = subject_features(tmp_path / "noisy.nii.gz", out / row["mask"], s2, confounds=tmp_path / "conf.tsv")
    b = subject_features(tmp_path / "clean.nii.gz", out / row["mask"], s2, confounds=tmp_path / "conf.tsv")
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-4), k
    raw = BrainFeatureSpec(atlas=spec.atlas, labels=spec.labels, metrics=("alff", "fc"))
    r = subject_features(tmp_path / "noisy.nii.gz", out / row["mask"], raw)
    assert max(abs(r[k] - b[k]) for k in r if k.startswith("fc_")) > 0.1
    with pytest.raises(RadiomeError, match="not in the table: nope"):
        subject_features(tmp_path / "noisy.nii.gz", out / row["mask"],
                         BrainFeatureSpec(atlas=spec.atlas, labels=spec.labels, metrics=("alff",), clean=True,
                                          confound_columns=("nope",)), confounds=tmp_path / "conf.tsv")
    with pytest.raises(RadiomeError, match="cleaning is off"):
        subject_features(tmp_path / "noisy.nii.gz", out / row["mask"], raw, confounds=tmp_path / "conf.tsv")
