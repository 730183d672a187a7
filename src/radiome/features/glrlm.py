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
*Line embedding.* For each direction ``m`` every voxel of the bounding box is mapped by an integer
affine map ``key = c . (z, y, x) + c0`` to a slot of a 1-D array in which voxels that follow each
other along ``m`` take consecutive slots and different lines are separated by at least one empty
slot. The embedding is a skew transform: one moving axis ``k`` (``m_k = +-1``; the shortest, to keep
the array small) gives the position ``t = m_k idx_k`` along the line, and the other coordinates
sheared back to ``t = 0`` (``b_d = idx_d - m_d m_k idx_k``) give the line id in mixed radix. Because
the map is affine, filling the 1-D array from an image is a single strided copy through an
``as_strided`` view with strides ``c`` - no index arrays (:func:`_embedding`, :func:`_runs`).

*Mask-only layout, built once per ROI.* Where the lines run through the ROI depends on the mask
alone, so the PyRadiomics path (:func:`compute`) fills the line arrays once with the *ranks* of the
ROI voxels (C order) instead of their levels and keeps, for all directions concatenated, the ranks
in line order and a flag for every slot that starts a segment of consecutive ROI voxels (a
:class:`RunLayout`, stored in the ROI's mask store that the extractor shares between all image
types, see :meth:`radiome.features.base.RoiImage.mask_cache`; keyed by ``force2D`` and
``force2Ddimension``), and which directions have a line with more than one ROI voxel (PyRadiomics
zeroes the others).

