"""GLDM: PyRadiomics parity (live and baseline), matrices, synthetic edge cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from radiome.features import gldm

from .conftest import CASES, assert_close, run_pyradiomics
from .test_glcm import (
    BASELINE,
    BASELINE_COLUMNS,
    RTOL,
    SYNTHETIC,
    _baseline,
    _random_case,
    fresh,
    load_case,
    phantom_roi,
    synthetic,
)

radiomics_gldm = pytest.importorskip("radiomics.gldm")


def pyrad(case) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return run_pyradiomics(radiomics_gldm.RadiomicsGLDM, case)


def test_interface():
    assert gldm.NAME == "gldm"
    names = radiomics_gldm.RadiomicsGLDM.getFeatureNames()
    assert set(gldm.FEATURES) == set(names)
    assert gldm.DEPRECATED == frozenset(k for k, v in names.items() if v)
    roi = load_case("breast1").roi
    out = gldm.compute(fresh(roi))
    assert set(out) == set(gldm.FEATURES) - gldm.DEPRECATED
    sub = gldm.compute(fresh(roi), ["DependenceEntropy", "DependencePercentage", "GrayLevelVariance"])
    assert list(sub) == ["DependenceEntropy", "GrayLevelVariance"]  # deprecated: no value
    assert sub["DependenceEntropy"] == out["DependenceEntropy"]
    with pytest.raises(KeyError):
        gldm.compute(roi, ["NoSuchFeature"])
    assert gldm.compute_ibsi(phantom_roi(), "3D") == {}  # the IBSI NGLDM is the ngldm module's


SETTINGS = [
    {},
    {"gldm_a": 1},
    {"gldm_a": 3, "binCount": 16},
    {"distances": [1, 2]},
    {"force2D": True, "force2Ddimension": 0},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "default")
@pytest.mark.parametrize("name", CASES)
def test_pyradiomics_cases_live(name, settings):
    case = load_case(name, **settings)
    assert_close(gldm.compute(fresh(case.roi)), pyrad(case), rtol=RTOL)


@pytest.mark.parametrize("suffix", [s for s in BASELINE_COLUMNS if s != "_combined"])
@pytest.mark.parametrize("name", CASES)
def test_pyradiomics_baseline(name, suffix):
    table = _baseline("gldm")
    rows = [r for r in table.index if r.startswith("original_gldm_")]
    ref = {r.removeprefix("original_gldm_"): float(table.loc[r, name + suffix]) for r in rows}
    assert len(ref) == 14
    assert_close(gldm.compute(fresh(load_case(name, **BASELINE_COLUMNS[suffix]).roi)), ref, rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_matrix_matches_pyradiomics_baseline(name):
    ref = np.load(BASELINE / f"{name}_gldm.npy")  # (Ng, occurring dependence sizes)
    P, iv, jv = gldm.gldm_matrix(fresh(load_case(name).roi))
    np.testing.assert_array_equal(P, ref)
    assert P.sum() == load_case(name).roi.n_voxels


SYNTHETIC_GLDM = {
    **{k: v for k, v in SYNTHETIC.items() if not v[1].get("weightingNorm") and "symmetricalGLCM" not in v[1]},
    "gldm_a1": (lambda: _random_case(11), {"gldm_a": 1, "binWidth": 50}),
    "gldm_a2_2D": (lambda: _random_case(12, np.float32), {"gldm_a": 2, "binCount": 8, "force2D": True, "force2Ddimension": 2}),
}


@pytest.mark.parametrize("key", list(SYNTHETIC_GLDM))
def test_synthetic_live(key):
    make, settings = SYNTHETIC_GLDM[key]
    img, mask = make()
    case = synthetic(img, mask, **settings)
    assert_close(gldm.compute(fresh(case.roi)), pyrad(case), rtol=RTOL)


def test_dependence_counts_all_26_neighbours():
    """A full 3x3x3 block of one grey level: the centre has 26 dependent neighbours (size 27)."""
    img = np.full((3, 3, 3), 10, np.int16)
    case = synthetic(img, np.ones((3, 3, 3), bool))
    P, iv, jv = gldm.gldm_matrix(case.roi)
    assert jv.max() == 27 and P[0, -1] == 1
    assert_close(gldm.compute(fresh(case.roi)), pyrad(case), rtol=RTOL)
