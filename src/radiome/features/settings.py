"""Extraction parameters: PyRadiomics parameter files, accepted unchanged, plus radiome's profile.

A parameter file (YAML or JSON) has up to four sections, exactly as PyRadiomics documents them::

    setting:       {binWidth: 25, resampledPixelSpacing: [1, 1, 1], interpolator: sitkBSpline, ...}
    imageType:     {Original: {}, LoG: {sigma: [1.0, 2.0, 3.0]}, Wavelet: {}}
    featureClass:  {shape: null, firstorder: [], glcm: [Contrast, Correlation]}
    voxelSetting:  {...}   # accepted and ignored (voxel-based extraction is not offered)

Defaults equal PyRadiomics' defaults (``RadiomicsFeatureExtractor._getDefaultSettings`` plus each
feature class's own defaults), so a file that works with PyRadiomics gives the same features here.
radiome adds one setting, ``profile``: ``pyradiomics`` (default; reproduces PyRadiomics numbers)
or ``ibsi`` (IBSI conventions and reference values; see :mod:`radiome.features.ibsi`).

Validation uses a pydantic schema mirroring PyRadiomics' ``paramSchema.yaml``; unknown keys and
wrong types are reported with their key path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from radiome.errors import ConfigError

IMAGE_TYPES = (
    "Original",
    "Wavelet",
    "LoG",
    "Square",
    "SquareRoot",
    "Logarithm",
    "Exponential",
    "Gradient",
    "LBP2D",
    "LBP3D",
)
FEATURE_CLASSES = ("firstorder", "shape", "shape2D", "glcm", "glrlm", "glszm", "gldm", "ngtdm")
IBSI_ONLY_CLASSES = ("ih", "ivh", "loc", "gldzm", "ngldm")
INTERPOLATORS = (
    "sitkNearestNeighbor",
    "sitkLinear",
    "sitkBSpline",
    "sitkGaussian",
    "sitkLabelGaussian",
    "sitkHammingWindowedSinc",
    "sitkCosineWindowedSinc",
    "sitkWelchWindowedSinc",
    "sitkLanczosWindowedSinc",
    "sitkBlackmanWindowedSinc",
)
WEIGHTING_NORMS = ("manhattan", "euclidean", "infinity", "no_weighting")

PosFloat = Annotated[float, Field(gt=0)]
PosInt = Annotated[int, Field(gt=0)]


class Settings(BaseModel):
    """The ``setting`` section (and per-image-type overrides). Field names are PyRadiomics'."""

    model_config = ConfigDict(extra="forbid")

    profile: Literal["pyradiomics", "ibsi"] = "pyradiomics"
    # pre-processing (PyRadiomics featureextractor defaults)
    minimumROIDimensions: Annotated[int, Field(ge=1, le=3)] = 2
    minimumROISize: PosInt | None = None
    geometryTolerance: PosFloat | None = None
    correctMask: bool = False
    additionalInfo: bool = True
    label: PosInt = 1
    label_channel: Annotated[int, Field(ge=0)] = 0
    binWidth: PosFloat = 25
    binCount: PosInt | None = None
    normalize: bool = False
    normalizeScale: PosFloat = 1
    removeOutliers: PosFloat | None = None
    resampledPixelSpacing: list[Annotated[float, Field(ge=0)]] | None = None
    interpolator: str | int = "sitkBSpline"
    padDistance: Annotated[int, Field(ge=0)] = 5
    distances: list[PosInt] = [1]
    force2D: bool = False
    force2Ddimension: Annotated[int, Field(ge=0, le=2)] = 0
    resegmentRange: list[float] | None = None
    resegmentMode: Literal["absolute", "relative", "sigma"] = "absolute"
    resegmentShape: bool = False
    preCrop: bool = False
    # filters
    sigma: list[PosFloat] = []
    start_level: Annotated[int, Field(ge=0)] = 0
    level: PosInt = 1
    wavelet: str = "coif1"
    gradientUseSpacing: bool = True
    lbp2DRadius: PosFloat = 1.0
    lbp2DSamples: Annotated[int, Field(ge=1)] = 8  # PyRadiomics' code default (its docstring says 9)
    lbp2DMethod: Literal["default", "ror", "uniform", "nri_uniform", "var"] = "uniform"
    lbp3DLevels: Annotated[int, Field(ge=1)] = 2
    lbp3DIcosphereRadius: PosFloat = 1.0
    lbp3DIcosphereSubdivision: Annotated[int, Field(ge=0)] = 1
    # feature classes
    voxelArrayShift: int = 0
    symmetricalGLCM: bool = True
    weightingNorm: str | None = None
    gldm_a: Annotated[int, Field(ge=0)] = 0
    # radiome IBSI-profile options (ignored by the pyradiomics profile)
    ivhBinWidth: PosFloat | None = None
    ivhBinCount: PosInt | None = None
    ngldm_a: Annotated[int, Field(ge=0)] = 0
    outlierSigma: PosFloat | None = None  # IBSI outlier re-segmentation: mean +- k SD
    roundIntensities: bool = False  # IBSI: round interpolated intensities (CT in HU)
    maskThreshold: Annotated[float, Field(gt=0, le=1)] = 0.5  # IBSI partial-volume threshold of the mask

    @field_validator("interpolator")
    @classmethod
    def _interp(cls, v: str | int) -> str | int:
        if isinstance(v, str) and v not in INTERPOLATORS:
            raise ValueError(f"unknown interpolator {v!r}; use one of {', '.join(INTERPOLATORS)}")
        return v

    @field_validator("weightingNorm")
    @classmethod
    def _weighting(cls, v: str | None) -> str | None:
        if v is not None and v not in WEIGHTING_NORMS:
            raise ValueError(f"unknown weightingNorm {v!r}; use one of {', '.join(WEIGHTING_NORMS)}")
        return v

    @field_validator("wavelet")
    @classmethod
    def _wavelet(cls, v: str) -> str:
        import pywt

        if v not in pywt.wavelist():
            raise ValueError(f"unknown wavelet {v!r} (PyWavelets names, e.g. coif1, haar, db2)")
        return v


