"""Small synthetic 4D BOLD data with planted, known properties (for tests, demos, benchmarks).

SYNTHETIC data, not a model of real physiology. Planted in white noise around a baseline of 100:

* ``cluster``: a 5x5x5 cube whose voxels share one common signal plus a little noise -> ReHo near
  1 in its 3x3x3 core (``cluster_core``), seed FC near 1 with the cube's mean series;
* ``osc_a`` / ``osc_2a``: two 2x2x2 regions carrying a cosine at a bin-centred in-band frequency
  (``k / (T TR)``, inside 0.01-0.08 Hz) of amplitude ``a`` and ``2a`` -> ALFF ratio 2;
* ``mirror_left`` / ``mirror_right``: a 2x2x2 region and its exact x-mirror carrying the same
  series -> VMHC = 1 there.

The affine is a symmetric grid (``x(i) = vox (i - (nx - 1)/2)``) so :func:`radiome.fmri.vmhc.vmhc`
accepts it. Deterministic for a given seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["synthetic_bold"]


def synthetic_bold(
    shape: tuple[int, int, int] = (16, 14, 10),
    n_timepoints: int = 128,
    tr: float = 2.0,
    seed: int = 0,
    noise: float = 1.0,
    amplitude: float = 3.0,
    voxel_size: float = 3.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Return ``(data float32 (X,Y,Z,T), mask bool, affine 4x4, truths dict)``."""
    nx, ny, nz = shape
    if nx < 14 or ny < 14 or nz < 10:
        raise ValueError("shape must be at least (14, 14, 10) to hold the planted regions")
    rng = np.random.default_rng(seed)
    t = np.arange(n_timepoints)
    data = 100.0 + noise * rng.standard_normal((nx, ny, nz, n_timepoints))
    mask = np.zeros(shape, dtype=bool)
    mask[1:-1, 1:-1, 1:-1] = True

    truths: dict[str, Any] = {}
    # cluster sharing a common signal (left hemisphere: small x index)
    cluster = np.zeros(shape, dtype=bool)
    cluster[2:7, 2:7, 2:7] = True
    common = 4.0 * noise * rng.standard_normal(n_timepoints)
    data[cluster] = 100.0 + common + 0.05 * noise * rng.standard_normal((int(cluster.sum()), n_timepoints))
    truths["cluster"] = cluster
    truths["cluster_series"] = common

    # oscillations of amplitude a and 2a at a bin-centred in-band frequency
    k = max(1, int(round(0.04 * n_timepoints * tr)))
    freq = k / (n_timepoints * tr)
    wave = np.cos(2 * np.pi * freq * t * tr)
    osc_a = np.zeros(shape, dtype=bool)
    osc_2a = np.zeros(shape, dtype=bool)
    osc_a[2:4, ny - 4 : ny - 2, 2:4] = True
    osc_2a[2:4, ny - 4 : ny - 2, nz - 4 : nz - 2] = True
    quiet = 1e-3 * noise  # near noise-free, so ALFF ratios equal the amplitude ratio within 0.1 %
    data[osc_a] = 100.0 + amplitude * wave + quiet * rng.standard_normal((int(osc_a.sum()), n_timepoints))
    data[osc_2a] = 100.0 + 2 * amplitude * wave + quiet * rng.standard_normal((int(osc_2a.sum()), n_timepoints))
    truths.update(osc_a=osc_a, osc_2a=osc_2a, alff_ratio=2.0, frequency_hz=freq, amplitude=amplitude)

    # mirrored pair across the midline: identical series at i and nx-1-i
    left = np.zeros(shape, dtype=bool)
    left[2:4, ny // 2 : ny // 2 + 2, nz // 2 - 1 : nz // 2 + 1] = True
    right = left[::-1]
    shared = 100.0 + 3.0 * noise * rng.standard_normal(n_timepoints)
    data[left] = shared
    data[right] = shared
    truths.update(mirror_left=left, mirror_right=right, vmhc=1.0)

    affine = np.diag([voxel_size, voxel_size, voxel_size, 1.0])
    affine[:3, 3] = -voxel_size * (np.array(shape) - 1) / 2.0
    centre = np.zeros(shape, dtype=bool)
    centre[3:6, 3:6, 3:6] = True  # cluster voxels whose whole 27-neighbourhood is in the cluster
    truths["cluster_core"] = centre
    truths["seed_centre_mm"] = tuple(float(v) for v in (affine[:3, :3] @ np.array([4, 4, 4]) + affine[:3, 3]))
    truths["tr"] = tr
    return data.astype(np.float32), mask, affine, truths
