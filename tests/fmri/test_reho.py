"""ReHo vs the textbook Kendall's W computed voxel by voxel with explicit loops."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import rankdata

from radiome.errors import RadiomeError
from radiome.fmri import load_bold, reho, synthetic_bold
from radiome.fmri.reho import average_ranks
from tests.fmri.conftest import NIBABEL_DATA


def _kendall_w(series: np.ndarray, tie_correction: bool) -> float:
    """Kendall (1948): W = 12 S / (m^2 (n^3 - n) - m sum T), series (m raters, n objects)."""
    m, n = series.shape
    ranks = np.array([rankdata(s) for s in series])  # average ranks for ties
    r_sum = ranks.sum(axis=0)
    s = float(((r_sum - r_sum.mean()) ** 2).sum())
    t_sum = 0.0
    if tie_correction:
        for row in series:
            _, counts = np.unique(row, return_counts=True)
            t_sum += float((counts**3 - counts).sum())
    denom = m**2 * (n**3 - n) - m * t_sum
    return 12 * s / denom if denom > 0 else 0.0


def _hand_reho(data, mask, neighbours, convention):
    max_l1 = {7: 1, 19: 2, 27: 3}[neighbours]
    nx, ny, nz, _ = data.shape
    out = np.zeros(mask.shape)
    for i, j, k in itertools.product(range(nx), range(ny), range(nz)):
        if not mask[i, j, k]:
            continue
        if convention == "dpabi" and not (0 < i < nx - 1 and 0 < j < ny - 1 and 0 < k < nz - 1):
            continue  # DPABI leaves the outer faces 0
        rows = []
        for di, dj, dk in itertools.product((-1, 0, 1), repeat=3):
            a, b, c = i + di, j + dj, k + dk
            if abs(di) + abs(dj) + abs(dk) > max_l1:
                continue
            if 0 <= a < nx and 0 <= b < ny and 0 <= c < nz and mask[a, b, c]:
                rows.append(data[a, b, c])
        out[i, j, k] = _kendall_w(np.array(rows), tie_correction=(convention == "afni"))
    return out


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(5, 4, 4, 20))
    data[1:4, 1:3, 1:3] += 2 * rng.normal(size=20)  # some shared signal
    mask = rng.random((5, 4, 4)) > 0.2
    return data, mask


@pytest.mark.parametrize("convention", ["dpabi", "afni"])
@pytest.mark.parametrize("neighbours", [7, 19, 27])
def test_matches_textbook_kendall_w(tiny, convention, neighbours):
    data, mask = tiny
    ours = reho(data, mask, neighbours=neighbours, convention=convention)
    expected = _hand_reho(data, mask, neighbours, convention)
    assert np.allclose(ours, expected, rtol=1e-9, atol=1e-12)
    assert np.all(ours[~mask] == 0)


@pytest.mark.parametrize("convention", ["dpabi", "afni"])
def test_ties(convention):
    """Integer-valued series with many ties: afni uses the tie-corrected W, dpabi does not."""
    rng = np.random.default_rng(2)
    data = rng.integers(0, 4, size=(4, 4, 3, 15)).astype(float)
    mask = np.ones((4, 4, 3), bool)
    ours = reho(data, mask, neighbours=27, convention=convention)
    expected = _hand_reho(data, mask, 27, convention)
    assert np.allclose(ours, expected, rtol=1e-9)
    if convention == "afni":
        uncorrected = _hand_reho(data, mask, 27, "dpabi")
        inner = (slice(1, 3), slice(1, 3), slice(1, 2))
        assert np.all(ours[inner] > uncorrected[inner])  # the correction shrinks the denominator


@pytest.mark.parametrize("convention", ["dpabi", "afni"])
def test_identical_series_give_exactly_one(convention):
    rng = np.random.default_rng(3)
    series = rng.normal(size=30)
    data = np.broadcast_to(series, (5, 5, 5, 30)).copy()
    mask = np.ones((5, 5, 5), bool)
    w = reho(data, mask, convention=convention)
    assert np.all(w[1:-1, 1:-1, 1:-1] == 1.0)
    if convention == "afni":
        assert np.all(w[mask] == 1.0)  # faces computed with the available neighbours
    else:
        assert w[0, 2, 2] == 0.0  # DPABI: outer faces 0


def test_synthetic_cluster_core():
    data, mask, _, truth = synthetic_bold(seed=1)
    w = reho(data, mask)
    assert w[truth["cluster_core"]].min() > 0.99
    assert np.median(w[mask & ~truth["cluster"]]) < 0.3


def test_average_ranks_equal_scipy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, size=(40, 17)).astype(float)
    assert np.array_equal(average_ranks(x, np.float64), rankdata(x, axis=1))


def test_bad_neighbours(tiny):
    data, mask = tiny
    with pytest.raises(RadiomeError, match="7, 19 or 27"):
        reho(data, mask, neighbours=9)  # type: ignore[arg-type]


def test_smoke_nibabel_functional():
    data, mask, _, _ = load_bold(NIBABEL_DATA / "functional.nii")
    for convention in ("dpabi", "afni"):
        w = reho(data, mask, convention=convention)
        assert w.shape == mask.shape and np.isfinite(w).all()
        assert w.min() >= 0 and w.max() <= 1 + 1e-12
