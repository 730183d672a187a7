"""A synthetic resting-state fMRI cohort: patients vs controls with planted regional differences.

Shaped like the chronic-pain / depression rs-fMRI studies radiome is used for (regional ALFF, ReHo,
DC and ROI connectivity compared between a patient group and healthy controls), so that the brain
pipeline (:mod:`radiome.fmri.features`, selection, models, report) can be tried end to end.
**Everything is simulated; nothing comes from a patient.** The same seed gives identical files.

Model
-----
*Grid and atlas.* One MNI-like grid shared by every subject: ``shape`` voxels of 3 mm, affine
``diag(3, 3, 3)`` with the origin chosen so that voxel ``i`` lies at ``x = (i - (nx - 1) / 2) * 3``
mm (symmetric about x = 0, so VMHC applies; ``x < 0`` is the left hemisphere, RAS). The brain mask
is an ellipsoid one voxel inside the grid. The atlas has 16 regions, 8 left/right pairs
(:data:`REGIONS`): ellipsoids at fixed positions relative to the brain ellipsoid, each voxel given
to the nearest region centre of its own hemisphere (so regions never overlap and are exact mirror
images), all inside the mask.

*Signal.* Every brain voxel ``v`` of subject ``s`` at time ``t``::

    x_v(t) = b_v + g_s [ 1.0 e_v(t) + 0.6 n_v(t) + 0.25 G(t) + a_{s,r} S_{s,r}(t) (v in region r)
                         + l_s L_v(t) (v in Thalamus_L) ]

with ``b_v`` a smooth baseline around 600, ``g_s`` a subject scale (about 6, i.e. 1 % signal),
``e`` white noise, ``n`` spatially smooth noise (white noise blurred with a Gaussian of
sigma 1.2 voxel, rescaled to unit SD), ``G`` a global low-frequency signal, ``S_{s,r}`` the region's
shared low-frequency signal (unit SD, 0.01-0.10 Hz with a 1/f amplitude slope) and ``L_v``
independent low-frequency (0.01-0.08 Hz) noise per voxel. Each region signal is a normalised mixture
of independent components: its own, its network's (default mode: PCC, Precuneus, PFC; salience:
Insula, ACC; sensorimotor: S1, Thalamus; cerebellar), a homotopic component shared with its mirror
region, and for Insula_L and ACC_L a coupling component ``C`` with weight ``c_s``. Shared signals
make ReHo higher inside regions than in the background and give PCC-Precuneus "default mode"
coupling in everyone. Region amplitudes vary between subjects (log-normal, SD 0.25), as do the
scale and the planted parameters, so groups overlap.

*Planted differences* (patients vs controls; :data:`PLANTED`; per-subject values in ``truth.tsv``):

(a) the shared within-region signal of Insula_L and ACC_L is stronger in patients (amplitude
    ``a`` 1.3 vs 0.9 on average, log-normal spread SD 0.25) -> higher ReHo (and ALFF) there;
(b) the Insula_L - ACC_L coupling weight ``c`` is higher in patients (0.75 vs 0.3 on average,
    SD 0.3, clipped at 0) -> higher FC between them;
(c) the independent low-frequency amplitude ``l`` in Thalamus_L is higher in patients (1.35 vs
    0.9 on average, log-normal spread SD 0.25) -> higher ALFF / fALFF there (ReHo there drops a
    little: the added noise is independent between voxels).

Each effect alone is moderate (Cohen's d about 1 on the regional feature), so a classifier on all
features separates the groups well but not perfectly (a linear SVM on the zALFF/zReHo/zDC/FC/graph
features: cross-validated AUC about 0.85-0.9). With 60 subjects and a few hundred features some
unplanted features differ between the groups by chance (with the default seed 2026 the random
region amplitude of Thalamus_R happens to be lower in patients, |d| about 1): sampling noise, as in
a real study, not a planted effect. Age and sex are drawn independently of the
group. The subjects are generated in two threads; each has its own generator seeded from
``(seed, index)``, so threads change the speed, never the result.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from radiome._atomic import atomic_path, write_text_atomic

__all__ = ["PLANTED", "REGIONS", "write_brain_demo"]

VOXEL_MM = 3.0

#: region -> (|u|, v, w) centre in units of the brain ellipsoid's semi-axes (u lateral, v anterior,
#: w superior); the left region is at -u, the right at +u. Labels: 2k+1 for _L, 2k+2 for _R.
REGIONS: dict[str, tuple[float, float, float]] = {
    "PCC": (0.20, -0.40, 0.22),
    "Precuneus": (0.22, -0.68, 0.46),
    "ACC": (0.20, 0.40, 0.12),
    "PFC": (0.26, 0.70, 0.26),
    "Insula": (0.66, 0.12, 0.00),
    "Thalamus": (0.22, -0.08, -0.14),
    "S1": (0.54, -0.24, 0.58),
    "Cerebellum": (0.34, -0.58, -0.56),
}
_RADIUS = 0.21  # region semi-axes, in units of the brain semi-axes
_NETWORK = {"PCC": ("dmn", 1.0), "Precuneus": ("dmn", 1.0), "PFC": ("dmn", 0.45), "Insula": ("sal", 0.45),
            "ACC": ("sal", 0.45), "S1": ("smn", 0.6), "Thalamus": ("smn", 0.4), "Cerebellum": ("cer", 0.5)}
_HOMOTOPIC = 0.5

#: planted group differences: parameter -> (control mean, patient mean, between-subject SD)
PLANTED: dict[str, tuple[float, float, float]] = {
    "amp_Insula_L": (0.9, 1.3, 0.25),  # log-normal multiplier SD; (a) ReHo Insula_L
    "amp_ACC_L": (0.9, 1.3, 0.25),  # (a) ReHo ACC_L
    "coupling_Insula_L_ACC_L": (0.3, 0.75, 0.3),  # (b) FC Insula_L - ACC_L
    "lowfreq_Thalamus_L": (0.9, 1.35, 0.25),  # (c) ALFF Thalamus_L (log-normal SD)
}
_BASE_AMP = 0.9  # mean shared-signal amplitude of the other regions
_AMP_SD = 0.25  # log-normal SD of every region amplitude
_WHITE, _SMOOTH, _GLOBAL = 1.0, 0.6, 0.25


@dataclass
class _Subject:
    sid: str
    group: str
    age: int
    sex: str
    index: int


def _geometry(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Affine, brain mask, atlas label volume and label names (index = label - 1)."""
    nx, ny, nz = shape
    affine = np.diag([VOXEL_MM, VOXEL_MM, VOXEL_MM, 1.0])
    affine[:3, 3] = -VOXEL_MM * (np.array(shape, dtype=float) - 1) / 2.0
    centre = (np.array(shape, dtype=float) - 1) / 2.0
    semi = centre - 1.0
    ii, jj, kk = np.indices(shape, dtype=float)
    u = (ii - centre[0]) / semi[0]
    v = (jj - centre[1]) / semi[1]
    w = (kk - centre[2]) / semi[2]
    mask = u**2 + v**2 + w**2 <= 1.0
    names: list[str] = []
    dist = []
    for region, (cu, cv, cw) in REGIONS.items():
        for side, sign in (("L", -1.0), ("R", 1.0)):
            names.append(f"{region}_{side}")
            d2 = ((u - sign * cu) ** 2 + (v - cv) ** 2 + (w - cw) ** 2) / _RADIUS**2
            hemi = (ii - centre[0]) * sign > 0  # the voxel lies in this region's hemisphere
            dist.append(np.where(hemi, d2, np.inf))
    dist_arr = np.stack(dist)  # (R, X, Y, Z)
    nearest = np.argmin(dist_arr, axis=0)
    inside = (np.min(dist_arr, axis=0) <= 1.0) & mask
    atlas = np.where(inside, nearest + 1, 0).astype(np.int16)
    return affine, mask, atlas, names


