"""Grey level co-occurrence matrix (GLCM) features, IBSI family ``LFYI``.

Definitions (IBSI reference manual, Zwanenburg et al. 2020, section "Grey level co-occurrence based
features"): for a direction vector ``m`` the GLCM ``M_m`` counts how often grey levels ``i`` and
``j`` occur in two ROI voxels ``k`` and ``k + m``; with symmetry ``M_m = M_{m+} + M_{m+}^T``.
``p_ij = M_ij / sum(M)`` is the joint probability, ``p_i.``/``p_.j`` the marginals, ``p_{i-j,k}``
and ``p_{i+j,k}`` the diagonal and cross-diagonal probabilities.

Matrices (PyRadiomics profile, :func:`compute`)
------------------------------------------------
The co-occurrence counts come from the shared neighbour pairs
(:func:`radiome.features._neighbours.neighbourhood`, shared with GLDM and NGTDM). Which ROI voxels
form a pair at each offset depends on the mask only, so that list (a ``PairTable``) is built once
per ROI and reused by every image type (the extractor's mask store, see
:meth:`radiome.features.base.RoiImage.mask_cache`); per image type the grey-level indices of the
two voxels of every pair are gathered and one ``np.bincount`` of ``(direction * G + i) * G + j``
yields the matrices of all 13 directions (Chebyshev distance 1 in 3D; 4 in 2D with ``force2D``;
more with several ``distances``). ``G`` is the number of grey levels present, so the matrices
already have PyRadiomics' empty rows/columns removed. No loop runs over voxels.

Then, as PyRadiomics 3.1 (``radiomics/glcm.py``):

* ``symmetricalGLCM`` (default True): ``P += P^T`` per direction;
* ``weightingNorm`` (``manhattan``/``euclidean``/``infinity``/``no_weighting``): directions are
  weighted by ``exp(-||m * spacing||^2)`` in that norm and summed into one matrix; an unknown
  norm uses weight 1 (PyRadiomics logs a warning);
* without weighting, directions with no pair are dropped (if more than one direction exists);
  each matrix is normalised to probabilities; a direction with no pair gives NaN;
* every feature is computed per direction and averaged with ``nanmean``.

Features use the grey-level *values* present (``i``, ``j``) and ``N_g`` = the largest grey level
(PyRadiomics' ``Ng``), with ``eps = 2.2e-16`` inside every ``log2`` as PyRadiomics does.

PyRadiomics name -> IBSI feature (code) and PyRadiomics' departures:

* ``Autocorrelation`` -> autocorrelation (QWB0)
* ``JointAverage`` -> joint average (60VM)
* ``ClusterProminence`` / ``ClusterShade`` / ``ClusterTendency`` -> AE86 / 7NFM / DG8W
* ``Contrast`` -> contrast (ACUI)
* ``Correlation`` -> correlation (NI2N); 1 when ``sigma_x sigma_y = 0`` (flat ROI), and
  ``eps`` is added to the denominator
* ``DifferenceAverage`` / ``DifferenceEntropy`` / ``DifferenceVariance`` -> TF7R / NTRS / D3YU
* ``JointEnergy`` -> angular second moment (8ZQL); ``JointEntropy`` -> joint entropy (TU9B)
* ``Imc1`` -> information correlation 1 (R8DG), divided by ``max(HX, HY)`` and 0 when both are 0;
  ``Imc2`` -> information correlation 2 (JN9H), 0 when ``HXY2 == HXY``
* ``Idm`` / ``Idmn`` / ``Id`` / ``Idn`` -> inverse difference moment (WF0Z) / normalised (1QCO) /
  inverse difference (IB1Z) / normalised (NDRX)
* ``InverseVariance`` -> inverse variance (E8JP); ``MaximumProbability`` -> joint maximum (GYBY)
* ``SumAverage`` -> sum average (ZGXS); ``SumEntropy`` -> sum entropy (P6QZ)
* ``SumSquares`` -> joint variance (UR99)
* ``MCC`` (maximal correlation coefficient) has no IBSI counterpart; 1 for a single grey level
* deprecated (PyRadiomics computes no value, nor do we): ``Dissimilarity`` (= difference average),
  ``Homogeneity1`` (= Id), ``Homogeneity2`` (= Idm), ``SumVariance`` (= cluster tendency).

IBSI profile (:func:`compute_ibsi`)
-----------------------------------
Symmetric GLCMs and the six aggregations of the IBSI manual: ``2D_avg`` (BTW3, per slice and
in-plane direction, averaged), ``2D_comb`` (SUJT, directions merged per slice, averaged over
slices), ``2_5D_avg`` (JJUI, slices merged per direction, averaged over directions), ``2_5D_comb``
(ZW7Z, all 2D matrices merged), ``3D_avg`` (ITBB, 13 volume matrices, averaged) and ``3D_comb``
(IAZD, merged). Slices are axial (axis 0 of the ``[z, y, x]`` array). Merging sums counts before
normalising. IBSI formulas are used without ``eps`` (``0 log 0 = 0``); ``N_g`` is the largest grey
level, as PyRadiomics (for the digital phantom, levels 1..6 give ``N_g = 6``). Empty matrices (no
pair) are left out of averages. Where IBSI leaves a value undefined we follow PyRadiomics:
correlation 1 if a marginal has zero variance, information correlation 1 = 0 if ``HX = 0``.
In PyRadiomics terms (up to the ``eps`` in the logarithms): the default is IBSI ``3D_avg``,
``weightingNorm: no_weighting`` is ``3D_comb``, and ``force2D`` (axial) is ``2_5D_avg`` (``2_5D_comb``
with ``no_weighting``); IBSI's per-slice ``2D_*`` aggregations have no PyRadiomics counterpart.

Cost
----
Per image type: two gathers and one ``bincount`` over the pairs (~13 per ROI voxel), then the
features, all directions at once on the ``(n_directions, G, G)`` stack: a handful of passes over
the matrices (marginals, joint entropy and energy, maximum, the ``HXY1``/``HXY2`` terms), the rest
on the marginals and the (cross-)diagonal distributions, with few numpy calls (they dominate for
small ROIs). ``MCC`` needs one eigenvalue per direction; it uses a symmetric reformulation
(:func:`_mcc`, batched ``eigvalsh``, ~3x faster than PyRadiomics' ``eigvals``) that differs from
PyRadiomics by up to ~1e-10 relative because of the ``eps`` PyRadiomics adds to ``p_x p_y``; it
still dominates for large ``G`` (``O(G^3)`` per direction).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from radiome.features._neighbours import ibsi_neighbourhood, neighbourhood
from radiome.features.base import RoiImage

NAME = "glcm"

FEATURES: tuple[str, ...] = (
    "Autocorrelation",
    "ClusterProminence",
    "ClusterShade",
    "ClusterTendency",
    "Contrast",
    "Correlation",
    "DifferenceAverage",
    "DifferenceEntropy",
    "DifferenceVariance",
    "Dissimilarity",
    "Homogeneity1",
    "Homogeneity2",
    "Id",
    "Idm",
    "Idmn",
    "Idn",
    "Imc1",
    "Imc2",
    "InverseVariance",
    "JointAverage",
    "JointEnergy",
    "JointEntropy",
    "MCC",
    "MaximumProbability",
    "SumAverage",
    "SumEntropy",
    "SumSquares",
    "SumVariance",
)
DEPRECATED: frozenset[str] = frozenset({"Dissimilarity", "Homogeneity1", "Homogeneity2", "SumVariance"})

EPS = float(np.spacing(1))

IBSI_FEATURES: tuple[str, ...] = (
    "joint_max",
    "joint_avg",
    "joint_var",
    "joint_entr",
    "diff_avg",
    "diff_var",
    "diff_entr",
    "sum_avg",
    "sum_var",
    "sum_entr",
    "energy",
    "contrast",
    "dissimilarity",
    "inv_diff",
    "inv_diff_norm",
    "inv_diff_mom",
    "inv_diff_mom_norm",
    "inv_var",
    "corr",
    "auto_corr",
    "clust_tend",
    "clust_shade",
    "clust_prom",
    "info_corr1",
    "info_corr2",
)
IBSI_AGGREGATIONS: tuple[str, ...] = ("2D_avg", "2D_comb", "2_5D_avg", "2_5D_comb", "3D_avg", "3D_comb")


def _select(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return [n for n in FEATURES if n not in DEPRECATED]
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise KeyError(f"unknown GLCM feature(s): {', '.join(unknown)}")
    # deprecated features give no value, as in PyRadiomics
    return [n for n in names if n not in DEPRECATED]


def _direction_weights(offsets: np.ndarray, spacing: Sequence[float], norm: str) -> np.ndarray:
    """PyRadiomics' distance weights ``exp(-||offset * spacing||^2)`` per direction."""
    d = np.abs(offsets) * np.asarray(spacing, dtype=np.float64)[None, :]
    if norm == "infinity":
        return np.exp(-np.max(d, axis=1) ** 2)
    if norm == "euclidean":
        return np.exp(-np.sum(d**2, axis=1))
    if norm == "manhattan":
        return np.exp(-np.sum(d, axis=1) ** 2)
    return np.ones(len(offsets))  # 'no_weighting' and (as PyRadiomics, with a warning) unknown norms


