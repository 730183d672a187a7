"""NGTDM: PyRadiomics parity (live and baseline), matrices, synthetic edge cases, IBSI phantom."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from radiome.features import ngtdm
from radiome.features.base import RoiImage

from .conftest import CASES, assert_close, run_pyradiomics
from .test_glcm import (
    BASELINE,
    BASELINE_COLUMNS,
    RTOL,
    SYNTHETIC,
    _baseline,
    _isolated_mask,
    _sig3,
    fresh,
    ibsi_reference,
    load_case,
    phantom_roi,
    synthetic,
)

radiomics_ngtdm = pytest.importorskip("radiomics.ngtdm")


def pyrad(case) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return run_pyradiomics(radiomics_ngtdm.RadiomicsNGTDM, case)


def test_interface():
    assert ngtdm.NAME == "ngtdm"
    names = radiomics_ngtdm.RadiomicsNGTDM.getFeatureNames()
    assert set(ngtdm.FEATURES) == set(names)
    assert ngtdm.DEPRECATED == frozenset(k for k, v in names.items() if v) == frozenset()
    roi = load_case("breast1").roi
    out = ngtdm.compute(fresh(roi))
    assert set(out) == set(ngtdm.FEATURES)
    sub = ngtdm.compute(fresh(roi), ["Strength", "Busyness"])
    assert list(sub) == ["Strength", "Busyness"] and sub["Strength"] == out["Strength"]
    with pytest.raises(KeyError):
        ngtdm.compute(roi, ["NoSuchFeature"])


SETTINGS = [
    {},
    {"binCount": 16},
    {"distances": [1, 2]},
    {"distances": [2]},
    {"force2D": True, "force2Ddimension": 0},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "default")
@pytest.mark.parametrize("name", CASES)
def test_pyradiomics_cases_live(name, settings):
    case = load_case(name, **settings)
    assert_close(ngtdm.compute(fresh(case.roi)), pyrad(case), rtol=RTOL)


@pytest.mark.parametrize("suffix", [s for s in BASELINE_COLUMNS if s != "_combined"])
@pytest.mark.parametrize("name", CASES)
def test_pyradiomics_baseline(name, suffix):
    table = _baseline("ngtdm")
    rows = [r for r in table.index if r.startswith("original_ngtdm_")]
    ref = {r.removeprefix("original_ngtdm_"): float(table.loc[r, name + suffix]) for r in rows}
    assert len(ref) == 5
    assert_close(ngtdm.compute(fresh(load_case(name, **BASELINE_COLUMNS[suffix]).roi)), ref, rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_matrix_matches_pyradiomics_baseline(name):
    ref = np.load(BASELINE / f"{name}_ngtdm.npy")  # rows (n_i, s_i, i) for the grey levels present
    P = ngtdm.ngtdm_matrix(fresh(load_case(name).roi))
    np.testing.assert_array_equal(P[:, [0, 2]], ref[:, [0, 2]])
    np.testing.assert_allclose(P[:, 1], ref[:, 1], rtol=1e-12)


SYNTHETIC_NGTDM = {k: v for k, v in SYNTHETIC.items() if not v[1].get("weightingNorm") and "symmetricalGLCM" not in v[1]}


@pytest.mark.parametrize("key", list(SYNTHETIC_NGTDM))
def test_synthetic_live(key):
    make, settings = SYNTHETIC_NGTDM[key]
    img, mask = make()
    case = synthetic(img, mask, **settings)
    assert_close(ngtdm.compute(fresh(case.roi)), pyrad(case), rtol=RTOL)


def test_voxels_without_neighbour_pyradiomics_vs_ibsi():
    """PyRadiomics counts a voxel without ROI neighbour in n_i (difference 0); IBSI leaves it out."""
    img = np.zeros((9, 14, 13), np.int16)
    mask = _isolated_mask()  # (2,2,2), (2,2,6), (6,9,9): no neighbours
    mask[2, 2, 3] = True  # ... now (2,2,2) and (2,2,3) are a pair
    img[2, 2, 2], img[2, 2, 3], img[2, 2, 6], img[6, 9, 9] = 10, 13, 11, 12  # levels 1, 4, 2, 3
    case = synthetic(img, mask, binWidth=1)
    P = ngtdm.ngtdm_matrix(case.roi)
    np.testing.assert_array_equal(P, [[1, 3, 1], [1, 0, 2], [1, 0, 3], [1, 3, 4]])
    pyr = ngtdm.compute(fresh(case.roi))
    assert_close(pyr, pyrad(case), rtol=RTOL)
    assert pyr["Coarseness"] == pytest.approx(1 / (0.25 * 3 + 0.25 * 3))  # N_vc = 4
    roi = RoiImage(case.roi.image, case.roi.mask, case.roi.spacing, {"profile": "ibsi", "binWidth": 1})
    ibsi = ngtdm.compute_ibsi(roi, "3D")
    assert ibsi["ngt_coarseness_3D"] == pytest.approx(1 / (0.5 * 3 + 0.5 * 3))  # N_vc = 2
    assert ibsi["ngt_contrast_3D"] == pytest.approx(0.5 * 0.5 * 9 * 2 / 2 * 6 / 2)


# ------------------------------------------------------------------ IBSI digital phantom
@pytest.mark.parametrize("aggregation", ["3D", "2D", "2_5D"])
def test_ibsi_digital_phantom(aggregation):
    roi = phantom_roi()
    ref = {k: v for k, v in ibsi_reference("ngt_").items() if k.endswith("_" + aggregation)}
    assert len(ref) == 5
    ours = ngtdm.compute_ibsi(roi, aggregation)
    assert set(ours) == set(ref)
    bad = [f"{t}: ours {ours[t]:.6g} vs IBSI {r}" for t, r in ref.items() if _sig3(ours[t]) != r]
    assert not bad, "\n".join(bad)


def test_ibsi_aggregation_aliases():
    roi = phantom_roi()
    assert ngtdm.compute_ibsi(roi, "3D_avg") == ngtdm.compute_ibsi(roi, "3D_comb") == ngtdm.compute_ibsi(roi, "3D")
    assert ngtdm.compute_ibsi(roi, "2D_avg") == ngtdm.compute_ibsi(roi, "2D")
    assert ngtdm.compute_ibsi(roi, "2_5D_comb") == ngtdm.compute_ibsi(roi, "2_5D")
    with pytest.raises(ValueError):
        ngtdm.compute_ibsi(roi, "4D")


def test_ibsi_3d_equals_pyradiomics_when_every_voxel_has_a_neighbour():
    """On the phantom every voxel has a 3D neighbour, so IBSI 3D and PyRadiomics coincide."""
    roi = phantom_roi()
    ibsi = ngtdm.compute_ibsi(roi, "3D")
    pyr = ngtdm.compute(RoiImage(roi.image, roi.mask, roi.spacing, {"binWidth": 1}))
    for tag, name in ngtdm.IBSI_FEATURES.items():
        assert ibsi[f"ngt_{tag}_3D"] == pytest.approx(pyr[name], rel=1e-12)


def test_pyradiomics_force2d_equals_ibsi_2_5d_on_phantom():
    """With in-plane neighbourhoods pooled over slices PyRadiomics computes IBSI's 2.5D NGTDM (every
    phantom voxel has an in-plane neighbour, so the N_vc conventions agree)."""
    roi = phantom_roi()
    ibsi = ngtdm.compute_ibsi(roi, "2_5D")
    pyr = ngtdm.compute(RoiImage(roi.image, roi.mask, roi.spacing, {"binWidth": 1, "force2D": True}))
    for tag, name in ngtdm.IBSI_FEATURES.items():
        assert ibsi[f"ngt_{tag}_2_5D"] == pytest.approx(pyr[name], rel=1e-12)
