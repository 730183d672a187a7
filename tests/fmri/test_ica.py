"""Dual regression recovers planted networks; group ICA (CanICA) finds planted maps."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import statsmodels.api as sm

from radiome.errors import GeometryError, RadiomeError
from radiome.fmri.ica import dual_regression, group_ica, t_to_z, unmask

SHAPE = (12, 12, 10)


def _planted(seed: int = 0, T: int = 120, C: int = 3, noise: float = 0.05):
    rng = np.random.default_rng(seed)
    mask = np.zeros(SHAPE, bool)
    mask[1:11, 1:11, 1:9] = True
    V = int(mask.sum())
    maps = rng.standard_normal((C, V)) * (rng.random((C, V)) < 0.3)  # sparse-ish network maps
    tcs = rng.standard_normal((T, C))
    Y = tcs @ maps + noise * rng.standard_normal((T, V)) + rng.uniform(50, 150, V)  # voxel baselines
    data = np.zeros(SHAPE + (T,))
    data[mask] = Y.T
    return data, mask, maps, tcs


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


@pytest.mark.parametrize("normalise", [True, False])
def test_dual_regression_recovers_planted_timecourses_and_maps(normalise):
    data, mask, maps, tcs = _planted()
    res = dual_regression(data, mask, unmask(maps, mask), normalise=normalise)
    assert res.timecourses.shape == (120, 3) and res.maps.shape == (3, int(mask.sum()))
    for c in range(3):
        assert _corr(res.timecourses[:, c], tcs[:, c]) > 0.99
        assert _corr(res.maps[c], maps[c]) > 0.99
    if normalise:
        # des_norm: unit-variance regressors, so each map is the network amplitude times the SD of its time course
        sd = (tcs - tcs.mean(0)).std(0, ddof=1)
        np.testing.assert_allclose(np.linalg.lstsq(maps.T, res.maps.T, rcond=None)[0].diagonal(), sd, rtol=0.05)
    assert res.maps_4d().shape == SHAPE + (3,)


def test_dual_regression_zstats_match_statsmodels():
    data, mask, maps, tcs = _planted(seed=3, T=60, noise=1.0)
    res = dual_regression(data, mask, maps, normalise=True)
    X = res.timecourses - res.timecourses.mean(0)
    X = X / X.std(0, ddof=1)
    Y = data[mask].T
    for v in (0, 17, 250):
        y = Y[:, v] - Y[:, v].mean()
        fit = sm.OLS(y, X).fit()  # no intercept: data and design are demeaned, as in fsl_glm --demean
        np.testing.assert_allclose(res.maps[:, v], fit.params, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(res.zmaps[:, v], t_to_z(fit.tvalues, fit.df_resid), rtol=1e-8)
    assert res.dof == 60 - 3


def test_t_to_z():
    from scipy import stats

    assert t_to_z(np.array([2.0]), 10)[0] == pytest.approx(stats.norm.isf(stats.t.sf(2.0, 10)))
    assert t_to_z(np.array([-2.0]), 10)[0] == pytest.approx(-stats.norm.isf(stats.t.sf(2.0, 10)))
    assert np.isfinite(t_to_z(np.array([80.0]), 50)).all()


def test_dual_regression_errors():
    data, mask, maps, _ = _planted(T=20)
    with pytest.raises(GeometryError):
        dual_regression(data, mask[:-1], maps)
    with pytest.raises(GeometryError):
        dual_regression(data, mask, maps[:, :-1])
    with pytest.raises(RadiomeError, match="time points"):
        dual_regression(data[..., :3], mask, maps)


def test_group_ica_finds_planted_maps():
    rng = np.random.default_rng(0)
    maps = np.zeros(SHAPE + (3,))
    maps[2:6, 2:6, 2:6, 0] = 1
    maps[6:11, 2:6, 3:8, 1] = 1
    maps[3:9, 7:11, 5:9, 2] = 1
    mask = np.ones(SHAPE, np.uint8)
    imgs = []
    for _ in range(3):
        tc = rng.standard_normal((60, 3))
        d = maps @ tc.T + 0.1 * rng.standard_normal(SHAPE + (60,)) + 100
        imgs.append(nib.Nifti1Image(d.astype(np.float32), np.eye(4)))
    res = group_ica(imgs, nib.Nifti1Image(mask, np.eye(4)), n_components=3, seed=0, smoothing_fwhm=None, n_init=2)
    assert res.maps.shape == SHAPE + (3,) and res.components.shape == (3, mask.size)
    cc = np.abs(np.corrcoef(np.vstack([res.components, maps.reshape(-1, 3).T]))[:3, 3:])
    assert np.all(cc.max(axis=0) > 0.9)  # every planted network is found by one component
    # and dual regression with the ICA maps gives back subject-level maps
    dr = dual_regression(imgs[0], mask, res.maps)
    assert dr.maps.shape == (3, mask.size)