def _lowfreq(rng: np.random.Generator, n: int, n_t: int, tr: float, lo: float, hi: float,
             slope: float = 0.0) -> np.ndarray:
    """``n`` series of band-limited Gaussian noise (``lo``-``hi`` Hz, amplitude ~ f^-slope), unit SD."""
    freqs = np.fft.rfftfreq(n_t, d=tr)
    keep = (freqs >= lo) & (freqs <= hi)
    if not keep.any():  # very short series: keep the lowest non-DC bin
        keep[1 if freqs.size > 1 else 0] = True
    shape_amp = np.where(keep, np.power(np.maximum(freqs, 1e-6), -slope), 0.0)
    spec = (rng.standard_normal((n, freqs.size)) + 1j * rng.standard_normal((n, freqs.size))) * shape_amp
    x = np.fft.irfft(spec, n=n_t, axis=1)
    x -= x.mean(axis=1, keepdims=True)
    sd = x.std(axis=1, keepdims=True)
    return x / np.where(sd > 0, sd, 1.0)


def _region_params(rng: np.random.Generator, group: str, names: list[str]) -> dict[str, float]:
    """Per-subject amplitudes and couplings (the planted ones differ by group)."""
    pat = group == "patient"
    params: dict[str, float] = {}
    for name in names:
        key = f"amp_{name}"
        if key in PLANTED:
            c, p, sd = PLANTED[key]
            params[key] = float((p if pat else c) * np.exp(sd * rng.standard_normal()))
        else:
            params[key] = float(_BASE_AMP * np.exp(_AMP_SD * rng.standard_normal()))
    c, p, sd = PLANTED["coupling_Insula_L_ACC_L"]
    params["coupling_Insula_L_ACC_L"] = float(max(0.0, (p if pat else c) + sd * rng.standard_normal()))
    c, p, sd = PLANTED["lowfreq_Thalamus_L"]
    params["lowfreq_Thalamus_L"] = float((p if pat else c) * np.exp(sd * rng.standard_normal()))
    params["scale"] = float(6.0 * np.exp(0.15 * rng.standard_normal()))
    return params


