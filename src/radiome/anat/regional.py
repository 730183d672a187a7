"""Regional structural measures from a label image (atlas or segmentation) on the T1 grid.

* :func:`regional_volumes` - ROI volume = voxel count x voxel volume (mm^3), features
  ``t1_vol_{roi}``;
* :func:`regional_intensity` - mean T1 intensity per ROI, ``t1_mean_{roi}``;
* :func:`gm_regional_sums` - grey-matter volume per ROI as the sum of the GM probabilities times the
  voxel volume (the "modulated"/partial-volume estimate used in VBM/SPM ``spm_summarise``),
  ``gm_vol_{roi}``;
* :func:`total_intracranial_volume` - sum of tissue probabilities (GM + WM + CSF) or of a binary
  intracranial mask times the voxel volume.

The voxel volume is ``|det(A)|`` of the 3 x 3 part of the NIfTI affine ``A`` (equal to the product
of the zooms for an unsheared grid). Images must share the label image's grid (shape and affine
within 1e-3) or :class:`radiome.errors.GeometryError` names the offending file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from radiome.errors import GeometryError, ImageReadError, MaskError, RadiomeError

__all__ = [
    "gm_regional_sums",
    "label_means",
    "regional_intensity",
    "regional_volumes",
    "total_intracranial_volume",
    "voxel_volume",
]

Names = Mapping[int, str] | Sequence[str] | None


def _load(x: Any, role: str) -> tuple[np.ndarray, np.ndarray | None, Path | None]:
    """(array, affine or None, path or None) from a path, a nibabel image or an array."""
    if isinstance(x, (str, Path)):
        import nibabel as nib

        path = Path(x)
        if not path.exists():
            raise ImageReadError(f"{role} file not found", path=path, code="file_not_found")
        try:
            img = nib.load(str(path))
            return np.asarray(img.dataobj), np.asarray(img.affine, dtype=float), path
        except Exception as exc:
            raise ImageReadError(f"cannot read the {role}: {exc}", path=path) from exc
    if hasattr(x, "dataobj") and hasattr(x, "affine"):
        fn = getattr(x, "get_filename", lambda: None)()
        return np.asarray(x.dataobj), np.asarray(x.affine, dtype=float), Path(fn) if fn else None
    return np.asarray(x), None, None


def _squeeze3d(a: np.ndarray, role: str, path: Path | None) -> np.ndarray:
    if a.ndim == 4 and a.shape[3] == 1:
        a = a[..., 0]
    if a.ndim != 3:
        raise RadiomeError(f"{role} must be 3D, got shape {tuple(a.shape)}", path=path)
    return a


def voxel_volume(affine: np.ndarray) -> float:
    """Voxel volume in mm^3: ``|det|`` of the affine's 3 x 3 part."""
    return float(abs(np.linalg.det(np.asarray(affine, dtype=float)[:3, :3])))


def _check_same_grid(ref_shape, ref_affine, ref_path, shape, affine, path, role: str) -> None:
    if tuple(shape) != tuple(ref_shape):
        raise GeometryError(
            f"{role} grid {tuple(shape)} does not match the label image grid {tuple(ref_shape)}"
            + (f" of {str(ref_path)!r}" if ref_path else ""),
            path=path or ref_path,
        )
    if ref_affine is not None and affine is not None and not np.allclose(ref_affine, affine, atol=1e-3):
        raise GeometryError(
            f"{role} affine differs from the label image affine" + (f" of {str(ref_path)!r}" if ref_path else ""),
            path=path or ref_path,
        )


def _labels(lab: np.ndarray, labels: Sequence[int] | None, path: Path | None) -> tuple[np.ndarray, list[int]]:
    if np.issubdtype(lab.dtype, np.floating):
        if not np.all(np.isfinite(lab)) or not np.all(np.mod(lab, 1) == 0):
            raise MaskError("label image values are not integers", path=path)
    lab = lab.astype(np.int64)
    present = [int(v) for v in np.unique(lab) if v > 0]
    if labels is None:
        if not present:
            raise MaskError("label image has no label > 0", path=path)
        return lab, present
    labels = [int(v) for v in labels]
    absent = sorted(set(labels) - set(present))
    if absent:
        raise MaskError(f"label(s) {absent} not found in the label image", path=path)
    return lab, labels


def _names(labels: Sequence[int], names: Names) -> list[str]:
    if names is None:
        return [f"roi_{v}" for v in labels]
    if isinstance(names, Mapping):
        return [str(names.get(v, f"roi_{v}")) for v in labels]
    names = [str(n) for n in names]
    if len(names) != len(labels):
        raise RadiomeError(f"{len(names)} ROI names for {len(labels)} labels")
    return names


