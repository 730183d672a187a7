"""DICOM series: written here with pydicom (independently of SimpleITK), read back through radiome."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from radiome.errors import ImageReadError
from radiome.io import dicom_metadata, read_dicom_series, read_image, write_image
from radiome.io.images import Geometry

MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"


def _rotation(ax: float, az: float) -> np.ndarray:
    a, b = np.radians(ax), np.radians(az)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    rz = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
    return rz @ rx


def write_series(
    folder: Path,
    arr: np.ndarray,
    spacing: tuple[float, float, float],
    origin: np.ndarray,
    direction: np.ndarray,
    series_uid: str | None = None,
    description: str = "T2 TSE AX",
) -> None:
    """Write ``arr`` [z, y, x] as an MR series; ``direction`` columns are the x, y, z axes (LPS)."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    study_uid = generate_uid()
    nz, ny, nx = arr.shape
    for k in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MR_STORAGE
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = MR_STORAGE
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.Modality = "MR"
        ds.PatientID = "ANON01"
        ds.Manufacturer = "SIEMENS"
        ds.ManufacturerModelName = "Skyra"
        ds.MagneticFieldStrength = "3"
        ds.SequenceName = "*tse2d1_17"
        ds.ScanningSequence = ["SE"]
        ds.SeriesDescription = description
        ds.RepetitionTime = "3500"
        ds.EchoTime = "96"
        ds.SliceThickness = f"{spacing[2]:g}"
        ds.SpacingBetweenSlices = f"{spacing[2]:g}"
        ds.PixelSpacing = [f"{spacing[1]:g}", f"{spacing[0]:g}"]  # row spacing (y), column spacing (x)
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in (*direction[:, 0], *direction[:, 1])]
        pos = origin + k * spacing[2] * direction[:, 2]
        ds.ImagePositionPatient = [f"{v:.6f}" for v in pos]
        ds.InstanceNumber = k + 1
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.PixelData = arr[k].astype("<i2").tobytes()
        # file names in reverse order, so the reader must sort by position, not by name
        ds.save_as(folder / f"IM{nz - k:04d}.dcm", enforce_file_format=True)


@pytest.fixture
def series(tmp_path: Path) -> tuple[Path, np.ndarray, tuple, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    arr = rng.integers(-50, 1200, size=(7, 10, 12)).astype(np.int16)
    spacing = (0.7, 0.75, 4.0)
    origin = np.array([-80.5, -60.25, 12.0])
    direction = _rotation(15.0, -8.0)  # oblique
    write_series(tmp_path / "dcm", arr, spacing, origin, direction)
    return tmp_path / "dcm", arr, spacing, origin, direction


def test_dicom_series_array_and_geometry(series) -> None:
    folder, arr, spacing, origin, direction = series
    img = read_dicom_series(folder)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(img), arr)
    g = Geometry.of(img)
    np.testing.assert_allclose(g.spacing, spacing, atol=1e-5)
    np.testing.assert_allclose(g.origin, origin, atol=1e-4)
    np.testing.assert_allclose(np.reshape(g.direction, (3, 3)), direction, atol=1e-6)


def test_dicom_to_nifti_round_trip(series, tmp_path: Path) -> None:
    folder, arr, *_ = series
    dcm = read_image(folder)  # a folder goes through the DICOM reader
    nii = read_image(write_image(dcm, tmp_path / "from_dicom.nii.gz"))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(nii), sitk.GetArrayFromImage(dcm))
    gd, gn = Geometry.of(dcm), Geometry.of(nii)
    assert gd.size == gn.size
    np.testing.assert_allclose(gn.spacing, gd.spacing, atol=1e-6)
    np.testing.assert_allclose(gn.origin, gd.origin, atol=1e-4)
    np.testing.assert_allclose(gn.direction, gd.direction, atol=1e-6)


def test_dicom_metadata_tags(series) -> None:
    folder, *_ = series
    m = dicom_metadata(folder)
    assert m.modality == "MR"
    assert m.manufacturer == "SIEMENS" and m.manufacturer_model == "Skyra"
    assert m.magnetic_field_strength_t == 3.0
    assert m.sequence_name == "*tse2d1_17" and m.scanning_sequence == "SE"
    assert m.repetition_time_ms == 3500.0 and m.echo_time_ms == 96.0
    assert m.slice_thickness_mm == 4.0
    assert m.pixel_spacing_mm == (0.75, 0.7)
    assert m.n_slices == 7


def test_missing_slice_is_reported(series) -> None:
    folder, *_ = series
    os.remove(folder / "IM0004.dcm")
    with pytest.raises(ImageReadError, match="irregular slice spacing") as e:
        read_dicom_series(folder, patient="P3")
    assert "P3" in str(e.value)


def test_two_series_in_one_folder(series, tmp_path: Path) -> None:
    folder, arr, spacing, origin, direction = series
    write_series(tmp_path / "other", arr[:3], spacing, origin, direction, description="T1 AX")
    for f in (tmp_path / "other").iterdir():
        shutil.copy(f, folder / f"B_{f.name}")
    with pytest.raises(ImageReadError, match="2 DICOM series") as e:
        read_dicom_series(folder)
    assert "T1 AX" in str(e.value)
    uid = pydicom.dcmread(next((tmp_path / "other").iterdir())).SeriesInstanceUID
    assert read_dicom_series(folder, series_uid=uid).GetSize()[2] == 3


def test_folder_without_dicom(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not dicom")
    with pytest.raises(ImageReadError, match="no readable DICOM"):
        read_image(tmp_path / "empty", patient="P1")


IBSI1 = Path(os.environ.get("RADIOME_IBSI1_DIR", Path(__file__).parents[3] / "shared" / "reference" / "ibsi1"))


@pytest.mark.skipif(
    not (IBSI1 / "ct_radiomics_phantom" / "dicom" / "image").is_dir(),
    reason="IBSI-1 CT phantom not found (set RADIOME_IBSI1_DIR; it is CC BY-NC and not shipped)",
)
def test_ibsi_ct_phantom_dicom_equals_its_published_nifti() -> None:
    """The IBSI CT phantom is published both as DICOM and NIfTI: both must give the same volume."""
    ct = IBSI1 / "ct_radiomics_phantom"
    dcm = read_image(ct / "dicom" / "image")
    nii = read_image(ct / "nifti" / "image" / "phantom.nii.gz")
    gd, gn = Geometry.of(dcm), Geometry.of(nii)
    assert gd.size == gn.size == (204, 201, 60)  # the reference README's dimensions
    np.testing.assert_allclose(gd.spacing, gn.spacing, atol=1e-3)
    np.testing.assert_allclose(gd.origin, gn.origin, atol=1e-2)
    np.testing.assert_allclose(gd.direction, gn.direction, atol=1e-5)
    a, b = sitk.GetArrayFromImage(dcm).astype(np.float64), sitk.GetArrayFromImage(nii).astype(np.float64)
    np.testing.assert_allclose(a, b, atol=0.5)  # HU; the NIfTI is float32 of the rescaled values
    assert dicom_metadata(ct / "dicom" / "image").modality == "CT"
