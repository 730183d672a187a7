"""NGLDM features (IBSI 1 section 3.11): digital phantom (2D, 2.5D, 3D) and hand-counted matrices."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.features import ngldm
from radiome.features.base import RoiImage
from tests.features.conftest import ibsi_passes, ibsi_phantom_reference
from tests.features.test_ih import CT_AGGREGATIONS, CT_CONFIGS, check_ct, ct_phantom

IBSI = Path(__file__).parents[1] / "data" / "ibsi"






@pytest.fixture(scope="module")
def phantom_features() -> dict[str, float]:
    img = sitk.ReadImage(str(IBSI / "digital_phantom_image.nii.gz"))
    msk = sitk.ReadImage(str(IBSI / "digital_phantom_mask.nii.gz"))
    a, m = sitk.GetArrayFromImage(img), sitk.GetArrayFromImage(msk) > 0
    roi = RoiImage(a, m, tuple(img.GetSpacing()[::-1]), {"profile": "ibsi", "binWidth": 1, "ngldm_a": 0})
    assert np.array_equal(roi.levels.array[m], a[m])
    return ngldm.compute_ibsi(roi)


REF = {k: v for k, v in ibsi_phantom_reference().items() if k.startswith("ngl_")}


def test_tags() -> None:
    assert set(REF) == set(ngldm.TAGS)
    assert len(ngldm.TAGS) == 17 * 3


@pytest.mark.parametrize("tag", sorted(REF))
def test_digital_phantom(phantom_features: dict[str, float], tag: str) -> None:
    ref, tol = REF[tag]
    got = phantom_features[tag]
    assert ibsi_passes(got, ref, tol), f"{tag}: {got} vs IBSI {ref}"


# one slice, alpha = 0, 8 in-slice neighbours; dependence counts (centre included), counted by hand:
#   levels     counts
#   1 1 2      3 3 3
#   1 2 2      3 4 4
#   3 3 2      2 2 3
SLICE = np.array([[1, 1, 2], [1, 2, 2], [3, 3, 2]])
COUNTS = np.array([[3, 3, 3], [3, 4, 4], [2, 2, 3]])
# s_ij: level 1 -> j=3: 3; level 2 -> j=3: 2, j=4: 2; level 3 -> j=2: 2. N_s = 9
S_HAND = {(1, 3): 3, (2, 3): 2, (2, 4): 2, (3, 2): 2}


def _expected(s: dict[tuple[int, int], int]) -> dict[str, float]:
    """The IBSI formulas written out over a sparse matrix {(i, j): s_ij}."""
    ns = sum(s.values())
    si: dict[int, int] = {}
    sj: dict[int, int] = {}
    for (i, j), v in s.items():
        si[i] = si.get(i, 0) + v
        sj[j] = sj.get(j, 0) + v
    mu_i = sum(i * v for (i, _), v in s.items()) / ns
    mu_j = sum(j * v for (_, j), v in s.items()) / ns
    return {
        "lde": sum(v / j**2 for j, v in sj.items()) / ns,
        "hde": sum(v * j**2 for j, v in sj.items()) / ns,
        "lgce": sum(v / i**2 for i, v in si.items()) / ns,
        "hgce": sum(v * i**2 for i, v in si.items()) / ns,
        "ldlge": sum(v / (i * i * j * j) for (i, j), v in s.items()) / ns,
        "ldhge": sum(v * i * i / (j * j) for (i, j), v in s.items()) / ns,
        "hdlge": sum(v * j * j / (i * i) for (i, j), v in s.items()) / ns,
        "hdhge": sum(v * i * i * j * j for (i, j), v in s.items()) / ns,
        "glnu": sum(v * v for v in si.values()) / ns,
        "glnu_norm": sum(v * v for v in si.values()) / ns**2,
        "dcnu": sum(v * v for v in sj.values()) / ns,
        "dcnu_norm": sum(v * v for v in sj.values()) / ns**2,
        "dc_perc": 1.0,
        "gl_var": sum(v * (i - mu_i) ** 2 for (i, _), v in s.items()) / ns,
        "dc_var": sum(v * (j - mu_j) ** 2 for (_, j), v in s.items()) / ns,
        "dc_entr": -sum(v / ns * math.log2(v / ns) for v in s.values()),
        "dc_energy": sum((v / ns) ** 2 for v in s.values()),
    }


def _roi(levels: np.ndarray, **settings: object) -> RoiImage:
    lv = np.asarray(levels, dtype=float)
    return RoiImage(lv, lv > 0, (2.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1, "resegmentRange": [1], **settings})


def test_hand_counts_and_matrix() -> None:
    assert np.array_equal(ngldm.dependence_counts(SLICE[None], alpha=0, two_d=True)[0], COUNTS)
    S, gl, jv, nv = ngldm.ngldm_matrices(SLICE[None], two_d=True)
    got = {(int(gl[a]), int(jv[b])): int(S[0, a, b]) for a, b in zip(*np.nonzero(S[0]))}
    assert got == S_HAND and nv.tolist() == [9]


def test_hand_features_single_slice() -> None:
    exp = _expected(S_HAND)
    # a few of them by hand as a check on the helper: hde = (2*4 + 5*9 + 2*16) / 9, glnu = (9+16+4)/9
    assert exp["hde"] == pytest.approx(85 / 9) and exp["glnu"] == pytest.approx(29 / 9)
    assert exp["gl_var"] == pytest.approx(396 / 729) and exp["dc_var"] == pytest.approx(4 / 9)
    f = ngldm.compute_ibsi(_roi(SLICE[None]))
    for agg in ("2D", "2_5D", "3D"):  # a single slice: all three coincide
        assert {k: f[f"ngl_{k}_{agg}"] for k in ngldm.STEMS} == pytest.approx(exp, rel=1e-12)


def test_coarseness_alpha_one() -> None:
    # |difference| <= 1 counts: hand-counted, centre included
    want = np.array([[4, 6, 4], [4, 9, 6], [3, 5, 4]])
    assert np.array_equal(ngldm.dependence_counts(SLICE[None], alpha=1, two_d=True)[0], want)
    f = ngldm.compute_ibsi(_roi(SLICE[None], ngldm_a=1), "3D")
    s = {(1, 4): 2, (1, 6): 1, (2, 4): 2, (2, 9): 1, (2, 6): 1, (3, 3): 1, (3, 5): 1}
    assert {k: f[f"ngl_{k}_3D"] for k in ngldm.STEMS} == pytest.approx(_expected(s), rel=1e-12)
    # the option overrides the setting
    assert ngldm.compute_ibsi(_roi(SLICE[None]), "3D", alpha=1) == f


def test_2d_averages_and_2_5d_merges() -> None:
    vol = np.stack([SLICE, np.ones((3, 3), int)])
    # second slice, all 1: corners 4, edges 6, centre 9
    s2 = {(1, 4): 4, (1, 6): 4, (1, 9): 1}
    e1, e2 = _expected(S_HAND), _expected(s2)
    merged = dict(S_HAND)
    for k, v in s2.items():
        merged[k] = merged.get(k, 0) + v
    em = _expected(merged)
    f = ngldm.compute_ibsi(_roi(vol))
    for k in ngldm.STEMS:
        assert f[f"ngl_{k}_2D"] == pytest.approx((e1[k] + e2[k]) / 2, rel=1e-12), k
        assert f[f"ngl_{k}_2_5D"] == pytest.approx(em[k], rel=1e-12), k
    assert f["ngl_glnu_2D"] == pytest.approx((29 / 9 + 9) / 2)
    assert f["ngl_glnu_2_5D"] == pytest.approx((12**2 + 4**2 + 2**2) / 18)
    # 3D: the voxel at the centre of slice 1 (level 1) also sees the three 1s of slice 0
    cnt = ngldm.dependence_counts(vol, alpha=0)
    assert cnt[1, 1, 1] == 9 + 3 and cnt[0, 0, 0] == 3 + 4


def test_voxels_outside_roi_do_not_count() -> None:
    lv = np.array([[[1, 1, 1], [1, 0, 1], [1, 1, 1]]])  # a ring, the centre outside the ROI
    cnt = ngldm.dependence_counts(lv, two_d=True)[0]
    # corner: 2 ROI neighbours + itself; edge: 4 + itself (the hole is not counted)
    assert cnt.tolist() == [[3, 5, 3], [5, 0, 5], [3, 5, 3]]


def test_keys_and_errors() -> None:
    roi = _roi(SLICE[None])
    assert tuple(ngldm.compute_ibsi(roi)) == ngldm.TAGS
    assert tuple(ngldm.compute_ibsi(roi, "2_5D")) == tuple(f"ngl_{s}_2_5D" for s in ngldm.STEMS)
    with pytest.raises(ValueError):
        ngldm.compute_ibsi(roi, "3D_avg")


@pytest.mark.parametrize("config", sorted(CT_CONFIGS))
def test_ct_phantom(config: str) -> None:
    roi = ct_phantom(config)[0]
    feats: dict[str, float] = {}
    for agg in CT_AGGREGATIONS[config]:  # the aggregations IBSI tabulates for the configuration
        feats.update(ngldm.compute_ibsi(roi, agg))
    check_ct(config, feats, "ngl_")