def _sums_counts(lab: np.ndarray, labels: Sequence[int], values: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-label sum of ``values`` (or nothing) and voxel count, by one ``np.bincount`` each."""
    flat = lab.reshape(-1)
    size = int(max(flat.max(initial=0), max(labels))) + 1
    counts = np.bincount(flat.clip(0), minlength=size)[labels].astype(float)
    if values is None:
        return counts, counts
    sums = np.bincount(flat.clip(0), weights=values.reshape(-1).astype(np.float64), minlength=size)[labels]
    return sums, counts


def _prepare(label_img: Any, labels: Sequence[int] | None, affine: np.ndarray | None):
    lab, laff, lpath = _load(label_img, "label image")
    lab = _squeeze3d(lab, "label image", lpath)
    if laff is None:
        laff = None if affine is None else np.asarray(affine, dtype=float)
    lab, labs = _labels(lab, labels, lpath)
    return lab, laff, lpath, labs


def _values(img: Any, role: str, lab: np.ndarray, laff, lpath) -> tuple[np.ndarray, Path | None]:
    arr, aff, path = _load(img, role)
    arr = _squeeze3d(arr, role, path)
    _check_same_grid(lab.shape, laff, lpath, arr.shape, aff, path, role)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr[lab > 0])):
        raise RadiomeError(f"{role} holds NaN or Inf inside the labels", path=path)
    return arr, path


def label_means(values: Any, label_img: Any, labels: Sequence[int] | None = None) -> dict[int, float]:
    """Mean of ``values`` in each label (``label -> mean``); grids must match."""
    lab, laff, lpath, labs = _prepare(label_img, labels, None)
    arr, _ = _values(values, "image", lab, laff, lpath)
    sums, counts = _sums_counts(lab, labs, arr)
    return dict(zip(labs, (sums / counts).tolist()))


def regional_volumes(
    label_img: Any, names: Names = None, labels: Sequence[int] | None = None, affine: np.ndarray | None = None
) -> dict[str, float]:
    """Volume of each ROI in mm^3: voxel count x ``|det(affine[:3, :3])|``; keys ``t1_vol_{roi}``.

    ``label_img`` is a NIfTI path or nibabel image (or an array with ``affine`` given). ``names`` maps
    labels to ROI names (or lists them in label order); default ``roi_{label}``.
    """
    lab, laff, lpath, labs = _prepare(label_img, labels, affine)
    if laff is None:
        raise RadiomeError("regional volumes need the voxel size: pass a NIfTI image or an affine")
    counts, _ = _sums_counts(lab, labs, None)
    vv = voxel_volume(laff)
    return {f"t1_vol_{n}": float(c * vv) for n, c in zip(_names(labs, names), counts)}


def regional_intensity(
    t1: Any, label_img: Any, names: Names = None, labels: Sequence[int] | None = None
) -> dict[str, float]:
    """Mean T1 intensity in each ROI; keys ``t1_mean_{roi}``."""
    lab, laff, lpath, labs = _prepare(label_img, labels, None)
    arr, _ = _values(t1, "T1 image", lab, laff, lpath)
    sums, counts = _sums_counts(lab, labs, arr)
    return {f"t1_mean_{n}": float(s / c) for n, s, c in zip(_names(labs, names), sums, counts)}


def gm_regional_sums(
    gm_prob_map: Any, label_img: Any, names: Names = None, labels: Sequence[int] | None = None
) -> dict[str, float]:
    """Grey-matter volume per ROI in mm^3: ``sum(p_GM) x voxel volume``; keys ``gm_vol_{roi}``.

    The GM probability map must lie in [0, 1] (a small tolerance is allowed).
    """
    lab, laff, lpath, labs = _prepare(label_img, labels, None)
    arr, gpath = _values(gm_prob_map, "GM probability map", lab, laff, lpath)
    inside = arr[lab > 0]
    if inside.min() < -1e-6 or inside.max() > 1 + 1e-6:
        raise RadiomeError(
            f"GM probability map values span [{inside.min():g}, {inside.max():g}], expected [0, 1]", path=gpath
        )
    if laff is None:
        raise RadiomeError("GM volumes need the voxel size: pass NIfTI images")
    sums, _ = _sums_counts(lab, labs, arr)
    vv = voxel_volume(laff)
    return {f"gm_vol_{n}": float(s * vv) for n, s in zip(_names(labs, names), sums)}


def total_intracranial_volume(*tissue_maps: Any) -> float:
    """Total intracranial volume in mm^3: ``sum over voxels of sum(tissue maps) x voxel volume``.

    Pass the GM, WM and CSF probability maps (SPM/FSL FAST style), or one binary intracranial mask.
    The voxel-wise sum is clipped to [0, 1]. All maps must share one grid (NIfTI paths/images).
    """
    if not tissue_maps:
        raise RadiomeError("total_intracranial_volume needs at least one tissue map")
    ref, raff, rpath = _load(tissue_maps[0], "tissue map")
    ref = _squeeze3d(ref, "tissue map", rpath).astype(np.float64)
    if raff is None:
        raise RadiomeError("TIV needs the voxel size: pass NIfTI paths or images")
    total = np.nan_to_num(ref)
    for tm in tissue_maps[1:]:
        arr, aff, path = _load(tm, "tissue map")
        arr = _squeeze3d(arr, "tissue map", path)
        _check_same_grid(ref.shape, raff, rpath, arr.shape, aff, path, "tissue map")
        total = total + np.nan_to_num(arr.astype(np.float64))
    return float(np.clip(total, 0.0, 1.0).sum() * voxel_volume(raff))
