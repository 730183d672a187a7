"""GLSZM: PyRadiomics parity (live and baseline), matrices, synthetic edge cases, IBSI phantom."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import ndimage

from radiome.features import glszm
from radiome.features.base import RoiImage

from .conftest import assert_close, run_pyradiomics
from .test_glrlm import BASELINE, _baseline, _synthetic, ibsi_check, ibsi_reference, load_case, phantom_roi

radiomics_glszm = pytest.importorskip("radiomics.glszm")
logging.getLogger("radiomics").setLevel(logging.ERROR)

RTOL = 1e-6


def _pyrad(case):
    return run_pyradiomics(radiomics_glszm.RadiomicsGLSZM, case)


# ------------------------------------------------------------------ interface
def test_interface():
    assert glszm.NAME == "glszm"
    names = radiomics_glszm.RadiomicsGLSZM.getFeatureNames()
    assert set(glszm.FEATURES) == set(names)
    assert glszm.DEPRECATED == frozenset(k for k, v in names.items() if v)
    case = load_case("breast1")
    out = glszm.compute(case.roi)
    assert set(out) == set(glszm.FEATURES) - glszm.DEPRECATED
    assert glszm.compute(case.roi, ["ZoneEntropy"]) == {"ZoneEntropy": out["ZoneEntropy"]}
    with pytest.raises(KeyError):
        glszm.compute(case.roi, ["NoSuchFeature"])


# ------------------------------------------------------------------ PyRadiomics test cases
SETTINGS = [
    {},
    {"binCount": 16},
    {"force2D": True, "force2Ddimension": 0},
    {"force2D": True, "force2Ddimension": 1},
    {"force2D": True, "force2Ddimension": 2},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "default")
def test_cases_live(case_name, settings):
    case = load_case(case_name, **settings)
    assert_close(glszm.compute(case.roi), _pyrad(case), rtol=RTOL)


def test_baseline_csv(case_name):
    ref = _baseline("glszm")[case_name]
    assert set(ref) == set(glszm.FEATURES)
    assert_close(glszm.compute(load_case(case_name).roi), ref, rtol=RTOL)


def test_baseline_matrices(case_name):
    P, gls, js = glszm.glszm_matrix(load_case(case_name).roi)
    ref = np.load(BASELINE / f"{case_name}_glszm.npy")
    np.testing.assert_array_equal(P[0], ref)
    assert P.shape[1] == gls.size and P.shape[2] == js.size


# ------------------------------------------------------------------ zone finding internals
def _zones_bruteforce(arr: np.ndarray, struct: np.ndarray) -> list[tuple[int, int]]:
    out = []
    for g in np.unique(arr[arr > 0]):
        lab, n = ndimage.label(arr == g, structure=struct)
        out += [(int(g), int(s)) for s in np.bincount(lab.ravel())[1:]]
    return sorted(out)


@pytest.mark.parametrize("method", ["label", "graph", None])
def test_zone_methods_agree(method):
    rng = np.random.default_rng(3)
    for levels in (2, 5, 40):
        arr = rng.integers(1, levels + 1, (6, 9, 8)) * (rng.random((6, 9, 8)) < 0.8)
        for two_d in (False, True):
            off = glszm.ibsi_offsets(two_d)
            voxel_zone, zl = glszm.zones(arr, off, method)
            assert np.array_equal(zl[voxel_zone], arr[arr > 0])
            zs = np.bincount(voxel_zone, minlength=zl.size)
            assert sorted(zip(zl.tolist(), zs.tolist())) == _zones_bruteforce(arr, glszm.structure(off))


def test_structure():
    assert glszm.structure(glszm.ibsi_offsets(False)).all()
    s2 = glszm.structure(glszm.ibsi_offsets(True))
    assert s2[1].all() and not s2[0].any() and not s2[2].any()


# ------------------------------------------------------------------ synthetic cases vs PyRadiomics
def _random_cases():
    rng = np.random.default_rng(99)
    cases = []
    for i in range(12):
        shape = tuple(int(s) for s in rng.integers(3, 14, 3))
        if i % 2:
            img = rng.integers(0, 120, shape).astype(np.int16)
        else:
            img = rng.normal(50, 30, shape).astype(np.float32)
        mask = rng.random(shape) < rng.uniform(0.2, 0.9)
        settings = [{}, {"binCount": 16}, {"binWidth": 10}, {"binCount": 3}][i % 4]
        if i % 3 == 2:
            settings = {**settings, "force2D": True, "force2Ddimension": int(rng.integers(0, 3))}
        cases.append(pytest.param(img, mask, settings, id=f"random{i}"))
    return cases


@pytest.mark.parametrize("img, mask, settings", _random_cases())
def test_random_images(img, mask, settings):
    case = _synthetic(img, mask, **settings)
    assert_close(glszm.compute(case.roi), _pyrad(case), rtol=RTOL)


def _edge_cases():
    rng = np.random.default_rng(5)
    img = rng.integers(0, 60, (6, 7, 8)).astype(np.int16)
    full = np.ones((6, 7, 8), dtype=bool)
    few = np.zeros_like(full)
    few[2, 3, 3:5] = few[3, 4, 4] = True
    diag = np.zeros_like(full)  # zones linked only through corners; with force2D they split per slice
    for k in range(6):
        diag[k, k, k] = True
    checker = ((np.indices((6, 7, 8)).sum(axis=0) % 2) * 40).astype(np.int16)
    corner = np.zeros_like(full)
    corner[:3, :4, :5] = True
    return [
        pytest.param(np.full((6, 7, 8), 5, np.int16), full, {}, id="flat-full-one-zone"),
        pytest.param(np.full((6, 7, 8), 5, np.int16), rng.random((6, 7, 8)) < 0.4, {}, id="flat-irregular"),
        pytest.param(img, few, {"binWidth": 100}, id="few-voxels"),
        pytest.param(img, diag, {"binWidth": 100}, id="corner-linked"),
        pytest.param(img, diag, {"binWidth": 100, "force2D": True}, id="corner-linked-force2D"),
        pytest.param(checker, full, {"binWidth": 25}, id="checkerboard-26conn"),
        pytest.param(checker, full, {"binWidth": 25, "force2D": True, "force2Ddimension": 1}, id="checkerboard-2D"),
        pytest.param(img, rng.random((6, 7, 8)) < 0.15, {"binWidth": 10}, id="single-voxel-zones"),
        pytest.param(img, corner, {"binWidth": 20}, id="touching-border"),
        pytest.param(img, full, {"binCount": 2}, id="zones-cross-crop"),
    ]


@pytest.mark.parametrize("img, mask, settings", _edge_cases())
def test_edge_cases(img, mask, settings):
    case = _synthetic(img, mask, **settings)
    assert_close(glszm.compute(case.roi), _pyrad(case), rtol=RTOL)


def test_single_voxel_roi():
    """PyRadiomics raises for a single voxel ('Error getting angle count'); we report its one zone."""
    roi = RoiImage(np.array([[[7]]], dtype=np.int16), np.ones((1, 1, 1), bool), (1.0, 1.0, 1.0), {"binWidth": 25})
    out = glszm.compute(roi)
    assert out["SmallAreaEmphasis"] == 1.0 and out["ZonePercentage"] == 1.0 and out["ZoneVariance"] == 0.0


# ------------------------------------------------------------------ IBSI digital phantom
def test_ibsi_phantom():
    roi = phantom_roi()
    ref = ibsi_reference("szm_")
    ours: dict[str, float] = {}
    for agg in glszm.IBSI_AGGREGATIONS:
        ours.update(glszm.compute_ibsi(roi, agg))
    assert set(ref) <= set(ours) and len(ref) == 48
    bad = [f"{k}: {ours[k]!r} vs {v}" for k, (v, tol) in ref.items() if not ibsi_check(ours[k], v, tol)]
    assert not bad, "\n".join(bad)


def test_ibsi_bad_aggregation():
    with pytest.raises(ValueError):
        glszm.compute_ibsi(phantom_roi(), "3D_avg")
