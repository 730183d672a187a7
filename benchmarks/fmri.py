"""Voxel-wise resting-state maps on a full-size volume: ours vs straightforward per-voxel code.

A SYNTHETIC 61x73x61x240 BOLD volume (3 mm MNI-like grid, TR 2 s) with a brain-shaped ellipsoid
mask of ~74,000 voxels: white noise plus a few smooth shared components, so correlations and
neighbourhood concordance are not all ~0. Timed:

* ReHo (27 neighbours, DPABI convention) vs a per-voxel Python loop computing Kendall's W
  (scipy ``rankdata`` of the neighbourhood, textbook formula), as DPABI's own loop does;
* ALFF + fALFF (DPABI, AFNI, C-PAC) vs a per-voxel loop (scipy ``detrend`` + ``numpy.fft``);
* degree centrality (r > 0.25, binarised + weighted, float32) vs ``numpy.corrcoef`` on the dense
  matrix; peak memory of our call measured with ``tracemalloc`` (numpy reports its buffers).

The reference loops run on a subset of voxels and are extrapolated linearly per voxel (per pair
for ``corrcoef``); the table says so. The machine load average is printed because the timings
are wall-clock.

Run: ``python benchmarks/fmri.py [--subset 2000] [--skip-dc]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
import tracemalloc

import numpy as np
from scipy import signal
from scipy.stats import rankdata

from radiome.fmri import alff_falff, degree_centrality, reho

SHAPE = (61, 73, 61)
N_T = 240
TR = 2.0


def make_volume(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = (np.array(SHAPE) - 1) / 2
    g = np.indices(SHAPE)
    mask = ((g[0] - c[0]) / 24.5) ** 2 + ((g[1] - c[1]) / 29.5) ** 2 + ((g[2] - c[2]) / 24.5) ** 2 <= 1
    n_vox = int(mask.sum())
    comps = rng.standard_normal((8, N_T)).astype(np.float32)
    coords = np.argwhere(mask).astype(np.float32)
    centres = coords[rng.choice(n_vox, 8, replace=False)]
    weights = np.exp(-((coords[:, None, :] - centres[None]) ** 2).sum(-1) / (2 * 8.0**2)).astype(np.float32)
    series = 100 + rng.standard_normal((n_vox, N_T), dtype=np.float32) + 1.5 * weights @ comps
    data = np.zeros(SHAPE + (N_T,), dtype=np.float32)
    data[mask] = series
    return data, mask


def ref_reho(data: np.ndarray, mask: np.ndarray, voxels: np.ndarray) -> np.ndarray:
    out = []
    n = data.shape[3]
    for i, j, k in voxels:
        rows = [
            data[i + a, j + b, k + c]
            for a, b, c in itertools.product((-1, 0, 1), repeat=3)
            if mask[i + a, j + b, k + c]
        ]
        ranks = np.array([rankdata(r) for r in rows])
        m = len(rows)
        r_sum = ranks.sum(axis=0)
        out.append(12 * ((r_sum - r_sum.mean()) ** 2).sum() / (m**2 * (n**3 - n)))
    return np.array(out)


def ref_alff(data: np.ndarray, voxels: np.ndarray) -> None:
    n_pad = 256
    lo, hi = int(np.ceil(0.01 * n_pad * TR)), int(np.floor(0.08 * n_pad * TR))
    for i, j, k in voxels:
        x = signal.detrend(data[i, j, k].astype(np.float64))
        amp = 2 * np.abs(np.fft.fft(x, n_pad)) / len(x)
        _ = amp[lo : hi + 1].mean(), amp[lo : hi + 1].sum() / amp[1 : n_pad // 2 + 1].sum()


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--subset", type=int, default=2000, help="voxels timed in the reference loops")
    ap.add_argument("--skip-dc", action="store_true")
    args = ap.parse_args()
    data, mask = make_volume()
    n_vox = int(mask.sum())
    rng = np.random.default_rng(1)
    interior = np.argwhere(mask)
    interior = interior[np.all((interior > 0) & (interior < np.array(SHAPE) - 1), axis=1)]
    subset = interior[rng.choice(len(interior), min(args.subset, len(interior)), replace=False)]
    print(f"volume {SHAPE} x {N_T}, {n_vox} in-mask voxels, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs\n")
    rows = []

    t_ours, w = timed(reho, data, mask, 27, "dpabi")
    t_ref_sub, w_ref = timed(ref_reho, data, mask, subset)
    assert np.allclose(w[tuple(subset.T)], w_ref, rtol=1e-6), "ReHo disagrees with the reference loop"
    t_ref = t_ref_sub / len(subset) * n_vox
    rows.append(("ReHo 27, dpabi", t_ours, t_ref, f"per-voxel loop, {len(subset)} voxels extrapolated", None))

    for conv in ("dpabi", "afni", "cpac"):
        t_ours, _ = timed(alff_falff, data, mask, TR, (0.01, 0.08), conv)
        if conv == "dpabi":
            t_ref_sub, _ = timed(ref_alff, data, subset)
            t_ref = t_ref_sub / len(subset) * n_vox
            note = f"per-voxel loop, {len(subset)} voxels extrapolated"
            rows.append((f"ALFF+fALFF, {conv}", t_ours, t_ref, note, None))
        else:
            rows.append((f"ALFF+fALFF, {conv}", t_ours, None, "", None))

    if not args.skip_dc:
        tracemalloc.start()
        t_ours, (b, _) = timed(degree_centrality, data, mask, 0.25)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        sub = 8000
        x = data[mask][:sub]
        t_sub, r = timed(np.corrcoef, x)
        np.fill_diagonal(r, 0)
        b_sub, _ = degree_centrality(data[mask][:sub].reshape(sub, 1, 1, N_T), np.ones((sub, 1, 1), bool), 0.25)
        assert np.abs(b_sub[:, 0, 0] - (r > 0.25).sum(axis=1)).max() <= 1
        t_ref = t_sub * (n_vox / sub) ** 2
        dense_gb = n_vox**2 * 8 / 2**30
        rows.append(("DC r>0.25, bin+weighted", t_ours, t_ref,
                     f"np.corrcoef on {sub} voxels x (V/{sub})^2; dense matrix would need {dense_gb:.0f} GiB", peak))
        print(f"mean binarised DC: {b[mask].mean():.1f}")

    print("| metric | ours s | reference s | ratio | peak MB | reference |")
    print("|---|---:|---:|---:|---:|---|")
    for name, ours, ref, note, peak in rows:
        ref_s = f"{ref:.1f}" if ref is not None else "-"
        ratio = f"{ref / ours:.0f}x" if ref is not None else "-"
        peak_s = f"{peak:.0f}" if peak is not None else "-"
        print(f"| {name} | {ours:.2f} | {ref_s} | {ratio} | {peak_s} | {note} |")
    import resource

    print(f"\nprocess max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(includes the 4D volume, {data.nbytes / 2**20:.0f} MB, and the reference corrcoef)")


if __name__ == "__main__":
    main()
