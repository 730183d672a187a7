"""Grey level run length matrix (GLRLM) features (IBSI 1 section 3.7, family ``TP0I``).

A *run* is a maximal sequence of consecutive ROI voxels with the same discretised grey level along a
direction ``m``; the GLRLM ``r_ij`` of a direction counts the runs of grey level ``i`` and length ``j``
(Galloway 1975; IBSI reference manual, Zwanenburg et al. 2020). Two profiles are offered:

* :func:`compute` reproduces PyRadiomics 3.1.4 (``RadiomicsGLRLM``) feature for feature;
* :func:`compute_ibsi` follows the IBSI definitions and its six texture aggregation methods and
  returns values keyed by the IBSI tags (``rlm_sre_3D_avg``, ...).

Features (PyRadiomics name: IBSI name and code)
-----------------------------------------------
Formulas in :func:`matrix_features`.
ShortRunEmphasis: short runs emphasis 22OV; LongRunEmphasis: long runs emphasis W4KF;
LowGrayLevelRunEmphasis: low grey level run emphasis V3SW; HighGrayLevelRunEmphasis: high grey level
run emphasis G3QZ; ShortRunLowGrayLevelEmphasis HTZT; ShortRunHighGrayLevelEmphasis GD3A;
LongRunLowGrayLevelEmphasis IVPO; LongRunHighGrayLevelEmphasis 3KUM; GrayLevelNonUniformity R5YN;
GrayLevelNonUniformityNormalized OVBL; RunLengthNonUniformity W92Y; RunLengthNonUniformityNormalized
IC23; RunPercentage 9ZK5; GrayLevelVariance 8CE5; RunVariance SXLW; RunEntropy HJ9O. PyRadiomics'
default (per-direction features, averaged) corresponds to IBSI's "3D, averaged" (``3D_avg``) except
for the departures below.

PyRadiomics behaviour reproduced by :func:`compute` (departures from IBSI)
-------------------------------------------------------------------------
* Directions are PyRadiomics' ``generate_angles`` (13 in 3D, 4 with ``force2D``; axes on which the
  cropped ROI is a single voxel contribute no direction), see :func:`radiome.features._texture.angles`.
  Runs are taken along every line of the cropped bounding box; voxels outside the ROI break runs.
* A direction in which no line holds more than one ROI voxel is "empty" (PyRadiomics' C code zeroes
  its matrix) and is dropped before averaging. Without ``weightingNorm`` every feature is computed per
  direction and the directions are averaged (``nanmean``); with a ``weightingNorm`` ('manhattan',
  'euclidean', 'infinity', 'no_weighting'; unknown names weigh 1 with a warning) the matrices are
  weighted by the norm of the direction vector scaled by the voxel spacing, summed into one matrix,
  and the features computed once on it.
* Rows of grey levels absent from the ROI are dropped, so ``i`` in the formulas is the actual grey
  level value; columns of run lengths absent from all directions are dropped (no numerical effect).
* Run entropy uses ``log2(p + eps)`` with ``eps = numpy.spacing(1)`` (IBSI: ``log2 p`` over ``p > 0``).
* Run percentage uses ``N_v = sum_j j r_.j`` of the matrix it is computed on (the ROI voxel count
  for an unweighted direction), as IBSI prescribes for merged matrices.
* A lone direction without runs (or a weighted sum of empty directions) gives NaN, except run
  entropy and run variance, which PyRadiomics evaluates to 0 there (sums over no run length).
* A ROI with no direction at all (a single voxel, or a line along the ``force2D`` axis; PyRadiomics
  raises "Error getting angle count" there, and its extractor never gets that far) yields NaN.

Implementation (vectorised; no Python loop over voxels)
-------------------------------------------------------
For each direction ``m`` every voxel of the bounding box is mapped by an integer affine *line
embedding* ``key = c . (z, y, x) + c0`` to a slot of a 1-D array in which voxels that follow each
other along ``m`` take consecutive slots and different lines are separated by at least one empty
slot. The embedding is a skew transform: one moving axis ``k`` (``m_k = +-1``; the shortest, to keep
the array small) gives the position ``t = m_k idx_k`` along the line, and the other coordinates
sheared back to ``t = 0`` (``b_d = idx_d - m_d m_k idx_k``) give the line id in mixed radix. Because
the map is affine, filling the 1-D array with the level image (0 outside the ROI) is a single strided
copy through an ``as_strided`` view with strides ``c`` - no index arrays. Every run is then a
maximal constant non-zero segment: run starts and ends are ``flatnonzero`` of ``L[s] != L[s -+ 1]``
and ``L[s] != 0``, their difference is the run length, and one ``bincount`` over
``(level, length)`` (with a group index for the IBSI per-slice / per-direction matrices) gives the
matrix. The work per direction is a few passes over the sheared box (1x the bounding box for the 3
axis directions, about 2x for the 6 two-axis and 4x for the 4 three-axis diagonals of a cube,
because of the shear) plus a handful of operations per run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from radiome.features._texture import angles
from radiome.features.base import RoiImage

NAME = "glrlm"

#: PyRadiomics feature name -> key of :func:`matrix_features`
_PYRAD = {
    "ShortRunEmphasis": "se",
    "LongRunEmphasis": "le",
    "GrayLevelNonUniformity": "glnu",
    "GrayLevelNonUniformityNormalized": "glnu_norm",
    "RunLengthNonUniformity": "jnu",
    "RunLengthNonUniformityNormalized": "jnu_norm",
    "RunPercentage": "perc",
    "GrayLevelVariance": "gl_var",
    "RunVariance": "j_var",
    "RunEntropy": "entr",
    "LowGrayLevelRunEmphasis": "lge",
    "HighGrayLevelRunEmphasis": "hge",
    "ShortRunLowGrayLevelEmphasis": "slge",
    "ShortRunHighGrayLevelEmphasis": "shge",
    "LongRunLowGrayLevelEmphasis": "llge",
    "LongRunHighGrayLevelEmphasis": "lhge",
}
FEATURES: tuple[str, ...] = tuple(sorted(_PYRAD))
DEPRECATED: frozenset[str] = frozenset()

#: IBSI tag stem -> key of :func:`matrix_features` (IBSI 1 codes in comments)
_IBSI = {
    "sre": "se",  # 22OV short runs emphasis
    "lre": "le",  # W4KF long runs emphasis
    "lgre": "lge",  # V3SW low grey level run emphasis
    "hgre": "hge",  # G3QZ high grey level run emphasis
    "srlge": "slge",  # HTZT short run low grey level emphasis
    "srhge": "shge",  # GD3A short run high grey level emphasis
    "lrlge": "llge",  # IVPO long run low grey level emphasis
    "lrhge": "lhge",  # 3KUM long run high grey level emphasis
    "glnu": "glnu",  # R5YN grey level non-uniformity
    "glnu_norm": "glnu_norm",  # OVBL normalised grey level non-uniformity
    "rlnu": "jnu",  # W92Y run length non-uniformity
    "rlnu_norm": "jnu_norm",  # IC23 normalised run length non-uniformity
    "r_perc": "perc",  # 9ZK5 run percentage
    "gl_var": "gl_var",  # 8CE5 grey level variance
    "rl_var": "j_var",  # SXLW run length variance
    "rl_entr": "entr",  # HJ9O run entropy
}
IBSI_AGGREGATIONS = ("3D_avg", "3D_comb", "2D_avg", "2D_comb", "2_5D_avg", "2_5D_comb")

_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# features of (stacks of) run length / size zone / distance zone matrices
# --------------------------------------------------------------------------------------------------
def matrix_features(
    P: np.ndarray,
    gl: np.ndarray,
    col: np.ndarray,
    n_v: np.ndarray | None = None,
    *,
    eps: float | None = None,
) -> dict[str, np.ndarray]:
    """The 16 GLRLM-type features of a stack of matrices ``P`` with shape ``(G, N_g, N_j)``.

    ``gl`` are the grey level values of the rows, ``col`` the values of the columns (run length, zone
    size or zone distance). With ``N_s = sum_ij P_ij`` (runs / zones) and ``p = P / N_s``:

    ``se`` = sum_j P_.j / j^2 / N_s, ``le`` = sum_j j^2 P_.j / N_s, ``lge`` = sum_i P_i. / i^2 / N_s,
    ``hge`` = sum_i i^2 P_i. / N_s, ``slge``/``shge``/``llge``/``lhge`` the joint emphases
    (P / (i^2 j^2), P i^2 / j^2, P j^2 / i^2, P i^2 j^2, each / N_s), ``glnu`` = sum_i P_i.^2 / N_s,
    ``glnu_norm`` = sum_i P_i.^2 / N_s^2, ``jnu``/``jnu_norm`` likewise over columns, ``perc`` =
    N_s / N_v, ``gl_var`` = sum p (i - mu_i)^2, ``j_var`` = sum p (j - mu_j)^2 and ``entr`` =
    -sum p log2 p (IBSI; with ``eps`` given: -sum p log2(p + eps), as PyRadiomics).

    ``n_v`` defaults to ``sum_ij j P_ij`` (the voxel count underlying a run length or size zone
    matrix). Returns ``(G,)`` arrays; a matrix without entries gives NaN.
    """
    P = np.asarray(P, dtype=np.float64)
    i = np.asarray(gl, dtype=np.float64)
    j = np.asarray(col, dtype=np.float64)
    pg = P.sum(axis=2)  # (G, Ng): per grey level
    pj = P.sum(axis=1)  # (G, Nj): per column
    with np.errstate(divide="ignore", invalid="ignore"):
        ns = pg.sum(axis=1)
        if n_v is None:
            n_v = (pj * j).sum(axis=1)
        i2 = i[None, :, None] ** 2
        j2 = j[None, None, :] ** 2
        out = {
            "se": (pj / j**2).sum(axis=1) / ns,
            "le": (pj * j**2).sum(axis=1) / ns,
            "lge": (pg / i**2).sum(axis=1) / ns,
            "hge": (pg * i**2).sum(axis=1) / ns,
            "slge": (P / (i2 * j2)).sum(axis=(1, 2)) / ns,
            "shge": (P * i2 / j2).sum(axis=(1, 2)) / ns,
            "llge": (P * j2 / i2).sum(axis=(1, 2)) / ns,
            "lhge": (P * (i2 * j2)).sum(axis=(1, 2)) / ns,
            "glnu": (pg**2).sum(axis=1) / ns,
            "glnu_norm": (pg**2).sum(axis=1) / ns**2,
            "jnu": (pj**2).sum(axis=1) / ns,
            "jnu_norm": (pj**2).sum(axis=1) / ns**2,
            "perc": ns / np.asarray(n_v, dtype=np.float64),
        }
        # variances from the integer-valued marginals first, so a constant marginal gives exactly 0
        mu = (pg * i).sum(axis=1, keepdims=True) / ns[:, None]
        out["gl_var"] = (pg * (i - mu) ** 2).sum(axis=1) / ns
        mu = (pj * j).sum(axis=1, keepdims=True) / ns[:, None]
        out["j_var"] = (pj * (j - mu) ** 2).sum(axis=1) / ns
        p = P / ns[:, None, None]
        if eps is None:
            safe = np.where(p > 0, p, 1.0)
            out["entr"] = -(p * np.log2(safe)).sum(axis=(1, 2))
        else:
            out["entr"] = -(p * np.log2(p + eps)).sum(axis=(1, 2))
    empty = ns == 0
    if empty.any():
        for v in out.values():
            v[empty] = np.nan
    return out


# --------------------------------------------------------------------------------------------------
# run extraction
# --------------------------------------------------------------------------------------------------
def _embedding(shape: Sequence[int], o: Sequence[int]) -> tuple[np.ndarray, int, int, int]:
    """Line embedding of direction ``o`` in a box ``shape``: ``(coef, const, size, period)``.

    ``key = coef . idx + const`` puts voxel ``idx`` at slot ``line * period + t`` of a 1-D array of
    ``size`` slots, ``t`` in ``[0, period - 1)`` being the position along its line, so slot
    ``line * period + period - 1`` is always empty. Static axes get mixed-radix weights with axis 0
    most significant, so for a direction with ``o[0] == 0`` the slice is ``key // coef[0]``.
    """
    moving = [d for d in range(len(shape)) if o[d] != 0]
    k = min(moving, key=lambda d: (shape[d], d))
    nk, ok = int(shape[k]), int(o[k])
    period = nk + 1
    coef = np.zeros(len(shape), dtype=np.int64)
    coef[k] = ok
    const = nk - 1 if ok < 0 else 0
    weight = period
    for d in reversed(range(len(shape))):
        if d == k:
            continue
        s = int(o[d]) * ok  # b_d = idx_d - s * (ok * idx_k): the coordinate sheared back to t = 0
        coef[d] += weight
        coef[k] -= weight * s
        if s == 1:
            const += weight * (nk - 1)
        weight *= int(shape[d]) if s == 0 else int(shape[d]) + nk - 1
    return coef, const, weight, period


def _runs(arr: np.ndarray, o: Sequence[int], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """All runs along ``o`` in the level image ``arr`` (0 outside the ROI).

    Returns ``(level, length, start, multi)``: grey level and length of each run, the slot of its
    first voxel in the line array (``key + 1``, see :func:`_embedding`), and whether some line holds
    more than one ROI voxel (PyRadiomics zeroes a direction where none does).
    """
    coef, const, size, period = _embedding(arr.shape, o)
    line = np.zeros(size + 2, dtype=dtype)  # slots 0 and size + 1 stay empty
    # The embedding is affine, so the scatter is a strided copy: a 3-D view of the line array whose
    # element idx sits at slot coef . idx + const + 1 (injective, all slots inside the buffer).
    view = np.lib.stride_tricks.as_strided(
        line[const + 1 :], shape=arr.shape, strides=tuple(int(c) * line.itemsize for c in coef)
    )
    view[...] = arr
    nonzero = line != 0
    change = line[1:] != line[:-1]
    start = np.flatnonzero(change & nonzero[1:]) + 1
    end = np.flatnonzero(change & nonzero[:-1])
    length = end - start + 1
    level = line[start].astype(np.intp)
    multi = bool(length.size and length.max() > 1)
    if not multi and length.size > 1:
        per_line = np.count_nonzero(line[1 : size + 1].reshape(-1, period), axis=1)
        multi = bool(per_line.max() > 1)
    return level, length, start, multi


def _level_image(roi: RoiImage) -> tuple[np.ndarray, np.dtype, int]:
    """The level image in the smallest unsigned type that holds it, that type and ``N_g``."""
    ng = int(roi.levels.n_levels)
    dtype = np.min_scalar_type(max(ng, 1))
    return roi.levels.array.astype(dtype), dtype, ng


def _direction_matrices(roi: RoiImage, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-direction GLRLMs ``(A, Ng + 1, Nr)`` (rows indexed by grey level, column j-1 = length j)
    and the PyRadiomics "multi element" flag of each direction."""
    arr, dtype, ng = _level_image(roi)
    nr = int(max(arr.shape))
    A = len(offsets)
    P = np.empty((A, (ng + 1) * nr), dtype=np.float64)
    multi = np.zeros(A, dtype=bool)
    for a, o in enumerate(offsets):
        level, length, _, multi[a] = _runs(arr, o, dtype)
        P[a] = np.bincount(level * nr + (length - 1), minlength=(ng + 1) * nr)
    return P.reshape(A, ng + 1, nr), multi


