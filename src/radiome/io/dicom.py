"""DICOM series: pixels and geometry through SimpleITK, report tags through pydicom.

SimpleITK's GDCM-based series reader sorts the slices along the slice normal and builds the
volume with its true spacing, origin and direction. Before reading, the slice positions are
checked here (with pydicom, headers only) so that a missing slice or irregular spacing is reported
as such instead of silently producing a distorted volume. pydicom then reads the acquisition tags a
methods section needs (modality, field strength, sequence, TR/TE, slice thickness, manufacturer).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.errors import InvalidDicomError

from radiome.errors import ImageReadError


@dataclass(frozen=True)
class SeriesInfo:
    """One DICOM series found in a folder."""

    uid: str
    description: str
    files: tuple[Path, ...]


def _dicom_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def list_series(folder: str | Path, *, patient: str | None = None) -> list[SeriesInfo]:
    """List the image series in ``folder`` (not recursive); non-DICOM files are ignored."""
    folder = Path(folder)
    by_uid: dict[str, list[tuple[Path, Any]]] = {}
    for f in _dicom_files(folder):
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except (InvalidDicomError, OSError, EOFError, ValueError, AttributeError):
            continue
        if "PixelData" not in ds and not hasattr(ds, "Rows"):
            continue  # e.g. an RTSTRUCT or DICOMDIR
        uid = str(getattr(ds, "SeriesInstanceUID", "") or "")
        by_uid.setdefault(uid, []).append((f, ds))
    out = []
    for uid, items in by_uid.items():
        desc = str(getattr(items[0][1], "SeriesDescription", "") or "")
        out.append(SeriesInfo(uid=uid, description=desc, files=tuple(p for p, _ in items)))
    return out


def _check_slice_positions(files: list[Path], folder: Path, patient: str | None) -> list[Path]:
    """Sort slices along the normal and reject missing slices / irregular spacing."""
    positions = []
    normal = None
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        ipp = getattr(ds, "ImagePositionPatient", None)
        iop = getattr(ds, "ImageOrientationPatient", None)
        if ipp is None or iop is None:
            raise ImageReadError(
                f"DICOM file {f.name} lacks ImagePositionPatient/ImageOrientationPatient; cannot place the slice",
                path=folder,
                patient=patient,
            )
        if normal is None:
            row, col = np.asarray(iop[:3], float), np.asarray(iop[3:], float)
            normal = np.cross(row, col)
        positions.append(float(np.dot(np.asarray(ipp, float), normal)))
    order = np.argsort(positions)
    pos = np.asarray(positions)[order]
    if len(pos) > 2:
        gaps = np.diff(pos)
        if np.any(gaps < 1e-3):
            raise ImageReadError(
                "DICOM series has two slices at the same position (duplicate or mixed series)",
                path=folder,
                patient=patient,
            )
        med = float(np.median(gaps))
        bad = np.abs(gaps - med) > max(0.01 * med, 1e-3)
        if np.any(bad):
            where = ", ".join(f"{g:.3g} mm" for g in gaps[bad][:3])
            raise ImageReadError(
                f"DICOM series has irregular slice spacing (median {med:.4g} mm, but gaps of {where}): "
                "missing slices or a mixed series",
                path=folder,
                patient=patient,
            )
    return [files[i] for i in order]


def read_dicom_series(
    folder: str | Path, *, series_uid: str | None = None, patient: str | None = None
) -> sitk.Image:
    """Read one DICOM series from ``folder`` as a 3D image with its physical geometry.

    If the folder holds several series, ``series_uid`` must name one; otherwise the error lists them.
    Rescale slope/intercept are applied (SimpleITK does this), so CT values are in HU.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageReadError("DICOM series folder not found", path=folder, patient=patient, code="file_not_found")
    series = list_series(folder, patient=patient)
    if not series:
        raise ImageReadError("folder holds no readable DICOM image files", path=folder, patient=patient)
    if series_uid is not None:
        series = [s for s in series if s.uid == series_uid]
        if not series:
            raise ImageReadError(f"no DICOM series with SeriesInstanceUID {series_uid}", path=folder, patient=patient)
    if len(series) > 1:
        listing = "; ".join(f"{s.uid} ({s.description or 'no description'}, {len(s.files)} files)" for s in series)
        raise ImageReadError(
            f"folder holds {len(series)} DICOM series; keep one per folder or name its SeriesInstanceUID: {listing}",
            path=folder,
            patient=patient,
        )
    files = _check_slice_positions(list(series[0].files), folder, patient)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(f) for f in files])
    try:
        return reader.Execute()
    except RuntimeError as exc:
        from radiome.io.images import _sitk_message

        raise ImageReadError(f"unreadable DICOM series: {_sitk_message(exc)}", path=folder, patient=patient) from None


@dataclass(frozen=True)
class DicomMetadata:
    """Acquisition tags for a methods section (None where the tag is absent)."""

    modality: str | None = None
    manufacturer: str | None = None
    manufacturer_model: str | None = None
    magnetic_field_strength_t: float | None = None
    sequence_name: str | None = None
    scanning_sequence: str | None = None
    series_description: str | None = None
    repetition_time_ms: float | None = None
    echo_time_ms: float | None = None
    slice_thickness_mm: float | None = None
    pixel_spacing_mm: tuple[float, float] | None = None
    n_slices: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tag(ds: Any, name: str, cast: type = str) -> Any:
    v = getattr(ds, name, None)
    if v is None or v == "":
        return None
    if isinstance(v, pydicom.multival.MultiValue):
        v = "\\".join(str(x) for x in v)
    try:
        return cast(v)
    except (TypeError, ValueError):
        return None


def dicom_metadata(path: str | Path, *, patient: str | None = None) -> DicomMetadata:
    """Read the report tags from a DICOM file or from the first file of the series in a folder."""
    path = Path(path)
    n_slices = None
    if path.is_dir():
        series = list_series(path, patient=patient)
        if not series:
            raise ImageReadError("folder holds no readable DICOM image files", path=path, patient=patient)
        n_slices = len(series[0].files)
        path = series[0].files[0]
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, EOFError) as exc:
        raise ImageReadError(f"unreadable DICOM file: {exc}", path=path, patient=patient) from None
    ps = getattr(ds, "PixelSpacing", None)
    return DicomMetadata(
        modality=_tag(ds, "Modality"),
        manufacturer=_tag(ds, "Manufacturer"),
        manufacturer_model=_tag(ds, "ManufacturerModelName"),
        magnetic_field_strength_t=_tag(ds, "MagneticFieldStrength", float),
        sequence_name=_tag(ds, "SequenceName"),
        scanning_sequence=_tag(ds, "ScanningSequence"),
        series_description=_tag(ds, "SeriesDescription"),
        repetition_time_ms=_tag(ds, "RepetitionTime", float),
        echo_time_ms=_tag(ds, "EchoTime", float),
        slice_thickness_mm=_tag(ds, "SliceThickness", float),
        pixel_spacing_mm=(float(ps[0]), float(ps[1])) if ps is not None else None,
        n_slices=n_slices,
    )