*Per image type* only the grey-level indices are gathered along that layout; a slot continues a
run unless it starts a segment or changes the level, the runs of length >= 2 are the blocks of
continuing slots (one ``flatnonzero`` of their edges), and one ``bincount`` of ``(level,
direction, length)`` gives the matrices of all directions; runs of length 1 (most runs of a
finely textured image) follow by subtraction from the voxel count of each level, as every voxel
lies on one line per direction. So the cost is a few passes over (ROI voxels x directions) slots
plus a few operations per run of length >= 2. The
IBSI path (:func:`compute_ibsi`) reads the level image along the embedding directly (its
per-slice groups need the slot positions). Features of all directions are computed at once by
:func:`feature_table` (shared with GLSZM, GLDM and GLDZM).
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
#: keys of :func:`matrix_features`, in the row order of :func:`feature_table`
KEYS: tuple[str, ...] = (
    "se", "le", "lge", "hge", "slge", "shge", "llge", "lhge",
    "glnu", "glnu_norm", "jnu", "jnu_norm", "perc", "gl_var", "j_var", "entr",
)  # fmt: skip
_ROW = {k: r for r, k in enumerate(KEYS)}
_POWERS = np.array([0.0, -2.0, 2.0, 1.0])  # weights 1, x^-2, x^2, x of the grey levels / columns
# positions in the flattened (4 [grey level weight], 4 [column weight]) totals of the eight emphases
_EMPHASES = np.array([1, 2, 4, 8, 5, 9, 6, 10])


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
    matrix). Returns ``(G,)`` arrays (views of the rows of :func:`feature_table`); a matrix without
    entries gives NaN.
    """
    return dict(zip(KEYS, feature_table(P, gl, col, n_v, eps=eps)))


def feature_table(
    P: np.ndarray,
    gl: np.ndarray,
    col: np.ndarray,
    n_v: np.ndarray | None = None,
    *,
    eps: float | None = None,
) -> np.ndarray:
    """:func:`matrix_features` as one ``(16, G)`` array, rows in the order of :data:`KEYS`.

    Cost: every weighted total (the emphases, ``N_s``, the means) is one entry of
    ``U_i^T P U_j`` with ``U = [1, x^-2, x^2, x]`` of the grey levels and of the columns (two small
    matrix products), the entropy takes logarithms of the non-zero entries only (a zero entry adds
    exactly 0 to it in both forms), and the twelve sums divided by ``N_s`` are divided at once, so
    ``P`` is read a handful of times and the number of numpy calls does not grow with the number of
    features (it dominates for small ROIs).
    """
    P = np.asarray(P, dtype=np.float64)
    i = np.asarray(gl, dtype=np.float64)
    j = np.asarray(col, dtype=np.float64)
    n_mat = P.shape[0]
    pg = P.sum(axis=2)  # (G, Ng): per grey level
    pj = P.sum(axis=1)  # (G, Nj): per column
    out = np.empty((len(KEYS), n_mat))
    with np.errstate(divide="ignore", invalid="ignore"):
        # S[g, a, b] = sum_ij P_ij u_a(i) u_b(j) with u = (1, x^-2, x^2, x): every weighted total
        S = np.matmul(np.matmul((i[:, None] ** _POWERS).T, P), j[:, None] ** _POWERS)
        ns = S[:, 0, 0]
        out[:8] = S.reshape(n_mat, 16)[:, _EMPHASES].T  # se, le, lge, hge, slge, shge, llge, lhge
        out[8] = np.einsum("gi,gi->g", pg, pg)
        out[10] = np.einsum("gj,gj->g", pj, pj)
        out[9] = out[8] / ns  # the normalised non-uniformities are divided by N_s twice
        out[11] = out[10] / ns
        out[:12] /= ns
        out[12] = ns / (S[:, 0, 3] if n_v is None else np.asarray(n_v, dtype=np.float64))
        # variances from the integer-valued marginals first, so a constant marginal gives exactly 0
        mu = S[:, 3, 0] / ns
        out[13] = (pg * (i[None, :] - mu[:, None]) ** 2).sum(axis=1) / ns
        mu = S[:, 0, 3] / ns
        out[14] = (pj * (j[None, :] - mu[:, None]) ** 2).sum(axis=1) / ns
        flat = P.reshape(n_mat, -1)
        nz = np.flatnonzero(flat)
        which = nz // flat.shape[1] if n_mat > 1 else np.zeros(nz.size, dtype=np.intp)
        p = flat.ravel()[nz] / ns[which]
        plogp = p * np.log2(p if eps is None else p + eps)
        out[15] = -np.bincount(which, weights=plogp, minlength=n_mat)
    empty = ns == 0
    if empty.any():
        out[:, empty] = np.nan
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


class RunLayout:
    """Mask-only layout of the lines of every direction (see "Implementation" in the module docstring).

    ``seq`` lists, direction after direction, the ROI voxels of every line in line order, by rank
    (C order of the ROI voxels); ``cont`` marks the slots whose predecessor along the line is the
    previous slot (false where a segment of consecutive ROI voxels starts: a voxel whose
    predecessor is outside the ROI, or the first voxel of a line or direction; runs break there);
    ``slot_code[s] = direction(s) * nr - 1``. ``multi[a]`` tells whether some line of direction
    ``a`` holds more than one ROI voxel.
    """

    def __init__(self, mask: np.ndarray, offsets: np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        n = int(np.count_nonzero(mask))
        rank = np.full(mask.shape, -1, dtype=np.intp)
        rank[mask] = np.arange(n, dtype=np.intp)
        self.nr = nr = int(max(mask.shape))
        self.offsets = offsets
        seqs, conts, codes, multi = [], [], [], []
        for a, o in enumerate(offsets):
            coef, const, size, period = _embedding(mask.shape, o)
            line = np.full(size + 2, -1, dtype=np.intp)
            view = np.lib.stride_tricks.as_strided(
                line[const + 1 :], shape=mask.shape, strides=tuple(int(c) * line.itemsize for c in coef)
            )
            view[...] = rank
            slots = np.flatnonzero(line >= 0)
            cont = np.zeros(slots.size, dtype=bool)
            np.equal(slots[1:] - 1, slots[:-1], out=cont[1:])  # right after the previous voxel
            multi.append(bool(np.any((slots[1:] - 1) // period == (slots[:-1] - 1) // period)))
            seqs.append(line[slots])
            conts.append(cont)
            codes.append(np.full(slots.size, a * nr - 1, dtype=np.intp))
        self.seq = np.concatenate(seqs) if seqs else np.zeros(0, dtype=np.intp)
        self.cont = np.concatenate(conts) if conts else np.zeros(0, dtype=bool)
        self.slot_code = np.concatenate(codes) if codes else np.zeros(0, dtype=np.intp)
        self.multi = np.array(multi, dtype=bool)


def run_layout(roi: RoiImage, offsets: np.ndarray, key: tuple) -> RunLayout:
    """The :class:`RunLayout` of ``roi``'s mask for ``offsets``, built once per ROI (mask store)."""
    return roi.mask_cache(("glrlm_layout", *key), lambda: RunLayout(roi.mask, offsets))


