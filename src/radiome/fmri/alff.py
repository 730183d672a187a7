"""ALFF and fALFF: amplitude of low-frequency fluctuations, three published conventions.

ALFF (Zang et al. 2007, Brain Dev 29:83) measures the spectral amplitude of a voxel's BOLD series
in a low-frequency band (default 0.01-0.08 Hz); fALFF (Zou et al. 2008, J Neurosci Methods
172:137) divides it by the amplitude over the whole spectrum. The three toolboxes differ in
detrending, FFT length, normalisation and band-edge rounding, so the values are *not*
interchangeable between conventions; each is reproduced here formula by formula. ``T`` is the
number of time points, ``TR`` the repetition time, ``x`` a voxel series.

``convention="dpabi"`` -- DPABI/REST ``y_alff_falff.m`` (Yan & Zang 2010, DPARSF; Yan et al. 2016,
DPABI), confirmed from the DPABI source:

* ``x`` is linearly detrended (MATLAB ``detrend``: least-squares constant + slope removed);
* zero-padded to ``N = 2**nextpow2(T)``; ``X = FFT_N(x)``;
* amplitude ``A_k = 2 |X_k| / T`` -- divided by the *original* length ``T``, not by ``N``;
* band bins (0-based) ``k_lo = ceil(f_lo N TR + 1) - 1`` and ``k_hi = fix(f_hi N TR + 1) - 1``
  (DPABI changed ``round`` to ``ceil``/``fix``); a cutoff at or above Nyquist means bin ``N/2``;
* ``ALFF = mean(A_k, k_lo..k_hi)``;
* ``fALFF = sum(A_k, k_lo..k_hi) / sum(A_k, 1..N/2)`` (DC excluded, Nyquist included);
  non-finite fALFF is set to 0.

``convention="afni"`` -- AFNI ``3dRSFC`` (Taylor & Saad 2013, FATCAT), confirmed from
``src/ptaylor/3dRSFC.c``:

* ``x`` has constant + linear + quadratic trends removed (3dBandpass default ``qdet=2``);
* ``X = FFT_T(x)`` (unpadded), ``df = 1/(T TR)``; band bins ``m_lo = rint(f_lo/df)``,
  ``m_hi = rint(f_hi/df)``; only bins ``1 <= m <= N_ny - 1`` are summed, ``N_ny = floor(T/2)``
  (the Nyquist bin, and for even ``T`` nothing above it, is left out as in 3dRSFC);
* ``ALFF = 2 * sum_{band} |X_m| / sqrt(T)`` -- a *sum* of amplitudes, not a mean;
* ``fALFF = sum_{band} |X_m| / sum_{m=1}^{N_ny-1} |X_m|`` (0 when the denominator <= 1e-6).
* Assumption: 3dRSFC takes the numerator from the series band-passed by 3dBandpass (an ideal
  FFT filter on a possibly padded length ``nfft``, a power of 2 times 3s and 5s); here the band
  bins of the unpadded detrended series are used directly, which is identical when ``nfft == T``
  and differs only by leakage at the band edges otherwise.

``convention="cpac"`` -- C-PAC ``alff`` workflow (3dBandpass then ``3dTstat -stdev``):

* ``x`` quadratic-detrended (3dBandpass default); band-passed with an ideal FFT filter of length
  ``T`` keeping bins with ``f_lo <= f <= f_hi`` (DC and Nyquist always removed, as 3dBandpass);
* ``ALFF = SD(band-passed x)``, ``fALFF = SD(band-passed x) / SD(detrended x)``, ``SD`` with the
  ``T - 1`` denominator (3dTstat ``-stdev``).
* Assumption: C-PAC's fALFF denominator is ``3dTstat -stdev`` of its unfiltered input; the
  quadratic-detrended series is used here (3dTstat's own linear detrending would differ only by
  the quadratic term).

For all conventions a pure sinusoid of amplitude ``a`` at a bin-centred in-band frequency gives an
ALFF proportional to ``a`` (DPABI: ``a / n_band_bins``; AFNI: ``a sqrt(T)``; C-PAC:
``a / sqrt(2) * sqrt(T/(T-1))``), so ratios of ALFF between voxels are convention-free for such
signals. :func:`standardize_map` gives mALFF (divided by the in-mask mean, Zang 2007 / 3dRSFC)
and zALFF (z-scored within the mask, DPABI "zALFF").
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from radiome.errors import RadiomeError
from radiome.fmri._io import check_bold

__all__ = ["alff", "falff", "alff_falff", "standardize_map", "CONVENTIONS"]

Convention = Literal["dpabi", "afni", "cpac"]
CONVENTIONS: tuple[str, ...] = ("dpabi", "afni", "cpac")
_CHUNK = 8192  # voxels per FFT block: bounds the temporary spectrum memory


def alff(
    data: np.ndarray,
    mask: np.ndarray,
    tr: float,
    band: tuple[float, float] = (0.01, 0.08),
    convention: Convention = "dpabi",
) -> np.ndarray:
    """ALFF map (3D float64, 0 outside the mask) under the given convention; see module docstring."""
    return alff_falff(data, mask, tr, band=band, convention=convention)[0]


def falff(
    data: np.ndarray,
    mask: np.ndarray,
    tr: float,
    band: tuple[float, float] = (0.01, 0.08),
    convention: Convention = "dpabi",
) -> np.ndarray:
    """fALFF map (3D float64, 0 outside the mask) under the given convention."""
    return alff_falff(data, mask, tr, band=band, convention=convention)[1]


def alff_falff(
    data: np.ndarray,
    mask: np.ndarray,
    tr: float,
    band: tuple[float, float] = (0.01, 0.08),
    convention: Convention = "dpabi",
) -> tuple[np.ndarray, np.ndarray]:
    """Both ALFF and fALFF maps from one FFT pass: ``(alff, falff)``."""
    data, mask = check_bold(data, mask)
    lo, hi = _check_band(band, tr)
    if convention not in CONVENTIONS:
        raise RadiomeError(f"unknown ALFF convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
    series = data[mask]  # (V, T)
    n_t = series.shape[1]
    fn = {"dpabi": _dpabi, "afni": _afni, "cpac": _cpac}[convention]
    a = np.empty(series.shape[0])
    f = np.empty(series.shape[0])
    for s in range(0, series.shape[0], _CHUNK):
        a[s : s + _CHUNK], f[s : s + _CHUNK] = fn(series[s : s + _CHUNK].astype(np.float64), n_t, tr, lo, hi)
    out_a = np.zeros(mask.shape)
    out_f = np.zeros(mask.shape)
    out_a[mask] = a
    out_f[mask] = f
    return out_a, out_f


def _check_band(band: tuple[float, float], tr: float) -> tuple[float, float]:
    if tr is None or not tr > 0:
        raise RadiomeError(f"TR must be positive, got {tr}")
    lo, hi = float(band[0]), float(band[1])
    if not (0 <= lo < hi):
        raise RadiomeError(f"band must satisfy 0 <= low < high, got ({lo}, {hi})")
    return lo, hi


def detrend_poly(x: np.ndarray, order: int) -> np.ndarray:
    """Remove a least-squares polynomial of ``order`` along the last axis (0 = mean, 1 = linear)."""
    n = x.shape[-1]
    t = np.linspace(-1.0, 1.0, n)
    basis = np.vander(t, order + 1, increasing=True)  # (T, order+1)
    q, _ = np.linalg.qr(basis)
    return x - (x @ q) @ q.T


def dpabi_band_bins(n_t: int, tr: float, lo: float, hi: float) -> tuple[int, int, int]:
    """DPABI's padded length and 0-based inclusive band bins ``(N, k_lo, k_hi)``."""
    n_pad = 1 << max(0, math.ceil(math.log2(n_t)))
    fs = 1.0 / tr
    # DPABI computes 1-based indices ceil(f*N*TR + 1) and fix(f*N*TR + 1); keep the same
    # floating-point expression so band edges round identically.
    k_lo = n_pad // 2 if lo >= fs / 2 else math.ceil(lo * n_pad * tr + 1) - 1
    k_hi = n_pad // 2 if (hi >= fs / 2 or hi == 0) else math.trunc(hi * n_pad * tr + 1) - 1
    return n_pad, k_lo, k_hi


