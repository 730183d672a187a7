"""Diffusion tensor fit and scalar maps (Basser, Mattiello & LeBihan 1994, Biophys J 66: 259-267).

The signal model is ``S(b, g) = S0 exp(-b g' D g)`` with ``D`` the symmetric 3 x 3 diffusion
tensor, fitted voxel-wise by :class:`dipy.reconst.dti.TensorModel` (``"WLS"`` weighted linear
least squares by default, ``"OLS"``, ``"NLLS"``, ``"RT"``...). With the eigenvalues
``l1 >= l2 >= l3`` (mm^2/s when b is in s/mm^2):

* ``MD = (l1 + l2 + l3) / 3`` (mean diffusivity),
* ``AD = l1`` (axial), ``RD = (l2 + l3) / 2`` (radial),
* ``FA = sqrt(1/2) sqrt((l1-l2)^2 + (l2-l3)^2 + (l3-l1)^2) / sqrt(l1^2 + l2^2 + l3^2)``
  (Basser & Pierpaoli 1996, J Magn Reson B 111: 209-219).

:func:`read_dwi` checks the inputs a fit needs and raises :class:`radiome.errors.RadiomeError`
naming the file: unreadable image, not 4D, b-value / b-vector counts differing from the number of
volumes, no b0 volume (``b <= b0_threshold``), fewer than 6 diffusion-weighted directions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from radiome._atomic import atomic_path
from radiome.errors import GeometryError, ImageReadError, RadiomeError

__all__ = ["DWI", "MAPS", "fit_tensor", "read_dwi", "regional_dti", "write_maps"]

MAPS = ("FA", "MD", "AD", "RD")


@dataclass
class DWI:
    """A diffusion-weighted series: ``data`` ``(X, Y, Z, N)``, ``bvals`` ``(N,)``, ``bvecs`` ``(N, 3)``."""

    data: np.ndarray
    affine: np.ndarray
    bvals: np.ndarray
    bvecs: np.ndarray
    path: Path | None = None


def _read_numbers(path: Path, what: str) -> np.ndarray:
    if not path.exists():
        raise RadiomeError(f"{what} file not found", path=path, code="file_not_found")
    try:
        arr = np.loadtxt(path, dtype=float, ndmin=2)
    except (ValueError, OSError) as exc:
        raise RadiomeError(f"cannot read the {what} file: {exc}", path=path, code="unreadable") from exc
    if arr.size == 0 or np.any(np.isinf(arr)):
        raise RadiomeError(f"the {what} file is empty or holds infinite values", path=path, code="unreadable")
    return arr


def _check_gradients(
    bvals: np.ndarray, bvecs: np.ndarray, n_volumes: int, b0_threshold: float, where: dict[str, Path | None]
) -> tuple[np.ndarray, np.ndarray]:
    bvals = np.asarray(bvals, dtype=float).reshape(-1)
    bvecs = np.asarray(bvecs, dtype=float)
    if bvals.size != n_volumes:
        raise RadiomeError(f"{bvals.size} b-values for {n_volumes} DWI volumes", path=where.get("bval"),
                           code="gradient_mismatch")
    if bvecs.ndim == 2 and bvecs.shape == (3, n_volumes) and bvecs.shape != (n_volumes, 3):
        bvecs = bvecs.T  # FSL layout: 3 rows
    elif bvecs.ndim == 2 and bvecs.shape == (3, 3) and n_volumes == 3:
        bvecs = bvecs.T  # ambiguous 3 x 3: FSL's 3-row layout
    if bvecs.ndim != 2 or bvecs.shape != (n_volumes, 3):
        raise RadiomeError(f"b-vectors of shape {bvecs.shape} for {n_volumes} DWI volumes (expected 3 x {n_volumes})",
                           path=where.get("bvec"), code="gradient_mismatch")
    if not np.all(np.isfinite(bvals)):
        raise RadiomeError("b-values hold NaN", path=where.get("bval"), code="gradient_invalid")
    if np.any(bvals < 0):
        raise RadiomeError("negative b-values", path=where.get("bval"), code="gradient_invalid")
    b0 = bvals <= b0_threshold
    if not b0.any():
        raise RadiomeError(f"no b0 volume (b <= {b0_threshold:g}); the tensor fit needs one", path=where.get("bval"),
                           code="no_b0")
    dw = ~b0
    if not np.all(np.isfinite(bvecs[dw])):
        raise RadiomeError("diffusion-weighted b-vectors hold NaN", path=where.get("bvec"), code="gradient_invalid")
    bvecs = np.where(b0[:, None] & ~np.isfinite(bvecs), 0.0, bvecs)  # some tools write NaN for b0 vectors
    if int(dw.sum()) < 6:
        raise RadiomeError(f"only {int(dw.sum())} diffusion-weighted volumes; a tensor needs at least 6",
                           path=where.get("bval"), code="gradient_invalid")
    norms = np.linalg.norm(bvecs[dw], axis=1)
    if np.any(np.abs(norms - 1) > 1e-2):
        raise RadiomeError("diffusion-weighted b-vectors are not unit vectors", path=where.get("bvec"),
                           code="gradient_invalid")
    return bvals, bvecs


def read_dwi(nifti: str | Path, bval: str | Path, bvec: str | Path, b0_threshold: float = 50.0) -> DWI:
    """Read a 4D DWI NIfTI with FSL-style ``.bval`` (one row) and ``.bvec`` (3 rows) files."""
    import nibabel as nib

    nifti, bval, bvec = Path(nifti), Path(bval), Path(bvec)
    if not nifti.exists():
        raise ImageReadError("DWI file not found", path=nifti, code="file_not_found")
    try:
        img = nib.load(str(nifti))
        data = np.asarray(img.dataobj, dtype=np.float64)
    except Exception as exc:
        raise ImageReadError(f"cannot read the DWI: {exc}", path=nifti) from exc
    if data.ndim != 4:
        raise RadiomeError(f"DWI must be 4D, got shape {tuple(data.shape)}", path=nifti, code="not_4d")
    bvals = _read_numbers(bval, "b-value")
    bvecs = _read_numbers(bvec, "b-vector")
    bvals, bvecs = _check_gradients(bvals, bvecs, data.shape[3], b0_threshold, {"bval": bval, "bvec": bvec})
    return DWI(data=data, affine=np.asarray(img.affine, dtype=float), bvals=bvals, bvecs=bvecs, path=nifti)


def fit_tensor(
    dwi4d: Any,
    bvals: np.ndarray | Sequence[float] | None = None,
    bvecs: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    fit_method: str = "WLS",
    b0_threshold: float = 50.0,
) -> dict[str, np.ndarray]:
    """Fit the diffusion tensor voxel-wise; returns ``{"FA", "MD", "AD", "RD"}`` 3D float arrays.

    ``dwi4d`` is an ``(X, Y, Z, N)`` array (or a :class:`DWI`, whose gradients are used when
    ``bvals``/``bvecs`` are None). Voxels outside ``mask`` and voxels where the fit is undefined
    (e.g. zero signal) are 0.
    """
    from dipy.core.gradients import gradient_table
    from dipy.reconst.dti import TensorModel

    path = None
    if isinstance(dwi4d, DWI):
        path = dwi4d.path
        bvals = dwi4d.bvals if bvals is None else bvals
        bvecs = dwi4d.bvecs if bvecs is None else bvecs
        data = dwi4d.data
    else:
        data = np.asarray(dwi4d, dtype=np.float64)
    if bvals is None or bvecs is None:
        raise RadiomeError("fit_tensor needs b-values and b-vectors")
    if data.ndim != 4:
        raise RadiomeError(f"DWI must be 4D, got shape {tuple(data.shape)}", path=path)
    bvals, bvecs = _check_gradients(np.asarray(bvals), np.asarray(bvecs), data.shape[3], b0_threshold,
                                    {"bval": path, "bvec": path})
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim == 4 and mask.shape[3] == 1:
            mask = mask[..., 0]
        if mask.shape != data.shape[:3]:
            raise GeometryError(f"mask grid {mask.shape} does not match the DWI grid {data.shape[:3]}", path=path)
        mask = np.nan_to_num(mask.astype(float)) > 0
    try:
        gtab = gradient_table(bvals, bvecs=bvecs, b0_threshold=b0_threshold)
        model = TensorModel(gtab, fit_method=fit_method)
        fit = model.fit(data, mask=mask)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise RadiomeError(f"tensor fit failed: {exc}", path=path) from exc
    out = {"FA": fit.fa, "MD": fit.md, "AD": fit.ad, "RD": fit.rd}
    res = {}
    for k, v in out.items():
        v = np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if mask is not None:
            v = np.where(mask, v, 0.0)
        res[k] = v
    return res


def write_maps(maps: Mapping[str, np.ndarray], affine: np.ndarray, prefix: str | Path) -> dict[str, Path]:
    """Write each map to ``{prefix}_{name}.nii.gz`` (float32) atomically; returns name -> path."""
    import nibabel as nib

    paths = {}
    for name, arr in maps.items():
        target = Path(f"{prefix}_{name}.nii.gz")
        img = nib.Nifti1Image(np.asarray(arr, dtype=np.float32), np.asarray(affine, dtype=float))
        img.header.set_xyzt_units("mm")
        with atomic_path(target) as tmp:
            nib.save(img, str(tmp))
        paths[name] = target
    return paths


def regional_dti(
    maps: Mapping[str, Any],
    atlas: Any,
    names: Mapping[int, str] | Sequence[str] | None = None,
    labels: Sequence[int] | None = None,
) -> dict[str, float]:
    """Mean of each DTI map in each atlas ROI; keys ``dti_{map}_{roi}`` (e.g. ``dti_FA_roi_3``).

    ``maps``: name -> 3D array (or NIfTI image/path), e.g. the output of :func:`fit_tensor`;
    ``atlas``: 3D label array, image or path on the same grid; ``names`` as in
    :func:`radiome.anat.regional.regional_volumes`.
    """
    from radiome.anat.regional import _names, label_means

    out: dict[str, float] = {}
    for key, img in maps.items():
        means = label_means(img, atlas, labels=labels)
        labs = list(means)
        for roi, lab in zip(_names(labs, names), labs):
            out[f"dti_{key}_{roi}"] = float(means[lab])
    return out
