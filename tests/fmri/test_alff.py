"""ALFF/fALFF vs independent per-voxel hand computations, for each convention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from radiome.errors import RadiomeError
from radiome.fmri import alff, alff_falff, falff, load_bold, standardize_map, synthetic_bold
from tests.fmri.conftest import NIBABEL_DATA

TR = 2.0
BAND = (0.01, 0.08)


def _volume(n_t: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = 50 + np.cumsum(rng.normal(size=(4, 3, 3, n_t)), axis=3) * 0.3 + rng.normal(size=(4, 3, 3, n_t))
    mask = np.ones((4, 3, 3), bool)
    mask[0, 0, 0] = False
    return data, mask


def _dpabi_voxel(x, tr, lo, hi):
    """DPABI y_alff_falff written out with a plain loop over frequency bins (1-based like MATLAB)."""
    n = len(x)
    n_pad = 2 ** math.ceil(math.log2(n))
    y = signal.detrend(x, type="linear")
    y = np.concatenate([y, np.zeros(n_pad - n)])
    amp = [2 * abs(sum(y[t] * np.exp(-2j * np.pi * k * t / n_pad) for t in range(n_pad))) / n for k in range(n_pad)]
    i_lo = math.ceil(lo * n_pad * tr + 1)  # 1-based, as in DPABI
    i_hi = math.trunc(hi * n_pad * tr + 1)
    band = amp[i_lo - 1 : i_hi]
    return np.mean(band), np.sum(band) / np.sum(amp[1 : n_pad // 2 + 1])


def _afni_voxel(x, tr, lo, hi):
    """3dRSFC: quadratic detrend, unpadded DFT, sum of |X_m| over band bins 1..N_ny-1."""
    n = len(x)
    t = np.arange(n)
    y = x - np.polyval(np.polyfit(t, x, 2), t)
    spec = np.abs(np.fft.fft(y))
    df = 1 / (n * tr)
    m_lo, m_hi = round(lo / df), round(hi / df)
    numer = sum(spec[m] for m in range(1, n // 2) if m_lo <= m <= m_hi)
    denom = sum(spec[m] for m in range(1, n // 2))
    return 2 * numer / math.sqrt(n), numer / denom


def _cpac_voxel(x, tr, lo, hi):
    """C-PAC: quadratic detrend, ideal band-pass (full complex FFT), SD with ddof=1."""
    n = len(x)
    t = np.arange(n)
    y = x - np.polyval(np.polyfit(t, x, 2), t)
    spec = np.fft.fft(y)
    f = np.abs(np.fft.fftfreq(n, tr))
    keep = (f >= lo) & (f <= hi) & (f > 0) & (f < 1 / (2 * tr))
    bp = np.fft.ifft(np.where(keep, spec, 0)).real
    return np.std(bp, ddof=1), np.std(bp, ddof=1) / np.std(y, ddof=1)


HAND = {"dpabi": _dpabi_voxel, "afni": _afni_voxel, "cpac": _cpac_voxel}


@pytest.mark.parametrize("convention", ["dpabi", "afni", "cpac"])
@pytest.mark.parametrize("n_t", [100, 128, 75])
def test_matches_hand_computation(convention, n_t):
    data, mask = _volume(n_t)
    a, f = alff_falff(data, mask, TR, BAND, convention=convention)
    for ijk in zip(*np.nonzero(mask)):
        ea, ef = HAND[convention](data[ijk], TR, *BAND)
        assert a[ijk] == pytest.approx(ea, rel=1e-9)
        assert f[ijk] == pytest.approx(ef, rel=1e-9)
    assert a[0, 0, 0] == 0 and f[0, 0, 0] == 0
    assert np.array_equal(alff(data, mask, TR, BAND, convention), a)
    assert np.array_equal(falff(data, mask, TR, BAND, convention), f)


@pytest.mark.parametrize("convention", ["dpabi", "afni", "cpac"])
def test_planted_amplitude_ratio(convention):
    """Two regions with bin-centred cosines of amplitude a and 2a plus noise: ALFF ratio 2 +- 1 %."""
    n_t, a = 256, 2.0
    k = 20  # f = 20 / (256 * 2 s) = 0.039 Hz, in band and bin-centred for all conventions
    t = np.arange(n_t)
    wave = np.cos(2 * np.pi * k * t / n_t)
    rng = np.random.default_rng(5)
    data = 100 + 0.01 * rng.normal(size=(2, 4, 4, n_t))
    data[0] += a * wave
    data[1] += 2 * a * wave
    mask = np.ones((2, 4, 4), bool)
    alff_map = alff(data, mask, TR, BAND, convention=convention)
    ratio = alff_map[1].mean() / alff_map[0].mean()
    assert ratio == pytest.approx(2.0, rel=0.01)
    # absolute amplitude recovered per convention (within 5 %: detrending a finite cosine removes
    # its small projection on the trend, which leaks a little energy into neighbouring bins)
    n_pad = 256
    n_bins = math.trunc(0.08 * n_pad * TR + 1) - math.ceil(0.01 * n_pad * TR + 1) + 1
    expected = {"dpabi": a / n_bins, "afni": a * math.sqrt(n_t), "cpac": a / math.sqrt(2) * math.sqrt(n_t / (n_t - 1))}
    assert alff_map[0].mean() == pytest.approx(expected[convention], rel=0.05)


def test_synthetic_truth_ratio():
    data, mask, _, truth = synthetic_bold(seed=3)
    for convention in ("dpabi", "afni", "cpac"):
        a = alff(data, mask, truth["tr"], convention=convention)
        assert a[truth["osc_2a"]].mean() / a[truth["osc_a"]].mean() == pytest.approx(truth["alff_ratio"], rel=0.01)


def test_standardize_map():
    rng = np.random.default_rng(0)
    values = rng.random((3, 3, 3))
    mask = values > 0.3
    m = standardize_map(values, mask, "m")
    z = standardize_map(values, mask, "z")
    assert m[mask].mean() == pytest.approx(1.0)
    assert z[mask].mean() == pytest.approx(0.0, abs=1e-12) and z[mask].std(ddof=1) == pytest.approx(1.0)
    assert np.all(m[~mask] == 0) and np.all(z[~mask] == 0)


def test_bad_arguments():
    data, mask = _volume(50)
    with pytest.raises(RadiomeError, match="convention"):
        alff(data, mask, TR, convention="spm")  # type: ignore[arg-type]
    with pytest.raises(RadiomeError, match="band"):
        alff(data, mask, TR, band=(0.1, 0.01))
    with pytest.raises(RadiomeError, match="4D"):
        alff(data[..., 0], mask, TR)
    with pytest.raises(RadiomeError, match="does not match"):
        alff(data, mask[:-1], TR)


def test_smoke_nibabel_functional():
    """Real (tiny) EPI shipped with nibabel: 17x21x3, 20 volumes, TR 2 s."""
    data, mask, tr, _ = load_bold(NIBABEL_DATA / "functional.nii")
    for convention in ("dpabi", "afni", "cpac"):
        a, f = alff_falff(data, mask, tr, convention=convention)
        assert a.shape == mask.shape and np.isfinite(a).all() and np.isfinite(f).all()
        assert (a[mask] >= 0).all() and (f[mask] <= 1 + 1e-12).all()