def _direction_matrices(roi: RoiImage, layout: RunLayout) -> np.ndarray:
    """Per-direction run counts ``(A, G, L)``: rows for the grey levels present (``roi.levels``),
    column ``j - 1`` for run length ``j`` up to the longest run ``L``.

    The grey-level indices are read along the layout; a slot *continues* a run when it is not a
    segment start and has the level of the slot before. Runs of length >= 2 are the maximal blocks
    of continuing slots (plus the slot before), found from the block edges, and one ``bincount``
    of ``level * (A Nr) + direction * Nr + length - 1`` counts them. Runs of length 1 (most runs
    in a finely textured image) are never listed: every ROI voxel lies on exactly one line per
    direction, so they are the voxels of each level minus those in longer runs.
    """
    lv = roi.levels
    G = lv.gray_levels.size
    A, nr = len(layout.offsets), layout.nr
    S = layout.seq.size
    if S == 0:
        return np.zeros((A, G, 0), dtype=np.int64)
    index = lv.index.astype(np.min_scalar_type(max(G - 1, 0)))  # small type: cheaper passes
    v = index[layout.seq]
    same = np.zeros(S + 1, dtype=bool)  # same[s]: slot s continues the run of slot s - 1
    np.equal(v[1:], v[:-1], out=same[1:S])
    same[:S] &= layout.cont
    edge = np.flatnonzero(same[1:] != same[:-1])  # up at the run's first slot, down at its last
    first, last = edge[0::2], edge[1::2]
    length = last - first + 1
    code = np.multiply(v[first], A * nr, dtype=np.intp)
    code += layout.slot_code[first]
    code += length
    counts = np.bincount(code, minlength=G * A * nr).reshape(G, A, nr)
    longest = int(length.max()) if length.size else 1
    counts = counts[:, :, :longest]
    # runs of length 1: every voxel of a level in a direction is in exactly one run
    counts[:, :, 0] = lv.counts[:, None] - counts[:, :, 1:] @ np.arange(2, longest + 1)
    return counts.transpose(1, 0, 2)


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
    force2D, dim = bool(s.get("force2D", False)), int(s.get("force2Ddimension", 0))
    offsets = angles(roi.mask.shape, (1,), force2D=force2D, force2Ddimension=dim)
    gls = roi.levels.gray_levels
    if len(offsets) == 0:
        return np.zeros((0, len(gls), 0)), gls, np.zeros(0)
    layout = run_layout(roi, offsets, (force2D, dim))
    P = _direction_matrices(roi, layout).astype(np.float64)
    if not layout.multi.all():
        P[~layout.multi] = 0.0
    norm = s.get("weightingNorm")
    if norm is not None:
        w = _weights(offsets, roi.spacing, norm)
        P = (P * w[:, None, None]).sum(axis=0, keepdims=True)
    elif P.shape[0] > 1:
        P = P[P.sum(axis=(1, 2)) > 0]
    present = np.flatnonzero(P.sum(axis=(0, 1)))
    if present.size != P.shape[2]:
        P = P[:, :, present]
    return P, gls, (present + 1).astype(np.float64)


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
    table = feature_table(P, gls, jv, eps=float(np.spacing(1)))
    return direction_means(table, wanted, _PYRAD)


def direction_means(table: np.ndarray, wanted: list[str], keys: dict[str, str]) -> dict[str, float]:
    """``nanmean`` over the matrices of the :func:`feature_table` rows of the features ``wanted``
    (``keys``: feature name -> key), NaN where no matrix has a value."""
    V = table[[_ROW[keys[n]] for n in wanted]]  # (F, A)
    means = V.mean(axis=1)
    out = means.tolist()
    if np.isnan(means).any():
        for k, row in enumerate(V):
            if out[k] != out[k]:
                ok = row[~np.isnan(row)]
                out[k] = float(ok.mean()) if ok.size else float("nan")
    return dict(zip(wanted, out))


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
