from __future__ import annotations

import numpy as np
import pytest

from radiome.errors import RadiomeError
from radiome.fmri import degree_centrality, synthetic_bold


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(7, 6, 5, 30))
    data[:3] += rng.normal(size=30)  # a correlated slab
    mask = rng.random((7, 6, 5)) > 0.2
    return data, mask


def _brute(data, mask, thr):
    r = np.corrcoef(data[mask])
    np.fill_diagonal(r, 0)
    keep = r > thr
    return keep.sum(axis=1), (r * keep).sum(axis=1), r


@pytest.mark.parametrize("block", [1, 7, 50, 4096])
@pytest.mark.parametrize("thr", [0.0, 0.25, 0.5])
def test_threshold_matches_corrcoef(tiny, block, thr):
    data, mask = tiny
    b, w = degree_centrality(data, mask, threshold=thr, block_size=block, dtype=np.float64)
    nb, nw, _ = _brute(data, mask, thr)
    assert np.array_equal(b[mask], nb)
    assert np.allclose(w[mask], nw, rtol=1e-10)
    assert np.all(b[~mask] == 0)


def test_float32_close_to_float64(tiny):
    data, mask = tiny
    b32, w32 = degree_centrality(data, mask, block_size=64)
    nb, nw, _ = _brute(data, mask, 0.25)
    assert np.abs(b32[mask] - nb).max() <= 1  # only pairs within float32 rounding of the threshold
    assert np.allclose(w32[mask], nw, atol=0.3)


@pytest.mark.parametrize("sparsity", [0.001, 0.02, 0.1, 0.3])
@pytest.mark.parametrize("block", [9, 1000])
def test_sparsity_keeps_requested_edges(tiny, sparsity, block):
    data, mask = tiny
    b, w = degree_centrality(data, mask, sparsity=sparsity, block_size=block, dtype=np.float64)
    _, _, r = _brute(data, mask, 0)
    v = int(mask.sum())
    k = round(sparsity * v * (v - 1) / 2)
    assert b.sum() / 2 == k
    cut = np.sort(r[np.triu_indices(v, 1)])[::-1][k - 1]
    keep = np.triu(r >= cut, 1)  # decide each pair once (corrcoef is symmetric only to ~1e-16)
    keep = keep | keep.T
    assert np.array_equal(b[mask], keep.sum(axis=1))
    assert np.allclose(w[mask], (r * keep).sum(axis=1))


def test_sparsity_beyond_positive_pairs_keeps_all_positive(tiny):
    data, mask = tiny
    b, _ = degree_centrality(data, mask, sparsity=1.0, dtype=np.float64)
    nb, _, _ = _brute(data, mask, 0.0)
    assert np.array_equal(b[mask], nb)


def test_synthetic_cluster_is_hub():
    data, mask, _, truth = synthetic_bold(seed=0)
    b, w = degree_centrality(data, mask)
    assert b[truth["cluster"]].min() >= truth["cluster"].sum() - 1
    assert np.median(b[mask & ~truth["cluster"]]) < 10


def test_bad_arguments(tiny):
    data, mask = tiny
    with pytest.raises(RadiomeError):
        degree_centrality(data, mask, threshold=1.5)
    with pytest.raises(RadiomeError):
        degree_centrality(data, mask, sparsity=0.0)