def _simulate(
    subj: _Subject, seed: int, shape: tuple[int, int, int], n_t: int, tr: float, mask: np.ndarray,
    atlas: np.ndarray, names: list[str], baseline: np.ndarray,
) -> tuple[np.ndarray, dict[str, float]]:
    rng = np.random.default_rng([seed, subj.index])
    params = _region_params(rng, subj.group, names)
    n_vox = int(mask.sum())
    # noise: white + spatially smooth, float32 throughout
    data = np.empty(shape + (n_t,), dtype=np.float32)
    smooth = rng.standard_normal(shape + (n_t,), dtype=np.float32)
    ndimage.gaussian_filter(smooth, sigma=(1.2, 1.2, 1.2, 0.0), output=smooth, mode="constant")
    smooth *= np.float32(1.0 / max(float(smooth[mask].std()), 1e-6))
    inside = _WHITE * rng.standard_normal((n_vox, n_t), dtype=np.float32) + _SMOOTH * smooth[mask]
    del smooth
    # signals: global, networks, homotopic pairs, own, the planted coupling
    comps = {k: _lowfreq(rng, 1, n_t, tr, 0.01, 0.10, slope=0.5)[0] for k in ("global", "dmn", "sal", "smn", "cer",
                                                                               "coupling")}
    homo = {region: _lowfreq(rng, 1, n_t, tr, 0.01, 0.10, slope=0.5)[0] for region in REGIONS}
    own = _lowfreq(rng, len(names), n_t, tr, 0.01, 0.10, slope=0.5)
    inside += _GLOBAL * comps["global"].astype(np.float32)
    labels_in = atlas[mask]
    for r, name in enumerate(names):
        region = name[:-2]
        net, w_net = _NETWORK[region]
        parts = [own[r], w_net * comps[net], _HOMOTOPIC * homo[region]]
        weights = [1.0, w_net, _HOMOTOPIC]
        if name in ("Insula_L", "ACC_L"):
            c = params["coupling_Insula_L_ACC_L"]
            parts.append(c * comps["coupling"])
            weights.append(c)
        sig = np.sum(parts, axis=0) / np.sqrt(np.sum(np.square(weights)))
        rows = labels_in == r + 1
        inside[rows] += np.float32(params[f"amp_{name}"]) * sig.astype(np.float32)
        if name == "Thalamus_L":
            inside[rows] += np.float32(params["lowfreq_Thalamus_L"]) * _lowfreq(
                rng, int(rows.sum()), n_t, tr, 0.01, 0.08).astype(np.float32)
    inside *= np.float32(params["scale"])
    inside += baseline[mask][:, None]
    data[...] = 0.0  # a preprocessed, brain-masked series: 0 outside the brain
    data[mask] = inside
    return data, params


