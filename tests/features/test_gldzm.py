"""GLDZM (IBSI only): distance map, zone distances, IBSI digital phantom reference values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from radiome.features import gldzm
from radiome.features.base import RoiImage

from .test_glrlm import ibsi_check, ibsi_reference, phantom_roi


def _distance_by_erosion(mask: np.ndarray, two_d: bool) -> np.ndarray:
    """IBSI's algorithm: erode the ROI repeatedly with the 6- (4-) connected cross and add 1 to the
    distance of every voxel that survives; outside the image counts as outside the ROI."""
    cross = ndimage.generate_binary_structure(3, 1)
    if two_d:
        cross[0] = cross[2] = False
    dist = np.zeros(mask.shape, dtype=np.int64)
    cur = mask.copy()
    while cur.any():
        dist += cur
        cur = ndimage.binary_erosion(cur, structure=cross, border_value=0)
    return dist


@pytest.mark.parametrize("two_d", [False, True])
def test_distance_map_equals_iterative_erosion(two_d):
    rng = np.random.default_rng(8)
    for _ in range(6):
        shape = tuple(int(s) for s in rng.integers(3, 16, 3))
        mask = ndimage.binary_opening(rng.random(shape) < 0.7) | (rng.random(shape) < 0.1)
        np.testing.assert_array_equal(gldzm.distance_map(mask, two_d), _distance_by_erosion(mask, two_d))


def _matrix_bruteforce(arr: np.ndarray, dist: np.ndarray, two_d: bool) -> dict[tuple[int, int, int], int]:
    """(slice or -1, level, distance) -> zone count, with zones from ndimage.label per level/slice."""
    struct = np.ones((3, 3, 3), bool)
    out: dict[tuple[int, int, int], int] = {}
    slabs = [(z, (slice(z, z + 1),)) for z in range(arr.shape[0])] if two_d else [(-1, (slice(None),))]
    for z, sl in slabs:
        for g in np.unique(arr[sl][arr[sl] > 0]):
            lab, n = ndimage.label(arr[sl] == g, structure=struct)
            for k in range(1, n + 1):
                key = (z, int(g), int(dist[sl][lab == k].min()))
                out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize("aggregation", ["3D", "2D"])
def test_matrix_bruteforce(aggregation):
    rng = np.random.default_rng(21)
    two_d = aggregation == "2D"
    for _ in range(4):
        shape = tuple(int(s) for s in rng.integers(3, 10, 3))
        img = rng.integers(1, 4, shape).astype(np.int16)
        mask = rng.random(shape) < 0.85
        mask[0, 0, 0] = True
        roi = RoiImage(img, mask, (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1})
        arr = roi.levels.array
        ref = _matrix_bruteforce(arr, gldzm.distance_map(mask, two_d), two_d)
        P, gls, dv, n_v = gldzm.ibsi_matrices(roi, aggregation)
        slices = sorted({k[0] for k in ref})
        assert P.shape[0] == len(slices)
        got = {}
        for gi, z in enumerate(slices):
            for (li, di) in zip(*np.nonzero(P[gi])):
                got[(z, int(gls[li]), int(dv[di]))] = int(P[gi, li, di])
        assert got == ref
        expected_nv = [mask[z].sum() for z in slices] if two_d else [mask.sum()]
        np.testing.assert_array_equal(n_v, expected_nv)


def test_morphological_mask_used_for_distance():
    img = np.ones((3, 5, 5), dtype=np.int16)
    mask = np.zeros((3, 5, 5), bool)
    mask[:, 1:4, 1:4] = True
    roi = RoiImage(img, mask, (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1})
    assert gldzm.compute_ibsi(roi, "2D")["dzm_sde_2D"] == 1.0  # one zone per slice, on the edge
    # the larger morphological mask puts the (intensity) zone one voxel deeper
    inner = np.zeros_like(mask)
    inner[:, 2, 2] = True
    roi2 = RoiImage(img, inner, (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1})
    out = gldzm.compute_ibsi(roi2, "2D", morph_mask=mask)
    assert out["dzm_sde_2D"] == 0.25 and out["dzm_lde_2D"] == 4.0
    assert out["dzm_z_perc_2D"] == 1.0  # N_v counts the intensity-mask voxels
    roi2.morphological_mask = mask  # fallback: attribute on the ROI
    assert gldzm.compute_ibsi(roi2, "2D") == out
    assert gldzm.compute_ibsi(RoiImage(img, inner, (1.0, 1.0, 1.0), {"profile": "ibsi", "binWidth": 1}), "2D")[
        "dzm_sde_2D"
    ] == 1.0
    with pytest.raises(ValueError):
        gldzm.compute_ibsi(roi2, "2D", morph_mask=mask[:, :3])


def test_ibsi_phantom():
    roi = phantom_roi()
    ref = ibsi_reference("dzm_")
    ours: dict[str, float] = {}
    for agg in gldzm.IBSI_AGGREGATIONS:
        ours.update(gldzm.compute_ibsi(roi, agg))
    assert set(ref) <= set(ours) and len(ref) == 48
    bad = [f"{k}: {ours[k]!r} vs {v}" for k, (v, tol) in ref.items() if not ibsi_check(ours[k], v, tol)]
    assert not bad, "\n".join(bad)


def test_bad_aggregation():
    with pytest.raises(ValueError):
        gldzm.compute_ibsi(phantom_roi(), "3D_avg")
