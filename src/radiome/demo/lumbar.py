"""A synthetic lumbar pain radiomics study: axial T2-weighted-like MRI at L4-5, masks, clinical data.

The study is shaped like a published paraspinal-muscle radiomics study of chronic low back pain:
148 patients (52 with mild and 96 with severe pain by the visual analogue scale, VAS), one axial
T2-weighted volume of the L4-5 level each, segmentations of the multifidus (MF) and erector spinae
(ES) muscles by two readers, and a clinical table. **Everything is simulated; nothing comes from a
patient.** The same seed gives byte-identical files.

Model
-----
*Cohort.* Pain groups are assigned in shuffled order to ``LBP001``.. . VAS (0-10 cm, one decimal)
is drawn per group on either side of the cut :data:`VAS_CUT` (mild: VAS < 5.0, severe: VAS >= 5.0).
Age, sex, BMI and symptom duration are drawn with small group differences (severe a little older,
slightly more often female, slightly higher BMI, longer duration) so that they are weak, not strong,
predictors. Each muscle gets a target fat fraction ``FF = base[group] + covariates + shared patient
latent + muscle-type latent + muscle noise`` (mild MF 0.10, severe MF 0.15, mild ES 0.085, severe ES
0.14, all SD about 0.05-0.06, clipped to [0.01, 0.6]); the shared latent correlates the four muscles
of a patient so that averaging them helps a model only moderately (AUC of the true mean FF about 0.8).

*Anatomy.* Each patient has a local frame in mm (``u`` towards the patient's left, ``v`` posterior,
origin at the centre of the thecal sac) that is shifted by a few mm and rotated by a few degrees in
the scanner. Shapes are drawn slice by slice with a painter's algorithm from analytic primitives
(ellipses, capsules, star-shaped outlines whose radius is a periodic cubic spline of the angle),
each evaluated only in its bounding box: body outline, skin, subcutaneous fat (thickness from BMI
and sex), the lateral abdominal wall, bowel, iliac vessels (flow voids), psoas, quadratus lumborum,
vertebral body (cortex and marrow) or intervertebral disc (annulus, nucleus whose brightness drops
with degeneration; slices straddling an endplate are partial-volume mixtures), pedicles and
transverse processes away from the disc, the facet joints (superior articular process of L5,
inferior articular process of L4, a thin fluid line between them at the drawn facet angle) near the
disc, lamina, spinous process, ligamentum flavum, epidural fat, the thecal sac with bright CSF and
dark nerve roots, and the paraspinal compartment on each side, which a septum splits into multifidus
(medial) and erector spinae (lateral), wrapped by the dark thoracolumbar fascia. Muscle sizes scale
with sex, BMI and age; multifidus grows and erector spinae shrinks caudally.

*Fat infiltration.* Inside each muscle label a smooth random field is built from fibre-oriented
streaks (Gaussian-filtered noise stretched along the fascicle direction), larger patches and a
preference for the muscle periphery; the voxels above the ``1 - FF`` quantile of that field become
fat. The realised fraction (whole volume, mask voxels) is what ``truth.csv`` records.

*Image formation.* Each tissue has a T2-weighted fast-spin-echo-like signal (air 0, cortical bone
~70, muscle ~330, marrow ~560, skin ~520, fat ~1000, healthy disc nucleus ~1050, CSF ~1450) with a
fine (muscle fibre / trabecular) and a coarse texture; the image is blurred in plane (Gaussian sigma
0.6 voxel, partial volume), multiplied by a smooth bias field (brighter posteriorly, near the spine
coil), given Rician noise (magnitude of complex Gaussian noise, SNR 15-25 in muscle) and stored as
int16. Masks are the label maps before blur. The second reader's muscle outlines are the first
reader's moved by a smooth random normal displacement (SD 1.15 mm, 1-2 voxels), Dice about 0.9-0.95.

All arrays follow SimpleITK's ``[z, y, x]`` order; with the identity direction the physical axes are
LPS: ``x`` to the patient's left, ``y`` posterior (down in a display with row 0 at the top), ``z``
cranial.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk
from scipy import ndimage
from scipy.interpolate import CubicSpline

from radiome._atomic import atomic_path, write_text_atomic
from radiome.demo.montage import save_montage
from radiome.io.images import write_image

LABELS: dict[str, int] = {"MF_L": 1, "MF_R": 2, "ES_L": 3, "ES_R": 4, "VB": 5, "CANAL": 6, "SCF": 7}
"""Mask labels: multifidus L/R, erector spinae L/R, vertebral body, thecal sac, subcutaneous fat ROI."""

MUSCLES: tuple[str, ...] = ("MF_L", "MF_R", "ES_L", "ES_R")

LABEL_DESCRIPTIONS: dict[str, str] = {
    "MF_L": "left multifidus (patient's left = +x, right side of a radiological display)",
    "MF_R": "right multifidus",
    "ES_L": "left erector spinae (longissimus + iliocostalis lumborum, with the thin aponeurosis between them)",
    "ES_R": "right erector spinae",
    "VB": "vertebral body (cortex + marrow) on slices that are mostly bone; the disc is not labelled",
    "CANAL": "thecal sac in the spinal canal (CSF and nerve roots)",
    "SCF": "reference ROI in the posterior subcutaneous fat over the right erector spinae (a cylinder through all slices)",
}

VAS_CUT: float = 5.0
"""Pain group cut on the 0-10 VAS: ``mild`` if VAS < 5.0, ``severe`` if VAS >= 5.0."""

LANDMARK_NAMES: tuple[str, ...] = (
    "facet_L_anterior",
    "facet_L_posterior",
    "facet_R_anterior",
    "facet_R_posterior",
    "midline_anterior",
    "midline_posterior",
    "L1_sup_anterior",
    "L1_sup_posterior",
    "S1_sup_anterior",
    "S1_sup_posterior",
)

# Group means (mild, severe) of the target fat fraction; SD about 0.05 (mild) and 0.06 (severe).
FAT_FRACTION_MEANS: dict[str, tuple[float, float]] = {"MF": (0.10, 0.15), "ES": (0.085, 0.14)}

# ---------------------------------------------------------------------------------------------
# Tissue classes: base T2w signal and texture amplitudes (fine = fibre/trabecular, coarse = mottle)
# ---------------------------------------------------------------------------------------------
_AIR, _SKIN, _FAT, _FASCIA, _MUSCLE, _BOWEL, _VESSEL, _CORTEX, _MARROW = range(9)
_ANNULUS, _NUCLEUS, _CSF, _ROOT, _LIGAMENT, _FLUID, _IMFAT = range(9, 16)
_BASE = np.array(
    [0, 520, 1000, 120, 330, 520, 55, 70, 680, 280, 1100, 1450, 380, 150, 850, 960], dtype=np.float32
)
_AMP_FINE = np.array(
    [0, 0.05, 0.035, 0.05, 0.075, 0.10, 0.1, 0.1, 0.09, 0.06, 0.04, 0.015, 0.05, 0.05, 0.05, 0.06], dtype=np.float32
)
_AMP_COARSE = np.array(
    [0, 0.04, 0.04, 0.0, 0.03, 0.35, 0.0, 0.0, 0.08, 0.05, 0.1, 0.01, 0.0, 0.0, 0.0, 0.05], dtype=np.float32
)


# ---------------------------------------------------------------------------------------------
# Cohort
# ---------------------------------------------------------------------------------------------
@dataclass
class _Patient:
    pid: str
    group: str
    age: int
    sex: str
    bmi: float
    duration: int
    vas: float
    ff_target: dict[str, float]
    facet_deg: dict[str, float]
    l1_tilt_deg: float
    s1_slope_deg: float
    disc_degeneration: float
    seed: np.random.SeedSequence


def _sample_cohort(seed: int, n_mild: int, n_severe: int) -> list[_Patient]:
    rng = np.random.default_rng(seed)
    n = n_mild + n_severe
    groups = np.array(["mild"] * n_mild + ["severe"] * n_severe, dtype=object)
    rng.shuffle(groups)
    sev = (groups == "severe").astype(float)
    age = np.clip(np.rint(rng.normal(44.0 + 3.0 * sev, 12.0)), 20, 80).astype(int)
    female = rng.random(n) < 0.50 + 0.08 * sev
    bmi = np.round(np.clip(rng.normal(25.0 + 0.5 * sev + np.where(female, -0.5, 0.4), 3.5), 17.0, 42.0), 1)
    duration = np.clip(np.rint(np.exp(rng.normal(np.log(18.0) + 0.3 * sev, 0.8))), 3, 360).astype(int)
    vas_mild = np.clip(np.round(rng.normal(3.2, 1.0, n), 1), 0.5, round(VAS_CUT - 0.1, 1))
    vas_sev = np.clip(np.round(rng.normal(7.0, 1.2, n), 1), VAS_CUT, 10.0)
    vas = np.where(sev > 0, vas_sev, vas_mild)
    # fat fractions: group mean + covariates + shared latent + muscle-type latent + muscle noise
    latent = rng.normal(0, 1, n)
    type_latent = {t: rng.normal(0, 1, n) for t in ("MF", "ES")}
    cov = 0.0015 * (age - 45) + 0.012 * female + 0.002 * (bmi - 25.0)
    sd_scale = 1.0 + 0.15 * sev
    ff: dict[str, np.ndarray] = {}
    for m in MUSCLES:
        t = m[:2]
        mean = np.where(sev > 0, FAT_FRACTION_MEANS[t][1], FAT_FRACTION_MEANS[t][0])
        noise = 0.035 * latent + 0.012 * type_latent[t] + 0.025 * rng.normal(0, 1, n)
        ff[m] = np.clip(mean + cov + sd_scale * noise, 0.01, 0.6)
    # facet orientation (degrees to the midsagittal line) with tropism, lordosis components
    facet_mean = rng.normal(45.0, 5.0, n)
    tropism = rng.normal(0.0, 5.0, n)
    theta_l = np.clip(facet_mean + tropism / 2, 30.0, 62.0)
    theta_r = np.clip(facet_mean - tropism / 2, 30.0, 62.0)
    l1_tilt = np.clip(rng.normal(10.0, 5.0, n), 0.0, 25.0)
    s1_slope = np.clip(rng.normal(40.0 - 2.0 * sev, 7.0, n), 20.0, 60.0)
    degeneration = np.clip(rng.beta(2.0, 3.0, n) + 0.08 * sev + 0.004 * (age - 45), 0.0, 1.0)
    seeds = np.random.SeedSequence(seed).spawn(n)
    return [
        _Patient(
            pid=f"LBP{i + 1:03d}",
            group=str(groups[i]),
            age=int(age[i]),
            sex="F" if female[i] else "M",
            bmi=float(bmi[i]),
            duration=int(duration[i]),
            vas=float(vas[i]),
            ff_target={m: float(ff[m][i]) for m in MUSCLES},
            facet_deg={"L": float(theta_l[i]), "R": float(theta_r[i])},
            l1_tilt_deg=float(l1_tilt[i]),
            s1_slope_deg=float(s1_slope[i]),
            disc_degeneration=float(degeneration[i]),
            seed=seeds[i],
        )
        for i in range(n)
    ]


# ---------------------------------------------------------------------------------------------
# Drawing primitives (all in the patient's local mm frame u, v)
# ---------------------------------------------------------------------------------------------
def _ellipse(u: np.ndarray, v: np.ndarray, cu: float, cv: float, a: float, b: float, rot: float = 0.0) -> np.ndarray:
    """Normalised radius of an (optionally rotated, radians) ellipse: < 1 inside."""
    du, dv = u - cu, v - cv
    if rot:
        c, s = math.cos(rot), math.sin(rot)
        du, dv = c * du + s * dv, -s * du + c * dv
    return np.sqrt((du / a) ** 2 + (dv / b) ** 2)


def _segment_dist(u: np.ndarray, v: np.ndarray, p0: tuple[float, float], p1: tuple[float, float]) -> np.ndarray:
    """Distance (mm) to the segment p0-p1 (a capsule of radius r is ``dist < r``)."""
    au, av = p1[0] - p0[0], p1[1] - p0[1]
    L2 = au * au + av * av
    t = np.clip(((u - p0[0]) * au + (v - p0[1]) * av) / max(L2, 1e-9), 0.0, 1.0)
    return np.hypot(u - p0[0] - t * au, v - p0[1] - t * av)


class _StarShape:
    """A closed outline star-shaped about its centre: radius = periodic cubic spline of the angle."""

    def __init__(self, points: np.ndarray) -> None:
        pts = np.asarray(points, dtype=float)
        self.cu, self.cv = float(pts[:, 0].mean()), float(pts[:, 1].mean())
        ang = np.arctan2(pts[:, 1] - self.cv, pts[:, 0] - self.cu)
        rad = np.hypot(pts[:, 0] - self.cu, pts[:, 1] - self.cv)
        order = np.argsort(ang)
        ang, rad = ang[order], rad[order]
        self.a0 = float(ang[0])
        self.spline = CubicSpline(np.r_[ang, ang[0] + 2 * np.pi], np.r_[rad, rad[0]], bc_type="periodic")
        self.bounds = (pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max())

    def sdist(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Radial signed distance (mm): negative inside."""
        du, dv = u - self.cu, v - self.cv
        phi = (np.arctan2(dv, du) - self.a0) % (2 * np.pi) + self.a0
        return np.hypot(du, dv) - self.spline(phi)