def _weights(offsets: np.ndarray, spacing: Sequence[float], norm: str) -> np.ndarray:
    d = np.abs(offsets) * np.asarray(spacing, dtype=np.float64)[None, :]
    if norm == "infinity":
        return d.max(axis=1)
    if norm == "euclidean":
        return np.sqrt((d**2).sum(axis=1))
    if norm == "manhattan":
        return d.sum(axis=1)
    if norm != "no_weighting":
        _log.warning('weighting norm "%s" is unknown, weighting factor is set to 1', norm)
    return np.ones(len(offsets))


def glrlm_matrices(roi: RoiImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matrices :func:`compute` works on, as PyRadiomics builds them.

    Returns ``(P, gray_levels, run_lengths)`` with ``P`` of shape ``(A, N_g, N_r)``: one matrix per
    non-empty direction (or a single weighted sum with ``weightingNorm``), rows for the grey levels
    present, columns for the run lengths present in any direction.
    """
    s = roi.settings
    offsets = angles(
        roi.mask.shape, (1,), force2D=bool(s.get("force2D", False)), force2Ddimension=int(s.get("force2Ddimension", 0))
    )
    gls = roi.levels.gray_levels
    if len(offsets) == 0:
        return np.zeros((0, len(gls), 0)), gls, np.zeros(0)
    P, multi = _direction_matrices(roi, offsets)
    P[~multi] = 0.0
    P = P[:, gls, :]
    norm = s.get("weightingNorm")
    if norm is not None:
        w = _weights(offsets, roi.spacing, norm)
        P = (P * w[:, None, None]).sum(axis=0, keepdims=True)
    elif P.shape[0] > 1:
        P = P[P.sum(axis=(1, 2)) > 0]
    jv = np.arange(1, P.shape[2] + 1, dtype=np.float64)
    present = P.sum(axis=(0, 1)) > 0
    return P[:, :, present], gls, jv[present]


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible GLRLM features (``names`` None: all non-deprecated features)."""
    wanted = [f for f in FEATURES if f not in DEPRECATED] if names is None else list(names)
    unknown = [n for n in wanted if n not in _PYRAD]
    if unknown:
        raise KeyError(f"unknown GLRLM feature(s): {', '.join(unknown)}")
    P, gls, jv = glrlm_matrices(roi)
    if P.shape[0] == 0:
        return {n: float("nan") for n in wanted}
    if P.shape[2] == 0:
        # A single direction (or the weighted sum) without runs: PyRadiomics divides by N_r = NaN,
        # except where its sums run over the (then empty) run length axis alone, which give 0.
        return {n: 0.0 if n in ("RunEntropy", "RunVariance") else float("nan") for n in wanted}
    feats = matrix_features(P, gls, jv, eps=float(np.spacing(1)))
    out = {}
    for n in wanted:
        v = feats[_PYRAD[n]]
        v = v[~np.isnan(v)]
        out[n] = float(v.mean()) if v.size else float("nan")
    return out


# --------------------------------------------------------------------------------------------------
# IBSI profile
# --------------------------------------------------------------------------------------------------
def _ibsi_offsets(two_d: bool) -> np.ndarray:
    """IBSI directions: the 13 unique 3D neighbour directions, or the 4 in-plane (axial) ones."""
    off = angles((3, 3, 3), (1,))
    return off[off[:, 0] == 0] if two_d else off


def ibsi_matrices(roi: RoiImage, aggregation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GLRLMs grouped for an IBSI aggregation method: ``(P, grey_levels, run_lengths)``.

    ``P`` has shape ``(G, N_g, N_r)``, one matrix per feature evaluation that is later averaged:
    ``3D_avg`` one per 3D direction, ``3D_comb`` one in all, ``2D_avg`` one per (axial slice, in-plane
    direction), ``2D_comb`` one per slice, ``2_5D_avg`` one per in-plane direction, ``2_5D_comb`` one.
    """
    if aggregation not in IBSI_AGGREGATIONS:
        raise ValueError(f"unknown GLRLM aggregation {aggregation!r}; use one of {', '.join(IBSI_AGGREGATIONS)}")
    shape = roi.mask.shape
    two_d = aggregation.startswith("2D")
    offsets = _ibsi_offsets(aggregation.startswith(("2D", "2_5D")))
    arr, dtype, ng = _level_image(roi)
    nr = int(max(shape))
    nz = shape[0]
    A = len(offsets)
    groups = A * nz if two_d else A
    idx = []
    for a, o in enumerate(offsets):
        level, length, start, _ = _runs(arr, o, dtype)
        g = np.full(level.shape, a, dtype=np.int64)
        if two_d:
            coef, *_ = _embedding(shape, o)
            g = ((start - 1) // coef[0]) * A + a  # axial slice of each run (o[0] == 0)
        idx.append((g * (ng + 1) + level) * nr + (length - 1))
    flat = np.concatenate(idx)
    P = np.bincount(flat, minlength=groups * (ng + 1) * nr).reshape(groups, ng + 1, nr).astype(np.float64)
    if aggregation == "2D_comb":
        P = P.reshape(nz, A, ng + 1, nr).sum(axis=1)
    elif aggregation.endswith("comb"):
        P = P.sum(axis=0, keepdims=True)
    P = P[P.sum(axis=(1, 2)) > 0]  # slices without ROI voxels do not take part
    gls = roi.levels.gray_levels
    return P[:, gls, :], gls, np.arange(1, nr + 1, dtype=np.float64)


def compute_ibsi(roi: RoiImage, aggregation: str = "3D_avg") -> dict[str, float]:
    """IBSI GLRLM features for one aggregation method, keyed ``rlm_<feature>_<aggregation>``.

    Aggregation methods (IBSI 1, section 3.7 "Aggregating features"): ``2D_avg`` features per
    in-plane direction and axial slice, averaged; ``2D_comb`` the 4 directional matrices of a slice
    merged, features averaged over slices; ``2_5D_avg`` each direction's matrices merged over slices,
    features averaged over directions; ``2_5D_comb`` all 2D matrices merged; ``3D_avg`` features per
    3D direction (13), averaged; ``3D_comb`` the 13 matrices merged. Merged matrices sum ``N_v`` too.
    IBSI always uses the full direction sets (no PyRadiomics "empty direction" removal) and the plain
    ``-sum p log2 p`` entropy.
    """
    P, gls, jv = ibsi_matrices(roi, aggregation)
    feats = matrix_features(P, gls, jv)
    return {f"rlm_{tag}_{aggregation}": float(np.mean(feats[key])) for tag, key in _IBSI.items()}