def glcm_matrices(roi: RoiImage) -> tuple[np.ndarray, np.ndarray]:
    """Normalised GLCMs as PyRadiomics computes them: ``(P, gray_levels)``.

    ``P`` has shape ``(n_directions, G, G)`` (PyRadiomics stores it as ``(1, G, G, n)``); with
    ``weightingNorm`` a single merged matrix. Empty directions are dropped when unweighted and more
    than one direction exists; an empty matrix that remains is all NaN.
    """
    nb = neighbourhood(roi)
    counts = nb.cooccurrence.astype(np.float64)
    if bool(roi.settings.get("symmetricalGLCM", True)):
        counts += counts.transpose(0, 2, 1)
    norm = roi.settings.get("weightingNorm")
    if norm is not None:
        w = _direction_weights(nb.offsets, roi.spacing, norm)
        counts = np.sum(counts * w[:, None, None], axis=0, keepdims=True)
    sums = counts.sum(axis=(1, 2))
    if counts.shape[0] > 1 and not sums.all():
        keep = sums != 0
        counts, sums = counts[keep], sums[keep]
    if not sums.all():
        sums = np.where(sums == 0, np.nan, sums)
    counts /= sums[:, None, None]
    return counts, nb.gray_levels


def _diag_probs(P: np.ndarray, gl: np.ndarray, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """``p_{x+y}(k)`` for k = 2..2 N_g and ``p_{x-y}(k)`` for k = 0..N_g-1, per matrix."""
    n = P.shape[0]
    ksum, kdiff = _diag_codes(tuple(int(g) for g in gl))
    nsum, ndiff = max(2 * n_levels - 1, 1), max(n_levels, 1)
    rows = np.arange(n, dtype=np.intp)[:, None]
    flat = P.reshape(-1)
    pxy_sum = np.bincount((rows * nsum + ksum).ravel(), flat, n * nsum).reshape(n, nsum)
    pxy_diff = np.bincount((rows * ndiff + kdiff).ravel(), flat, n * ndiff).reshape(n, ndiff)
    return pxy_sum, pxy_diff


@functools.lru_cache(maxsize=16)
def _diag_codes(gl: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bin of every element of a ``G x G`` matrix in the (cross-)diagonal distributions, ``i + j - 2``
    and ``|i - j|`` (memoised: the grey levels present repeat between image types and ROIs)."""
    g = np.asarray(gl, dtype=np.intp)
    ksum = (g[:, None] + g[None, :] - 2).ravel()
    kdiff = np.abs(g[:, None] - g[None, :]).ravel()
    ksum.setflags(write=False)
    kdiff.setflags(write=False)
    return ksum, kdiff


def _mcc(P: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Maximal correlation coefficient per direction: sqrt of the 2nd largest eigenvalue of ``Q``.

    PyRadiomics takes the eigenvalues of the non-symmetric ``Q(i, j) = sum_k p(i, k) p(j, k) /
    (p_x(i) p_y(k) + eps)`` (LAPACK ``geev``). Without the ``eps``, ``Q = D_x^-1 P D_y^-1 P^T`` is
    similar (``D_x^1/2 Q D_x^-1/2``) to the symmetric positive semi-definite ``B B^T`` with
    ``B = D_x^-1/2 P D_y^-1/2`` (rows/columns of absent levels are zero either way), whose
    eigenvalues ``eigvalsh`` finds about 3x faster, for all directions in one batched call. The
    values differ from PyRadiomics' by ~1e-10 relative at most (the ``eps``); a second eigenvalue
    that rounds below 0 is taken as 0.
    """
    with np.errstate(divide="ignore"):
        rx = np.where(px > 0, 1.0 / np.sqrt(px), 0.0)
        ry = np.where(py > 0, 1.0 / np.sqrt(py), 0.0)
    B = P * rx[:, :, None]
    B *= ry[:, None, :]
    ev = np.linalg.eigvalsh(np.matmul(B, B.transpose(0, 2, 1)))
    return np.sqrt(np.maximum(ev[:, -2], 0.0))


def _avg(x: np.ndarray) -> float:
    """``nanmean`` over directions (NaN when no direction has a value), as PyRadiomics averages."""
    if x.size == 0:
        return float("nan")
    m = x.mean()
    if np.isnan(m):
        ok = x[~np.isnan(x)]
        m = ok.mean() if ok.size else np.nan
    return float(np.real(m))


# features that are a weighted sum of p_{x-y}(k): weight as a function of k (and N_g)
_DIFF_WEIGHTS = {
    "DifferenceAverage": lambda k, ng: k,
    "Contrast": lambda k, ng: k**2,
    "Idm": lambda k, ng: 1 / (1 + k**2),
    "Idmn": lambda k, ng: 1 / (1 + k**2 / ng**2),
    "Id": lambda k, ng: 1 / (1 + k),
    "Idn": lambda k, ng: 1 / (1 + k / ng),
    "InverseVariance": lambda k, ng: np.concatenate([[0.0], 1 / k[1:] ** 2]),  # k = 0 skipped
}
_CLUSTER_POWERS = {"ClusterTendency": 2, "ClusterShade": 3, "ClusterProminence": 4}


@functools.lru_cache(maxsize=64)
def _diff_weights(names: tuple[str, ...], n_levels: int) -> np.ndarray:
    """``(N_g, F)`` weights of ``p_{x-y}(k)`` for the difference features ``names`` (memoised)."""
    k = np.arange(0, n_levels, dtype=np.float64)
    with np.errstate(divide="ignore"):
        W = np.stack([_DIFF_WEIGHTS[name](k, n_levels) for name in names], axis=1)
    W.setflags(write=False)
    return W


def _per_direction(P: np.ndarray, gl_int: np.ndarray, n_levels: int, names: list[str]) -> dict[str, np.ndarray]:
    """Each requested feature per direction, shape (n,).

    All features come from a few shared arrays computed once: the marginals ``p_x``/``p_y``, their
    means and variances, the row sums ``sum_j p(i, j) j`` and the diagonal / cross-diagonal
    distributions. Where a feature reduces exactly to a sum over a marginal or a (cross-)diagonal
    distribution, that small array is used instead of the full ``(n, G, G)`` matrices (e.g.
    contrast ``= sum_k k^2 p_{x-y}(k)``, cluster tendency ``= sum_k (k - mu_x - mu_y)^2 p_{x+y}(k)``,
    correlation's ``sum_ij p(i, j) (i - mu_x)(j - mu_y) = sum_i (i - mu_x)(sum_j p(i, j) j - mu_y
    p_x(i))``); the values equal PyRadiomics' up to rounding (~1e-14 relative). The five entropies
    (joint, sum, difference, ``H_X``, ``H_Y``) share one logarithm over the concatenated
    distributions, the features that are weighted sums of ``p_{x-y}`` one matrix product, so the
    number of numpy calls (which dominates for small ROIs) stays low.
    """
    gl = gl_int.astype(np.float64)
    Ng = n_levels
    n, G = P.shape[0], P.shape[1]
    px = P.sum(axis=2)  # (n, G) row marginal
    py = P.sum(axis=1)  # (n, G) column marginal
    ux = px @ gl
    uy = py @ gl
    Pj = P @ gl  # (n, G): sum_j p(i, j) j
    pxy_sum, pxy_diff = _diag_probs(P, gl_int, Ng)
    ksum = np.arange(2, 2 * Ng + 1, dtype=np.float64)[: pxy_sum.shape[1]]
    kdiff = np.arange(0, Ng, dtype=np.float64)[: pxy_diff.shape[1]]
    vec: dict[str, np.ndarray] = {}
    diff = tuple(name for name in names if name in _DIFF_WEIGHTS)
    if diff:
        vec.update(zip(diff, (pxy_diff @ _diff_weights(diff, Ng)[: pxy_diff.shape[1]]).T))

    # -sum p log2(p + eps): of P (in place on one temporary), and of p_{x+y}, p_{x-y}, p_x, p_y
    # concatenated (one logarithm, one segmented sum)
    plogp = P + EPS
    np.log2(plogp, out=plogp)
    plogp *= P
    HXY = -plogp.reshape(n, G * G).sum(axis=1)
    dist = np.concatenate([pxy_sum, pxy_diff, px, py], axis=1)
    plogp = dist * np.log2(dist + EPS)
    bounds = np.cumsum([0, pxy_sum.shape[1], pxy_diff.shape[1], G])
    sum_entropy, diff_entropy, HX, HY = -np.add.reduceat(plogp, bounds, axis=1).T

    dx = gl[None, :] - ux[:, None]
    dy = gl[None, :] - uy[:, None]
    var_x = np.einsum("ni,ni->n", px, dx * dx)
    # cluster tendency / shade / prominence: sum_k (k - mu_x - mu_y)^m p_{x+y}(k), m = 2, 3, 4
    dev = ksum[None, :] - (ux + uy)[:, None]
    dev2 = dev * dev
    cluster = np.einsum("mnk,nk->mn", np.stack([dev2, dev2 * dev, dev2 * dev2]), pxy_sum)
    da = pxy_diff @ kdiff
    for name in names:
        if name in vec:
            continue
        if name == "Autocorrelation":
            v = Pj @ gl
        elif name == "JointAverage":
            v = ux
        elif name in _CLUSTER_POWERS:
            v = cluster[_CLUSTER_POWERS[name] - 2]
        elif name == "Correlation":
            corm = np.einsum("ni,ni->n", dx, Pj - uy[:, None] * px)
            var_y = np.einsum("ni,ni->n", py, dy * dy)
            sig = var_x**0.5 * var_y**0.5
            v = corm / (sig + EPS)
            v[sig == 0] = 1  # flat region: PyRadiomics returns 1
        elif name == "DifferenceEntropy":
            v = diff_entropy
        elif name == "DifferenceVariance":
            v = np.einsum("nk,nk->n", pxy_diff, (kdiff[None, :] - da[:, None]) ** 2)
        elif name == "JointEnergy":
            v = np.einsum("nij,nij->n", P, P)
        elif name == "JointEntropy":
            v = HXY
        elif name in ("Imc1", "Imc2"):
            if "HXY1" not in vec:
                pxpy = px[:, :, None] * py[:, None, :]
                log_pxpy = pxpy + EPS
                np.log2(log_pxpy, out=log_pxpy)
                vec["HXY1"] = -np.einsum("nij,nij->n", P, log_pxpy)
                vec["HXY2"] = -np.einsum("nij,nij->n", pxpy, log_pxpy)
            if name == "Imc1":
                div = np.fmax(HX, HY)
                v = HXY - vec["HXY1"]
                nz = div != 0
                v[nz] /= div[nz]
                v[~nz] = 0  # flat region: PyRadiomics returns 0
            else:
                HXY2 = vec["HXY2"]
                v = (1 - np.e ** (-2 * (HXY2 - HXY))) ** 0.5  # NaN if HXY > HXY2 by rounding, as PyRadiomics
                v[HXY2 == HXY] = 0
        elif name == "MaximumProbability":
            v = P.reshape(n, -1).max(axis=1) if P.size else np.zeros(n)
        elif name == "SumAverage":
            v = pxy_sum @ ksum
        elif name == "SumEntropy":
            v = sum_entropy
        elif name == "SumSquares":
            v = var_x
        elif name == "MCC":
            if n and np.isnan(px).any():  # a NaN matrix has NaN marginals
                v = np.full(n, np.nan)  # PyRadiomics: numpy refuses NaN matrices, the feature fails
            elif G < 2:
                v = np.ones(n)  # single grey level (flat region)
            else:
                v = _mcc(P, px, py)
        else:  # pragma: no cover - _select guards the names
            raise ValueError(name)
        vec[name] = v
    return vec


def _pyradiomics_features(P: np.ndarray, gl_int: np.ndarray, n_levels: int, names: list[str]) -> dict[str, float]:
    """PyRadiomics GLCM features from normalised matrices ``P`` (n, G, G), averaged over n.

    PyRadiomics averages with ``nanmean`` (``mean`` for JointAverage, which cannot differ: a NaN
    direction only exists when it is the only one). All features are stacked and averaged at once.
    """
    vec = _per_direction(P, gl_int, n_levels, names)
    V = np.stack([vec[name] for name in names])  # (F, n)
    means = V.mean(axis=1) if V.shape[1] else np.full(len(names), np.nan)
    out = means.tolist()
    if np.isnan(means).any():
        out = [m if m == m else _avg(row) for m, row in zip(out, V)]
    return dict(zip(names, out))


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible GLCM features of ``roi`` (``names`` None: all non-deprecated).

    Deprecated names are accepted and, as in PyRadiomics, yield no value. An ROI without any
    direction (a single voxel) gives NaN for every feature (PyRadiomics raises).
    """
    selected = _select(names)
    if not selected:
        return {}
    lv = roi.levels
    if lv.gray_levels.size == 0 or len(neighbourhood(roi).offsets) == 0:
        return {n: float("nan") for n in selected}
    P, gl = glcm_matrices(roi)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _pyradiomics_features(P, gl, lv.n_levels, selected)


# --------------------------------------------------------------------------------------------------
# IBSI profile


def _ibsi_matrix_features(counts: np.ndarray, gl_int: np.ndarray, n_levels: int) -> dict[str, np.ndarray]:
    """IBSI GLCM features of each (symmetric) count matrix in ``counts`` (n, G, G); no eps."""
    P = counts / counts.sum(axis=(1, 2), keepdims=True)
    gl = gl_int.astype(np.float64)
    i = gl[None, :, None]
    j = gl[None, None, :]
    pi = P.sum(axis=2)
    pj = P.sum(axis=1)
    mu_i = np.sum(pi * gl[None, :], axis=1)
    mu_j = np.sum(pj * gl[None, :], axis=1)
    pxy_sum, pxy_diff = _diag_probs(P, gl_int, n_levels)
    ksum = np.arange(2, 2 * n_levels + 1, dtype=np.float64)[None, : pxy_sum.shape[1]]
    kdiff = np.arange(0, n_levels, dtype=np.float64)[None, : pxy_diff.shape[1]]

    def plogp(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        return -np.sum(np.where(x > 0, x * np.log2(np.where(x > 0, x, 1)), 0.0), axis=axes)

    f: dict[str, np.ndarray] = {}
    f["joint_max"] = P.max(axis=(1, 2))
    f["joint_avg"] = np.sum(P * i, axis=(1, 2))
    f["joint_var"] = np.sum(P * (i - f["joint_avg"][:, None, None]) ** 2, axis=(1, 2))
    hxy = plogp(P, (1, 2))
    f["joint_entr"] = hxy
    f["diff_avg"] = np.sum(kdiff * pxy_diff, axis=1)
    f["diff_var"] = np.sum((kdiff - f["diff_avg"][:, None]) ** 2 * pxy_diff, axis=1)
    f["diff_entr"] = plogp(pxy_diff, (1,))
    f["sum_avg"] = np.sum(ksum * pxy_sum, axis=1)
    f["sum_var"] = np.sum((ksum - f["sum_avg"][:, None]) ** 2 * pxy_sum, axis=1)
    f["sum_entr"] = plogp(pxy_sum, (1,))
    f["energy"] = np.sum(P**2, axis=(1, 2))
    f["contrast"] = np.sum((i - j) ** 2 * P, axis=(1, 2))
    f["dissimilarity"] = np.sum(np.abs(i - j) * P, axis=(1, 2))
    f["inv_diff"] = np.sum(pxy_diff / (1 + kdiff), axis=1)
    f["inv_diff_norm"] = np.sum(pxy_diff / (1 + kdiff / n_levels), axis=1)
    f["inv_diff_mom"] = np.sum(pxy_diff / (1 + kdiff**2), axis=1)
    f["inv_diff_mom_norm"] = np.sum(pxy_diff / (1 + (kdiff / n_levels) ** 2), axis=1)
    f["inv_var"] = np.sum(pxy_diff[:, 1:] / kdiff[:, 1:] ** 2, axis=1)
    sd_i = np.sqrt(np.sum(pi * (gl[None, :] - mu_i[:, None]) ** 2, axis=1))
    sd_j = np.sqrt(np.sum(pj * (gl[None, :] - mu_j[:, None]) ** 2, axis=1))
    cov = np.sum(P * i * j, axis=(1, 2)) - mu_i * mu_j
    den = sd_i * sd_j
    f["corr"] = np.where(den > 0, cov / np.where(den > 0, den, 1), 1.0)
    f["auto_corr"] = np.sum(P * i * j, axis=(1, 2))
    dev = i + j - mu_i[:, None, None] - mu_j[:, None, None]
    f["clust_tend"] = np.sum(dev**2 * P, axis=(1, 2))
    f["clust_shade"] = np.sum(dev**3 * P, axis=(1, 2))
    f["clust_prom"] = np.sum(dev**4 * P, axis=(1, 2))
    hx = plogp(pi, (1,))
    pp = pi[:, :, None] * pj[:, None, :]
    log_pp = np.log2(np.where(pp > 0, pp, 1))
    hxy1 = -np.sum(np.where(P > 0, P * log_pp, 0.0), axis=(1, 2))
    hxy2 = -np.sum(np.where(pp > 0, pp * log_pp, 0.0), axis=(1, 2))
    f["info_corr1"] = np.where(hx > 0, (hxy - hxy1) / np.where(hx > 0, hx, 1), 0.0)
    f["info_corr2"] = np.sqrt(np.clip(1 - np.exp(-2 * (hxy2 - hxy)), 0, None))
    return f


def _ibsi_stack(roi: RoiImage, aggregation: str) -> np.ndarray:
    """The count matrices whose features are averaged for ``aggregation`` (empty ones removed)."""
    if aggregation.startswith("3D"):
        c = ibsi_neighbourhood(roi, "3D").cooccurrence.astype(np.float64)  # (dir, G, G)
        c = c + c.transpose(0, 2, 1)
        if aggregation == "3D_comb":
            c = c.sum(axis=0, keepdims=True)
    else:
        c = ibsi_neighbourhood(roi, "2D").cooccurrence.astype(np.float64)  # (dir, z, G, G)
        c = c + c.transpose(0, 1, 3, 2)
        G = c.shape[-1]
        if aggregation == "2D_avg":
            c = c.reshape(-1, G, G)
        elif aggregation == "2D_comb":
            c = c.sum(axis=0)
        elif aggregation == "2_5D_avg":
            c = c.sum(axis=1)
        else:  # 2_5D_comb
            c = c.sum(axis=(0, 1))[None]
    return c[c.sum(axis=(1, 2)) > 0]


def compute_ibsi(roi: RoiImage, aggregation: str) -> dict[str, float]:
    """IBSI GLCM features keyed by IBSI tag (``cm_<feature>_<aggregation>``).

    ``aggregation`` is one of ``2D_avg``, ``2D_comb``, ``2_5D_avg``, ``2_5D_comb``, ``3D_avg``,
    ``3D_comb`` (see the module docstring). Distances come from the ``distances`` setting (default 1).
    """
    if aggregation not in IBSI_AGGREGATIONS:
        raise ValueError(f"unknown IBSI aggregation {aggregation!r}; expected one of {IBSI_AGGREGATIONS}")
    lv = roi.levels
    nan = {f"cm_{n}_{aggregation}": float("nan") for n in IBSI_FEATURES}
    if lv.gray_levels.size == 0:
        return nan
    stack = _ibsi_stack(roi, aggregation)
    if stack.shape[0] == 0:
        return nan
    with np.errstate(divide="ignore", invalid="ignore"):
        feats = _ibsi_matrix_features(stack, lv.gray_levels, lv.n_levels)
    return {f"cm_{n}_{aggregation}": float(np.mean(feats[n])) for n in IBSI_FEATURES}