class _Canvas:
    """One axial slice: local coordinates, and tissue / label maps painted in order."""

    def __init__(self, U: np.ndarray, V: np.ndarray, to_index: Callable[[np.ndarray, np.ndarray], tuple]) -> None:
        self.U, self.V = U, V
        self.tissue = np.zeros(U.shape, np.uint8)
        self.signal = np.zeros(U.shape, np.float32)
        self.label = np.zeros(U.shape, np.uint8)
        self._to_index = to_index

    def box(self, umin: float, umax: float, vmin: float, vmax: float, pad: float = 2.0) -> tuple[slice, slice] | None:
        """Array slices covering the local box, or None if it is outside the slice."""
        cu = np.array([umin - pad, umax + pad, umin - pad, umax + pad])
        cv = np.array([vmin - pad, vmin - pad, vmax + pad, vmax + pad])
        col, row = self._to_index(cu, cv)
        ny, nx = self.U.shape
        r0, r1 = max(int(np.floor(row.min())), 0), min(int(np.ceil(row.max())) + 1, ny)
        c0, c1 = max(int(np.floor(col.min())), 0), min(int(np.ceil(col.max())) + 1, nx)
        if r0 >= r1 or c0 >= c1:
            return None
        return (slice(r0, r1), slice(c0, c1))

    def paint(
        self, sl: tuple[slice, slice] | None, inside: np.ndarray, tissue: int, label: int = 0, signal: float | np.ndarray | None = None
    ) -> None:
        """Set tissue, signal (default: the tissue's base signal) and label (default 0) inside."""
        if sl is None or not inside.any():
            return
        t, s, lab = self.tissue[sl], self.signal[sl], self.label[sl]
        t[inside] = tissue
        if signal is None:
            s[inside] = _BASE[tissue]
        else:
            s[inside] = signal[inside] if isinstance(signal, np.ndarray) else signal
        lab[inside] = label


# ---------------------------------------------------------------------------------------------
# Per-patient anatomy
# ---------------------------------------------------------------------------------------------
@dataclass
class _Anatomy:
    s: float  # body scale
    wc: float
    hc: float
    vbw: float
    vbh: float
    vb_cv: float
    v_sp0: float
    depth: float
    w_mf: dict[str, float]
    w_es: dict[str, float]
    facet_len: dict[str, float]
    facet_a: dict[str, tuple[float, float]]
    t_post: float
    t_lat: float
    a1: float
    b1: float
    rot: float
    cx: float
    cy: float
    z_disc: float
    disc_h: float
    roots: np.ndarray
    loops: np.ndarray
    wall_t: float
    sep_bulge: dict[str, float]
    fat_level: float
    muscle_level: dict[str, float]
    marrow_level: float
    nucleus_level: float
    psoas_s: float
    gain: float
    snr: float
    bias: tuple[float, ...]

    @property
    def v_post(self) -> float:
        return self.v_sp0 + 1.0 + self.depth

    @property
    def v_tip(self) -> float:
        return self.v_post - 6.0 * self.s

    def facet_points(self, side: str, theta_deg: float) -> tuple[tuple[float, float], tuple[float, float]]:
        sgn = 1.0 if side == "L" else -1.0
        th = math.radians(theta_deg)
        a = self.facet_a[side]
        ln = self.facet_len[side]
        p = (a[0] + sgn * ln * math.sin(th), a[1] + ln * math.cos(th))
        return a, p

    # body outline: E1 = inner boundary of subcutaneous fat, E0 = skin surface
    @property
    def e1_c(self) -> float:
        return self.v_post + 1.8 - self.b1

    @property
    def e0_a(self) -> float:
        return self.a1 + self.t_lat

    @property
    def e0_b(self) -> float:
        return self.b1 + self.t_lat

    @property
    def e0_c(self) -> float:
        return self.v_post + 1.8 + self.t_post - self.e0_b

    @property
    def groove(self) -> float:
        return min(0.5 * self.t_post, 3.0 + 0.25 * self.t_post)

    def skin_v(self, u: float) -> float:
        return self.e0_c + self.e0_b * math.sqrt(max(1 - (u / self.e0_a) ** 2, 0.0))

    def fat_inner_v(self, u: float) -> float:
        return self.e1_c + self.b1 * math.sqrt(max(1 - (u / self.a1) ** 2, 0.0))


