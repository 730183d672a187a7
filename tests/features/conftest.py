"""Shared fixtures for feature tests: PyRadiomics test cases prepared as PyRadiomics prepares them.

``pyradiomics_case(name, **settings)`` loads ``tests/data/pyradiomics/<name>_{image,label}.nrrd``,
runs PyRadiomics' own loading steps (mask to UInt32, checkMask, crop to the ROI bounding box with
no padding) and returns the cropped SimpleITK image and mask (for running a PyRadiomics feature
class directly) together with the :class:`radiome.features.base.RoiImage` built from the same crop.
PyRadiomics (``pyradiomics-bhklab``) is a test dependency, used only as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features.base import RoiImage

DATA = Path(__file__).parents[1] / "data" / "pyradiomics"
CASES = ("brain1", "brain2", "breast1")

# PyRadiomics defaults that matter to the feature classes
DEFAULTS: dict[str, Any] = {"binWidth": 25, "label": 1, "distances": [1], "voxelArrayShift": 0}


@dataclass
class Case:
    image: sitk.Image  # cropped, as PyRadiomics hands it to a feature class
    mask: sitk.Image
    roi: RoiImage
    settings: dict[str, Any]


def prepare(image: sitk.Image, mask: sitk.Image, **settings: Any) -> Case:
    """Crop ``image``/``mask`` exactly as PyRadiomics' extractor does before a feature class."""
    from radiomics import imageoperations

    s = {**DEFAULTS, **settings}
    mask = imageoperations.getMask(mask, **s)
    bb, corrected = imageoperations.checkMask(image, mask, **s)
    if corrected is not None:
        mask = corrected
    ci, cm = imageoperations.cropToTumorMask(image, mask, bb)
    arr = sitk.GetArrayFromImage(ci)
    m = sitk.GetArrayFromImage(cm) == s["label"]
    roi = RoiImage(arr, m, tuple(ci.GetSpacing()[::-1]), s)
    return Case(ci, cm, roi, s)


def load_case(name: str, **settings: Any) -> Case:
    image = sitk.ReadImage(str(DATA / f"{name}_image.nrrd"))
    mask = sitk.ReadImage(str(DATA / f"{name}_label.nrrd"))
    return prepare(image, mask, **settings)


def run_pyradiomics(feature_class: Any, case: Case) -> dict[str, float]:
    """Run a PyRadiomics feature class (e.g. ``radiomics.glcm.RadiomicsGLCM``) on the same crop."""
    fc = feature_class(case.image, case.mask, **case.settings)
    fc.enableAllFeatures()
    return {k: float(v) for k, v in fc.execute().items()}


def assert_close(ours: dict[str, float], ref: dict[str, float], rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Every reference feature is present and equal within rtol (or atol near zero); NaN equals NaN."""
    missing = sorted(set(ref) - set(ours))
    assert not missing, f"features missing: {missing}"
    bad = []
    for k, r in ref.items():
        o = ours[k]
        if np.isnan(r) and np.isnan(o):
            continue
        if not (abs(o - r) <= atol or abs(o - r) <= rtol * abs(r)):
            bad.append(f"{k}: ours {o!r} vs reference {r!r}")
    assert not bad, "\n".join(bad)


@pytest.fixture(params=CASES)
def case_name(request: pytest.FixtureRequest) -> str:
    return request.param


IBSI_DATA = Path(__file__).parents[1] / "data" / "ibsi"


def ibsi_phantom_reference() -> dict[str, tuple[float, float]]:
    """IBSI digital-phantom reference values: tag -> (value, tolerance); tags without a value omitted."""
    out = {}
    for line in (IBSI_DATA / "ibsi_1_dig_phantom.csv").read_text().splitlines()[1:]:  # value;tolerance;tag
        value, tol, tag = line.strip().split(";")
        if value:
            out[tag] = (float(value), float(tol or 0))
    return out


def ibsi_passes(x: float, ref: float, tol: float) -> bool:
    """MIRP's criterion: round to 3 significant digits, then |x - ref| <= tolerance."""
    return abs(float(f"{x:.3g}") - ref) <= tol + 1e-12 * abs(ref)
