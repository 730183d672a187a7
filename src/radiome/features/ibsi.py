"""The ``ibsi`` profile: IBSI chapter 1 image processing and features, named by IBSI tags.

Where PyRadiomics departs from IBSI, this profile follows IBSI (reference manual, Zwanenburg et al.
2020, chapter 2 for processing, chapter 3 for features):

* **Interpolation** (2.4): grid centres aligned, ``n = ceil(n0 * s0 / s)``, intensities interpolated
  in floating point (``interpolator``: ``sitkLinear`` = trilinear, ``sitkBSpline`` = tricubic
  spline), optionally rounded (``roundIntensities``, as for CT in HU); the mask is interpolated
  linearly as a float map and kept where >= ``maskThreshold`` (default 0.5). In-plane-only
  interpolation: a spacing of 0 keeps that axis (``resampledPixelSpacing: [2, 2, 0]``).
* **Re-segmentation** (2.5) acts on the *intensity* mask only; the *morphological* mask (shape
  features) is the interpolated mask. ``resegmentRange`` (absolute) and ``outlierSigma``
  (mean +- k SD of the interpolated ROI) may be combined; the intersection is kept.
* **Discretisation** (2.7): fixed bin size counts from the re-segmentation lower bound (not from
  0 as PyRadiomics); fixed bin number from the ROI's own minimum and maximum.
* **Features**: kurtosis is excess kurtosis; texture matrices are aggregated as IBSI names them:
  with ``force2D: true`` per slice (``2D_avg``, ``2D_comb``, ``2_5D_avg``, ``2_5D_comb``; ``2D`` and
  ``2_5D`` for GLSZM, GLDZM, NGTDM, NGLDM), otherwise 3D (``3D_avg``, ``3D_comb``; ``3D``).
* **Families** beyond PyRadiomics: intensity histogram (``ih_``), intensity-volume histogram
  (``ivh_``, own discretisation ``ivhBinWidth``/``ivhBinCount``), local intensity (``loc_``),
  GLDZM (``dzm_``) and NGLDM (``ngl_``).

Outputs are keyed by the tags of the IBSI reference tables (``morph_volume``, ``stat_mean``,
``cm_contrast_3D_avg``, ...), so compliance is a one-line join with those tables. Diagnostic values
of the processing steps (``img_dim_x_interp_img``, ``int_mask_vox_count_reseg_roi``, ...) are
included with the same tags as the reference tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import SimpleITK as sitk

from radiome.errors import MaskError
from radiome.features.base import RoiImage
from radiome.preprocess.crop import bounding_box
from radiome.preprocess.resample import resample_ibsi

TEXTURE_2D = {"avg_comb": ("2D_avg", "2D_comb", "2_5D_avg", "2_5D_comb"), "plain": ("2D", "2_5D")}
TEXTURE_3D = {"avg_comb": ("3D_avg", "3D_comb"), "plain": ("3D",)}


def _diagnostics(prefix: str, suffix: str, img: np.ndarray, mask: np.ndarray | None, spacing_xyz) -> dict[str, float]:
    out: dict[str, float] = {}
    axes = ("x", "y", "z")
    shape_xyz = img.shape[::-1]
    if mask is None:
        for a, n in zip(axes, shape_xyz):
            out[f"img_dim_{a}_{suffix}"] = float(n)
        for a, s in zip(axes, spacing_xyz):
            out[f"vox_dim_{a}_{suffix}"] = float(s)
        out[f"mean_int_{suffix}"] = float(img.mean())
        out[f"min_int_{suffix}"] = float(img.min())
        out[f"max_int_{suffix}"] = float(img.max())
        return out
    for a, n in zip(axes, shape_xyz):
        out[f"{prefix}_dim_{a}_{suffix}"] = float(n)
    bb = bounding_box(mask)
    for a, b in zip(axes, [b for b in bb][::-1]):
        out[f"{prefix}_bb_dim_{a}_{suffix}"] = float(b.stop - b.start)
    out[f"{prefix}_vox_count_{suffix}"] = float(mask.sum())
    if prefix == "int_mask":
        v = img[mask]
        out[f"{prefix}_mean_int_{suffix}"] = float(v.mean())
        out[f"{prefix}_min_int_{suffix}"] = float(v.min())
        out[f"{prefix}_max_int_{suffix}"] = float(v.max())
    return out


def _call(module: str, roi: RoiImage, *args: Any, **kwargs: Any) -> dict[str, float]:
    import importlib

    return importlib.import_module(f"radiome.features.{module}").compute_ibsi(roi, *args, **kwargs)


def extract_ibsi(image: sitk.Image, mask: sitk.Image, params: Any, settings: Mapping[str, Any]) -> dict[str, float]:
    """IBSI features of ``mask == label`` in ``image`` (see the module docstring for the steps)."""
    s = dict(settings)
    label = int(s.get("label", 1))
    img = sitk.Cast(image, sitk.sitkFloat64)
    binary = sitk.Cast(sitk.Equal(mask, label), sitk.sitkUInt8)  # 0/1 mask of the ROI
    out: dict[str, float] = {}
    arr0 = sitk.GetArrayViewFromImage(img)
    m0 = sitk.GetArrayViewFromImage(binary).astype(bool)
    out.update(_diagnostics("img", "init_img", arr0, None, img.GetSpacing()))
    for pre in ("int_mask", "morph_mask"):
        out.update(_diagnostics(pre, "init_roi", arr0, m0, img.GetSpacing()))
    spacing = s.get("resampledPixelSpacing")
    if spacing:
        img, binary = resample_ibsi(
            img,
            binary,
            spacing,
            interpolator=s.get("interpolator") or "sitkLinear",
            mask_threshold=s.get("maskThreshold", 0.5),
            round_intensities=s.get("roundIntensities", False),
        )
    arr = sitk.GetArrayFromImage(img)
    morph = sitk.GetArrayFromImage(binary).astype(bool)
    if morph.sum() < 2:
        raise MaskError(f"the ROI has {int(morph.sum())} voxel(s) after interpolation; features need at least two")
    sp_xyz = img.GetSpacing()
    out.update(_diagnostics("img", "interp_img", arr, None, sp_xyz))
    for pre in ("int_mask", "morph_mask"):
        out.update(_diagnostics(pre, "interp_roi", arr, morph, sp_xyz))
    # re-segmentation of the intensity mask (range and/or outliers, computed on the interpolated ROI)
    intensity = morph.copy()
    vals = arr[morph]
    rr = s.get("resegmentRange")
    if rr:
        lo = float(min(rr))
        hi = float(max(rr)) if len(rr) == 2 else np.inf
        intensity &= (arr >= lo) & (arr <= hi)
    k = s.get("outlierSigma")
    if k:
        mu, sd = float(vals.mean()), float(vals.std())
        intensity &= (arr >= mu - k * sd) & (arr <= mu + k * sd)
    if intensity.sum() < 2:
        raise MaskError(f"re-segmentation kept {int(intensity.sum())} voxel(s)")
    out.update(_diagnostics("int_mask", "reseg_roi", arr, intensity, sp_xyz))
    out.update(_diagnostics("morph_mask", "reseg_roi", arr, morph, sp_xyz))

    bbox = bounding_box(morph)
    spacing_zyx = tuple(float(v) for v in sp_xyz[::-1])
    # without an explicit featureClass section every IBSI family is computed
    explicit = params is not None and "featureClass" in params.model_fields_set
    fc = set(params.featureClass) if explicit else set()
    want = lambda *names: (not explicit) or any(n in fc for n in names)  # noqa: E731
    morph_roi = RoiImage(arr[bbox], morph[bbox], spacing_zyx, s, "original")
    int_roi = RoiImage(arr[bbox], intensity[bbox], spacing_zyx, s, "original")
    if want("shape"):
        out.update(_call("shape", morph_roi, intensity_mask=intensity[bbox]))
    if want("loc"):
        offset = tuple(b.start for b in bbox)
        out.update(_call("loc", int_roi, image_full=arr, mask_offset=offset))
    if want("firstorder"):
        out.update(_call("firstorder", int_roi))
    if want("ih"):
        out.update(_call("ih", int_roi))
    if want("ivh"):
        out.update(_call("ivh", int_roi))
    aggs = TEXTURE_2D if s.get("force2D") else TEXTURE_3D
    for fam, kind in (("glcm", "avg_comb"), ("glrlm", "avg_comb"), ("glszm", "plain"), ("gldzm", "plain"),
                      ("ngtdm", "plain"), ("ngldm", "plain")):
        if not want(fam):
            continue
        for agg in aggs[kind]:
            if fam == "gldzm":
                # distance to the ROI edge uses the morphological mask (IBSI 3.10)
                out.update(_call(fam, int_roi, agg, morph_mask=morph[bbox]))
            else:
                out.update(_call(fam, int_roi, agg))
    return out



# The five image-processing configurations of the IBSI chapter 1 CT radiomics phantom (reference
# manual, chapter 5, "Reference data sets"), as radiome parameters.
IBSI_CT_CONFIGS: dict[str, dict[str, Any]] = {
    "A": {"force2D": True, "resegmentRange": [-500, 400], "binWidth": 25},
    "B": {
        "force2D": True,
        "resampledPixelSpacing": [2, 2, 0],
        "interpolator": "sitkLinear",
        "roundIntensities": True,
        "resegmentRange": [-500, 400],
        "binCount": 32,
    },
    "C": {
        "resampledPixelSpacing": [2, 2, 2],
        "interpolator": "sitkLinear",
        "roundIntensities": True,
        "resegmentRange": [-1000, 400],
        "binWidth": 25,
        "ivhBinWidth": 2.5,
    },
    "D": {
        "resampledPixelSpacing": [2, 2, 2],
        "interpolator": "sitkLinear",
        "roundIntensities": True,
        "outlierSigma": 3,
        "binCount": 32,
    },
    "E": {
        "resampledPixelSpacing": [2, 2, 2],
        "interpolator": "sitkBSpline",
        "roundIntensities": True,
        "resegmentRange": [-1000, 400],
        "outlierSigma": 3,
        "binCount": 32,
        "ivhBinCount": 1000,
    },
}


def passes(value: float, reference: float, tolerance: float) -> bool:
    """IBSI check as MIRP applies it: round to 3 significant digits, then |x - ref| <= tol."""
    if not np.isfinite(value):
        return False
    if abs(value - reference) <= tolerance:  # references with more than 3 digits (e.g. 3065 HU)
        return True
    if value != 0:
        value = round(value, 3 - int(np.floor(np.log10(abs(value)))) - 1)
    return abs(value - reference) <= tolerance + 1e-12 * max(1.0, abs(reference))
