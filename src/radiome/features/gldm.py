"""Grey level dependence matrix (GLDM) features, PyRadiomics' form of the IBSI NGLDM (``REK0``).

Definition (IBSI reference manual, Zwanenburg et al. 2020, "Neighbouring grey level dependence
based features"; Sun & Wee 1983): a neighbour ``k + m`` of voxel ``k`` (Chebyshev distance
``delta``) is *dependent* if ``|X(k) - X(k + m)| <= alpha``. The matrix element ``P(i, j)`` counts
the ROI voxels of grey level ``i`` with dependence count ``j``, where PyRadiomics, like IBSI, counts
the centre voxel itself (``j = 1 + number of dependent neighbours``). ``N_z = sum P`` equals the
number of ROI voxels.

Computation: the per-voxel dependent-neighbour counts come from the shared neighbour pass
(:func:`radiome.features._neighbours.neighbourhood`, cached on the ``RoiImage`` and shared with GLCM
and NGTDM): for each offset ``m`` (one of each opposite pair) the neighbours at ``+m`` and ``-m`` of
all ROI voxels are two gathers in the flattened, padded grey-level-index array, and
``neighbour == centre`` (or ``|X(k) - X(k + m)| <= alpha``) is summed per voxel, covering all 26
neighbours (bidirectional angles) at the requested ``distances``. The matrix is then one
``np.bincount`` of ``level_index * D + count``; no loop runs over voxels.

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


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible GLDM features of ``roi`` (``names`` None: all non-deprecated)."""
    selected = _select(names)
    if not selected:
        return {}
    if roi.levels.gray_levels.size == 0:
        return {n: float("nan") for n in selected}
    P, iv, jv = gldm_matrix(roi)
    pd = P.sum(axis=0)  # dependence-size marginal
    pg = P.sum(axis=1)  # grey-level marginal
    Nz = pd.sum()
    if Nz == 0:
        Nz = 1.0
    i2 = iv**2
    j2 = jv**2
    out: dict[str, float] = {}
    for name in selected:
        if name == "SmallDependenceEmphasis":
            v = np.sum(pd / j2) / Nz
        elif name == "LargeDependenceEmphasis":
            v = np.sum(pd * j2) / Nz
        elif name == "GrayLevelNonUniformity":
            v = np.sum(pg**2) / Nz
        elif name == "DependenceNonUniformity":
            v = np.sum(pd**2) / Nz
        elif name == "DependenceNonUniformityNormalized":
            v = np.sum(pd**2) / Nz**2
        elif name == "GrayLevelVariance":
            p = pg / Nz
            v = np.sum(p * (iv - np.sum(p * iv)) ** 2)
        elif name == "DependenceVariance":
            p = pd / Nz
            v = np.sum(p * (jv - np.sum(p * jv)) ** 2)
        elif name == "DependenceEntropy":
            p = P / Nz
            v = -np.sum(p * np.log2(p + EPS))
        elif name == "LowGrayLevelEmphasis":
            v = np.sum(pg / i2) / Nz
        elif name == "HighGrayLevelEmphasis":
            v = np.sum(pg * i2) / Nz
        elif name == "SmallDependenceLowGrayLevelEmphasis":
            v = np.sum(P / (i2[:, None] * j2[None, :])) / Nz
        elif name == "SmallDependenceHighGrayLevelEmphasis":
            v = np.sum(P * i2[:, None] / j2[None, :]) / Nz
        elif name == "LargeDependenceLowGrayLevelEmphasis":
            v = np.sum(P * j2[None, :] / i2[:, None]) / Nz
        elif name == "LargeDependenceHighGrayLevelEmphasis":
            v = np.sum(P * (j2[None, :] * i2[:, None])) / Nz
        else:  # pragma: no cover - _select guards the names
            raise ValueError(name)
        out[name] = float(v)
    return out


def compute_ibsi(roi: RoiImage, aggregation: str) -> dict[str, float]:
    """No IBSI features here: the IBSI NGLDM (``ngl_*``) belongs to the NGLDM family module."""
    return {}
