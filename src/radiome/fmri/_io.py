"""Reading 4D BOLD series and writing voxel-wise maps, with errors that name the file.

:func:`load_bold` returns plain numpy arrays ``(data, mask, tr, affine)`` so every metric in
:mod:`radiome.fmri` is a small pure function on arrays. The repetition time comes from the NIfTI
header (``pixdim[4]``, converted from msec/usec to seconds according to ``xyzt_units``) unless it
is given explicitly. :func:`save_map` writes a 3D float32 NIfTI atomically
(:func:`radiome._atomic.write_atomic`: temporary name in the same folder, then ``os.replace``).

:func:`clean` wraps :func:`nilearn.signal.clean` (confound regression, detrending, Butterworth
filtering) on the in-mask series and returns the settings it used, for the run record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from radiome._atomic import write_atomic
from radiome.errors import RadiomeError

__all__ = ["load_bold", "load_mask", "save_map", "clean", "check_bold"]

_TIME_SCALE = {"sec": 1.0, "msec": 1e-3, "usec": 1e-6}


def load_bold(
    path: str | Path,
    mask_path: str | Path | None = None,
    tr: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Read a 4D BOLD NIfTI and its brain mask.

    Returns ``(data, mask, tr, affine)``: ``data`` is float32 (float64 if stored as float64) with
    shape ``(X, Y, Z, T)``; ``mask`` is a boolean ``(X, Y, Z)`` array; ``tr`` is in seconds.
    Without ``mask_path`` the mask is every voxel whose series is finite and not constant.

    Raises :class:`RadiomeError` naming the file when the image is not 4D, the mask grid differs
    from the BOLD's first three dimensions, the (in-mask) data contain NaN/Inf, the TR is missing
    or not positive, or the mask is empty.
    """
    path = Path(path)
    img = _load(path)
    if img.ndim != 4:
        raise RadiomeError(
            f"BOLD image must be 4D (x, y, z, time); got {img.ndim}D with shape {tuple(img.shape)}",
            path=path,
            code="not_4d",
        )
    stored = img.get_data_dtype()
    dtype = np.float64 if stored == np.float64 else np.float32
    data = np.asarray(img.dataobj, dtype=dtype)
    if isinstance(data, np.memmap) or not data.flags.writeable:
        data = np.array(data)  # own, writable copy: out-of-mask voxels are zeroed below
    if data.shape[3] < 3:
        raise RadiomeError(f"BOLD series has only {data.shape[3]} time points", path=path, code="too_short")

    if tr is None:
        tr = _header_tr(img, path)
    elif not np.isfinite(tr) or tr <= 0:
        raise RadiomeError(f"TR must be positive, got {tr}", path=path, code="bad_tr")

    if mask_path is not None:
        mask_path = Path(mask_path)
        mimg = _load(mask_path)
        mdata = np.asarray(mimg.dataobj)
        if mdata.ndim == 4 and mdata.shape[3] == 1:
            mdata = mdata[..., 0]
        if mdata.shape != data.shape[:3]:
            raise RadiomeError(
                f"mask shape {tuple(mdata.shape)} does not match the BOLD grid {tuple(data.shape[:3])} "
                f"of {str(path)!r}",
                path=mask_path,
                code="geometry_mismatch",
            )
        if not np.allclose(mimg.affine, img.affine, atol=1e-3):
            raise RadiomeError(
                f"mask affine differs from the BOLD affine of {str(path)!r}", path=mask_path, code="geometry_mismatch"
            )
        mask = np.nan_to_num(mdata.astype(np.float64)) > 0
        if not mask.any():
            raise RadiomeError("mask is empty (no voxel > 0)", path=mask_path, code="mask_invalid")
        bad = ~np.isfinite(data[mask])
        if bad.any():
            n = int(bad.any(axis=1).sum())
            raise RadiomeError(f"NaN or Inf in {n} in-mask voxel series", path=path, code="nan")
        data[~mask] = 0
    else:
        finite = np.isfinite(data)
        if not finite.all():
            n = int((~finite.all(axis=3)).sum())
            raise RadiomeError(
                f"NaN or Inf in {n} voxel series (give a mask to exclude them)", path=path, code="nan"
            )
        mask = data.max(axis=3) > data.min(axis=3)
        if not mask.any():
            raise RadiomeError("no voxel has a non-constant time series (empty mask)", path=path, code="mask_invalid")
    return data, mask, float(tr), np.asarray(img.affine, dtype=np.float64)


