"""Pre-processing: discretisation, resampling, cropping, normalisation and re-segmentation."""

from radiome.preprocess.crop import bbox_size, bounding_box
from radiome.preprocess.discretise import bin_edges_pyradiomics, discretise
from radiome.preprocess.normalise import normalise_image
from radiome.preprocess.resample import ibsi_grid, resample_ibsi, resample_pyradiomics, sitk_interpolator
from radiome.preprocess.resegment import resegment

__all__ = [
    "bbox_size",
    "bin_edges_pyradiomics",
    "bounding_box",
    "discretise",
    "ibsi_grid",
    "normalise_image",
    "resample_ibsi",
    "resample_pyradiomics",
    "resegment",
    "sitk_interpolator",
]