class Params(BaseModel):
    """A whole parameter file."""

    model_config = ConfigDict(extra="forbid")

    setting: Settings = Settings()
    imageType: dict[str, dict[str, Any] | None] = {"Original": {}}
    featureClass: dict[str, list[str] | None] = Field(default_factory=lambda: {c: [] for c in FEATURE_CLASSES})
    voxelSetting: dict[str, Any] = {}

    @field_validator("imageType", mode="before")
    @classmethod
    def _image_types(cls, v: Any) -> Any:
        if v is None or v == {}:
            return {"Original": {}}
        if isinstance(v, dict):
            for k in v:
                if k not in IMAGE_TYPES:
                    raise ValueError(f"unknown image type {k!r}; use one of {', '.join(IMAGE_TYPES)}")
            for k, s in v.items():
                if s:
                    Settings.model_validate(s)  # per-type overrides use the same keys
        return v

    @field_validator("featureClass", mode="before")
    @classmethod
    def _feature_classes(cls, v: Any) -> Any:
        if v is None or v == {}:
            return {c: [] for c in FEATURE_CLASSES}
        if isinstance(v, dict):
            for k in v:
                if k not in FEATURE_CLASSES + IBSI_ONLY_CLASSES:
                    raise ValueError(f"unknown feature class {k!r}; use one of {', '.join(FEATURE_CLASSES)}")
        return v

    def settings_for(self, image_type: str) -> dict[str, Any]:
        """Settings of one image type: the global settings updated by its own overrides."""
        base = self.setting.model_dump()
        base.update(self.imageType.get(image_type) or {})
        return base

    def enabled_features(self, feature_class: str) -> list[str] | None:
        """None for 'all non-deprecated features', else the listed names."""
        names = self.featureClass.get(feature_class)
        return list(names) if names else None


def load_params(source: str | Path | Mapping[str, Any] | None = None) -> Params:
    """Parse a PyRadiomics parameter file (YAML/JSON path) or dict; None gives PyRadiomics defaults."""
    if source is None:
        return Params()
    if isinstance(source, Params):
        return source
    text = None
    origin = "parameters"
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ConfigError("parameter file not found", path=path)
        text = path.read_text(encoding="utf-8")
        origin = path.name
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot parse parameter file: {exc}", path=path) from None
        data = data or {}
    else:
        data = dict(source)
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        from radiome.study.loader import _line_map, format_validation_error

        msgs = format_validation_error(exc, origin, _line_map(text) if text else {})
        raise ConfigError(f"{len(msgs)} problem(s) in the extraction parameters:\n  " + "\n  ".join(msgs)) from None