def load_mask(path: str | Path, shape: tuple[int, ...], affine: np.ndarray | None = None) -> np.ndarray:
    """Read a 3D mask (voxels > 0) and check it lies on the grid ``shape`` (and ``affine``)."""
    path = Path(path)
    img = _load(path)
    arr = np.asarray(img.dataobj)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.shape != tuple(shape[:3]):
        raise RadiomeError(
            f"mask shape {tuple(arr.shape)} does not match the BOLD grid {tuple(shape[:3])}",
            path=path,
            code="geometry_mismatch",
        )
    if affine is not None and not np.allclose(img.affine, affine, atol=1e-3):
        raise RadiomeError("mask affine differs from the BOLD affine", path=path, code="geometry_mismatch")
    mask = np.nan_to_num(arr.astype(np.float64)) > 0
    if not mask.any():
        raise RadiomeError("mask is empty (no voxel > 0)", path=path, code="mask_invalid")
    return mask


def _load(path: Path) -> Any:
    import nibabel as nib

    if not path.exists():
        raise RadiomeError("file not found", path=path, code="file_not_found")
    try:
        return nib.load(str(path))
    except Exception as exc:  # nibabel raises many types for unreadable files
        raise RadiomeError(f"cannot read image: {exc}", path=path, code="unreadable") from exc


def _header_tr(img: Any, path: Path) -> float:
    zooms = img.header.get_zooms()
    if len(zooms) < 4:
        raise RadiomeError("TR missing from the header (no 4th zoom); pass tr explicitly", path=path, code="bad_tr")
    tr = float(zooms[3])
    try:
        unit = img.header.get_xyzt_units()[1]
    except Exception:
        unit = "unknown"
    tr *= _TIME_SCALE.get(unit, 1.0)
    if not np.isfinite(tr) or tr <= 0:
        raise RadiomeError(
            f"TR missing or not positive in the header (pixdim[4]={zooms[3]}); pass tr explicitly",
            path=path,
            code="bad_tr",
        )
    return tr


def check_bold(data: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate array inputs of the metric functions; return ``(data, mask as bool)``."""
    data = np.asarray(data)
    mask = np.asarray(mask).astype(bool)
    if data.ndim != 4:
        raise RadiomeError(f"BOLD data must be 4D (x, y, z, time); got shape {data.shape}", code="not_4d")
    if mask.shape != data.shape[:3]:
        raise RadiomeError(
            f"mask shape {mask.shape} does not match the BOLD grid {data.shape[:3]}", code="geometry_mismatch"
        )
    if not mask.any():
        raise RadiomeError("mask is empty", code="mask_invalid")
    return data, mask


def save_map(array3d: np.ndarray, affine: np.ndarray, path: str | Path) -> Path:
    """Write a 3D map as float32 NIfTI atomically (temp file in the same folder, then rename)."""
    import nibabel as nib

    arr = np.asarray(array3d, dtype=np.float32)
    if arr.ndim != 3:
        raise RadiomeError(f"a map must be 3D, got shape {arr.shape}", path=path)
    img = nib.Nifti1Image(arr, np.asarray(affine, dtype=np.float64))
    img.header.set_xyzt_units("mm", "sec")
    return write_atomic(path, lambda tmp: nib.save(img, str(tmp)))


def clean(
    data: np.ndarray,
    mask: np.ndarray,
    tr: float,
    confounds: np.ndarray | None = None,
    detrend: bool = True,
    standardize: bool = False,
    low_pass: float | None = None,
    high_pass: float | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Confound regression / detrending / filtering of the in-mask series with nilearn.

    Returns the cleaned 4D array (out-of-mask voxels 0) and a dict recording the settings, so a run
    record can state exactly what was done. ``confounds`` is a ``(T, k)`` array.
    """
    from nilearn.signal import clean as nl_clean

    data, mask = check_bold(data, mask)
    series = data[mask].T.astype(np.float64)  # (T, V)
    if confounds is not None:
        confounds = np.asarray(confounds, dtype=np.float64)
        if confounds.ndim == 1:
            confounds = confounds[:, None]
        if confounds.shape[0] != series.shape[0]:
            raise RadiomeError(
                f"confounds have {confounds.shape[0]} rows but the BOLD series has {series.shape[0]} time points",
                code="confounds",
            )
    out = nl_clean(
        series,
        detrend=detrend,
        standardize="zscore_sample" if standardize else None,
        confounds=confounds,
        low_pass=low_pass,
        high_pass=high_pass,
        t_r=tr,
        filter="butterworth" if (low_pass or high_pass) else False,
    )
    cleaned = np.zeros(data.shape, dtype=data.dtype if data.dtype.kind == "f" else np.float32)
    cleaned[mask] = out.T
    settings = {
        "tool": "nilearn.signal.clean",
        "detrend": bool(detrend),
        "standardize": "zscore_sample" if standardize else False,
        "confounds": None if confounds is None else int(confounds.shape[1]),
        "low_pass_hz": low_pass,
        "high_pass_hz": high_pass,
        "filter": "butterworth" if (low_pass or high_pass) else None,
        "tr_s": float(tr),
    }
    return cleaned, settings
