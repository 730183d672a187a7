"""Lumbar spine morphometry on axial MRI: muscle CSA and fat infiltration, vertebral body CSA,
facet angles / tropism and lumbar lordosis from landmarks, per-patient QA figures and a cohort table.

See :mod:`radiome.spine.measures`, :mod:`radiome.spine.geometry` and :mod:`radiome.spine.cohort`
for the definitions and conventions.
"""

from radiome.spine.cohort import (
    angles_from_landmarks,
    bilateral_pairs,
    morphometry,
    morphometry_case_command,
    morphometry_command,
    patient_morphometry,
    save_qa_png,
)
from radiome.spine.geometry import (
    facet_angle,
    facet_tropism,
    lordosis_angle,
    read_fcsv,
    read_landmark_table,
    read_landmarks,
    read_mrk_json,
    write_fcsv,
    write_mrk_json,
)
from radiome.spine.measures import (
    asymmetry_index,
    choose_slices,
    muscle_measures,
    otsu_threshold,
    pixel_area,
    vertebral_body_csa,
)

__all__ = [
    "angles_from_landmarks",
    "asymmetry_index",
    "bilateral_pairs",
    "choose_slices",
    "facet_angle",
    "facet_tropism",
    "lordosis_angle",
    "morphometry",
    "morphometry_case_command",
    "morphometry_command",
    "muscle_measures",
    "otsu_threshold",
    "patient_morphometry",
    "pixel_area",
    "read_fcsv",
    "read_landmark_table",
    "read_landmarks",
    "read_mrk_json",
    "save_qa_png",
    "vertebral_body_csa",
    "write_fcsv",
    "write_mrk_json",
]
