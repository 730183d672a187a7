"""Tests of the synthetic lumbar study generator, checked against independent computations.

The studies are generated on a coarse grid (same field of view, 1.4 mm pixels, 6 slices) so the
whole module runs in a few seconds.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiome.demo.lumbar import LABELS, LANDMARK_NAMES, MUSCLES, VAS_CUT, generate_lumbar_demo
from radiome.demo.montage import save_montage

SHAPE = (128, 128, 6)
SPACING = (1.4, 1.4, 4.0)
SMALL = dict(n_mild=3, n_severe=5, shape=SHAPE, spacing=SPACING)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], list[int]]:
    out = tmp_path_factory.mktemp("lumbar_a")
    calls: list[int] = []
    paths = generate_lumbar_demo(out, seed=7, progress=calls.append, **SMALL)
    return out, paths, calls


@pytest.fixture(scope="module")
def small_again(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lumbar_b")
    generate_lumbar_demo(out, seed=7, **SMALL)
    return out


@pytest.fixture(scope="module")
def small_other_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lumbar_c")
    generate_lumbar_demo(out, seed=8, **SMALL)
    return out


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lumbar_m")
    generate_lumbar_demo(out, seed=11, n_mild=10, n_severe=10, shape=SHAPE, spacing=SPACING)
    return out


def _checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _arr(root: Path, rel: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(root / rel)))


# --- files and determinism ----------------------------------------------------------------------
def test_returned_paths_exist_and_progress_counts_patients(small) -> None:
    out, paths, calls = small
    assert set(paths) == {"manifest", "clinical", "landmarks", "truth", "montage", "readme"}
    for p in paths.values():
        assert p.is_file() and p.stat().st_size > 0
        assert p.parent == out
    assert calls == [1] * 8
    # nothing half-written is left behind by the atomic writers
    assert not [p for p in out.rglob("*") if ".part" in p.name]


def test_same_seed_gives_byte_identical_files(small, small_again: Path) -> None:
    a, b = _checksums(small[0]), _checksums(small_again)
    assert len(a) == 8 * 3 + 6
    assert a == b


def test_different_seed_gives_different_study(small, small_other_seed: Path) -> None:
    a, c = _checksums(small[0]), _checksums(small_other_seed)
    assert a.keys() == c.keys()
    differing = [k for k in a if a[k] != c[k]]
    assert "clinical.csv" in differing and "truth.csv" in differing
    assert all(f"images/LBP00{i}_t2.nii.gz" in differing for i in range(1, 9))


# --- clinical table -----------------------------------------------------------------------------
def test_group_counts_ids_and_shuffled_order(small, medium: Path) -> None:
    clin = pd.read_csv(small[0] / "clinical.csv")
    assert list(clin.columns) == ["patient_id", "age", "sex", "bmi", "symptom_duration_months", "vas", "pain_group"]
    assert list(clin.patient_id) == [f"LBP{i:03d}" for i in range(1, 9)]
    assert (clin.pain_group == "mild").sum() == 3 and (clin.pain_group == "severe").sum() == 5
    groups = list(pd.read_csv(medium / "clinical.csv").pain_group)
    assert groups.count("mild") == 10 and groups.count("severe") == 10
    assert groups != sorted(groups) and groups != sorted(groups, reverse=True)


def test_pain_group_follows_vas_cut(medium: Path) -> None:
    clin = pd.read_csv(medium / "clinical.csv")
    assert clin.vas.between(0, 10).all()
    assert np.allclose(clin.vas, clin.vas.round(1))
    assert ((clin.vas < VAS_CUT) == (clin.pain_group == "mild")).all()
    assert ((clin.vas >= VAS_CUT) == (clin.pain_group == "severe")).all()


def test_clinical_values_are_plausible(medium: Path) -> None:
    clin = pd.read_csv(medium / "clinical.csv")
    assert set(clin.sex) <= {"F", "M"}
    assert clin.age.between(18, 90).all() and 30 < clin.age.mean() < 60
    assert clin.bmi.between(15, 45).all() and 20 < clin.bmi.mean() < 30
    assert (clin.symptom_duration_months >= 3).all()  # chronic: at least 3 months


# --- images and masks ---------------------------------------------------------------------------
def test_manifest_paths_exist_and_share_geometry(small) -> None:
    out = small[0]
    man = pd.read_csv(out / "manifest.csv")
    assert list(man.columns) == ["patient_id", "image", "mask", "mask_reader2"]
    for _, row in man.iterrows():
        imgs = []
        for col in ("image", "mask", "mask_reader2"):
            rel = row[col]
            assert not Path(rel).is_absolute() and "\\" not in rel
            assert (out / rel).is_file()
            imgs.append(sitk.ReadImage(str(out / rel)))
        img, m1, m2 = imgs
        assert img.GetPixelID() == sitk.sitkInt16
        assert m1.GetPixelID() == sitk.sitkUInt8 and m2.GetPixelID() == sitk.sitkUInt8
        for im in imgs:
            assert im.GetSize() == SHAPE
            assert np.allclose(im.GetSpacing(), SPACING)
            assert np.allclose(im.GetOrigin(), img.GetOrigin())
            assert np.allclose(im.GetDirection(), np.eye(3).ravel())
        a = sitk.GetArrayFromImage(img)
        assert a.min() >= 0 and 1000 < a.max() < 5000  # MRI-like magnitude scale


def test_every_label_present_in_both_readers(small) -> None:
    out = small[0]
    for _, row in pd.read_csv(out / "manifest.csv").iterrows():
        for col in ("mask", "mask_reader2"):
            present = set(np.unique(_arr(out, row[col]))) - {0}
            assert present == set(LABELS.values()), (row.patient_id, col, present)


def test_reader2_agrees_like_a_second_reader(medium: Path) -> None:
    for _, row in pd.read_csv(medium / "manifest.csv").iterrows():
        m1, m2 = _arr(medium, row["mask"]), _arr(medium, row["mask_reader2"])
        for name in MUSCLES:
            a, b = m1 == LABELS[name], m2 == LABELS[name]
            dice = 2 * (a & b).sum() / (a.sum() + b.sum())
            assert 0.85 <= dice <= 0.98, (row.patient_id, name, dice)
        for name in ("VB", "CANAL", "SCF"):
            assert np.array_equal(m1 == LABELS[name], m2 == LABELS[name])


def test_t2_contrast_csf_and_fat_brighter_than_muscle(medium: Path) -> None:
    for _, row in pd.read_csv(medium / "manifest.csv").iterrows():
        img, m = _arr(medium, row["image"]).astype(float), _arr(medium, row["mask"])
        muscle = img[np.isin(m, [LABELS[k] for k in MUSCLES])].mean()
        csf = img[m == LABELS["CANAL"]].mean()
        fat = img[m == LABELS["SCF"]].mean()
        assert csf > 1.8 * muscle and fat > 1.8 * muscle, (row.patient_id, muscle, csf, fat)


# --- truth table --------------------------------------------------------------------------------
def test_truth_fat_fraction_range_and_intensity_follows_it(medium: Path) -> None:
    truth = pd.read_csv(medium / "truth.csv").set_index("patient_id")
    clin = pd.read_csv(medium / "clinical.csv").set_index("patient_id")
    assert (truth.pain_group == clin.pain_group).all()
    ffs, means = [], []
    for _, row in pd.read_csv(medium / "manifest.csv").iterrows():
        img, m = _arr(medium, row["image"]).astype(float), _arr(medium, row["mask"])
        for name in MUSCLES:
            ff = truth.loc[row.patient_id, f"fat_fraction_{name}"]
            assert 0.0 <= ff <= 1.0
            if name.startswith("MF"):
                ffs.append(ff)
                means.append(img[m == LABELS[name]].mean())
    # Spearman rank correlation by hand (no ties in continuous data)
    rx, ry = np.argsort(np.argsort(ffs)), np.argsort(np.argsort(means))
    rho = np.corrcoef(rx, ry)[0, 1]
    assert rho > 0.7, rho


def test_truth_csa_matches_masks(small) -> None:
    out = small[0]
    truth = pd.read_csv(out / "truth.csv").set_index("patient_id")
    for _, row in pd.read_csv(out / "manifest.csv").iterrows():
        m = _arr(out, row["mask"])
        for name in MUSCLES:
            csa = (m == LABELS[name]).sum(axis=(1, 2)).mean() * SPACING[0] * SPACING[1]
            assert truth.loc[row.patient_id, f"csa_{name}_mm2"] == pytest.approx(csa, abs=1e-2)


def _points(lm: pd.DataFrame, pid: str) -> dict[str, np.ndarray]:
    sub = lm[lm.patient_id == pid]
    return {r["name"]: np.array([r.x, r.y, r.z], float) for _, r in sub.iterrows()}


def _line_angle_deg(a0: np.ndarray, a1: np.ndarray, b0: np.ndarray, b1: np.ndarray) -> float:
    """Acute angle between the lines a0-a1 and b0-b1."""
    u, v = a1 - a0, b1 - b0
    c = abs(float(u @ v)) / (np.linalg.norm(u) * np.linalg.norm(v))
    return math.degrees(math.acos(min(c, 1.0)))


def test_landmark_names_complete(medium: Path) -> None:
    lm = pd.read_csv(medium / "landmarks.csv")
    assert list(lm.columns) == ["patient_id", "name", "x", "y", "z"]
    for pid, sub in lm.groupby("patient_id"):
        assert sorted(sub.name) == sorted(LANDMARK_NAMES), pid


def test_facet_angles_recomputed_from_landmarks(medium: Path) -> None:
    lm = pd.read_csv(medium / "landmarks.csv")
    truth = pd.read_csv(medium / "truth.csv").set_index("patient_id")
    angles = []
    for pid in truth.index:
        p = _points(lm, pid)
        for side in "LR":
            ang = _line_angle_deg(p[f"facet_{side}_anterior"], p[f"facet_{side}_posterior"], p["midline_anterior"], p["midline_posterior"])
            assert ang == pytest.approx(truth.loc[pid, f"facet_angle_{side}_deg"], abs=0.01)
            angles.append(ang)
        # posterior margins lie posterior (larger y in LPS) and lateral of the anterior ones
        assert p["facet_L_posterior"][1] > p["facet_L_anterior"][1]
        assert p["facet_L_anterior"][0] > p["midline_anterior"][0] > p["facet_R_anterior"][0]
    assert 25 < min(angles) and max(angles) < 70 and np.std(angles) > 2


def test_lordosis_recomputed_from_landmarks(medium: Path) -> None:
    lm = pd.read_csv(medium / "landmarks.csv")
    truth = pd.read_csv(medium / "truth.csv").set_index("patient_id")
    for pid in truth.index:
        p = _points(lm, pid)
        # the virtual sagittal plane: all four endplate corners share the midline x
        xs = [p[n][0] for n in ("L1_sup_anterior", "L1_sup_posterior", "S1_sup_anterior", "S1_sup_posterior")]
        assert np.ptp(xs) < 1e-6
        yz = {n: p[n][1:] for n in p}
        ang = _line_angle_deg(yz["L1_sup_anterior"], yz["L1_sup_posterior"], yz["S1_sup_anterior"], yz["S1_sup_posterior"])
        assert ang == pytest.approx(truth.loc[pid, "lordosis_deg"], abs=0.01)
        assert 15 < ang < 85
        assert p["L1_sup_anterior"][2] > p["S1_sup_anterior"][2]  # L1 is cranial of S1


def test_axial_landmarks_inside_image_on_the_disc_slice(small) -> None:
    out = small[0]
    lm = pd.read_csv(out / "landmarks.csv")
    truth = pd.read_csv(out / "truth.csv").set_index("patient_id")
    for _, row in pd.read_csv(out / "manifest.csv").iterrows():
        img = sitk.ReadImage(str(out / row["image"]))
        p = _points(lm, row.patient_id)
        k = int(truth.loc[row.patient_id, "disc_slice_index"])
        lo = np.array(img.GetOrigin())
        hi = lo + (np.array(img.GetSize()) - 1) * np.array(img.GetSpacing())
        for name in LANDMARK_NAMES[:6]:
            x = p[name]
            assert np.all(x >= lo - 1e-6) and np.all(x <= hi + 1e-6), (row.patient_id, name, x)
            idx = img.TransformPhysicalPointToContinuousIndex(tuple(x))
            assert idx[2] == pytest.approx(k, abs=1e-6)
        # the vertebral body centre is anterior of the facets, which are anterior of the spinous tip
        assert p["midline_anterior"][1] < p["facet_L_anterior"][1] < p["midline_posterior"][1]


# --- README and montage -------------------------------------------------------------------------
def test_readme_says_synthetic_and_documents_the_cut(small) -> None:
    text = (small[0] / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "not" in text.lower() and "patient data" in text
    assert "VAS < 5.0" in text and "seed=7" in text
    for col in ("mask_reader2", "symptom_duration_months", "facet_angle_L_deg", "lordosis_deg", "L1_sup_anterior"):
        assert col in text
    for name in LABELS:
        assert f"`{name}`" in text


def test_montage_is_a_png_of_panels(small) -> None:
    import matplotlib.image as mpimg

    png = small[1]["montage"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    a = mpimg.imread(png)
    assert a.shape[0] > 600 and a.shape[1] > 600
    assert a[..., :3].std() > 0.1  # not blank


def test_save_montage_checks_inputs(tmp_path: Path) -> None:
    img = np.random.default_rng(0).normal(300, 50, (40, 50))
    mask = np.zeros((40, 50), np.uint8)
    mask[10:20, 10:30] = 1
    out = save_montage(tmp_path / "m.png", [img, img], titles=["a", "b"], masks=[None, mask], labels={"A": 1})
    assert out.is_file() and out.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        save_montage(tmp_path / "bad.png", [img], masks=[np.zeros((5, 5))])
    with pytest.raises(ValueError):
        save_montage(tmp_path / "bad.png", [])
    assert not (tmp_path / "bad.png").exists()
