"""Diffusion tensor imaging: tensor fit (dipy) and regional FA/MD/AD/RD features."""

from radiome.dti.tensor import DWI, fit_tensor, read_dwi, regional_dti, write_maps

__all__ = ["DWI", "fit_tensor", "read_dwi", "regional_dti", "write_maps"]
