"""Grey level distance zone matrix (GLDZM) features (IBSI 1 section 3.9, family ``VMDZ``). IBSI only.

PyRadiomics has no GLDZM; this family exists only in the IBSI profile. The GLDZM ``d_ij`` counts the
zones (as for the GLSZM: connected voxels of one discretised grey level, 26-connected in 3D,
8-connected within a slice in 2D) of grey level ``i`` whose *distance to the ROI edge* is ``j``
(Thibault et al. 2014, as redefined by IBSI; Zwanenburg et al. 2020):

* the distance map gives each ROI voxel its Manhattan (city-block) distance to the nearest voxel
  outside the ROI, with voxels outside the image counted as outside and voxels on the edge at
  distance 1. IBSI defines it by repeated erosion with the 6-connected (3D) or 4-connected (2D)
  cross; that equals ``scipy.ndimage.distance_transform_cdt`` with the taxicab metric on the mask
  padded by one empty voxel, which is what is used (in 2D the metric is restricted to the slice);
* the distance of a zone is the minimum of the map over its voxels.

IBSI computes the distance map on the *morphological* mask and the zones on the *intensity* mask. A
:class:`~radiome.features.base.RoiImage` holds one mask (the intensity mask), so the morphological
mask (same shape and crop, e.g. the mask before intensity re-segmentation) is passed as
``morph_mask``; without it a ``morphological_mask`` attribute of the ROI is used if present, else
``roi.mask``. Voxels beyond the cropped box count as outside, so a
morphological mask reaching past the intensity ROI's bounding box must be cropped with a margin.

Implementation: zones come from :func:`radiome.features.glszm.zones` (grey-level labelling or a
sparse-graph connected-components pass, no voxel loop), the zone distance is an unbuffered
``numpy.minimum.at`` of the distance map over the zone ids, and one ``bincount`` over
``(slice, level, distance)`` builds the matrices.

Aggregation (IBSI 1 section 3.9): ``2D`` features of each axial slice's GLDZM averaged over slices,
``2_5D`` the slice GLDZMs merged (``N_v`` summed), ``3D`` the volume GLDZM. Features and IBSI codes:
small/large distance emphasis (0GBI, MB4I), low/high grey level zone emphasis (S1RA, K26C), the four
joint emphases (RUVG, DKNJ, A7WM, KLTH), grey level non-uniformity and its normalised form (VFT7,
7HP3), zone distance non-uniformity and its normalised form (V294, IATH), zone percentage
``N_s / N_v`` with ``N_v`` the ROI voxel count (VIWW), grey level variance (QK93), zone distance
variance (7WT1) and zone distance entropy (GBDU); formulas as in
:func:`radiome.features.glrlm.matrix_features` with ``j`` the distance.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from radiome.features.base import RoiImage
from radiome.features.glrlm import matrix_features
from radiome.features.glszm import ibsi_offsets, zones

NAME = "gldzm"

_IBSI = {
    "sde": "se",  # 0GBI small distance emphasis
    "lde": "le",  # MB4I large distance emphasis
    "lgze": "lge",  # S1RA low grey level zone emphasis
    "hgze": "hge",  # K26C high grey level zone emphasis
    "sdlge": "slge",  # RUVG small distance low grey level emphasis
    "sdhge": "shge",  # DKNJ small distance high grey level emphasis
    "ldlge": "llge",  # A7WM large distance low grey level emphasis
    "ldhge": "lhge",  # KLTH large distance high grey level emphasis
    "glnu": "glnu",  # VFT7 grey level non-uniformity
    "glnu_norm": "glnu_norm",  # 7HP3 normalised grey level non-uniformity
    "zdnu": "jnu",  # V294 zone distance non-uniformity
    "zdnu_norm": "jnu_norm",  # IATH normalised zone distance non-uniformity
    "z_perc": "perc",  # VIWW zone percentage
    "gl_var": "gl_var",  # QK93 grey level variance
    "zd_var": "j_var",  # 7WT1 zone distance variance
    "zd_entr": "entr",  # GBDU zone distance entropy
}
FEATURES: tuple[str, ...] = tuple(_IBSI)
IBSI_AGGREGATIONS = ("3D", "2D", "2_5D")


def distance_map(mask: np.ndarray, two_d: bool = False) -> np.ndarray:
    """Manhattan distance of each ROI voxel to the ROI edge (1 on the edge, 0 outside the ROI).

    ``two_d``: distances within axial slices (axis 0) only, 4-connected.
    """
    padded = np.pad(np.asarray(mask, dtype=bool), 1)
    if two_d:
        metric = np.zeros((3, 3, 3), dtype=bool)
        metric[1] = ndimage.generate_binary_structure(2, 1)
    else:
        metric = "taxicab"
    d = ndimage.distance_transform_cdt(padded, metric=metric)
    return d[1:-1, 1:-1, 1:-1].astype(np.int64)


def ibsi_matrices(
    roi: RoiImage, aggregation: str, morph_mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GLDZMs for an IBSI aggregation: ``(P, grey_levels, distances, n_v)``, ``P`` ``(G, N_g, N_d)``."""
    if aggregation not in IBSI_AGGREGATIONS:
        raise ValueError(f"unknown GLDZM aggregation {aggregation!r}; use one of {', '.join(IBSI_AGGREGATIONS)}")
    two_d = aggregation != "3D"
    arr = roi.levels.array
    ng = int(roi.levels.n_levels)
    gls = roi.levels.gray_levels
    morph = morph_mask if morph_mask is not None else getattr(roi, "morphological_mask", None)
    morph = roi.mask if morph is None else np.asarray(morph, dtype=bool)
    if morph.shape != roi.mask.shape:
        raise ValueError(f"morph_mask shape {morph.shape} differs from the ROI crop {roi.mask.shape}")
    dist = distance_map(morph, two_d)
    voxel_zone, zl = zones(arr, ibsi_offsets(two_d), n_levels=len(gls))
    inside = arr > 0
    zd = np.full(zl.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(zd, voxel_zone, dist[inside])
    if np.any(zd < 1):
        raise ValueError("GLDZM: ROI voxels outside the morphological mask")
    if aggregation == "2D":
        group = np.zeros(zl.size, dtype=np.int64)
        z = np.nonzero(inside)[0]
        group[voxel_zone] = z
        ngroups = arr.shape[0]
        n_v = np.bincount(z, minlength=ngroups).astype(np.float64)
    else:
        group = np.zeros(zl.size, dtype=np.int64)
        ngroups = 1
        n_v = np.array([float(inside.sum())])
    nd = int(zd.max()) if zd.size else 1
    flat = (group * (ng + 1) + zl) * nd + (zd - 1)
    P = np.bincount(flat, minlength=ngroups * (ng + 1) * nd).reshape(ngroups, ng + 1, nd).astype(np.float64)
    keep = P.sum(axis=(1, 2)) > 0
    return P[keep][:, gls, :], gls, np.arange(1, nd + 1, dtype=np.float64), n_v[keep]


def compute_ibsi(roi: RoiImage, aggregation: str = "3D", morph_mask: np.ndarray | None = None) -> dict[str, float]:
    """IBSI GLDZM features, keyed ``dzm_<feature>_<aggregation>`` (``3D``, ``2D`` or ``2_5D``).

    ``morph_mask``: the morphological ROI mask on the same crop as ``roi`` (distance map); the zones
    use ``roi.mask``.
    """
    P, gls, dv, n_v = ibsi_matrices(roi, aggregation, morph_mask)
    feats = matrix_features(P, gls, dv, n_v)
    return {f"dzm_{tag}_{aggregation}": float(np.mean(feats[key])) for tag, key in _IBSI.items()}
