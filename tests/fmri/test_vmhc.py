from __future__ import annotations

import numpy as np
import pytest

from radiome.errors import RadiomeError
from radiome.fmri import synthetic_bold, vmhc


def _sym_affine(shape, vox=2.0):
    a = np.diag([vox, vox, vox, 1.0])
    a[:3, 3] = -vox * (np.array(shape) - 1) / 2
    return a


def test_matches_loop_over_mirror_pairs():
    rng = np.random.default_rng(0)
    shape = (6, 3, 2)
    data = rng.normal(size=shape + (30,))
    mask = rng.random(shape) > 0.2
    r, z = vmhc(data, mask, _sym_affine(shape))
    nx = shape[0]
    for i, j, k in np.ndindex(shape):
        if mask[i, j, k] and mask[nx - 1 - i, j, k]:
            expected = np.corrcoef(data[i, j, k], data[nx - 1 - i, j, k])[0, 1]
            assert r[i, j, k] == pytest.approx(expected, abs=1e-12)
            assert z[i, j, k] == pytest.approx(np.arctanh(expected), abs=1e-9)
        else:
            assert r[i, j, k] == 0


def test_mirrored_signal_gives_one():
    data, mask, affine, truth = synthetic_bold(seed=4)
    r, z = vmhc(data, mask, affine)
    assert np.allclose(r[truth["mirror_left"]], 1.0) and np.allclose(r[truth["mirror_right"]], 1.0)
    assert np.abs(np.median(r[mask])) < 0.2


def test_neurological_flip_of_x_also_symmetric():
    shape = (5, 3, 3)
    a = _sym_affine(shape)
    a[0, 0] = -2.0
    a[0, 3] = 4.0  # x = -2 i + 4: centre i = 2 at x = 0
    vmhc(np.random.default_rng(0).normal(size=shape + (10,)), np.ones(shape, bool), a)


def test_asymmetric_grid_rejected_unless_assumed():
    shape = (6, 3, 3)
    data = np.random.default_rng(0).normal(size=shape + (10,))
    mask = np.ones(shape, bool)
    shifted = _sym_affine(shape)
    shifted[0, 3] += 4.0
    with pytest.raises(RadiomeError, match="symmetric"):
        vmhc(data, mask, shifted)
    vmhc(data, mask, shifted, assume_symmetric=True)
    rotated = _sym_affine(shape)
    rotated[0, 1] = 0.5
    with pytest.raises(RadiomeError, match="oblique"):
        vmhc(data, mask, rotated)