def _write_nifti(arr: np.ndarray, affine: np.ndarray, path: Path, tr: float | None = None) -> Path:
    import nibabel as nib

    img = nib.Nifti1Image(arr, affine)
    img.header.set_xyzt_units("mm", "sec")
    if tr is not None:
        img.header.set_zooms(tuple(img.header.get_zooms()[:3]) + (float(tr),))
    img.set_qform(affine, code=4)  # 4 = MNI152
    img.set_sform(affine, code=4)
    with atomic_path(path) as tmp:
        nib.save(img, str(tmp))
    return path


def _write_tsv(df: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, lineterminator="\n")
    return path


def _rel(sid: str, kind: str) -> str:
    desc = "desc-preproc_bold" if kind == "bold" else "desc-brain_mask"
    return f"derivatives/{sid}/func/{sid}_task-rest_space-MNI_{desc}.nii.gz"


def write_brain_demo(
    out_dir: str | Path,
    *,
    seed: int = 2026,
    n_patients: int = 30,
    n_controls: int = 30,
    shape: tuple[int, int, int] = (28, 32, 24),
    n_timepoints: int = 120,
    tr: float = 2.0,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Path]:
    """Generate the synthetic rs-fMRI cohort into ``out_dir``; see the module docstring.

    Writes ``atlas.nii.gz``, ``atlas_labels.tsv`` (index, name), per subject
    ``derivatives/sub-XXX/func/sub-XXX_task-rest_space-MNI_desc-{preproc_bold,brain_mask}.nii.gz``,
    ``participants.tsv`` (participant_id, group, age, sex, bold, mask: the study manifest),
    ``truth.tsv`` (the planted per-subject parameters), ``README.md`` and ``study.yaml``.
    ``progress`` is called with 1 after each subject. Returns the paths keyed ``participants``,
    ``truth``, ``atlas``, ``labels``, ``readme``, ``study``.
    """
    out = Path(out_dir)
    shape = tuple(int(s) for s in shape)  # type: ignore[assignment]
    if len(shape) != 3 or min(shape) < 12:
        raise ValueError(f"shape must be 3 sizes of at least 12 voxels, got {shape}")
    if n_patients < 0 or n_controls < 0 or n_patients + n_controls == 0:
        raise ValueError("n_patients and n_controls must be >= 0 with at least one subject")
    if n_timepoints < 32:
        raise ValueError(f"n_timepoints must be >= 32, got {n_timepoints}")
    if not tr > 0:
        raise ValueError(f"tr must be positive, got {tr}")
    out.mkdir(parents=True, exist_ok=True)
    affine, mask, atlas, names = _geometry(shape)  # type: ignore[arg-type]
    sizes = np.bincount(atlas.reshape(-1), minlength=len(names) + 1)[1:]
    if sizes.min() < 4:
        raise ValueError(f"shape {shape} is too small: some atlas region has fewer than 4 voxels")

    rng = np.random.default_rng(seed)
    n = n_patients + n_controls
    groups = np.array(["patient"] * n_patients + ["control"] * n_controls, dtype=object)
    rng.shuffle(groups)
    ages = np.clip(np.rint(rng.normal(42.0, 11.0, n)), 18, 75).astype(int)
    female = rng.random(n) < 0.55
    subjects = [_Subject(f"sub-{i + 1:03d}", str(groups[i]), int(ages[i]), "F" if female[i] else "M", i + 1)
                for i in range(n)]
    ii, jj, kk = np.indices(shape, dtype=float)
    baseline = (600.0 + 60.0 * np.cos(ii / shape[0] * np.pi) * np.cos(jj / shape[1] * np.pi)
                + 40.0 * (kk / shape[2])).astype(np.float32)

    paths: dict[str, Path] = {}
    paths["atlas"] = _write_nifti(atlas, affine, out / "atlas.nii.gz")
    labels_df = pd.DataFrame({"index": np.arange(1, len(names) + 1), "name": names})
    paths["labels"] = _write_tsv(labels_df, out / "atlas_labels.tsv")
    mask_u8 = mask.astype(np.uint8)

    def one(subj: _Subject) -> dict[str, float]:
        data, params = _simulate(subj, seed, shape, n_timepoints, tr, mask, atlas, names, baseline)  # type: ignore[arg-type]
        _write_nifti(data, affine, out / _rel(subj.sid, "bold"), tr=tr)
        _write_nifti(mask_u8, affine, out / _rel(subj.sid, "mask"))
        return params

    rows, truth_rows = [], []
    workers = max(1, min(2, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for subj, params in zip(subjects, pool.map(one, subjects)):
            rows.append({"participant_id": subj.sid, "group": subj.group, "age": subj.age, "sex": subj.sex,
                         "bold": _rel(subj.sid, "bold"), "mask": _rel(subj.sid, "mask")})
            truth_rows.append({"participant_id": subj.sid, "group": subj.group,
                               **{k: round(v, 6) for k, v in params.items()}})
            if progress is not None:
                progress(1)
    paths["participants"] = _write_tsv(pd.DataFrame(rows), out / "participants.tsv")
    paths["truth"] = _write_tsv(pd.DataFrame(truth_rows), out / "truth.tsv")
    paths["readme"] = write_text_atomic(out / "README.md", _readme(seed, n_patients, n_controls, shape, n_timepoints,
                                                                  tr, names, sizes))
    paths["study"] = write_text_atomic(out / "study.yaml", _study_yaml(seed, n_patients, n_controls))
    return paths


def _study_yaml(seed: int, n_patients: int, n_controls: int) -> str:
    n = n_patients + n_controls
    return f"""\
# SYNTHETIC BRAIN DEMO STUDY - generated by `radiome demo --brain` (seed {seed}). NOT patient data.
name: Brain rs-fMRI demo (synthetic)
description: >-
  {n} synthetic subjects ({n_patients} patients, {n_controls} controls) with resting-state fMRI on a
  3 mm MNI-like grid, a 16-region atlas, and planted group differences in ReHo (Insula_L, ACC_L),
  Insula_L-ACC_L connectivity and Thalamus_L ALFF. Simulated data, not patient data.
modality: fmri
inputs:
  manifest: participants.tsv
  id_column: participant_id
  image_column: bold
  mask_column: mask
outcome:
  column: group
  positive: patient
covariates:
  - age
  - {{name: sex, categorical: true, reference: F}}
brain:
  atlas: atlas.nii.gz
  labels: atlas_labels.tsv
  metrics: [alff, falff, reho, dc, fc, graph]
  standardize: z
selection:
  chain: [zscore, univariate, mrmr, lasso]
  mrmr_k: 20
models:
  classifiers: [svm_linear, svm_rbf, random_forest, logistic]
validation:
  test_size: 0.25
  cv_folds: 5
  seed: 42
report:
  title: "Resting-state fMRI classification of patients vs controls (synthetic demo)"
output_dir: results
"""


def _readme(seed: int, n_patients: int, n_controls: int, shape: tuple[int, ...], n_t: int, tr: float,
            names: list[str], sizes: np.ndarray) -> str:
    n = n_patients + n_controls
    regions = "\n".join(f"| {i + 1} | `{name}` | {int(sizes[i])} |" for i, name in enumerate(names))
    p = PLANTED
    return f"""# Synthetic brain rs-fMRI demo study

**THIS DATA IS SYNTHETIC. It was generated by a computer program (`radiome.demo.brain`); it is not
patient data and no person's images or records were used.** It is shaped like resting-state fMRI
studies of chronic pain or depression (patients vs healthy controls, regional ALFF / ReHo / degree
centrality and ROI connectivity as features) so that the radiome brain pipeline can be tried end to
end. The planted effects below are the only group differences; they are not claims about any
disease.

## How it was generated

`radiome.demo.brain.write_brain_demo(seed={seed}, n_patients={n_patients}, n_controls={n_controls},
shape={tuple(shape)}, n_timepoints={n_t}, tr={tr})` - the same call gives identical images and
byte-identical tables.

- {n} subjects `sub-001`..`sub-{n:03d}`: {n_patients} `patient`, {n_controls} `control`, in shuffled
  order; age (18-75) and sex drawn independently of the group.
- One preprocessed-like 4D BOLD series per subject (float32, {n_t} volumes, TR {tr} s in the header)
  on a shared {shape[0]} x {shape[1]} x {shape[2]} grid of 3 mm voxels, symmetric about x = 0
  (voxel i at x = (i - {(shape[0] - 1) / 2:g}) * 3 mm; x < 0 is left), and the ellipsoidal brain mask.
- Signal in each brain voxel: a smooth baseline (about 600) + subject scale (about 6) x [white noise
  (SD 1) + spatially smooth noise (Gaussian sigma 1.2 voxel, SD 0.6) + a weak global low-frequency
  signal (SD 0.25) + in atlas regions a region-wide shared low-frequency signal (0.01-0.10 Hz)].
  Region signals mix their own component with a network component (default mode: PCC, Precuneus,
  PFC; salience: Insula, ACC; sensorimotor: S1, Thalamus; cerebellar) and a homotopic component
  shared with the mirror region, so ReHo is higher in regions than in the background and PCC and
  Precuneus are coupled in every subject. Region amplitudes vary between subjects (log-normal SD 0.25).

## Planted group differences (patients vs controls)

| effect | parameter (truth.tsv) | controls | patients | between-subject spread |
|---|---|---|---|---|
| (a) stronger shared signal -> higher ReHo (and ALFF) in Insula_L | `amp_Insula_L` | {p['amp_Insula_L'][0]} | {p['amp_Insula_L'][1]} | x exp(N(0, {p['amp_Insula_L'][2]})) |
| (a) stronger shared signal -> higher ReHo (and ALFF) in ACC_L | `amp_ACC_L` | {p['amp_ACC_L'][0]} | {p['amp_ACC_L'][1]} | x exp(N(0, {p['amp_ACC_L'][2]})) |
| (b) higher Insula_L - ACC_L functional connectivity | `coupling_Insula_L_ACC_L` | {p['coupling_Insula_L_ACC_L'][0]} | {p['coupling_Insula_L_ACC_L'][1]} | + N(0, {p['coupling_Insula_L_ACC_L'][2]}), >= 0 |
| (c) higher low-frequency (0.01-0.08 Hz) amplitude -> higher ALFF in Thalamus_L | `lowfreq_Thalamus_L` | {p['lowfreq_Thalamus_L'][0]} | {p['lowfreq_Thalamus_L'][1]} | x exp(N(0, {p['lowfreq_Thalamus_L'][2]})) |

All other regions have shared-signal amplitude {_BASE_AMP} x exp(N(0, {_AMP_SD})) in both groups.
The amplitudes multiply the unit-SD region signal (in units of the white-noise SD); the coupling is
the weight of a component shared only by Insula_L and ACC_L; Thalamus_L also carries independent
(voxel-wise) band-limited noise of the given SD, which raises ALFF and fALFF (and lowers ReHo a
little, the noise being independent between voxels). The groups overlap: each planted feature alone
has an effect size of about d = 1, and a linear classifier on all features should reach a test AUC
of roughly 0.8-0.95, not 1. Some unplanted features differ between the groups by chance (for
example, in the default cohort - seed 2026, 30 + 30 - the random shared-signal amplitude of
Thalamus_R, `amp_Thalamus_R` in truth.tsv, happens to be lower in the patients): that is sampling
noise, as in any real cohort, not a planted effect.

## Files

- `participants.tsv` - the study manifest: `participant_id`, `group`, `age`, `sex`, and the relative
  paths `bold` and `mask`;
- `truth.tsv` - the per-subject simulation parameters: the shared-signal amplitude of every region
  (`amp_{{region}}`), the planted coupling and Thalamus_L low-frequency amplitude, and `scale`, the
  overall signal scale;
- `atlas.nii.gz` + `atlas_labels.tsv` (columns `index`, `name`) - the 16-region atlas on the BOLD grid:

| index | name | voxels |
|---|---|---|
{regions}

- `derivatives/sub-XXX/func/sub-XXX_task-rest_space-MNI_desc-preproc_bold.nii.gz` and
  `..._desc-brain_mask.nii.gz`;
- `study.yaml` - the study definition (`radiome run study.yaml`).
"""
