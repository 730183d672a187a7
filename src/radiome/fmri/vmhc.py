"""Voxel-mirrored homotopic connectivity (VMHC).

VMHC (Zuo et al. 2010, J Neurosci 30:15034; DPABI ``y_VMHC``) is the Pearson correlation between
each voxel's series and the series of its mirror voxel across the mid-sagittal plane, in a
symmetric template space, reported as r and Fisher z = arctanh(r) (r clipped to +-(1 - 1e-7)).

The mirror is taken by flipping the first (x) voxel axis, ``i -> nx - 1 - i``. That is the
anatomical mirror only when the grid is symmetric about world ``x = 0``: the x world coordinate
must depend on ``i`` alone (no rotation/shear mixing i into y/z or j, k into x) and
``x(i) + x(nx - 1 - i) = 0``, i.e. ``A[0,0] (nx - 1) / 2 + A[0,3] = 0``. :func:`vmhc` checks this
(tolerance 1 % of the voxel size) and raises otherwise, unless ``assume_symmetric=True`` (for data
already registered to a symmetric template whose header is not centred).

A voxel is computed when both it and its mirror are in the mask; other voxels are 0. Voxels on the
midline (odd ``nx``) are their own mirror (r = 1).
"""

from __future__ import annotations

import numpy as np

from radiome.errors import GeometryError, RadiomeError
from radiome.fmri._io import check_bold
from radiome.fmri.fc import _zscore_rows, fisher_z

__all__ = ["vmhc", "check_symmetric_grid"]


def check_symmetric_grid(affine: np.ndarray, nx: int, tol: float = 0.01) -> None:
    """Raise :class:`GeometryError` unless flipping voxel axis 0 maps world x to -x (y, z kept)."""
    a = np.asarray(affine, dtype=np.float64)
    vox = float(np.linalg.norm(a[:3, 0])) or 1.0
    if abs(a[0, 1]) > tol * vox or abs(a[0, 2]) > tol * vox or abs(a[1, 0]) > tol * vox or abs(a[2, 0]) > tol * vox:
        raise GeometryError(
            "the grid is rotated/oblique: voxel axis 0 is not the world x axis, so flipping it is not a "
            "left-right mirror (resample to a symmetric template, or pass assume_symmetric=True)"
        )
    centre = a[0, 0] * (nx - 1) / 2.0 + a[0, 3]
    if abs(centre) > tol * vox:
        raise GeometryError(
            f"the grid is not symmetric about x = 0 (the centre of voxel axis 0 lies at x = {centre:.3f} mm); "
            "VMHC needs data in a symmetric template space (or pass assume_symmetric=True)"
        )


def vmhc(
    data: np.ndarray,
    mask: np.ndarray,
    affine: np.ndarray,
    assume_symmetric: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """VMHC maps ``(r, z)``: correlation of each voxel with its x-mirrored voxel."""
    data, mask = check_bold(data, mask)
    if not assume_symmetric:
        check_symmetric_grid(affine, data.shape[0])
    both = mask & mask[::-1]
    if not both.any():
        raise RadiomeError("no voxel has its mirror voxel inside the mask", code="mask_invalid")
    x, ok = _zscore_rows(data[both].astype(np.float64))  # rows in C order of `both`
    lookup = np.full(mask.shape, -1, dtype=np.int64)
    lookup[both] = np.arange(int(both.sum()))
    mirror_row = lookup[::-1][both]  # row of each voxel's mirror (always present: `both` is symmetric)
    r = np.einsum("it,it->i", x, x[mirror_row])
    r = np.where(ok & ok[mirror_row], np.clip(r, -1.0, 1.0), 0.0)
    r_map = np.zeros(mask.shape)
    z_map = np.zeros(mask.shape)
    r_map[both] = r
    z_map[both] = fisher_z(r)
    return r_map, z_map
