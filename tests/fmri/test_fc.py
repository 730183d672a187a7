from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr

from radiome.errors import RadiomeError
from radiome.fmri import fisher_z, seed_fc, seed_series, sphere_mask, synthetic_bold


def test_seed_fc_matches_pearsonr_per_voxel():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(4, 3, 3, 25))
    mask = rng.random((4, 3, 3)) > 0.2
    seed = np.zeros((4, 3, 3), bool)
    seed[0:2, 0, 0] = True
    r, z = seed_fc(data, mask, seed)
    s = (data[0, 0, 0] + data[1, 0, 0]) / 2
    for ijk in zip(*np.nonzero(mask)):
        assert r[ijk] == pytest.approx(pearsonr(data[ijk], s)[0], abs=1e-12)
        assert z[ijk] == pytest.approx(np.arctanh(r[ijk]), abs=1e-9)
    assert np.all(r[~mask] == 0)


def test_seed_with_itself_is_one():
    data, mask, affine, truth = synthetic_bold(seed=2)
    one = np.zeros(mask.shape, bool)
    one[4, 4, 4] = True
    r, z = seed_fc(data, mask, one)
    assert r[4, 4, 4] == pytest.approx(1.0, abs=1e-12)
    assert np.isfinite(z).all() and z[4, 4, 4] > 8
    r_c, _ = seed_fc(data, mask, seed_series(data, truth["cluster"]))
    assert r_c[truth["cluster"]].min() > 0.99


def test_sphere_mask_by_hand():
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-10, -10, -10]
    m = sphere_mask((11, 11, 11), affine, (0, 0, 0), 2.0)
    # voxel (5,5,5) is the origin; radius 2 mm = 1 voxel -> centre + 6 face neighbours
    assert m.sum() == 7 and m[5, 5, 5] and m[4, 5, 5] and not m[4, 4, 5]
    with pytest.raises(RadiomeError, match="no voxel"):
        sphere_mask((11, 11, 11), affine, (500, 0, 0), 2.0)


def test_constant_seed_rejected():
    data = np.ones((3, 3, 3, 10))
    with pytest.raises(RadiomeError, match="constant"):
        seed_fc(data, np.ones((3, 3, 3), bool), np.ones(10))


def test_fisher_z_clipped():
    assert np.isfinite(fisher_z(np.array([1.0, -1.0]))).all()