def _sample_anatomy(p: _Patient, rng: np.random.Generator, fov: tuple[float, float], nz_mm: float) -> _Anatomy:
    female = p.sex == "F"
    sev = p.group == "severe"
    s = (0.96 if female else 1.04) * rng.normal(1.0, 0.035)
    musc = s * (1 + 0.012 * (p.bmi - 25)) * (1 - 0.003 * (p.age - 45)) * rng.normal(1.0, 0.07)
    mf_atrophy = 0.97 if sev else 1.0
    hc = 7.5 * s * rng.normal(1.0, 0.08)
    wc = 10.5 * s * rng.normal(1.0, 0.07)
    vbw = 24.0 * s * rng.normal(1.0, 0.05)
    vbh = 16.5 * s * rng.normal(1.0, 0.05)
    t_post = float(np.clip(6.0 + 1.5 * (p.bmi - 20.0) + 3.0 * female + rng.normal(0, 3.0), 7.0, 40.0))
    anat = _Anatomy(
        s=s,
        wc=wc,
        hc=hc,
        vbw=vbw,
        vbh=vbh,
        vb_cv=-(hc + 1.5 + vbh),
        v_sp0=hc + 6.0 * s,
        depth=40.0 * musc ** 0.5 * rng.normal(1.0, 0.04),
        w_mf={k: 21.0 * musc ** 0.5 * mf_atrophy * rng.normal(1.0, 0.04) for k in "LR"},
        w_es={k: 38.0 * musc ** 0.5 * rng.normal(1.0, 0.04) for k in "LR"},
        facet_len={k: 14.0 * s * rng.normal(1.0, 0.06) for k in "LR"},
        facet_a={k: ((1 if k == "L" else -1) * (wc + 2.8 * s + rng.normal(0, 0.4)), 1.0 + rng.normal(0, 0.5)) for k in "LR"},
        t_post=t_post,
        t_lat=1.4 * t_post,
        a1=(118.0 * s + 2.0 * (p.bmi - 25.0)) + 10.0,
        b1=100.0 * s,
        rot=math.radians(rng.normal(0.0, 3.0)),
        cx=rng.normal(0.0, 3.0),
        cy=0.0,  # set below
        z_disc=rng.normal(0.0, 1.5) if nz_mm > 12 else 0.0,
        disc_h=float(np.clip(rng.normal(11.0 - 3.0 * p.disc_degeneration, 1.0), 6.0, 14.0)),
        roots=np.empty((0, 3)),
        loops=np.empty((0, 6)),
        wall_t=float(15.0 * musc ** 0.5 * rng.normal(1.0, 0.1)),
        sep_bulge={k: float(rng.normal(2.5, 1.0)) for k in "LR"},
        fat_level=float(_BASE[_FAT] * rng.normal(1.0, 0.03)),
        muscle_level={k: float(_BASE[_MUSCLE] * rng.normal(1.0, 0.03)) for k in ("base",)},
        marrow_level=float(_BASE[_MARROW] * (1 + 0.006 * (p.age - 45)) * rng.normal(1.0, 0.06)),
        nucleus_level=float(_BASE[_NUCLEUS] * (1.0 - 0.65 * p.disc_degeneration)),
        psoas_s=musc ** 0.5 * rng.normal(1.0, 0.06),
        gain=float(rng.normal(1.0, 0.03)),
        snr=float(rng.uniform(15.0, 25.0)),
        bias=tuple(float(x) for x in (rng.normal(0.22, 0.03), rng.normal(0, 0.04), rng.normal(0, 0.04), rng.normal(-0.04, 0.03))),
    )
    base = anat.muscle_level["base"]
    anat.muscle_level.update({k: base * rng.normal(1.0, 0.02) for k in MUSCLES})
    # canal centre: near the FOV centre, but keep the posterior skin inside the FOV
    skin_pole = anat.v_post + 1.8 + anat.t_post
    anat.cy = float(min(2.4 + rng.normal(0.0, 3.0), fov[1] / 2 - 6.0 - skin_pole))
    # cauda equina: roots lie dependent (posterior) in the sac of a supine patient
    n_roots = int(rng.integers(6, 11))
    ang = rng.uniform(0.1 * np.pi, 0.9 * np.pi, n_roots)
    rr = rng.uniform(0.3, 0.72, n_roots)
    anat.roots = np.column_stack([rr * np.cos(ang) * wc, rr * np.sin(ang) * hc, rng.uniform(1.1, 1.6, n_roots)])
    # bowel loops anterior to the spine and psoas: centre u, v, radii a, b, content kind, gas level
    n_loops = int(rng.integers(40, 52))
    front = anat.vb_cv - vbh
    lu = rng.uniform(-1.0, 1.0, n_loops) * (anat.a1 - 25.0)
    lv = front - rng.uniform(8.0, 75.0, n_loops) - 0.35 * np.maximum(np.abs(lu) - vbw - 25.0, 0.0)
    la = rng.uniform(6.0, 13.0, n_loops) * s
    lb = la * rng.uniform(0.5, 1.0, n_loops)
    kind = rng.choice(3, n_loops, p=[0.25, 0.6, 0.15]).astype(float)  # fluid, collapsed/mixed, gas + fluid
    gas = rng.uniform(0.0, 0.6, n_loops)
    # descending (left) and ascending (right) colon: larger, stool and gas
    colon = np.array(
        [[sg * (vbw + 48.0 * s + rng.normal(0, 4)), front - 8.0 + rng.normal(0, 4), 16.0 * s, 13.0 * s, 1.0, rng.uniform(0.1, 0.4)] for sg in (1.0, -1.0)]
    )
    anat.loops = np.vstack([colon, np.column_stack([lu, lv, la, lb, kind, gas])])
    return anat


def _compartment(an: _Anatomy, side: str, theta: float, dz: float) -> tuple[_StarShape, tuple, tuple]:
    """Paraspinal compartment (MF + ES) of one side and its MF/ES septum (two points)."""
    sgn = 1.0 if side == "L" else -1.0
    _, P = an.facet_points(side, theta)
    pu, pv = abs(P[0]), P[1]
    w_mf = an.w_mf[side] * (1 - 0.004 * dz)
    w_es = an.w_es[side] * (1 + 0.003 * dz)
    d = an.depth * (1 + 0.001 * dz)
    a0 = 3.6 * an.s
    v0 = an.v_sp0 + 1.0
    vp = v0 + d
    pts = np.array(
        [
            (a0, v0 + 1.0),
            (0.5 * (a0 + pu), 0.5 * (v0 + pv) + 2.0),
            (pu + 1.5, pv + 0.5),
            (pu + 7.0, pv - 6.0),
            (pu + 0.45 * w_es, pv - 8.0),
            (pu + 0.85 * w_es, pv - 4.0),
            (pu + w_es + 2.0, pv + 0.3 * d),
            (pu + 0.85 * w_es, pv + 0.62 * d),
            (pu + 0.45 * w_es, vp - 4.0),
            (a0 + 0.55 * w_mf, vp + 0.5),
            (a0 + 1.5, vp - 4.0),
            (a0, 0.5 * (v0 + vp)),
        ]
    )
    pts[:, 0] *= sgn
    sep0 = (sgn * (pu + 1.2), pv + 1.0)
    sep1 = (sgn * (a0 + w_mf), vp + 2.0)
    return _StarShape(pts), sep0, sep1


def _disc_fraction(dz: float, thickness: float, disc_h: float) -> float:
    lo, hi = max(dz - thickness / 2, -disc_h / 2), min(dz + thickness / 2, disc_h / 2)
    return max(hi - lo, 0.0) / thickness


_Mask2 = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _paint_bone_ellipse(
    cv: _Canvas, cu: float, cvv: float, a: float, b: float, rot: float, marrow: float, extra: _Mask2 | None = None, cortex: float = 1.3
) -> None:
    """A bone as an ellipse: dark cortex rim, marrow inside; ``extra`` clips (outer, inner) further."""
    sl = cv.box(cu - max(a, b), cu + max(a, b), cvv - max(a, b), cvv + max(a, b))
    if sl is None:
        return
    u, v = cv.U[sl], cv.V[sl]
    outer = _ellipse(u, v, cu, cvv, a, b, rot) < 1
    inner = _ellipse(u, v, cu, cvv, max(a - cortex, 0.5), max(b - cortex, 0.5), rot) < 1
    if extra is not None:
        m = extra(u, v)
        outer &= m[0]
        inner &= m[1]
    cv.paint(sl, outer, _CORTEX)
    cv.paint(sl, inner, _MARROW, signal=marrow)


def _paint_bone_capsule(
    cv: _Canvas, p0: tuple[float, float], p1: tuple[float, float], r: float, marrow: float, cortex: float = 1.2
) -> None:
    """A bone bar (pedicle, lamina, process) as a capsule: dark cortex rim, marrow inside."""
    sl = cv.box(min(p0[0], p1[0]) - r, max(p0[0], p1[0]) + r, min(p0[1], p1[1]) - r, max(p0[1], p1[1]) + r)
    if sl is None:
        return
    d = _segment_dist(cv.U[sl], cv.V[sl], p0, p1)
    cv.paint(sl, d < r, _CORTEX)
    cv.paint(sl, d < r - cortex, _MARROW, signal=marrow)


