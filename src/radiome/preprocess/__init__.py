"""Pre-processing: discretisation, resampling, cropping, normalisation and re-segmentation."""

from radiome.preprocess.discretise import bin_edges_pyradiomics, discretise

__all__ = ["bin_edges_pyradiomics", "discretise"]
