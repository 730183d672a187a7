"""GLRLM: PyRadiomics parity (live and baseline), matrices, synthetic edge cases, IBSI phantom."""

from __future__ import annotations

import csv
import functools
import logging
import warnings
from itertools import product
from math import floor, log10
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features import glrlm
from radiome.features._texture import angles
from radiome.features.base import RoiImage

from .conftest import DATA, assert_close, prepare, run_pyradiomics
from .conftest import load_case as _load_case

radiomics_glrlm = pytest.importorskip("radiomics.glrlm")
logging.getLogger("radiomics").setLevel(logging.ERROR)

RTOL = 1e-6
IBSI = Path(__file__).parents[1] / "data" / "ibsi"
BASELINE = DATA / "baseline"


@functools.lru_cache(maxsize=64)
def _cached_case(name: str, settings: tuple):
    return _load_case(name, **dict(settings))


def load_case(name: str, **settings):
    """conftest.load_case, memoised: reading and cropping the test images dominates the run time."""
    return _cached_case(name, tuple(sorted(settings.items())))


def _pyrad(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # PyRadiomics' nanmean of empty slices
        return run_pyradiomics(radiomics_glrlm.RadiomicsGLRLM, case)


def _synthetic(img: np.ndarray, mask: np.ndarray, spacing=(1.0, 1.0, 1.0), **settings):
    im = sitk.GetImageFromArray(img)
    im.SetSpacing(tuple(float(s) for s in spacing[::-1]))
    mk = sitk.GetImageFromArray(mask.astype(np.uint8))
    mk.CopyInformation(im)
    return prepare(im, mk, minimumROIDimensions=1, **settings)


# ------------------------------------------------------------------ interface
def test_interface():
    assert glrlm.NAME == "glrlm"
    names = radiomics_glrlm.RadiomicsGLRLM.getFeatureNames()
    assert set(glrlm.FEATURES) == set(names)
    assert glrlm.DEPRECATED == frozenset(k for k, v in names.items() if v)
    case = load_case("breast1")
    out = glrlm.compute(case.roi)
    assert set(out) == set(glrlm.FEATURES) - glrlm.DEPRECATED
    sub = glrlm.compute(case.roi, ["RunEntropy", "ShortRunEmphasis"])
    assert list(sub) == ["RunEntropy", "ShortRunEmphasis"] and sub["RunEntropy"] == out["RunEntropy"]
    with pytest.raises(KeyError):
        glrlm.compute(case.roi, ["NoSuchFeature"])


# ------------------------------------------------------------------ PyRadiomics test cases
SETTINGS = [
    {},
    {"binCount": 16},
    {"force2D": True, "force2Ddimension": 0},
    {"weightingNorm": "manhattan"},
    {"weightingNorm": "euclidean"},
    {"weightingNorm": "infinity"},
    {"weightingNorm": "no_weighting"},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "default")
def test_cases_live(case_name, settings):
    case = load_case(case_name, **settings)
    assert_close(glrlm.compute(case.roi), _pyrad(case), rtol=RTOL)


def _baseline(name: str) -> dict[str, dict[str, float]]:
    with open(BASELINE / f"baseline_{name}.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    out: dict[str, dict[str, float]] = {}
    for row in rows[1:]:
        prefix = f"original_{name}_"
        if row[0].startswith(prefix):
            for col, val in zip(header[1:], row[1:]):
                out.setdefault(col, {})[row[0][len(prefix) :]] = float(val)
    return out


def test_baseline_csv(case_name):
    ref = _baseline("glrlm")[case_name]
    assert set(ref) == set(glrlm.FEATURES)
    assert_close(glrlm.compute(load_case(case_name).roi), ref, rtol=RTOL)


def test_baseline_matrices(case_name):
    """Per-direction matrices equal PyRadiomics' ``P_glrlm`` (shape Ng x Nr x Na) exactly."""
    P, gls, jv = glrlm.glrlm_matrices(load_case(case_name).roi)
    ref = np.load(BASELINE / f"{case_name}_glrlm.npy")
    np.testing.assert_array_equal(P.transpose(1, 2, 0), ref)
    assert P.shape[1] == gls.size and P.shape[2] == jv.size


# ------------------------------------------------------------------ run extraction internals
@pytest.mark.parametrize("shape", [(1, 1, 5), (2, 3, 4), (5, 1, 3), (7, 4, 2), (3, 6, 6)])
def test_line_embedding(shape):
    """The skew embedding is injective, keeps consecutive voxels of a line in consecutive slots and
    leaves an empty slot between lines."""
    idx = np.array(list(product(*[range(n) for n in shape]))).T
    for o in angles((3, 3, 3)):
        if any(o[d] != 0 and shape[d] == 1 for d in range(3)):
            continue
        coef, const, size, period = glrlm._embedding(shape, o)
        keys = coef @ idx + const
        assert keys.min() >= 0 and keys.max() < size
        assert np.unique(keys).size == keys.size
        assert np.all(keys % period != period - 1)  # the last slot of every line stays empty
        nxt = idx + o[:, None]
        ok = np.all((nxt >= 0) & (nxt < np.array(shape)[:, None]), axis=0)
        assert np.all(coef @ nxt[:, ok] + const == keys[ok] + 1)


def _runs_bruteforce(arr: np.ndarray, o) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    shape = np.array(arr.shape)
    for p in product(*[range(n) for n in arr.shape]):
        p = np.array(p)
        prev = p - o
        if arr[tuple(p)] == 0:
            continue
        if np.all((prev >= 0) & (prev < shape)) and arr[tuple(prev)] == arr[tuple(p)]:
            continue  # not a run start
        n, q = 0, p.copy()
        while np.all((q >= 0) & (q < shape)) and arr[tuple(q)] == arr[tuple(p)]:
            n += 1
            q = q + o
        key = (int(arr[tuple(p)]), n)
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_runs_match_bruteforce():
    rng = np.random.default_rng(7)
    for _ in range(5):
        shape = tuple(int(s) for s in rng.integers(2, 7, 3))
        arr = rng.integers(1, 4, shape) * (rng.random(shape) < 0.8)
        for o in angles(shape):
            level, length, _, _ = glrlm._runs(arr, o, np.dtype(np.uint8))
            got: dict[tuple[int, int], int] = {}
            for g, n in zip(level.tolist(), length.tolist()):
                got[(g, n)] = got.get((g, n), 0) + 1
            assert got == _runs_bruteforce(arr, np.asarray(o))


# ------------------------------------------------------------------ synthetic cases vs PyRadiomics
def _random_cases():
    rng = np.random.default_rng(2024)
    cases = []
    for i in range(12):
        shape = tuple(int(s) for s in rng.integers(3, 14, 3))
        if i % 2:
            img = rng.integers(0, 300, shape).astype(np.int16)
        else:
            img = rng.normal(50, 40, shape).astype(np.float32)
        mask = rng.random(shape) < rng.uniform(0.2, 0.9)
        settings = [{}, {"binCount": 16}, {"binWidth": 10}][i % 3]
        if i % 4 == 3:
            settings = {**settings, "force2D": True, "force2Ddimension": int(rng.integers(0, 3))}
        if i % 5 == 4:
            settings = {**settings, "weightingNorm": ["manhattan", "euclidean", "infinity", "no_weighting"][i % 4]}
        spacing = tuple(float(s) for s in rng.uniform(0.5, 3.0, 3))
        cases.append(pytest.param(img, mask, spacing, settings, id=f"random{i}"))
    return cases


@pytest.mark.parametrize("img, mask, spacing, settings", _random_cases())
def test_random_images(img, mask, spacing, settings):
    case = _synthetic(img, mask, spacing, **settings)
    assert_close(glrlm.compute(case.roi), _pyrad(case), rtol=RTOL)


def _edge_cases():
    rng = np.random.default_rng(11)
    img = rng.integers(0, 100, (6, 7, 8)).astype(np.int16)
    full = np.ones((6, 7, 8), dtype=bool)
    few = np.zeros_like(full)
    few[2, 3, 3:5] = few[3, 3, 4] = True
    sparse = np.zeros_like(full)  # isolated voxels: every line holds at most one -> directions dropped
    sparse[0, 0, 0] = sparse[2, 3, 5] = sparse[4, 6, 2] = True
    stripes = np.broadcast_to((np.arange(8) // 2 * 30).astype(np.int16), (6, 7, 8)).copy()
    corner = np.zeros_like(full)
    corner[:3, :4, :5] = True  # touches the image border on three sides
    twod = np.zeros_like(full)
    twod[3, 1:6, 2:7] = True
    lone = np.zeros((2, 3, 1), dtype=bool)
    lone[0, 0, 0] = lone[1, 2, 0] = True  # force2D: the single in-plane direction has no runs
    return [
        pytest.param(np.full((6, 7, 8), 5, np.int16), full, {}, id="flat-full"),
        pytest.param(np.full((6, 7, 8), 5, np.int16), rng.random((6, 7, 8)) < 0.5, {}, id="flat-irregular"),
        pytest.param(img, full, {"binWidth": 10}, id="runs-cross-crop"),
        pytest.param(stripes, full, {"binWidth": 25}, id="stripes"),
        pytest.param(img, few, {"binWidth": 10}, id="few-voxels"),
        pytest.param(img, sparse, {"binWidth": 10}, id="sparse-dropped-directions"),
        pytest.param(img, sparse, {"binWidth": 10, "weightingNorm": "euclidean"}, id="sparse-weighted"),
        pytest.param(img, corner, {"binWidth": 10}, id="touching-border"),
        pytest.param(img, twod, {"binWidth": 10}, id="single-slice"),
        pytest.param(img, twod, {"binWidth": 10, "force2D": True}, id="single-slice-force2D"),
        pytest.param(img, corner, {"binCount": 16, "force2D": True, "force2Ddimension": 1}, id="force2D-dim1"),
        pytest.param(img, corner, {"binCount": 16, "force2D": True, "force2Ddimension": 2}, id="force2D-dim2"),
        pytest.param(np.arange(6, dtype=np.int16).reshape(2, 3, 1), lone, {"force2D": True}, id="empty-lone-direction"),
    ]


@pytest.mark.parametrize("img, mask, settings", _edge_cases())
def test_edge_cases(img, mask, settings):
    case = _synthetic(img, mask, **settings)
    assert_close(glrlm.compute(case.roi), _pyrad(case), rtol=RTOL)


def test_no_direction_gives_nan():
    """A single voxel has no direction (PyRadiomics raises 'Error getting angle count')."""
    roi = RoiImage(np.array([[[7]]], dtype=np.int16), np.ones((1, 1, 1), bool), (1.0, 1.0, 1.0), {"binWidth": 25})
    assert all(np.isnan(v) for v in glrlm.compute(roi).values())


# ------------------------------------------------------------------ IBSI digital phantom
def phantom_roi() -> RoiImage:
    img = sitk.GetArrayFromImage(sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz")))
    mask = sitk.GetArrayFromImage(sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))) > 0
    roi = RoiImage(img, mask, (2.0, 2.0, 2.0), {"profile": "ibsi", "binWidth": 1})
    assert np.array_equal(roi.levels.array[mask], img[mask])  # the phantom's levels are used as-is
    return roi


def ibsi_reference(prefix: str) -> dict[str, tuple[float, float]]:
    with open(IBSI / "ibsi_1_dig_phantom.csv", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))[1:]
    return {r[2]: (float(r[0]), float(r[1])) for r in rows if r[2].startswith(prefix) and r[0] != ""}


def ibsi_check(value: float, ref: float, tol: float) -> bool:
    """MIRP's check: the value rounded to 3 significant digits lies within ``tol`` of the reference."""
    rounded = 0.0 if value == 0 else round(value, 2 - int(floor(log10(abs(value)))))
    return abs(rounded - ref) <= tol


def test_ibsi_phantom():
    roi = phantom_roi()
    ref = ibsi_reference("rlm_")
    ours: dict[str, float] = {}
    for agg in glrlm.IBSI_AGGREGATIONS:
        ours.update(glrlm.compute_ibsi(roi, agg))
    assert set(ref) <= set(ours) and len(ref) == 96
    bad = [f"{k}: {ours[k]!r} vs {v}" for k, (v, tol) in ref.items() if not ibsi_check(ours[k], v, tol)]
    assert not bad, "\n".join(bad)


def test_ibsi_bad_aggregation():
    with pytest.raises(ValueError):
        glrlm.compute_ibsi(phantom_roi(), "3D")
