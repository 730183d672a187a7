"""Structural (T1-weighted) regional measures: ROI volumes, mean intensities, grey-matter volumes."""

from radiome.anat.regional import (
    gm_regional_sums,
    label_means,
    regional_intensity,
    regional_volumes,
    total_intracranial_volume,
    voxel_volume,
)

__all__ = [
    "gm_regional_sums",
    "label_means",
    "regional_intensity",
    "regional_volumes",
    "total_intracranial_volume",
    "voxel_volume",
]
