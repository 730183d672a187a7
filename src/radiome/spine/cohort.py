"""Per-patient and cohort morphometry, QA figures and the command-line entry points.

``morphometry(study)`` reads each case's image and mask, measures every muscle ROI of the study
(plus the demo's ``VB`` / ``SCF`` labels when the study names no such ROI: VB 5, SCF 7), reads the
landmarks from ``landmarks.csv`` next to the manifest (``patient_id, name, x, y, z`` LPS mm; or a
``landmarks`` argument), and writes ``<output_dir>/morphometry/morphometry.csv`` (one row per patient,
columns ``<ROI>_<measure>``, ``<pair>_asym_<measure>``, ``VB_csa_mm2``, ``facet_angle_L_deg``,
``facet_angle_R_deg``, ``facet_tropism_deg``, ``lordosis_deg``, ``slice``, ``messages``) atomically,
and a QA PNG per patient under ``morphometry/qa/``. A missing ROI, landmark or unreadable file gives
NaN for the measures it feeds and a message in the ``messages`` column (also logged); the run goes on.

The measured slice (``slice="auto"``) is the slice nearest the mean z of the four facet landmarks
when they exist (the demo puts them on the slice nearest the L4-5 disc centre), else the middle
slice of each ROI.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiome._atomic import atomic_path
from radiome.spine.geometry import facet_angle, facet_tropism, lordosis_angle, read_landmark_table
from radiome.spine.measures import asymmetry_index, muscle_measures, vertebral_body_csa

log = logging.getLogger("radiome.spine")

DEFAULT_EXTRA_LABELS = {"VB": 5, "SCF": 7}
MEASURES = ("csa_mm2", "csa_mean_mm2", "fat_area_mm2", "fat_rate", "fat_rate_all", "mean_gray", "sd_gray")
ASYM_MEASURES = ("csa_mm2", "fat_rate")
FACET_NAMES = ("facet_L_anterior", "facet_L_posterior", "facet_R_anterior", "facet_R_posterior", "midline_anterior", "midline_posterior")
LORDOSIS_NAMES = ("L1_sup_anterior", "L1_sup_posterior", "S1_sup_anterior", "S1_sup_posterior")


def bilateral_pairs(names: list[str]) -> list[tuple[str, str, str]]:
    """``(pair, left, right)`` for every ``X_L`` with an ``X_R`` (e.g. ``MF``, ``MF_L``, ``MF_R``)."""
    out = []
    for n in names:
        if n.endswith("_L") and n[:-2] + "_R" in names:
            out.append((n[:-2], n, n[:-2] + "_R"))
    return out


def angles_from_landmarks(
    lm: dict[str, np.ndarray], messages: list[str], plane_normal: Any = None, sagittal_normal: Any = (1.0, 0.0, 0.0)
) -> dict[str, float]:
    """Facet angles, tropism and lordosis from named landmarks; NaN + message for what is missing.

    ``plane_normal`` is the axial slice normal for the facet angles (None: 3D lines);
    ``sagittal_normal`` the left-right axis for the lordosis projection.
    """
    out: dict[str, float] = {}
    for side in ("L", "R"):
        need = (f"facet_{side}_anterior", f"facet_{side}_posterior", "midline_anterior", "midline_posterior")
        miss = [n for n in need if n not in lm]
        if miss:
            out[f"facet_angle_{side}_deg"] = math.nan
            messages.append(f"facet_angle_{side}_deg: missing landmark(s) {', '.join(miss)}")
        else:
            out[f"facet_angle_{side}_deg"] = facet_angle(*(lm[n] for n in need), plane_normal=plane_normal)
    out["facet_tropism_deg"] = facet_tropism(out["facet_angle_L_deg"], out["facet_angle_R_deg"])
    miss = [n for n in LORDOSIS_NAMES if n not in lm]
    if miss:
        out["lordosis_deg"] = math.nan
        messages.append(f"lordosis_deg: missing landmark(s) {', '.join(miss)}")
    else:
        out["lordosis_deg"] = lordosis_angle(*(lm[n] for n in LORDOSIS_NAMES), plane_normal=sagittal_normal)
    return out


def patient_morphometry(
    image: sitk.Image,
    mask: sitk.Image,
    rois: dict[str, int],
    landmarks: dict[str, np.ndarray] | None = None,
    *,
    method: str = "otsu",
    slice: str | int = "auto",
    reference_label: int | None = None,
    vb_label: int | None = None,
    qa_path: Path | None = None,
    title: str = "",
    dixon: sitk.Image | None = None,
    disc_label: int | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """All measures of one patient as a flat dict, plus messages about what could not be measured.

    The measured slice (``slice="auto"``) is the one nearest the facet landmarks' mean position;
    without landmarks, the one nearest the centroid of the disc label (``disc_label``, e.g. an
    L4-5 disc segmentation) when the mask holds it; else the ROI's middle slice. ``dixon``: the
    patient's fat-fraction map for ``method="dixon"``."""
    messages: list[str] = []
    lm = landmarks or {}
    row: dict[str, Any] = {}
    arr_img = sitk.GetArrayViewFromImage(image).astype(np.float32)
    arr_mask = sitk.GetArrayViewFromImage(mask)
    present = set(np.unique(arr_mask).tolist())
    level = None
    facet_pts = [lm[n] for n in FACET_NAMES[:4] if n in lm]
    if facet_pts:
        c = np.mean(facet_pts, axis=0)
        level = float(image.TransformPhysicalPointToContinuousIndex([float(x) for x in c])[2])
    if level is None and disc_label is not None and disc_label in present:
        level = float(np.nonzero(arr_mask == disc_label)[0].mean())  # the disc's centroid slice (z index)
    if method == "dixon" and dixon is None:
        messages.append("no Dixon fat-fraction map for this patient: fat measures are NaN")
    ref = reference_label
    if method == "reference" and (ref is None or ref not in present):
        messages.append(f"reference ROI label {ref} not in the mask: fat measures are NaN")
    results: dict[str, dict[str, Any]] = {}
    for name, label in rois.items():
        if label not in present:
            messages.append(f"{name}: ROI label {label} is empty or absent")
            row.update({f"{name}_{m}": math.nan for m in MEASURES})
            continue
        if (method == "reference" and (ref is None or ref not in present)) or (method == "dixon" and dixon is None):
            r = muscle_measures(arr_img, arr_mask, label, "otsu", slice=slice, level_index=level, spacing=image.GetSpacing())
            r["fat_area_mm2"] = r["fat_rate"] = r["fat_rate_all"] = math.nan
            r["fat_mask"] = None
        else:
            r = muscle_measures(
                arr_img, arr_mask, label, method, reference_label=ref, slice=slice, level_index=level,
                spacing=image.GetSpacing(), dixon=sitk.GetArrayViewFromImage(dixon) if dixon is not None else None,
            )
        results[name] = r
        row.update({f"{name}_{m}": r[m] for m in MEASURES})
    for pair, left, right in bilateral_pairs(list(rois)):
        for m in ASYM_MEASURES:
            row[f"{pair}_asym_{m}"] = asymmetry_index(row[f"{left}_{m}"], row[f"{right}_{m}"])
    if vb_label is not None:
        vb = vertebral_body_csa(arr_mask, vb_label, spacing=image.GetSpacing())
        row["VB_csa_mm2"] = vb["csa_mm2"]
        if vb["slice"] is None:
            messages.append(f"VB: ROI label {vb_label} is empty or absent")
    # facet angles in the image's slice plane; lordosis in the plane normal to the image's x (L-R) axis
    direction = np.asarray(image.GetDirection(), float).reshape(3, 3)
    row.update(angles_from_landmarks(lm, messages, plane_normal=direction[:, 2], sagittal_normal=direction[:, 0]))
    slices = sorted({r["slice"] for r in results.values()})
    row["slice"] = slices[0] if len(slices) == 1 else (-1 if slices else math.nan)
    if qa_path is not None and results:
        try:
            save_qa_png(qa_path, image, arr_img, arr_mask, results, lm, title=title)
        except Exception as exc:  # a figure must never stop the measurements
            messages.append(f"QA figure failed: {exc}")
    return row, messages


