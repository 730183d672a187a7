"""Reading and writing 3D images and label masks.

SimpleITK does the pixel I/O and keeps the physical geometry (spacing, origin, direction) for
NIfTI (``.nii``, ``.nii.gz``), NRRD (``.nrrd``, ``.nhdr``), MetaImage (``.mha``, ``.mhd``) and DICOM
series folders (see :mod:`radiome.io.dicom`). Arrays follow SimpleITK's convention: a volume of
size (x, y, z) is the numpy array ``[z, y, x]``.

Everything here raises :class:`radiome.errors.RadiomeError` subclasses naming the file and the
patient, never a bare SimpleITK ``RuntimeError``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import SimpleITK as sitk

from radiome._atomic import atomic_path
from radiome.errors import GeometryError, ImageReadError, MaskError

IMAGE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(IMAGE_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _sitk_message(exc: Exception) -> str:
    """The useful last line of a SimpleITK/ITK exception text."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.lower().startswith("description:"):
            return ln.split(":", 1)[1].strip()
    return lines[-1] if lines else exc.__class__.__name__


def read_image(
    path: str | Path, *, patient: str | None = None, role: str = "image", allow_nonfinite: bool = False
) -> sitk.Image:
    """Read a 3D scalar image from a file or a DICOM series folder.

    Parameters
    ----------
    path:
        NIfTI/NRRD/MetaImage file, or a folder holding one DICOM series.
    patient:
        Patient id, used only to name the patient in error messages.
    role:
        ``"image"`` or ``"mask"`` (or any word), used in error messages.
    allow_nonfinite:
        By default an image holding NaN or Inf raises :class:`ImageReadError` (code
        ``image_nonfinite``) rather than giving silently wrong features downstream.

    A 4D file whose fourth dimension has length 1 is accepted as 3D. Anything else that is not a
    3D scalar volume raises :class:`ImageReadError`.
    """
    p = Path(path)
    if not p.exists():
        raise ImageReadError(f"{role} file not found", path=p, patient=patient, code="file_not_found")
    if p.is_dir():
        from radiome.io.dicom import read_dicom_series

        img = read_dicom_series(p, patient=patient)
    else:
        suffix = _suffix(p)
        if suffix not in IMAGE_SUFFIXES and suffix != ".dcm":
            raise ImageReadError(
                f"unsupported {role} format {suffix or '(no extension)'!r}; "
                f"use one of {', '.join(IMAGE_SUFFIXES)} or a DICOM series folder",
                path=p,
                patient=patient,
                code="unsupported_format",
            )
        try:
            img = sitk.ReadImage(str(p))
        except RuntimeError as exc:
            raise ImageReadError(f"unreadable {role}: {_sitk_message(exc)}", path=p, patient=patient) from None
    img = _as_3d_scalar(img, p, patient, role)
    if not allow_nonfinite:
        n_nan, n_inf = count_nonfinite(p, img)
        if n_nan or n_inf:
            raise ImageReadError(
                f"{role} has {n_nan} NaN and {n_inf} Inf voxels", path=p, patient=patient, code="image_nonfinite"
            )
    return img


def count_nonfinite(path: Path, image: sitk.Image) -> tuple[int, int]:
    """Number of NaN and Inf voxels of an image as stored in its file.

    ITK's NIfTI reader silently turns NaN and Inf into 0, so for a floating-point NIfTI file the
    stored values are counted with nibabel; for other formats the SimpleITK array is counted.
    """
    if path.is_file() and _suffix(path) in (".nii", ".nii.gz"):
        nii = nib.load(str(path))
        if not np.issubdtype(nii.get_data_dtype(), np.floating):
            return 0, 0
        arr = np.asanyarray(nii.dataobj)
    else:
        arr = sitk.GetArrayViewFromImage(image)
        if not np.issubdtype(arr.dtype, np.floating):
            return 0, 0
    return int(np.isnan(arr).sum()), int(np.isinf(arr).sum())


def _as_3d_scalar(img: sitk.Image, path: Path, patient: str | None, role: str) -> sitk.Image:
    if img.GetNumberOfComponentsPerPixel() != 1:
        raise ImageReadError(
            f"{role} has {img.GetNumberOfComponentsPerPixel()} components per voxel; a scalar volume is required",
            path=path,
            patient=patient,
        )
    dim = img.GetDimension()
    if dim == 4 and img.GetSize()[3] == 1:
        size = list(img.GetSize())
        size[3] = 0
        img = sitk.Extract(img, size, [0, 0, 0, 0])
        dim = 3
    if dim != 3:
        raise ImageReadError(
            f"{role} is {dim}D with size {img.GetSize()}; a 3D volume is required",
            path=path,
            patient=patient,
            code="not_3d",
        )
    return img


def read_mask(path: str | Path, *, patient: str | None = None, role: str = "mask") -> sitk.Image:
    """Read a binary or multi-label mask and return it as an unsigned integer image.

    Raises :class:`MaskError` if the mask holds non-integer, negative or non-finite values (a
    probability map or a resampled-with-linear-interpolation mask is a common mistake).
    """
    img = read_image(path, patient=patient, role=role)
    arr = sitk.GetArrayViewFromImage(img)
    if np.issubdtype(arr.dtype, np.floating):
        frac = arr[arr != np.round(arr)]
        if frac.size:
            raise MaskError(
                f"{role} is not a label image: {frac.size} voxels hold non-integer values "
                f"(e.g. {float(frac.flat[0]):g}); threshold or round it first",
                path=path,
                patient=patient,
                code="mask_not_integer",
            )
    if arr.size and arr.min() < 0:
        raise MaskError(
            f"{role} holds negative label values (min {arr.min()})", path=path, patient=patient, code="mask_not_integer"
        )
    out_type = sitk.sitkUInt8 if (arr.size == 0 or arr.max() < 256) else sitk.sitkUInt32
    if img.GetPixelID() != out_type:
        img = sitk.Cast(img, out_type)
    return img


