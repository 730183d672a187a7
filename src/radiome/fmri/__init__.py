"""Voxel-wise resting-state fMRI maps: ALFF/fALFF, ReHo, seed FC, VMHC, degree centrality.

Every metric is a pure function on numpy arrays ``(data (X,Y,Z,T), mask (X,Y,Z), ...)``;
:func:`load_bold` / :func:`save_map` do the file I/O. Conventions (DPABI, AFNI, C-PAC) are
documented formula by formula in each module. Only numpy is imported here; scipy, nibabel and
nilearn load when first used.
"""

from __future__ import annotations

from radiome.fmri._io import clean, load_bold, save_map
from radiome.fmri.alff import alff, alff_falff, falff, standardize_map
from radiome.fmri.dc import degree_centrality
from radiome.fmri.fc import fisher_z, seed_fc, seed_series, sphere_mask
from radiome.fmri.reho import reho
from radiome.fmri.synthetic import synthetic_bold
from radiome.fmri.vmhc import vmhc

__all__ = [
    "alff",
    "alff_falff",
    "clean",
    "degree_centrality",
    "falff",
    "fisher_z",
    "load_bold",
    "reho",
    "save_map",
    "seed_fc",
    "seed_series",
    "sphere_mask",
    "standardize_map",
    "synthetic_bold",
    "vmhc",
]
