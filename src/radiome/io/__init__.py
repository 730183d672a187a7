"""Input: images and masks (NIfTI, NRRD, MetaImage, DICOM), cohorts (manifest + clinical table), validation."""

from radiome.io.cohort import Case, Cohort, Fault, load_cohort, read_table
from radiome.io.dicom import DicomMetadata, dicom_metadata, list_series, read_dicom_series
from radiome.io.images import (
    Geometry,
    GeometryTolerance,
    check_same_grid,
    geometry_differences,
    label_voxel_counts,
    read_image,
    read_mask,
    resample_mask_to_image,
    to_array,
    write_image,
)
from radiome.io.validate import ValidationReport, check_case, validate_cohort

__all__ = [
    "Case",
    "Cohort",
    "DicomMetadata",
    "Fault",
    "Geometry",
    "GeometryTolerance",
    "ValidationReport",
    "check_case",
    "check_same_grid",
    "dicom_metadata",
    "geometry_differences",
    "label_voxel_counts",
    "list_series",
    "load_cohort",
    "read_dicom_series",
    "read_image",
    "read_mask",
    "read_table",
    "resample_mask_to_image",
    "to_array",
    "validate_cohort",
    "write_image",
]
