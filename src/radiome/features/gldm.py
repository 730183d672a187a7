"""Grey level dependence matrix (GLDM) features, PyRadiomics' form of the IBSI NGLDM (``REK0``).

Definition (IBSI reference manual, Zwanenburg et al. 2020, "Neighbouring grey level dependence
based features"; Sun & Wee 1983): a neighbour ``k + m`` of voxel ``k`` (Chebyshev distance
``delta``) is *dependent* if ``|X(k) - X(k + m)| <= alpha``. The matrix element ``P(i, j)`` counts
the ROI voxels of grey level ``i`` with dependence count ``j``, where PyRadiomics, like IBSI, counts
the centre voxel itself (``j = 1 + number of dependent neighbours``). ``N_z = sum P`` equals the
number of ROI voxels.

Computation: the per-voxel dependent-neighbour counts come from the shared neighbour pairs
(:func:`radiome.features._neighbours.neighbourhood`, shared with GLCM and NGTDM): the list of
pairs of ROI voxels at every offset (one of each opposite pair) depends on the mask only and is
built once per ROI for all image types (the extractor's mask store); per image type the pairs
with ``neighbour == centre`` (or ``|X(k) - X(k + m)| <= alpha``) are selected and counted for both
voxels of each pair, covering all 26 neighbours (bidirectional angles) at the requested
``distances``. With the default distance 1 the selection is the one GLSZM links its zones with,
and is computed once for both. The matrix is then one ``np.bincount`` of ``level_index * D +
count``, and the features come from :func:`radiome.features.glrlm.feature_table` in one go; no
loop runs over voxels.

PyRadiomics conventions reproduced (``radiomics/gldm.py``, ``cmatrices.c``): neighbours are only
counted if inside the ROI (so there is no IBSI "complete neighbourhood" requirement); ``gldm_a``
(``alpha``, default 0) compares discretised grey levels; ``distances`` (default ``[1]``) and
``force2D``/``force2Ddimension`` select the neighbours; grey levels absent from the ROI and
dependence counts that never occur are removed from the matrix; features use the grey-level values
(``i``) and dependence sizes (``j``) that remain.

PyRadiomics name -> IBSI NGLDM feature (code):

* ``SmallDependenceEmphasis`` -> low dependence emphasis (SODN)
* ``LargeDependenceEmphasis`` -> high dependence emphasis (IMOQ)
* ``LowGrayLevelEmphasis`` / ``HighGrayLevelEmphasis`` -> TL9H / OAE7
* ``SmallDependenceLowGrayLevelEmphasis`` / ``SmallDependenceHighGrayLevelEmphasis`` -> EQ3F / JA6D
* ``LargeDependenceLowGrayLevelEmphasis`` / ``LargeDependenceHighGrayLevelEmphasis`` -> NBZI / 9QMG
* ``GrayLevelNonUniformity`` -> grey level non-uniformity (FP8K)
* ``DependenceNonUniformity`` / ``DependenceNonUniformityNormalized`` -> Z87G / OKJI
* ``GrayLevelVariance`` / ``DependenceVariance`` / ``DependenceEntropy`` -> 1PFV / DNX2 / FCBV
  (entropy with ``eps = 2.2e-16`` inside the ``log2``, as PyRadiomics)
* deprecated (no value, as PyRadiomics): ``GrayLevelNonUniformityNormalized`` (= first-order
  uniformity), ``DependencePercentage`` (always 1).

The IBSI NGLDM itself (``ngl_*`` tags) is provided by the NGLDM family, not here: :func:`compute_ibsi`
returns no feature.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiome.features._neighbours import neighbourhood
from radiome.features.base import RoiImage
from radiome.features.glrlm import direction_means, feature_table

NAME = "gldm"

FEATURES: tuple[str, ...] = (
    "DependenceEntropy",
    "DependenceNonUniformity",
    "DependenceNonUniformityNormalized",
    "DependencePercentage",
    "DependenceVariance",
    "GrayLevelNonUniformity",
    "GrayLevelNonUniformityNormalized",
    "GrayLevelVariance",
    "HighGrayLevelEmphasis",
    "LargeDependenceEmphasis",
    "LargeDependenceHighGrayLevelEmphasis",
    "LargeDependenceLowGrayLevelEmphasis",
    "LowGrayLevelEmphasis",
    "SmallDependenceEmphasis",
    "SmallDependenceHighGrayLevelEmphasis",
    "SmallDependenceLowGrayLevelEmphasis",
)
DEPRECATED: frozenset[str] = frozenset({"GrayLevelNonUniformityNormalized", "DependencePercentage"})

EPS = float(np.spacing(1))


def _select(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [n for n in FEATURES if n not in DEPRECATED]
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown GLDM feature(s): {', '.join(unknown)}")
    return [n for n in names if n not in DEPRECATED]


def gldm_matrix(roi: RoiImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P, ivector, jvector)``: counts ``P[i, j]`` over present grey levels ``ivector`` and
    occurring dependence sizes ``jvector`` (1 + dependent neighbours), as PyRadiomics' ``P_gldm``."""
    nb = neighbourhood(roi)
    G = nb.gray_levels.size
    dep = nb.n_dependent.astype(np.intp)
    D = int(dep.max()) + 1 if dep.size else 1
    P = np.bincount(nb.voxel_level * D + dep, minlength=G * D).reshape(G, D).astype(np.float64)
    used = P.sum(axis=0) > 0
    jvector = np.arange(1, D + 1, dtype=np.float64)[used]
    return P[:, used], nb.gray_levels.astype(np.float64), jvector


#: PyRadiomics feature name -> key of :func:`radiome.features.glrlm.feature_table` (the GLRLM-type
#: formulas with the dependence size ``j`` in the place of the run length)
_KEYS = {
    "SmallDependenceEmphasis": "se",
    "LargeDependenceEmphasis": "le",
    "GrayLevelNonUniformity": "glnu",
    "DependenceNonUniformity": "jnu",
    "DependenceNonUniformityNormalized": "jnu_norm",
    "GrayLevelVariance": "gl_var",
    "DependenceVariance": "j_var",
    "DependenceEntropy": "entr",
    "LowGrayLevelEmphasis": "lge",
    "HighGrayLevelEmphasis": "hge",
    "SmallDependenceLowGrayLevelEmphasis": "slge",
    "SmallDependenceHighGrayLevelEmphasis": "shge",
    "LargeDependenceLowGrayLevelEmphasis": "llge",
    "LargeDependenceHighGrayLevelEmphasis": "lhge",
}


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible GLDM features of ``roi`` (``names`` None: all non-deprecated).

    The formulas are those of the GLRLM-type families with ``N_z`` (the voxel count) in the place
    of the run count, so they come from :func:`radiome.features.glrlm.feature_table` in one go.
    """
    selected = _select(names)
    if not selected:
        return {}
    if roi.levels.gray_levels.size == 0:
        return {n: float("nan") for n in selected}
    P, iv, jv = gldm_matrix(roi)
    return direction_means(feature_table(P[None], iv, jv, eps=EPS), selected, _KEYS)


def compute_ibsi(roi: RoiImage, aggregation: str) -> dict[str, float]:
    """No IBSI features here: the IBSI NGLDM (``ngl_*``) belongs to the NGLDM family module."""
    return {}