def _draw_body(cv: _Canvas, an: _Anatomy) -> np.ndarray:
    """Body outline, skin, subcutaneous and deep fat, lateral abdominal wall (same on every slice).

    Returns the normalised radius of the inner wall ellipse (< 1: inside the abdominal cavity).
    """
    U, V = cv.U, cv.V
    s = an.s
    groove_w = np.exp(-((U / (16.0 * s)) ** 2)) * np.clip((V - 20.0) / 30.0, 0.0, 1.0)
    e0 = _ellipse(U, V + an.groove * groove_w, 0.0, an.e0_c, an.e0_a, an.e0_b)
    body = e0 < 1
    cv.paint(np.s_[:, :], body, _FAT, signal=an.fat_level)
    skin_in = _ellipse(U, V + an.groove * groove_w, 0.0, an.e0_c, an.e0_a - 1.8, an.e0_b - 1.8) < 1
    cv.paint(np.s_[:, :], body & ~skin_in, _SKIN)
    e1 = _ellipse(U, V, 0.0, an.e1_c, an.a1, an.b1)
    deep = e1 < 1
    cv.paint(np.s_[:, :], deep, _FAT, signal=0.93 * an.fat_level)  # retroperitoneal / deep fat
    # lateral abdominal wall: external oblique, internal oblique, transversus with fat planes between
    wt = an.wall_t
    e2 = _ellipse(U, V, 0.0, an.e1_c, an.a1 - wt, an.b1 - wt)
    wall = deep & (e2 >= 1) & (np.abs(U) > 50.0 * s) & (V < an.v_post - 10.0)
    cv.paint(np.s_[:, :], wall, _MUSCLE, signal=an.muscle_level["base"] * 1.03)
    for frac in (0.3, 0.62):
        ek = _ellipse(U, V, 0.0, an.e1_c, an.a1 - frac * wt, an.b1 - frac * wt)
        cv.paint(np.s_[:, :], wall & (np.abs(ek - 1) < 0.6 / an.b1), _FAT, signal=0.8 * an.fat_level)
    return e2


def _draw_bowel(cv: _Canvas, an: _Anatomy, dz: float, e2: np.ndarray) -> None:
    """Bowel loops in the mesenteric fat: wall, then fluid / collapsed mixed content / gas (anterior)."""
    U, V = cv.U, cv.V
    for lu, lv, la, lb, kind, gas in an.loops:
        lu, lv = lu + 0.15 * dz, lv - 0.1 * dz
        sl = cv.box(lu - la, lu + la, lv - la, lv + la)
        if sl is None:
            continue
        u, v = U[sl], V[sl]
        r = _ellipse(u, v, lu, lv, la, lb, 0.3 * lu / 40.0)
        inside = (r < 1) & (e2[sl] < 1)
        cv.paint(sl, inside, _MUSCLE, signal=560.0)  # bowel wall
        lumen = inside & (r < 1 - 1.6 / lb)
        if kind == 0:
            cv.paint(sl, lumen, _CSF, signal=1150.0)
        elif kind == 1:
            cv.paint(sl, lumen, _BOWEL)
        else:
            cv.paint(sl, lumen, _CSF, signal=1100.0)
            cv.paint(sl, lumen & (v < lv - lb * (1 - 2 * gas)), _AIR, signal=15.0)