def _dpabi(x: np.ndarray, n_t: int, tr: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    n_pad, k_lo, k_hi = dpabi_band_bins(n_t, tr, lo, hi)
    amp = 2.0 * np.abs(np.fft.rfft(detrend_poly(x, 1), n=n_pad, axis=1)) / n_t  # bins 0..N/2
    band = amp[:, k_lo : k_hi + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = band.mean(axis=1) if band.shape[1] else np.zeros(len(x))
        f = band.sum(axis=1) / amp[:, 1 : n_pad // 2 + 1].sum(axis=1)
    f[~np.isfinite(f)] = 0.0
    return a, f


def afni_band_bins(n_t: int, tr: float, lo: float, hi: float) -> tuple[int, int, int]:
    """3dRSFC's bins: ``(N_ny, m_lo, m_hi)``; summed bins are ``max(1,m_lo)..min(N_ny-1,m_hi)``."""
    delf = 1.0 / (n_t * tr)
    return n_t // 2, int(np.rint(lo / delf)), int(np.rint(hi / delf))


def _afni(x: np.ndarray, n_t: int, tr: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    n_ny, m_lo, m_hi = afni_band_bins(n_t, tr, lo, hi)
    mag = np.abs(np.fft.rfft(detrend_poly(x, 2), axis=1))[:, 1:n_ny]  # bins 1..N_ny-1
    m = np.arange(1, n_ny)
    in_band = (m >= m_lo) & (m <= m_hi)
    numer = mag[:, in_band].sum(axis=1)
    denom = mag.sum(axis=1)
    a = 2.0 * numer / math.sqrt(n_t)
    f = np.where(denom > 1e-6, numer / np.where(denom > 1e-6, denom, 1.0), 0.0)
    return a, f


def ideal_bandpass(x: np.ndarray, tr: float, lo: float, hi: float) -> np.ndarray:
    """Ideal FFT band-pass along the last axis: keep ``lo <= f <= hi``; DC and Nyquist removed."""
    n_t = x.shape[-1]
    spec = np.fft.rfft(x, axis=-1)
    freqs = np.fft.rfftfreq(n_t, d=tr)
    keep = (freqs >= lo) & (freqs <= hi)
    keep[0] = False
    if n_t % 2 == 0:
        keep[-1] = False
    spec[..., ~keep] = 0
    return np.fft.irfft(spec, n=n_t, axis=-1)


def _cpac(x: np.ndarray, n_t: int, tr: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    det = detrend_poly(x, 2)
    bp = ideal_bandpass(det, tr, lo, hi)
    a = bp.std(axis=1, ddof=1)
    sd = det.std(axis=1, ddof=1)
    f = np.where(sd > 0, a / np.where(sd > 0, sd, 1.0), 0.0)
    return a, f


def standardize_map(
    values: np.ndarray, mask: np.ndarray, kind: Literal["m", "z"] = "z"
) -> np.ndarray:
    """mALFF (``kind="m"``: divided by the in-mask mean) or zALFF (``"z"``: (x - mean) / SD in mask).

    SD uses the ``n - 1`` denominator (MATLAB ``std``, as DPABI). Outside the mask the result is 0.
    """
    values = np.asarray(values, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    if values.shape != mask.shape:
        raise RadiomeError(f"map shape {values.shape} does not match mask shape {mask.shape}")
    if not mask.any():
        raise RadiomeError("mask is empty", code="mask_invalid")
    inside = values[mask]
    out = np.zeros_like(values)
    if kind == "m":
        mean = inside.mean()
        if mean == 0:
            raise RadiomeError("in-mask mean is 0; cannot compute an m-standardised map")
        out[mask] = inside / mean
    elif kind == "z":
        sd = inside.std(ddof=1) if inside.size > 1 else 0.0
        if not sd > 0:
            raise RadiomeError("in-mask SD is 0; cannot compute a z-standardised map")
        out[mask] = (inside - inside.mean()) / sd
    else:
        raise RadiomeError(f"kind must be 'm' or 'z', got {kind!r}")
    return out
