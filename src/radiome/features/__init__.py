"""Radiomics features: IBSI-defined, PyRadiomics-compatible, computed on numpy arrays.

One module per feature family (``firstorder``, ``shape``, ``shape2d``, ``glcm``, ``glrlm``,
``glszm``, ``gldm``, ``ngtdm``; IBSI-only ``ih``, ``ivh``, ``loc``, ``gldzm``, ``ngldm``), one per
filter in :mod:`radiome.features.filters`, the shared per-ROI data in :mod:`radiome.features.base`
and the pipeline in :mod:`radiome.features.extractor`.
"""

from radiome.features.extractor import FeatureExtractor, extract
from radiome.features.settings import Params, Settings, load_params

__all__ = ["FeatureExtractor", "Params", "Settings", "extract", "load_params"]