def write_image(image: sitk.Image, path: str | Path, *, compress: bool = True) -> Path:
    """Write ``image`` atomically; the format follows the extension (``.nii.gz``, ``.nrrd``, ...)."""
    path = Path(path)
    if _suffix(path) in (".mhd", ".nhdr"):
        # detached header: the header names its data file, so write both under their final names in
        # a temporary folder, then move the data file(s) first and the header last.
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as tmpdir:
            sitk.WriteImage(image, str(Path(tmpdir) / path.name), useCompression=compress)
            for f in sorted(Path(tmpdir).iterdir(), key=lambda f: f.name == path.name):
                os.replace(f, path.parent / f.name)
        return path
    with atomic_path(path) as tmp:
        sitk.WriteImage(image, str(tmp), useCompression=compress)
    return path


def to_array(image: sitk.Image) -> np.ndarray:
    """Copy of the voxel array in ``[z, y, x]`` order."""
    return sitk.GetArrayFromImage(image)


@dataclass(frozen=True)
class Geometry:
    """The voxel grid of an image: size and spacing in (x, y, z), origin in mm, direction row-major."""

    size: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...]

    @classmethod
    def of(cls, image: sitk.Image) -> "Geometry":
        return cls(
            size=tuple(int(s) for s in image.GetSize()),
            spacing=tuple(float(s) for s in image.GetSpacing()),
            origin=tuple(float(o) for o in image.GetOrigin()),
            direction=tuple(float(d) for d in image.GetDirection()),
        )

    @property
    def voxel_volume(self) -> float:
        """Volume of one voxel in mm^3."""
        return float(np.prod(self.spacing))


@dataclass(frozen=True)
class GeometryTolerance:
    """How far a mask's grid may be from its image's and still count as the same grid.

    ``spacing`` and ``origin`` are absolute, in mm; ``direction`` is absolute on the cosines.
    """

    spacing: float = 1e-3
    origin: float = 1e-3
    direction: float = 1e-4


def _fmt(v: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{x:.6g}" for x in v) + ")"


def geometry_differences(
    image: Geometry, mask: Geometry, tol: GeometryTolerance = GeometryTolerance()
) -> dict[str, str]:
    """Describe each way in which ``mask``'s grid differs from ``image``'s.

    Returns a dict keyed by ``"size"``, ``"spacing"``, ``"origin"`` and ``"direction"`` (only those
    that differ beyond the tolerance) with a human-readable ``image ... vs mask ...`` text.
    """
    diffs: dict[str, str] = {}
    if image.size != mask.size:
        diffs["size"] = f"size image {image.size} vs mask {mask.size}"
    if np.max(np.abs(np.subtract(image.spacing, mask.spacing))) > tol.spacing:
        diffs["spacing"] = f"spacing image {_fmt(image.spacing)} vs mask {_fmt(mask.spacing)} mm"
    if np.max(np.abs(np.subtract(image.origin, mask.origin))) > tol.origin:
        diffs["origin"] = f"origin image {_fmt(image.origin)} vs mask {_fmt(mask.origin)} mm"
    if np.max(np.abs(np.subtract(image.direction, mask.direction))) > tol.direction:
        diffs["direction"] = f"direction image {_fmt(image.direction)} vs mask {_fmt(mask.direction)}"
    return diffs


def check_same_grid(
    image: sitk.Image,
    mask: sitk.Image,
    *,
    tol: GeometryTolerance = GeometryTolerance(),
    path: str | Path | None = None,
    patient: str | None = None,
) -> None:
    """Raise :class:`GeometryError` if ``mask`` is not on ``image``'s voxel grid."""
    diffs = geometry_differences(Geometry.of(image), Geometry.of(mask), tol)
    if diffs:
        raise GeometryError("mask does not match image geometry: " + "; ".join(diffs.values()), path=path, patient=patient)


def resample_mask_to_image(mask: sitk.Image, image: sitk.Image) -> sitk.Image:
    """Resample a label mask onto ``image``'s grid by nearest neighbour (labels are never blended)."""
    return sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())


def physical_bounds(geom: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned bounding box (min, max) in mm of the voxel centres of a grid."""
    d = np.asarray(geom.direction).reshape(3, 3)
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float)
    idx = corners * (np.asarray(geom.size) - 1)
    pts = np.asarray(geom.origin) + (idx * np.asarray(geom.spacing)) @ d.T
    return pts.min(axis=0), pts.max(axis=0)


def label_voxel_counts(mask_array: np.ndarray) -> dict[int, int]:
    """Number of voxels of every non-zero label in an integer mask array."""
    counts = np.bincount(np.asarray(mask_array, dtype=np.int64).ravel())
    return {int(lbl): int(n) for lbl, n in enumerate(counts) if lbl != 0 and n > 0}