def save_qa_png(
    path: Path,
    image: sitk.Image,
    arr_img: np.ndarray,
    arr_mask: np.ndarray,
    results: dict[str, dict[str, Any]],
    landmarks: dict[str, np.ndarray],
    *,
    title: str = "",
) -> Path:
    """The measured slice with muscle outlines, fat pixels in yellow and the facet/midline lines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ks = [r["slice"] for r in results.values() if r.get("slice", -1) >= 0]
    k = int(np.bincount(ks).argmax()) if ks else arr_img.shape[0] // 2
    sp = image.GetSpacing()
    fig = Figure(figsize=(4.2, 4.2 * arr_img.shape[1] * sp[1] / (arr_img.shape[2] * sp[0])), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    sl = arr_img[k]
    lo, hi = np.percentile(sl, [1, 99.5])
    ax.imshow(sl, cmap="gray", vmin=lo, vmax=hi, aspect=sp[1] / sp[0], interpolation="nearest")
    colours = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"]
    overlay = np.zeros(sl.shape + (4,), np.float32)
    for i, (name, r) in enumerate(results.items()):
        m = arr_mask[k] == r["label"]
        if m.any():
            col = colours[i % len(colours)]
            ax.contour(m.astype(np.float32), levels=[0.5], colors=[col], linewidths=0.8)
            yy, xx = np.nonzero(m)
            rate = r.get("fat_rate", math.nan)
            ax.text(xx.mean(), yy.mean(), f"{name}\n{100 * rate:.1f}%", color=col, fontsize=6, ha="center", va="center")
        fm = r.get("fat_mask")
        if fm is not None:
            overlay[fm[k]] = (1.0, 0.9, 0.0, 0.75)
    ax.imshow(overlay, aspect=sp[1] / sp[0], interpolation="nearest")
    for a, b, col in (
        ("facet_L_anterior", "facet_L_posterior", "cyan"),
        ("facet_R_anterior", "facet_R_posterior", "cyan"),
        ("midline_anterior", "midline_posterior", "magenta"),
    ):
        if a in landmarks and b in landmarks:
            pa = image.TransformPhysicalPointToContinuousIndex([float(x) for x in landmarks[a]])
            pb = image.TransformPhysicalPointToContinuousIndex([float(x) for x in landmarks[b]])
            ax.plot([pa[0], pb[0]], [pa[1], pb[1]], "-o", color=col, lw=1.0, ms=2)
    ax.set_axis_off()
    ax.text(2, 2, f"{title} slice {k}", color="white", fontsize=7, va="top")
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def _study_labels(study: Any) -> tuple[dict[str, int], int | None, int | None]:
    rois = {name: roi.label for name, roi in study.rois.items()}
    muscle = {n: l for n, l in rois.items() if n not in ("VB", "SCF", "CANAL")}
    vb = rois.get("VB", DEFAULT_EXTRA_LABELS["VB"])
    scf = rois.get("SCF", DEFAULT_EXTRA_LABELS["SCF"])
    return muscle, vb, scf


def morphometry(
    study: Any,
    *,
    method: str = "otsu",
    slice: str | int = "auto",
    landmarks: str | Path | None = None,
    qa: bool = True,
    out: str | Path | None = None,
    workers: int = 2,
    dixon_column: str | None = None,
    disc_label: int | None = None,
) -> pd.DataFrame:
    """Measure every patient of ``study`` (a :class:`~radiome.study.schema.Study` or its YAML path).

    ``dixon_column``: a manifest column with each patient's Dixon fat-fraction map (on the image
    grid), used by ``method="dixon"``; ``disc_label``: the mask label of the L4-5 disc, which places
    the ``auto`` slice when a patient has no facet landmarks.

    Returns a DataFrame indexed by patient id and writes it to ``out`` (default
    ``<output_dir>/morphometry/morphometry.csv``); QA figures go to ``qa/<patient>.png`` beside the
    CSV (when ``qa``). ``df.attrs["messages"]`` maps patient -> messages. Cases run on ``workers``
    threads.
    """
    from radiome.io.cohort import load_cohort
    from radiome.io.images import read_image, read_mask
    from radiome.study.loader import load_study

    if isinstance(study, (str, Path)):
        study = load_study(study)
    cohort = load_cohort(study)
    rois, vb_label, scf_label = _study_labels(study)
    lm_path = Path(landmarks) if landmarks is not None else Path(study.inputs.manifest).parent / "landmarks.csv"
    table: dict[str, dict[str, np.ndarray]] = {}
    global_msg = None
    if lm_path.is_file():
        try:
            table = read_landmark_table(lm_path)
        except Exception as exc:
            global_msg = f"landmarks unreadable ({lm_path}): {exc}"
    else:
        global_msg = f"no landmark file {lm_path}"
    if global_msg:
        log.warning(global_msg)
    out_dir = Path(out).parent if out is not None else Path(study.output_dir) / "morphometry"
    mask_col = study.inputs.mask_column

    if method == "dixon" and not dixon_column:
        raise ValueError("method 'dixon' needs dixon_column: the manifest column of the fat-fraction maps")
    if dixon_column and dixon_column not in cohort.table.columns:
        raise ValueError(f"the manifest has no column {dixon_column!r} (Dixon fat-fraction maps)")
    def one(case: Any) -> tuple[str, dict[str, Any], list[str]]:
        pid = case.patient_id
        try:
            if case.image is None or case.masks.get(mask_col) is None:
                raise ValueError("image or mask path missing in the manifest")
            image = read_image(case.image, patient=pid)
            mask = read_mask(case.masks[mask_col], patient=pid)
            dpath = cohort.column_path(case, dixon_column)
            dixon = read_image(dpath, patient=pid, role="Dixon fat-fraction map") if dpath is not None else None
            if dixon is not None and dixon.GetSize() != image.GetSize():
                raise ValueError(f"Dixon map {dpath} has size {dixon.GetSize()}, the image {image.GetSize()}")
            lm = table.get(pid, {})
            row, msgs = patient_morphometry(
                image,
                mask,
                rois,
                lm,
                method=method,
                slice=slice,
                reference_label=scf_label,
                vb_label=vb_label,
                qa_path=out_dir / "qa" / f"{pid}.png" if qa else None,
                title=pid,
                dixon=dixon,
                disc_label=disc_label,
            )
            if not lm:
                msgs.insert(0, "no landmarks for this patient")
        except Exception as exc:
            row, msgs = {}, [f"not measured: {exc}"]
        return pid, row, msgs

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        results = list(pool.map(one, cohort.cases))
    rows, messages = [], {}
    for pid, row, msgs in results:
        rows.append({"patient_id": pid, **row, "messages": "; ".join(msgs)})
        messages[pid] = msgs
        for m in msgs:
            log.warning("%s: %s", pid, m)
    df = pd.DataFrame(rows).set_index("patient_id")
    cols = [c for c in df.columns if c != "messages"] + ["messages"]
    df = df[cols]
    df.attrs["messages"] = messages
    df.attrs["method"] = method
    target = Path(out) if out is not None else out_dir / "morphometry.csv"
    with atomic_path(target) as tmp:
        df.to_csv(tmp, float_format="%.6g")
    return df


def _parse_labels(labels: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in [p.strip() for p in labels.split(",") if p.strip()]:
        if "=" in part:
            name, _, val = part.partition("=")
            out[name.strip()] = int(val)
        else:
            out[f"label{int(part)}"] = int(part)
    if not out:
        raise ValueError("no labels given (e.g. 'MF_L=1,MF_R=2' or '1,2')")
    return out


def morphometry_case_command(
    image: Path,
    mask: Path,
    labels: str,
    method: str = "otsu",
    slice: str = "auto",
    reference_label: int | None = None,
    json_out: bool = False,
    dixon: Path | None = None,
) -> int:
    """Measure the ROIs of one image/mask pair; print CSV (one row per ROI) or JSON. Exit code."""
    from radiome.errors import RadiomeError
    from radiome.io.images import read_image, read_mask

    try:
        rois = _parse_labels(labels)
        sl: str | int = int(slice) if str(slice).lstrip("-").isdigit() else slice
        img = read_image(image)
        msk = read_mask(mask)
        arr_img = sitk.GetArrayViewFromImage(img).astype(np.float32)
        arr_mask = sitk.GetArrayViewFromImage(msk)
        if arr_img.shape != arr_mask.shape:
            raise ValueError(f"image {arr_img.shape} and mask {arr_mask.shape} differ in shape")
        ff = None
        if dixon is not None:
            ff = sitk.GetArrayViewFromImage(read_image(dixon, role="Dixon fat-fraction map"))
            if ff.shape != arr_img.shape:
                raise ValueError(f"Dixon map {dixon} {ff.shape} and image {arr_img.shape} differ in shape")
        rows = []
        for name, lab in rois.items():
            r = muscle_measures(arr_img, arr_mask, lab, method, reference_label=reference_label, slice=sl,
                                spacing=img.GetSpacing(), dixon=ff)
            r.pop("fat_mask", None)
            r["slices"] = " ".join(str(k) for k in r["slices"])
            rows.append({"roi": name, **r})
        for pair, left, right in bilateral_pairs(list(rois)):
            l_, r_ = next(x for x in rows if x["roi"] == left), next(x for x in rows if x["roi"] == right)
            rows.append({"roi": f"{pair}_asym", **{m: asymmetry_index(l_[m], r_[m]) for m in ASYM_MEASURES}})
    except (RadiomeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if json_out:
        clean = [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()} for r in rows]
        print(json.dumps(clean, indent=2))
    else:
        print(pd.DataFrame(rows).to_csv(index=False, float_format="%.6g"), end="")
    return 0


def morphometry_command(study: Path, out: Path | None = None) -> int:
    """Cohort morphometry of a study; writes the CSV (``out`` or the default) and prints it. Exit code."""
    from radiome.errors import RadiomeError

    try:
        df = morphometry(study, out=out)
    except (RadiomeError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(df.to_csv(float_format="%.6g"), end="")
    n_msg = sum(1 for v in df.attrs.get("messages", {}).values() if v)
    if n_msg:
        print(f"{n_msg} patient(s) with messages (see the 'messages' column)", file=sys.stderr)
    return 0