def _draw_slice(cv: _Canvas, an: _Anatomy, p: _Patient, dz: float, thick: float, e2: np.ndarray) -> None:
    """Everything that changes along z, painted over a copy of the body layers."""
    U, V = cv.U, cv.V
    s = an.s
    # iliac arteries (bifurcation is at L4) and the iliac vein confluence / IVC: flow voids
    front = an.vb_cv - an.vbh
    for cu, cvv, a, b in ((9.0 * s, front - 8.0 * s, 5.0, 5.0), (-9.0 * s, front - 8.5 * s, 5.0, 5.0), (-21.0 * s, front - 5.0 * s, 9.0, 5.0)):
        sl = cv.box(cu - a, cu + a, cvv - b, cvv + b)
        if sl is not None:
            cv.paint(sl, _ellipse(U[sl], V[sl], cu, cvv, a * s, b * s) < 1, _VESSEL)
    # psoas and quadratus lumborum
    for sgn in (1.0, -1.0):
        a, b = 15.5 * an.psoas_s * (1 - 0.004 * dz), 17.5 * an.psoas_s * (1 - 0.003 * dz)
        cu, cvv = sgn * (an.vbw + 0.75 * a), an.vb_cv - 0.1 * an.vbh
        sl = cv.box(cu - b, cu + b, cvv - b, cvv + b)
        if sl is not None:
            cv.paint(sl, _ellipse(U[sl], V[sl], cu, cvv, a, b, sgn * 0.45) < 1, _MUSCLE, signal=an.muscle_level["base"] * 1.02)
        cu, cvv = sgn * (an.wc + 42.0 * s), -3.0 * s
        sl = cv.box(cu - 16, cu + 16, cvv - 16, cvv + 16)
        if sl is not None:
            cv.paint(sl, _ellipse(U[sl], V[sl], cu, cvv, 15.0 * s, 6.5 * s, sgn * 0.3) < 1, _MUSCLE, signal=an.muscle_level["base"])
    # --- paraspinal muscles ------------------------------------------------------------------------
    for side in ("L", "R"):
        sgn = 1.0 if side == "L" else -1.0
        theta = p.facet_deg[side]
        shape, sep0, sep1 = _compartment(an, side, theta, dz)
        b = shape.bounds
        sl = cv.box(b[0] - 3, b[1] + 3, b[2] - 3, b[3] + 3)
        if sl is None:
            continue
        u, v = U[sl], V[sl]
        sd = shape.sdist(u, v)
        cv.paint(sl, sd < 1.1, _FASCIA)
        # MF/ES septum: a gently curved line from the facet to the posterior fascia;
        # side_d > 0 is lateral (ES side), in mm along u
        tt = np.clip((v - sep0[1]) / (sep1[1] - sep0[1]), 0.0, 1.0)
        u_sep = sep0[0] + (sep1[0] - sep0[0]) * tt + sgn * an.sep_bulge[side] * np.sin(np.pi * tt)
        side_d = sgn * (u - u_sep)
        muscle = sd < 0
        mf = muscle & (side_d < -0.5)
        es = muscle & (side_d > 0.5)
        cv.paint(sl, muscle & ~mf & ~es, _FAT, signal=0.75 * an.fat_level)  # thin intermuscular fat
        cv.paint(sl, mf, _MUSCLE, LABELS[f"MF_{side}"], an.muscle_level[f"MF_{side}"])
        cv.paint(sl, es, _MUSCLE, LABELS[f"ES_{side}"], an.muscle_level[f"ES_{side}"])
        # longissimus / iliocostalis septum inside ES (kept in the ES label)
        _, P = an.facet_points(side, theta)
        q0 = (sgn * (abs(P[0]) + 0.5 * an.w_es[side]), P[1] - 6.0)
        qm = (sgn * (abs(P[0]) + 0.62 * an.w_es[side]), 0.5 * (P[1] + an.v_post) - 3.0)
        q1 = (sgn * (abs(P[0]) + 0.5 * an.w_es[side]), an.v_post - 5.0)
        sept = (_segment_dist(u, v, q0, qm) < 0.45) | (_segment_dist(u, v, qm, q1) < 0.45)
        cv.paint(sl, es & sept, _FASCIA, LABELS[f"ES_{side}"], 0.5 * an.fat_level)  # aponeurosis, not fat
    # midline interspinous / supraspinous ligament
    sl = cv.box(-3, 3, an.v_sp0, an.v_post + 3)
    if sl is not None:
        d = _segment_dist(U[sl], V[sl], (0.0, an.v_sp0), (0.0, an.v_tip + 3.0 * s))
        cv.paint(sl, d < 1.3 * s, _FASCIA, 0)
    # --- vertebral body / disc ------------------------------------------------------------------------
    f_disc = _disc_fraction(dz, thick, an.disc_h)
    endplate = 4.0 * f_disc * (1.0 - f_disc)
    grow = 1.0 + 0.04 * f_disc
    a, b = an.vbw * grow, an.vbh * grow
    sl = cv.box(-a, a, an.vb_cv - b, an.vb_cv + b)
    if sl is not None:
        u, v = U[sl], V[sl]
        ind_c = an.vb_cv + b + 5.0 * s  # posterior concavity of the body
        notch = _ellipse(u, v, 0.0, ind_c, 10.0 * s, 7.0 * s * (1 - 0.6 * f_disc)) >= 1
        outer = (_ellipse(u, v, 0.0, an.vb_cv, a, b) < 1) & notch
        inner = (_ellipse(u, v, 0.0, an.vb_cv, a - 1.4, b - 1.4) < 1) & (
            _ellipse(u, v, 0.0, ind_c, 10.0 * s + 1.4, 7.0 * s * (1 - 0.6 * f_disc) + 1.4) >= 1
        )
        rn = _ellipse(u, v, 0.0, an.vb_cv + 0.05 * b, 0.8 * a, 0.7 * b)
        nucleus = rn < 1
        rim = _BASE[_ANNULUS] * f_disc + _BASE[_CORTEX] * (1 - f_disc)
        mid_val = (1 - f_disc) * an.marrow_level + f_disc * _BASE[_ANNULUS]
        nuc_val = (1 - f_disc) * an.marrow_level + f_disc * an.nucleus_level
        dark = 1.0 - 0.55 * endplate
        vb_label = LABELS["VB"] if f_disc < 0.5 else 0
        cv.paint(sl, outer, _CORTEX if f_disc < 0.5 else _ANNULUS, vb_label, rim)
        cv.paint(sl, inner, _MARROW if f_disc < 0.5 else _ANNULUS, vb_label, mid_val * dark)
        # the nucleus fades into the inner annulus
        fade = np.clip((1.0 - rn) / 0.3, 0.0, 1.0)
        cv.paint(sl, inner & nucleus, _MARROW if f_disc < 0.5 else _NUCLEUS, vb_label, (mid_val + (nuc_val - mid_val) * fade) * dark)
    # epidural fat (behind and beside the sac)
    sl = cv.box(-an.wc - 4, an.wc + 4, -an.hc - 2, an.hc + 6)
    if sl is not None:
        cv.paint(sl, _ellipse(U[sl], V[sl], 0.0, 1.5 * s, an.wc + 2.0 * s, an.hc + 2.5 * s) < 1, _FAT, 0, 0.95 * an.fat_level)
    # --- posterior elements ---------------------------------------------------------------------------
    marrow = an.marrow_level * 0.85
    facets = abs(dz) <= 9.0
    pedicles = abs(dz) >= 8.0
    for side in ("L", "R"):
        sgn = 1.0 if side == "L" else -1.0
        th = math.radians(p.facet_deg[side])
        A, P = an.facet_points(side, p.facet_deg[side])
        dvec = (sgn * math.sin(th), math.cos(th))
        nvec = (sgn * math.cos(th), -math.sin(th))  # lateral-anterior normal of the joint
        ln = an.facet_len[side]
        M = (0.5 * (A[0] + P[0]), 0.5 * (A[1] + P[1]))
        iap = (M[0] - 4.8 * s * nvec[0], M[1] - 4.8 * s * nvec[1])
        if pedicles:
            ped_end = (sgn * (an.wc + 3.5 * s), 2.0 * s)
            _paint_bone_capsule(cv, (sgn * 0.55 * an.vbw, an.vb_cv + 0.5 * an.vbh), ped_end, 4.5 * s, marrow)
            _paint_bone_capsule(cv, (sgn * (an.wc + 4.0 * s), -1.0 * s), (sgn * (an.wc + 34.0 * s), -1.0 * s + 2.0), 2.8 * s, marrow)
            _paint_bone_capsule(cv, ped_end, (0.0, an.v_sp0), 3.0 * s, marrow)
        if facets:
            rot = math.atan2(dvec[1], dvec[0])
            sap = (M[0] + 5.0 * s * nvec[0], M[1] + 5.0 * s * nvec[1])
            ua, ub = 0.5 * ln + 3.0 * s, 5.6 * s

            def side_of(u, v, sign, M=M, nvec=nvec):
                w = (u - M[0]) * nvec[0] + (v - M[1]) * nvec[1]
                return (sign * w > 0.55, sign * w > 1.6)

            _paint_bone_ellipse(cv, sap[0], sap[1], ua, ub, rot, marrow, lambda u, v: side_of(u, v, 1.0))
            _paint_bone_ellipse(cv, iap[0], iap[1], ua, ub, rot, marrow, lambda u, v: side_of(u, v, -1.0))
            _paint_bone_capsule(cv, iap, (0.0, an.v_sp0), 2.6 * s, marrow)
            # joint space: a thin fluid line from A to P
            sl = cv.box(min(A[0], P[0]), max(A[0], P[0]), min(A[1], P[1]), max(A[1], P[1]))
            if sl is not None:
                d = _segment_dist(U[sl], V[sl], A, P)
                cv.paint(sl, d < 0.55, _FLUID)
            # ligamentum flavum lining the posterior canal
            sl = cv.box(-abs(A[0]) - 2, abs(A[0]) + 2, -2, an.hc + 5)
            if sl is not None:
                d = _segment_dist(U[sl], V[sl], (A[0] - sgn * 1.5, A[1] + 1.0), (0.0, an.hc + 2.6 * s))
                cv.paint(sl, d < 1.5 * s, _LIGAMENT)
    # spinous process (interspinous ligament near the disc level)
    if abs(dz) > 3.5:
        _paint_bone_capsule(cv, (0.0, an.v_sp0), (0.0, an.v_tip), 3.2 * s, marrow)
    else:
        _paint_bone_capsule(cv, (0.0, an.v_sp0), (0.0, an.v_sp0 + 6.0 * s), 3.0 * s, marrow)
    # --- thecal sac ------------------------------------------------------------------------------------
    tri = 0.35 if facets else 0.1
    sl = cv.box(-an.wc, an.wc, -an.hc, an.hc)
    if sl is not None:
        u, v = U[sl], V[sl]
        width = an.wc * (1 - tri * np.clip(v / an.hc, -1, 1))
        sac = (u / width) ** 2 + (v / an.hc) ** 2 < 1
        cv.paint(sl, sac, _CSF, LABELS["CANAL"])
        for ru, rv, rr in an.roots:
            drift = 0.15 * dz
            cv.paint(sl, sac & (np.hypot(u - ru - 0.02 * drift * ru, v - rv) < rr * s), _ROOT, LABELS["CANAL"])
        if dz < -2.0:  # traversing L5 roots in the lateral recesses below the disc
            for sgn in (1.0, -1.0):
                cv.paint(sl, sac & (np.hypot(u - sgn * 0.72 * an.wc, v + 0.35 * an.hc) < 1.6 * s), _ROOT, LABELS["CANAL"])
    # --- subcutaneous fat reference ROI ---------------------------------------------------------------
    u0 = -30.0 * s
    v_in, v_out = an.fat_inner_v(u0), an.skin_v(u0)
    r_scf = min(5.0, 0.35 * (v_out - v_in))
    vc = 0.5 * (v_in + v_out)
    sl = cv.box(u0 - r_scf, u0 + r_scf, vc - r_scf, vc + r_scf)
    if sl is not None:
        roi = (np.hypot(U[sl] - u0, V[sl] - vc) < r_scf) & (cv.tissue[sl] == _FAT)
        cv.label[sl][roi] = LABELS["SCF"]


# ---------------------------------------------------------------------------------------------
# Fields and image formation
# ---------------------------------------------------------------------------------------------
def _unit(a: np.ndarray) -> np.ndarray:
    a = a - a.mean()
    sd = a.std()
    return a / sd if sd > 0 else a


def _fan_field(
    rng: np.random.Generator,
    shape: tuple[int, int, int],
    offset: tuple[int, int],
    centre: tuple[float, float],
    along: float,
    across: float,
) -> np.ndarray:
    """Unit-variance streaks radiating from ``centre`` (row, col of the slice) over a crop.

    Noise is filtered on a polar grid (radius x arc length at the mean radius), long along the
    radius and thin across it, and sampled back at each voxel's polar coordinates: streaks fan out
    from the centre like muscle fascicles from their bony origin.
    """
    nz, h, w = shape
    rows = np.arange(h, dtype=np.float32)[:, None] + offset[0] - centre[0]
    cols = np.arange(w, dtype=np.float32)[None, :] + offset[1] - centre[1]
    r = np.hypot(rows, cols)
    phi = np.arctan2(cols, rows)
    r_ref = max(float(r.mean()), 1.0)
    arc = (phi - phi.min()) * r_ref
    rr = r - r.min()
    nr, na = int(rr.max()) + 3, int(arc.max()) + 3
    noise = ndimage.gaussian_filter(rng.standard_normal((nz, nr, na), dtype=np.float32), (0.6, along, across), truncate=3.0)
    zc = np.broadcast_to(np.arange(nz, dtype=np.float32)[:, None, None], shape)
    coords = np.stack([zc, np.broadcast_to(rr, shape), np.broadcast_to(arc, shape)])
    return _unit(ndimage.map_coordinates(noise, coords, order=1, prefilter=False))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: tuple[float, ...]) -> np.ndarray:
    """Unit-variance Gaussian-filtered white noise (kernel truncated at 3 SD: a texture, not a measurement)."""
    return _unit(ndimage.gaussian_filter(rng.standard_normal(shape, dtype=np.float32), sigma, truncate=3.0))


