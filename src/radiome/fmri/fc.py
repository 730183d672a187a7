"""Seed-based functional connectivity: Pearson r of every voxel with a seed series, and Fisher z.

The seed series is the mean of the seed ROI's voxel series (DPABI ``y_SCA``, C-PAC ``sca``);
``r`` is Pearson's correlation over time (Biswal et al. 1995); ``z = arctanh(r)`` (Fisher 1915)
with ``r`` clipped to ``+-(1 - 1e-7)`` so a voxel identical to the seed gets a large finite z
(about 8.4) rather than infinity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiome.errors import RadiomeError
from radiome.fmri._io import check_bold

__all__ = ["seed_series", "sphere_mask", "seed_fc", "fisher_z", "R_CLIP"]

R_CLIP = 1.0 - 1e-7


def fisher_z(r: np.ndarray) -> np.ndarray:
    """``arctanh`` of ``r`` clipped to ``+-R_CLIP`` (finite for r = +-1)."""
    return np.arctanh(np.clip(r, -R_CLIP, R_CLIP))


def seed_series(data: np.ndarray, seed_mask: np.ndarray) -> np.ndarray:
    """Mean time series (float64, length T) of the voxels in ``seed_mask``."""
    data = np.asarray(data)
    seed_mask = np.asarray(seed_mask).astype(bool)
    if data.ndim != 4:
        raise RadiomeError(f"BOLD data must be 4D, got shape {data.shape}", code="not_4d")
    if seed_mask.shape != data.shape[:3]:
        raise RadiomeError(
            f"seed mask shape {seed_mask.shape} does not match the BOLD grid {data.shape[:3]}",
            code="geometry_mismatch",
        )
    if not seed_mask.any():
        raise RadiomeError("seed mask is empty", code="mask_invalid")
    return data[seed_mask].astype(np.float64).mean(axis=0)


def sphere_mask(
    shape: Sequence[int], affine: np.ndarray, centre_mm: Sequence[float], radius_mm: float
) -> np.ndarray:
    """Boolean mask of voxels whose centre lies within ``radius_mm`` of ``centre_mm`` (world mm)."""
    if radius_mm < 0:
        raise RadiomeError(f"radius must be >= 0 mm, got {radius_mm}")
    shape = tuple(int(s) for s in shape[:3])
    ijk = np.indices(shape).reshape(3, -1)
    xyz = np.asarray(affine, dtype=np.float64)[:3, :3] @ ijk + np.asarray(affine, dtype=np.float64)[:3, 3:4]
    d2 = ((xyz - np.asarray(centre_mm, dtype=np.float64).reshape(3, 1)) ** 2).sum(axis=0)
    mask = (d2 <= radius_mm**2 + 1e-9).reshape(shape)
    if not mask.any():
        raise RadiomeError(
            f"sphere of radius {radius_mm} mm at {tuple(float(c) for c in centre_mm)} mm contains no voxel centre",
            code="mask_invalid",
        )
    return mask


def _zscore_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows centred and scaled to unit L2 norm (so dot products are Pearson r); ok = non-constant."""
    x = x - x.mean(axis=-1, keepdims=True)
    norm = np.sqrt((x * x).sum(axis=-1, keepdims=True))
    ok = norm[..., 0] > 0
    return x / np.where(norm > 0, norm, 1.0), ok


def seed_fc(
    data: np.ndarray, mask: np.ndarray, seed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Correlation map of every in-mask voxel with ``seed``: returns ``(r, z)`` 3D maps.

    ``seed`` is either a length-T series or a 3D boolean seed mask (its mean series is used).
    Constant voxels get r = 0.
    """
    data, mask = check_bold(data, mask)
    seed = np.asarray(seed)
    if seed.ndim == 3:
        seed = seed_series(data, seed)
    if seed.ndim != 1 or seed.shape[0] != data.shape[3]:
        raise RadiomeError(f"seed series must have {data.shape[3]} time points, got shape {seed.shape}")
    s, ok_s = _zscore_rows(seed.astype(np.float64))
    if not ok_s:
        raise RadiomeError("seed series is constant; correlation undefined")
    x, ok = _zscore_rows(data[mask].astype(np.float64))
    r = np.where(ok, x @ s, 0.0)
    r = np.clip(r, -1.0, 1.0)
    r_map = np.zeros(mask.shape)
    z_map = np.zeros(mask.shape)
    r_map[mask] = r
    z_map[mask] = fisher_z(r)
    return r_map, z_map
