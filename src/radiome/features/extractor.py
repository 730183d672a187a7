"""Single-case feature extraction: image + mask + parameters -> ``{feature name: value}``.

The pipeline follows PyRadiomics' ``RadiomicsFeatureExtractor.execute`` step by step, so that the
``pyradiomics`` profile reproduces its numbers:

1. read image and mask (paths through :mod:`radiome.io`, or SimpleITK images); the mask must hold
   the label;
2. normalise (``normalize``), then resample (``resampledPixelSpacing`` + ``interpolator``) or
   pre-crop (``preCrop``);
3. check the mask against the image grid (``geometryTolerance``; ``correctMask`` resamples a mask
   on another grid by nearest neighbour), compute the ROI bounding box, check the ROI's dimensions
   (``minimumROIDimensions``) and size (``minimumROISize``);
4. re-segment (``resegmentRange``/``resegmentMode``); shape features use the original mask unless
   ``resegmentShape``;
5. for every enabled image type, filter (:mod:`radiome.features.filters`), crop to the bounding box
   and compute every enabled feature class on one :class:`~radiome.features.base.RoiImage`, so all
   families share the crop and the discretisation.

Design for speed: the image is read and pre-processed once per case; each filter returns only the
cropped region; each family works on numpy arrays of the crop and shares cached products
(discretised levels, neighbour statistics) through the RoiImage. Names follow PyRadiomics:
``<image type>_<class>_<feature>`` (``original_glcm_Contrast``, ``wavelet-LLH_firstorder_Mean``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import SimpleITK as sitk

from pydantic import ValidationError

from radiome._threads import single_blas_thread
from radiome.errors import ConfigError, GeometryError, MaskError, RadiomeError
from radiome.features.base import RoiImage
from radiome.features.settings import FEATURE_CLASSES, Params, Settings, load_params
from radiome.io.images import Geometry, GeometryTolerance, geometry_differences, read_image
from radiome.preprocess.crop import bounding_box
from radiome.preprocess.normalise import normalise_image
from radiome.preprocess.resample import resample_pyradiomics
from radiome.preprocess.resegment import resegment

log = logging.getLogger(__name__)

_MODULES = {
    "firstorder": "firstorder",
    "shape": "shape",
    "shape2D": "shape2d",
    "glcm": "glcm",
    "glrlm": "glrlm",
    "glszm": "glszm",
    "gldm": "gldm",
    "ngtdm": "ngtdm",
}


def family(name: str) -> ModuleType:
    """The module implementing a feature class (``glcm`` -> :mod:`radiome.features.glcm`)."""
    return importlib.import_module(f"radiome.features.{_MODULES.get(name, name)}")


ImageLike = str | Path | sitk.Image


def _load_image(image: ImageLike, patient: str | None) -> sitk.Image:
    if isinstance(image, sitk.Image):
        if image.GetDimension() != 3:
            raise RadiomeError(f"image is {image.GetDimension()}D; a 3D volume is required", patient=patient)
        arr = sitk.GetArrayViewFromImage(image)
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            raise RadiomeError("image holds NaN or Inf values", patient=patient, code="image_nonfinite")
        return image
    return read_image(image, patient=patient)


def _load_mask(mask: ImageLike, label: int, patient: str | None) -> sitk.Image:
    if isinstance(mask, sitk.Image):
        m = mask
    else:
        m = read_image(mask, patient=patient, role="mask")
    arr = sitk.GetArrayViewFromImage(m)
    if np.issubdtype(arr.dtype, np.floating) and np.any(arr != np.round(arr)):
        raise MaskError("mask is not a label image (non-integer values)", path=None if isinstance(mask, sitk.Image) else mask, patient=patient, code="mask_not_integer")
    m = sitk.Cast(m, sitk.sitkUInt32)
    arr = sitk.GetArrayViewFromImage(m)
    if not np.any(arr):
        raise MaskError("mask is empty (nothing is segmented)", patient=patient, code="mask_empty")
    if not np.any(arr == label):
        present = ", ".join(map(str, np.unique(arr[arr > 0])[:10]))
        raise MaskError(f"label {label} is not in the mask (labels present: {present})", patient=patient, code="roi_label_absent")
    return m


def _tolerance(settings: Mapping[str, Any]) -> GeometryTolerance:
    tol = settings.get("geometryTolerance")
    if tol is None:
        return GeometryTolerance(spacing=1e-6, origin=1e-6, direction=1e-6)  # ITK's defaults
    return GeometryTolerance(spacing=tol, origin=tol, direction=tol)


class FeatureExtractor:
    """Extract radiomics features from one image and mask (scikit-image-like, stateless per call).

    ``params``: a PyRadiomics parameter file (path), a dict in the same layout, or None for
    PyRadiomics' defaults (Original image, all feature classes). Keyword ``settings`` override the
    ``setting`` section (e.g. ``FeatureExtractor(binWidth=5, profile="ibsi")``).
    """

    def __init__(self, params: str | Path | Mapping[str, Any] | Params | None = None, **settings: Any) -> None:
        p = load_params(params)
        if settings:
            merged = {**p.setting.model_dump(exclude_unset=True), **settings}
            try:
                new_setting = Settings.model_validate(merged)
            except ValidationError as exc:
                raise ConfigError(f"invalid extraction setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
            p = p.model_copy(update={"setting": new_setting})
        self.params = p

    @property
    def settings(self) -> dict[str, Any]:
        return self.params.setting.model_dump()

    def feature_classes(self) -> list[str]:
        """Enabled feature classes in PyRadiomics' order."""
        return [c for c in FEATURE_CLASSES if c in self.params.featureClass]

    def execute(
        self, image: ImageLike, mask: ImageLike, label: int | None = None, *, patient: str | None = None
    ) -> dict[str, float]:
        """Features of one ROI, named as PyRadiomics names them.

        BLAS runs single-threaded inside: the matrices are small (a few dozen grey levels), where
        thread start-up costs more than it saves, and cohort extraction parallelises over cases.
        """
        with single_blas_thread():
            return self._execute(image, mask, label, patient)

    def _execute(
        self, image: ImageLike, mask: ImageLike, label: int | None, patient: str | None
    ) -> dict[str, float]:
        s = self.settings
        if label is not None:
            s["label"] = int(label)
        if s["profile"] == "ibsi":
            from radiome.features.ibsi import extract_ibsi

            return extract_ibsi(_load_image(image, patient), _load_mask(mask, s["label"], patient), self.params, s)
        img = _load_image(image, patient)
        msk = _load_mask(mask, s["label"], patient)
        img, msk = self._preprocess(img, msk, s, patient)
        marr = sitk.GetArrayFromImage(msk) == s["label"]
        bbox = self._check_roi(marr, s, patient)
        shape_mask = marr
        if s.get("resegmentRange"):
            reseg = resegment(sitk.GetArrayViewFromImage(img), marr, s["resegmentRange"], s["resegmentMode"])
            n = int(reseg.sum())
            if n <= 1:
                raise MaskError(
                    f"re-segmentation {s['resegmentRange']} ({s['resegmentMode']}) kept {n} voxel(s)",
                    patient=patient,
                    code="roi_too_small",
                )
            bbox = self._check_roi(reseg, s, patient)
            if s.get("resegmentShape"):
                shape_mask = reseg
            marr = reseg
        spacing = tuple(float(v) for v in img.GetSpacing()[::-1])
        out: dict[str, float] = {}
        classes = self.feature_classes()
        for cls in ("shape", "shape2D"):
            if cls not in classes:
                continue
            if cls == "shape2D" and not self._shape2d_possible(bbox, s):
                continue
            full = sitk.GetArrayViewFromImage(img)
            roi = RoiImage(full[bbox], shape_mask[bbox], spacing, s, "original")
            for k, v in family(cls).compute(roi, self.params.enabled_features(cls)).items():
                out[f"original_{cls}_{k}"] = v
        others = [c for c in classes if not c.startswith("shape")]
        if not others:
            return out
        from radiome.features import filters

        mcrop = marr[bbox]
        mask_store: dict[str, Any] = {}  # mask-only products shared by every image type of this ROI
        for image_type in self.params.imageType:
            ts = self.params.settings_for(image_type)
            ts["label"] = s["label"]
            for type_name, arr, kwargs in filters.apply(image_type, img, bbox, ts, mask=mcrop):
                roi = RoiImage(arr, mcrop, spacing, {**ts, **kwargs}, type_name, mask_store)
                for cls in others:
                    for k, v in family(cls).compute(roi, self.params.enabled_features(cls)).items():
                        out[f"{type_name}_{cls}_{k}"] = v
        return out

    @staticmethod
    def _shape2d_possible(bbox: tuple[slice, ...], s: Mapping[str, Any]) -> bool:
        if not s.get("force2D"):
            log.debug("shape2D needs force2D: true; skipped")
            return False
        # shape2D describes a single slice: the ROI must be one voxel thick along force2Ddimension
        # (numpy axis order). PyRadiomics 3.1.4 tests the opposite condition on the (x, y, z) size
        # and then fails inside its shape2D class, so it never yields shape2D for a 3D image; here the
        # documented intent is implemented.
        dim = s.get("force2Ddimension", 0)
        if bbox[dim].stop - bbox[dim].start == 1:
            return True
        log.warning("shape2D skipped: the ROI spans more than one slice along force2Ddimension %d", dim)
        return False

    def _preprocess(
        self, img: sitk.Image, msk: sitk.Image, s: dict[str, Any], patient: str | None
    ) -> tuple[sitk.Image, sitk.Image]:
        if s.get("normalize"):
            img = normalise_image(img, scale=s.get("normalizeScale", 1), remove_outliers=s.get("removeOutliers"))
        spacing = s.get("resampledPixelSpacing")
        tol = _tolerance(s)
        diffs = geometry_differences(Geometry.of(img), Geometry.of(msk), tol)
        if diffs and not s.get("correctMask"):
            raise GeometryError(
                "mask does not match the image grid: " + "; ".join(diffs.values())
                + " (set correctMask: true to resample the mask onto the image)",
                patient=patient,
            )
        if diffs:
            msk = sitk.Resample(msk, img, sitk.Transform(), sitk.sitkNearestNeighbor, 0, msk.GetPixelID())
            if not np.any(sitk.GetArrayViewFromImage(msk) == s["label"]):
                raise GeometryError("the ROI lies outside the image after resampling the mask", patient=patient)
        if s.get("interpolator") is not None and spacing is not None:
            img, msk = resample_pyradiomics(
                img, msk, spacing, interpolator=s["interpolator"], pad_distance=s["padDistance"], label=s["label"]
            )
        elif s.get("preCrop"):
            marr = sitk.GetArrayViewFromImage(msk) == s["label"]
            bb = bounding_box(marr, pad=s["padDistance"])
            lo = [b.start for b in bb][::-1]
            hi = [n - b.stop for b, n in zip(bb, marr.shape)][::-1]
            img, msk = sitk.Crop(img, lo, hi), sitk.Crop(msk, lo, hi)
        return img, msk

    @staticmethod
    def _check_roi(marr: np.ndarray, s: Mapping[str, Any], patient: str | None) -> tuple[slice, ...]:
        bbox = bounding_box(marr)
        size = np.array([b.stop - b.start for b in bbox])
        ndims = int(np.sum(size > 1))
        if ndims == 0:
            raise MaskError("the ROI is a single voxel; features need at least two", patient=patient, code="roi_too_small")
        if ndims < s.get("minimumROIDimensions", 2):
            raise MaskError(
                f"the ROI spans {ndims} dimension(s), fewer than minimumROIDimensions = {s['minimumROIDimensions']}",
                patient=patient,
                code="roi_too_small",
            )
        min_size = s.get("minimumROISize")
        if min_size is not None and int(marr.sum()) <= min_size:
            raise MaskError(
                f"the ROI has {int(marr.sum())} voxels, not more than minimumROISize = {min_size}",
                patient=patient,
                code="roi_too_small",
            )
        return bbox


def extract(
    image: ImageLike,
    mask: ImageLike,
    params: str | Path | Mapping[str, Any] | None = None,
    label: int = 1,
    **settings: Any,
) -> dict[str, float]:
    """Extract features of one ROI; ``params`` is a PyRadiomics parameter file or dict.

    >>> feats = extract("image.nii.gz", "mask.nii.gz", label=1)      # doctest: +SKIP
    >>> feats["original_glcm_Contrast"]                                # doctest: +SKIP
    """
    return FeatureExtractor(params, **settings).execute(image, mask, label)