def _coarse_noise(rng: np.random.Generator, shape: tuple[int, int, int], factor: int = 8) -> np.ndarray:
    """Smooth mottle (scale ~``factor`` voxels), one 2D field shared by the slices (shape (1, ny, nx))."""
    _, ny, nx = shape
    small = rng.standard_normal((ny // factor + 3, nx // factor + 3)).astype(np.float32)
    small = ndimage.gaussian_filter(small, 0.7)
    big = ndimage.zoom(small, factor, order=1, prefilter=False)
    return _unit(big[:ny, :nx])[None]


def _muscle_crops(label: np.ndarray, spacing: tuple[float, float, float], pad: int = 6) -> dict[str, tuple[tuple, np.ndarray, np.ndarray]]:
    """Per muscle: its bounding-box slices (padded), its mask there and the in-plane signed distance."""
    out: dict[str, tuple[tuple, np.ndarray, np.ndarray]] = {}
    ny, nx = label.shape[1:]
    for m in MUSCLES:
        vox = label == LABELS[m]
        rows = np.flatnonzero(vox.any(axis=(0, 2)))
        cols = np.flatnonzero(vox.any(axis=(0, 1)))
        if rows.size == 0:
            continue
        sl = (slice(None), slice(max(rows[0] - pad, 0), min(rows[-1] + pad + 1, ny)), slice(max(cols[0] - pad, 0), min(cols[-1] + pad + 1, nx)))
        crop = vox[sl]
        out[m] = (sl, crop, _signed_distance_2d(crop, (spacing[1], spacing[0])))
    return out


def _infiltrate(
    crops: dict[str, tuple[tuple, np.ndarray, np.ndarray]],
    tissue: np.ndarray,
    signal: np.ndarray,
    an: _Anatomy,
    p: _Patient,
    rng: np.random.Generator,
    fan_centres: dict[str, tuple[float, float]],
) -> dict[str, float]:
    """Turn the top ``FF`` quantile of a streaky random field inside each muscle into fat."""
    realised: dict[str, float] = {m: 0.0 for m in MUSCLES}
    for m, (sl, crop, sd) in crops.items():
        # fascicles: MF fans out from the spinous process base, ES (nearly parallel) from far anterior
        centre = fan_centres["MF" if m.startswith("MF") else "ES"]
        streak = _fan_field(rng, crop.shape, (sl[1].start, sl[2].start), centre, along=3.5, across=0.8)
        patch = _smooth_noise(rng, crop.shape, (0.7, 1.5, 1.5))
        region = _smooth_noise(rng, crop.shape, (1.0, 7.0, 7.0))  # fat clusters in parts of the muscle
        periph = np.exp(-np.maximum(-sd, 0.0) / 3.0)
        fieldv = 0.8 * streak + 0.5 * patch + 0.7 * region + 1.0 * periph
        thr = np.quantile(fieldv[crop], 1.0 - p.ff_target[m])
        fat = crop & (fieldv > thr)
        realised[m] = float(fat.sum()) / float(crop.sum())
        t, s = tissue[sl], signal[sl]
        t[fat] = _IMFAT
        s[fat] = 0.96 * an.fat_level
    return realised


def _compose(tissue: np.ndarray, signal: np.ndarray, an: _Anatomy, rng: np.random.Generator) -> np.ndarray:
    """Texture, partial-volume blur, bias field, Rician noise; returns the int16 image."""
    shape = tissue.shape
    fine = _smooth_noise(rng, shape, (0.0, 0.8, 0.8))
    coarse = _coarse_noise(rng, shape)
    img = signal * (1.0 + _AMP_FINE[tissue] * fine + _AMP_COARSE[tissue] * coarse)
    img = ndimage.gaussian_filter(img, (0.0, 0.6, 0.6))
    # bias field: brighter posteriorly (spine coil under the back), gentle lateral terms
    nz, ny, nx = shape
    yn = np.linspace(-1, 1, ny, dtype=np.float32)[:, None]
    xn = np.linspace(-1, 1, nx, dtype=np.float32)[None, :]
    b = an.bias
    bias = np.exp(b[0] * yn + b[1] * xn + b[2] * xn * yn + b[3] * xn**2 - 0.08 * yn**2).astype(np.float32)
    img = img * bias[None] * an.gain
    sigma = an.muscle_level["base"] / an.snr
    n1 = rng.standard_normal(shape, dtype=np.float32)
    n2 = rng.standard_normal(shape, dtype=np.float32)
    img = np.sqrt((img + sigma * n1) ** 2 + (sigma * n2) ** 2)
    return np.clip(np.rint(img), 0, 32767).astype(np.int16)


def _signed_distance_2d(m: np.ndarray, sampling: tuple[float, float]) -> np.ndarray:
    """In-plane signed distance (mm) to the outline of ``m`` per slice: negative inside."""
    sd = np.full(m.shape, 1e3, dtype=np.float32)
    half = 0.5 * min(sampling)  # voxel centres -> outline halfway between voxels
    for k in range(m.shape[0]):
        mk = m[k]
        if not mk.any():
            continue
        sd[k] = ndimage.distance_transform_edt(~mk, sampling=sampling) - ndimage.distance_transform_edt(mk, sampling=sampling)
        sd[k] += np.where(mk, half, -half)
    return sd


_READER2_SD_MM = 1.15
_READER2_CORR_MM = 3.5


def _reader2(
    label: np.ndarray, crops: dict[str, tuple[tuple, np.ndarray, np.ndarray]], rng: np.random.Generator, spacing: tuple[float, float, float]
) -> np.ndarray:
    """Second reader: muscle outlines moved by a smooth random normal displacement (1-2 voxels).

    Each muscle's outline is the zero level of its signed distance (mm) minus a smooth random field
    (in-plane correlation :data:`_READER2_CORR_MM`, SD :data:`_READER2_SD_MM`, plus a small
    per-muscle bias, all in mm so that the agreement hardly depends on the voxel size). A voxel that more
    than one perturbed muscle claims goes to the one it is deepest inside. Muscles may grow only
    into unlabelled voxels; the other labels are copied unchanged.
    """
    muscle_ids = [LABELS[m] for m in MUSCLES]
    is_muscle = np.isin(label, muscle_ids)
    best = np.full(label.shape, np.inf, dtype=np.float32)
    best_id = np.zeros(label.shape, np.uint8)
    for m, (sl, _crop, sd) in crops.items():
        smooth = (0.3, _READER2_CORR_MM / spacing[1], _READER2_CORR_MM / spacing[0])
        disp = _READER2_SD_MM * _smooth_noise(rng, sd.shape, smooth) + rng.normal(-0.1, 0.3)
        score = (sd - disp).astype(np.float32)
        b, bid = best[sl], best_id[sl]
        take = (score < 0) & (score < b)
        b[take] = score[take]
        bid[take] = LABELS[m]
    out = np.where(is_muscle, 0, label).astype(np.uint8)
    put = (best_id > 0) & ((label == 0) | is_muscle)
    out[put] = best_id[put]
    return out


# ---------------------------------------------------------------------------------------------
# One patient
# ---------------------------------------------------------------------------------------------
@dataclass
class _Rendered:
    image: np.ndarray
    mask: np.ndarray
    mask2: np.ndarray
    landmarks: list[tuple[str, float, float, float]]
    truth: dict[str, float]
    disc_slice: int


def _render(p: _Patient, shape: tuple[int, int, int], spacing: tuple[float, float, float], origin: np.ndarray) -> _Rendered:
    rng = np.random.default_rng(p.seed)
    nx, ny, nz = shape
    sx, sy, sz = spacing
    fov = (nx * sx, ny * sy)
    an = _sample_anatomy(p, rng, fov, nz * sz)
    # image-relative mm (centre of the grid = 0) -> local (u, v)
    X = (np.arange(nx, dtype=np.float32) - (nx - 1) / 2) * sx
    Y = (np.arange(ny, dtype=np.float32) - (ny - 1) / 2) * sy
    XX, YY = np.meshgrid(X, Y)
    c, s_ = math.cos(an.rot), math.sin(an.rot)
    U = c * (XX - an.cx) + s_ * (YY - an.cy)
    V = -s_ * (XX - an.cx) + c * (YY - an.cy)

    def to_world(u, v):
        u, v = np.asarray(u, float), np.asarray(v, float)
        return an.cx + c * u - s_ * v, an.cy + s_ * u + c * v

    def to_index(u, v):
        x, y = to_world(u, v)
        return x / sx + (nx - 1) / 2, y / sy + (ny - 1) / 2

    zc = (np.arange(nz) - (nz - 1) / 2) * sz  # image-relative z of slice centres
    tissue = np.zeros((nz, ny, nx), np.uint8)
    signal = np.zeros((nz, ny, nx), np.float32)
    label = np.zeros((nz, ny, nx), np.uint8)
    body = _Canvas(U, V, to_index)
    e2 = _draw_body(body, an)
    # the bowel drifts slowly along z: redraw it once per ~12 mm block of slices
    per_block = max(1, int(round(12.0 / sz)))
    blocks: dict[int, _Canvas] = {}
    for k in range(nz):
        b = k // per_block
        if b not in blocks:
            bc = _Canvas(U, V, to_index)
            bc.tissue[:], bc.signal[:], bc.label[:] = body.tissue, body.signal, body.label
            kc = min(b * per_block + (per_block - 1) / 2, nz - 1)
            _draw_bowel(bc, an, float((kc - (nz - 1) / 2) * sz - an.z_disc), e2)
            blocks = {b: bc}
        cv = _Canvas(U, V, to_index)
        bc = blocks[b]
        cv.tissue[:], cv.signal[:], cv.label[:] = bc.tissue, bc.signal, bc.label
        _draw_slice(cv, an, p, float(zc[k] - an.z_disc), sz, e2)
        tissue[k], signal[k], label[k] = cv.tissue, cv.signal, cv.label
    crops = _muscle_crops(label, spacing)
    fan = {}
    for key, (fu, fv) in {"MF": (0.0, -12.0), "ES": (0.0, -60.0)}.items():
        col, row = to_index(np.array([fu]), np.array([fv]))
        fan[key] = (float(row[0]), float(col[0]))
    realised = _infiltrate(crops, tissue, signal, an, p, rng, fan)
    image = _compose(tissue, signal, an, rng)
    mask2 = _reader2(label, crops, rng, spacing)

    # landmarks (physical mm; the grid centre is at physical ``origin + (n-1)/2 * spacing``)
    centre = origin + (np.array(shape) - 1) / 2 * np.array(spacing)
    k_disc = int(np.argmin(np.abs(zc - an.z_disc)))
    z_disc_phys = float(origin[2] + k_disc * sz)

    def phys(u: float, v: float) -> tuple[float, float]:
        x, y = to_world(u, v)
        return float(x + centre[0]), float(y + centre[1])

    lms: list[tuple[str, float, float, float]] = []
    for side in ("L", "R"):
        A, P = an.facet_points(side, p.facet_deg[side])
        lms.append((f"facet_{side}_anterior", *phys(*A), z_disc_phys))
        lms.append((f"facet_{side}_posterior", *phys(*P), z_disc_phys))
    lms.append(("midline_anterior", *phys(0.0, an.vb_cv), z_disc_phys))
    lms.append(("midline_posterior", *phys(0.0, an.v_tip), z_disc_phys))
    # virtual sagittal plane at the midline: L1 and S1 superior endplates (y posterior, z cranial)
    x_mid = phys(0.0, 0.0)[0]
    _, y_front = phys(0.0, an.vb_cv - an.vbh)
    z_d = float(centre[2] + an.z_disc)
    t, sl1 = math.radians(p.l1_tilt_deg), math.radians(p.s1_slope_deg)
    l1a = (y_front + 12.0 * an.s, z_d + 140.0 * an.s)
    l1p = (l1a[0] + 34.0 * an.s * math.cos(t), l1a[1] - 34.0 * an.s * math.sin(t))
    s1a = (y_front + 14.0 * an.s, z_d - 38.0 * an.s)
    s1p = (s1a[0] + 38.0 * an.s * math.cos(sl1), s1a[1] + 38.0 * an.s * math.sin(sl1))
    for name, (yy, zz) in (("L1_sup_anterior", l1a), ("L1_sup_posterior", l1p), ("S1_sup_anterior", s1a), ("S1_sup_posterior", s1p)):
        lms.append((name, x_mid, float(yy), float(zz)))
    lms = [(n, round(x, 4), round(y, 4), round(z, 4)) for n, x, y, z in lms]

    px_area = sx * sy
    truth: dict[str, float] = {}
    for m in MUSCLES:
        truth[f"fat_fraction_{m}"] = round(realised[m], 6)
    truth["facet_angle_L_deg"] = round(p.facet_deg["L"], 4)
    truth["facet_angle_R_deg"] = round(p.facet_deg["R"], 4)
    truth["facet_tropism_deg"] = round(abs(p.facet_deg["L"] - p.facet_deg["R"]), 4)
    truth["lordosis_deg"] = round(p.l1_tilt_deg + p.s1_slope_deg, 4)
    for m in MUSCLES:
        truth[f"csa_{m}_mm2"] = round(float((label == LABELS[m]).sum(axis=(1, 2)).mean() * px_area), 3)
    for m in MUSCLES:
        truth[f"fat_fraction_target_{m}"] = round(p.ff_target[m], 6)
    truth["subcutaneous_fat_mm"] = round(an.t_post, 3)
    truth["disc_degeneration"] = round(p.disc_degeneration, 4)
    truth["disc_slice_index"] = k_disc
    truth["snr_muscle"] = round(an.snr, 3)
    truth["rotation_deg"] = round(math.degrees(an.rot), 4)
    return _Rendered(image, label, mask2, lms, truth, k_disc)


def _make_patient(
    p: _Patient, out: Path, shape: tuple[int, int, int], spacing: tuple[float, float, float], origin: np.ndarray, keep: bool
) -> tuple[_Patient, _Rendered]:
    """Render one patient and write its three volumes.

    Of the arrays only two slices are kept when ``keep`` (for the montage): the slice nearest the
    disc centre and the nearest slice that shows the vertebral body label; none otherwise.
    """
    r = _render(p, shape, spacing, origin)
    write_image(_to_sitk(r.image, spacing, origin), out / _rel(p.pid, "image"))
    write_image(_to_sitk(r.mask, spacing, origin), out / _rel(p.pid, "mask"))
    write_image(_to_sitk(r.mask2, spacing, origin), out / _rel(p.pid, "mask_reader2"))
    k = r.disc_slice
    if keep:
        has_vb = np.flatnonzero((r.mask == LABELS["VB"]).any(axis=(1, 2)))
        k_vb = int(has_vb[np.argmin(np.abs(has_vb - k))]) if has_vb.size else k
        r.image, r.mask = r.image[[k, k_vb]].copy(), r.mask[[k, k_vb]].copy()
    else:
        r.image = r.mask = np.empty((0, 0, 0), np.uint8)
    r.mask2 = np.empty((0, 0, 0), np.uint8)
    return p, r


def _to_sitk(arr: np.ndarray, spacing: tuple[float, float, float], origin: np.ndarray) -> sitk.Image:
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(tuple(float(s) for s in spacing))
    img.SetOrigin(tuple(float(o) for o in origin))
    img.SetDirection((1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0))
    return img


def _rel(pid: str, kind: str) -> str:
    """Path of a patient's file relative to the study folder (posix)."""
    return {
        "image": f"images/{pid}_t2.nii.gz",
        "mask": f"masks/{pid}_mask.nii.gz",
        "mask_reader2": f"masks_reader2/{pid}_mask.nii.gz",
    }[kind]


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
    return path


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------
def generate_lumbar_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    n_mild: int = 52,
    n_severe: int = 96,
    shape: tuple[int, int, int] = (256, 256, 12),
    spacing: tuple[float, float, float] = (0.7, 0.7, 4.0),
    progress: Callable[[int], None] | None = None,
) -> dict[str, Path]:
    """Generate the synthetic lumbar pain study into ``out_dir``.

    Parameters
    ----------
    out_dir:
        Target folder (created). Existing files of the same names are replaced atomically.
    seed:
        Seed of everything; the same seed and arguments give byte-identical files.
    n_mild, n_severe:
        Group sizes (mild: VAS < :data:`VAS_CUT`, severe: VAS >= :data:`VAS_CUT`).
    shape, spacing:
        Voxel grid ``(x, y, z)`` and voxel size in mm. The anatomy is drawn in mm, so a coarser
        grid with the same field of view (e.g. ``(128, 128, 6)`` at ``(1.4, 1.4, 4.0)``) gives the
        same study at lower resolution, fast enough for tests.
    progress:
        Called with 1 after each patient.

    Returns
    -------
    Paths keyed ``manifest``, ``clinical``, ``landmarks``, ``truth``, ``montage``, ``readme``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if n_mild < 0 or n_severe < 0 or n_mild + n_severe == 0:
        raise ValueError("n_mild and n_severe must be >= 0 with at least one patient")
    shape = tuple(int(v) for v in shape)  # type: ignore[assignment]
    spacing = tuple(float(v) for v in spacing)  # type: ignore[assignment]
    if len(shape) != 3 or min(shape) < 1 or len(spacing) != 3 or min(spacing) <= 0:
        raise ValueError(f"shape and spacing must be 3 positive values, got {shape} and {spacing}")
    origin = -(np.array(shape, float) - 1) / 2 * np.array(spacing)
    patients = _sample_cohort(seed, n_mild, n_severe)

    # montage: 6 mild + 6 severe (by id), 2 + 2 of them again with ROI outlines
    mild_ids = [p.pid for p in patients if p.group == "mild"][:6]
    sev_ids = [p.pid for p in patients if p.group == "severe"][:6]
    shown = set(mild_ids + sev_ids)
    outlined = set(mild_ids[:2] + sev_ids[:2])
    slices: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def one(p: _Patient) -> tuple[_Patient, _Rendered]:
        return _make_patient(p, out, shape, spacing, origin, p.pid in shown)  # type: ignore[arg-type]

    manifest_rows, clinical_rows, landmark_rows, truth_rows = [], [], [], []
    # Patients are independent (each has its own seed), so threads change the speed, never the
    # result; numpy, scipy.ndimage and SimpleITK's writer release the GIL for most of the work.
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for p, r in pool.map(one, patients):
            if p.pid in shown:
                slices[p.pid] = (r.image, r.mask)
            manifest_rows.append({"patient_id": p.pid, **{k: _rel(p.pid, k) for k in ("image", "mask", "mask_reader2")}})
            clinical_rows.append(
                {
                    "patient_id": p.pid,
                    "age": p.age,
                    "sex": p.sex,
                    "bmi": p.bmi,
                    "symptom_duration_months": p.duration,
                    "vas": p.vas,
                    "pain_group": p.group,
                }
            )
            landmark_rows.extend({"patient_id": p.pid, "name": n, "x": x, "y": y, "z": z} for n, x, y, z in r.landmarks)
            truth_rows.append({"patient_id": p.pid, "pain_group": p.group, **r.truth})
            if progress is not None:
                progress(1)

    paths: dict[str, Path] = {}
    paths["manifest"] = _write_csv(pd.DataFrame(manifest_rows), out / "manifest.csv")
    paths["clinical"] = _write_csv(pd.DataFrame(clinical_rows), out / "clinical.csv")
    paths["landmarks"] = _write_csv(pd.DataFrame(landmark_rows), out / "landmarks.csv")
    paths["truth"] = _write_csv(pd.DataFrame(truth_rows), out / "truth.csv")

    group_of = {p.pid: p.group for p in patients}
    order = [pid for pair in zip(mild_ids, sev_ids) for pid in pair]
    order += [pid for pid in mild_ids + sev_ids if pid not in order]
    panels_img, panels_mask, titles = [], [], []
    for pid in order:  # the slice nearest the disc (facet joints)
        panels_img.append(slices[pid][0][0])
        panels_mask.append(None)
        titles.append(f"{pid} - {group_of[pid]}")
    for pid in [pid for pid in order if pid in outlined]:  # the nearest vertebral body slice, with ROIs
        panels_img.append(slices[pid][0][1])
        panels_mask.append(slices[pid][1][1])
        titles.append(f"{pid} - {group_of[pid]} (ROIs, VB level)")
    paths["montage"] = save_montage(
        out / "montage.png",
        panels_img,
        titles=titles,
        masks=panels_mask,
        labels=LABELS,
        ncols=4,
        pixel_spacing=(spacing[1], spacing[0]),
        suptitle=f"SYNTHETIC lumbar L4-5 axial T2w demo (seed {seed}) - not patient data",
    )
    paths["readme"] = write_text_atomic(
        out / "README.md", _readme(seed, n_mild, n_severe, shape, spacing)  # type: ignore[arg-type]
    )
    return paths


def _readme(seed: int, n_mild: int, n_severe: int, shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> str:
    n = n_mild + n_severe
    labels = "\n".join(f"| {v} | `{k}` | {LABEL_DESCRIPTIONS[k]} |" for k, v in LABELS.items())
    ffm = FAT_FRACTION_MEANS
    return f"""# Synthetic lumbar pain demo study

**THIS DATA IS SYNTHETIC. It was generated by a computer program (`radiome.demo.lumbar`); it is not
patient data and no patient's images or records were used.** It is shaped like a published
radiomics study of chronic low back pain so that the radiome pipeline can be tried end to end.

## How it was generated

`radiome.demo.lumbar.generate_lumbar_demo(seed={seed}, n_mild={n_mild}, n_severe={n_severe},
shape={tuple(shape)}, spacing={tuple(spacing)})` - the same call gives byte-identical files.

- {n} patients with chronic low back pain: {n_mild} `mild`, {n_severe} `severe`, ids `LBP001`..`LBP{n:03d}`
  assigned in shuffled group order.
- One axial T2-weighted-like volume per patient at the L4-5 level: {shape[0]} x {shape[1]} x {shape[2]}
  voxels (x, y, z) of {spacing[0]} x {spacing[1]} x {spacing[2]} mm, identity direction (LPS: x to
  the patient's left, y posterior, z cranial), origin such that the grid centre is at (0, 0, 0) mm.
  The L4-5 disc centre lies near the middle slice (the slices run from the L4 body through the disc
  to the L5 body).
- Anatomy is drawn from analytic shapes in a per-patient frame (size from sex/BMI/age, a few mm of
  shift, a few degrees of rotation), then fat infiltration is placed inside the muscles as fibre-
  oriented streaks and patches, tissue signals (T2 fast spin echo-like: fat and CSF bright, muscle
  low-intermediate, cortical bone and ligaments dark) get texture, a Gaussian in-plane blur (sigma
  0.6 voxel), a smooth bias field (brighter posteriorly), Rician noise (SNR 15-25 in muscle), and are
  stored as int16 (typical values: air 0-50, muscle 300-450, marrow 500-750, subcutaneous fat
  950-1350, CSF 1350-1550, maximum about 1700; muscle voxels made fat about 900).

## Pain groups

VAS is on a 0-10 scale with one decimal. **mild: VAS < {VAS_CUT:.1f}; severe: VAS >= {VAS_CUT:.1f}.**

## Group effects built in (all weak and overlapping)

| quantity | mild | severe |
|---|---|---|
| multifidus fat fraction (mean, SD ~0.05 / ~0.06) | {ffm['MF'][0]:.3f} | {ffm['MF'][1]:.3f} |
| erector spinae fat fraction | {ffm['ES'][0]:.3f} | {ffm['ES'][1]:.3f} |
| age (years, SD 12) | 44 | 47 |
| proportion female | 0.50 | 0.58 |
| BMI (kg/m2, SD 3.5) | +0.0 | +0.5 |
| symptom duration (months, log-normal median) | 18 | 24 |
| multifidus width (atrophy) | 1.00 | 0.97 |
| sacral slope part of the lordosis (deg) | 40 | 38 |
| disc degeneration score | +0.00 | +0.08 |

Fat fraction also rises with age (+0.0015/year), female sex (+0.012) and BMI (+0.002/unit), and a
shared patient latent correlates the four muscles. Facet angles do not depend on the group.

## Files

All paths in the CSV files are relative to this folder.

- `images/<id>_t2.nii.gz` - the T2-weighted-like volume (int16).
- `masks/<id>_mask.nii.gz` - reader 1 segmentation (uint8, same grid), labels below. These are the
  generator's ground-truth label maps; muscle labels include the fat infiltration inside the muscle.
- `masks_reader2/<id>_mask.nii.gz` - a second reader: muscle labels 1-4 with outlines moved by a
  smooth random displacement (SD 1.15 mm, 1-2 voxels; Dice vs reader 1 about 0.9-0.95); labels 5-7 equal
  reader 1.
- `manifest.csv` - `patient_id, image, mask, mask_reader2`.
- `clinical.csv` - `patient_id, age` (years), `sex` (`F`/`M`), `bmi` (kg/m2), `symptom_duration_months`,
  `vas` (0-10), `pain_group` (`mild`/`severe`, from the VAS cut above).
- `landmarks.csv` - long format `patient_id, name, x, y, z`, physical mm (LPS):
  - `facet_L_anterior`, `facet_L_posterior`, `facet_R_anterior`, `facet_R_posterior`: anterior and
    posterior margins of the facet joints, on the axial slice nearest the L4-5 disc centre, lying on
    the drawn joint lines.
  - `midline_anterior` (centre of the vertebral body/disc), `midline_posterior` (tip of the spinous
    process): the midsagittal line on the same slice.
  - `L1_sup_anterior`, `L1_sup_posterior`, `S1_sup_anterior`, `S1_sup_posterior`: corners of the
    superior endplates of L1 and S1 in a virtual midsagittal plane (x = midline, y anterior-posterior,
    z cranio-caudal), outside the imaged slab; the Cobb lordosis angle is the angle between the two
    endplate lines.
- `truth.csv` - what the generator made, one row per patient:
  - `fat_fraction_<ROI>`: the true fraction of that muscle label's voxels (whole volume) made fat.
  - `fat_fraction_target_<ROI>`: the fraction the generator aimed at (equal up to discreteness).
  - `facet_angle_L_deg`, `facet_angle_R_deg`: angle between each facet joint line (anterior to
    posterior margin) and the midsagittal line (Karacan/Noren convention); `facet_tropism_deg` = |L - R|.
  - `lordosis_deg`: angle between the L1 and S1 superior endplate lines.
  - `csa_<ROI>_mm2`: mean cross-sectional area of the muscle label over the slices (mm2).
  - `subcutaneous_fat_mm`, `disc_degeneration` (0 healthy - 1 severe), `disc_slice_index` (0-based
    z index of the slice nearest the disc centre), `snr_muscle`, `rotation_deg` (in-plane patient rotation).
- `montage.png` - the slice nearest the disc of 12 patients (6 mild, 6 severe), and for 4 of them the
  nearest vertebral body slice with the reader 1 ROI outlines.

## Mask labels

| value | name | meaning |
|---|---|---|
{labels}
"""


__all__ = ["LABELS", "LANDMARK_NAMES", "MUSCLES", "VAS_CUT", "generate_lumbar_demo"]
