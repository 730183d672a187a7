"""Grey level co-occurrence matrix (GLCM) features, IBSI family ``LFYI``.

Definitions (IBSI reference manual, Zwanenburg et al. 2020, section "Grey level co-occurrence based
features"): for a direction vector ``m`` the GLCM ``M_m`` counts how often grey levels ``i`` and
``j`` occur in two ROI voxels ``k`` and ``k + m``; with symmetry ``M_m = M_{m+} + M_{m+}^T``.
``p_ij = M_ij / sum(M)`` is the joint probability, ``p_i.``/``p_.j`` the marginals, ``p_{i-j,k}``
and ``p_{i+j,k}`` the diagonal and cross-diagonal probabilities.

Matrices (PyRadiomics profile, :func:`compute`)
------------------------------------------------
The co-occurrence counts come from the shared neighbour pass
(:func:`radiome.features._neighbours.neighbourhood`, cached on the ``RoiImage`` and shared with GLDM
and NGTDM). For each of the 13 directions (Chebyshev distance 1 in 3D; 4 in 2D with ``force2D``;
more with several ``distances``) the neighbour of every ROI voxel is one gather in the flattened,
padded grey-level-index array (the offset is a constant shift of the flat index), and one
``np.bincount`` of ``(direction * (G + 1) + i) * (G + 1) + j`` over a block of directions yields
their matrices at once. ``G`` is the number of grey levels present, so the matrices already have
PyRadiomics' empty rows/columns removed. No loop runs over voxels.

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
After the shared pass, features reduce the ``(n_directions, G, G)`` matrices once or twice (joint
entropy, energy, maximum, the ``HXY1``/``HXY2`` terms, correlation); the rest use the marginals and
the (cross-)diagonal distributions. ``MCC`` needs the eigenvalues of a non-symmetric ``G x G``
matrix per direction (LAPACK ``geev``, as PyRadiomics): it costs the same as in PyRadiomics and
dominates for large ``G``. (A symmetric reformulation would be several times faster but differs
from PyRadiomics by ~1e-11 relative because of the ``eps`` PyRadiomics adds to ``p_x p_y``.)
"""

from __future__ import annotations

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
        counts = counts + counts.transpose(0, 2, 1)
    norm = roi.settings.get("weightingNorm")
    if norm is not None:
        w = _direction_weights(nb.offsets, roi.spacing, norm)
        counts = np.sum(counts * w[:, None, None], axis=0, keepdims=True)
    sums = counts.sum(axis=(1, 2))
    if counts.shape[0] > 1:
        keep = sums != 0
        counts, sums = counts[keep], sums[keep]
    sums = np.where(sums == 0, np.nan, sums)
    return counts / sums[:, None, None], nb.gray_levels


def _diag_probs(P: np.ndarray, gl: np.ndarray, n_levels: int) -> tuple[np.ndarray, np.ndarray]:
    """``p_{x+y}(k)`` for k = 2..2 N_g and ``p_{x-y}(k)`` for k = 0..N_g-1, per matrix."""
    n, G = P.shape[0], gl.size
    ksum = (gl[:, None] + gl[None, :] - 2).ravel()
    kdiff = np.abs(gl[:, None] - gl[None, :]).ravel()
    nsum, ndiff = max(2 * n_levels - 1, 1), max(n_levels, 1)
    rows = np.arange(n)[:, None]
    flat = P.reshape(n, G * G)
    pxy_sum = np.bincount((rows * nsum + ksum[None, :]).ravel(), flat.ravel(), n * nsum).reshape(n, nsum)
    pxy_diff = np.bincount((rows * ndiff + kdiff[None, :]).ravel(), flat.ravel(), n * ndiff).reshape(n, ndiff)
    return pxy_sum, pxy_diff


def _mcc(P: np.ndarray, px: np.ndarray, py: np.ndarray) -> float:
    """Maximal correlation coefficient: sqrt of the 2nd largest eigenvalue of ``Q``, nanmean."""
    if P.shape[0] and np.isnan(P).any():
        return float("nan")  # PyRadiomics: numpy refuses NaN matrices, the feature fails (NaN)
    # Q(i, j) = sum_k p(i, k) p(j, k) / (p_x(i) p_y(k) + eps)
    A = P / (px[:, :, None] * py[:, None, :] + EPS)
    Q = np.matmul(A, P.transpose(0, 2, 1))
    ev = np.linalg.eigvals(Q)
    ev.sort()
    if ev.shape[-1] < 2:
        return 1.0  # single grey level (flat region)
    with np.errstate(invalid="ignore"):
        return _avg(np.sqrt(ev[:, -2]))


def _avg(x: np.ndarray) -> float:
    """``nanmean`` over directions (NaN when no direction has a value), as PyRadiomics averages."""
    if x.size == 0:
        return float("nan")
    m = x.mean()
    if np.isnan(m):
        ok = x[~np.isnan(x)]
        m = ok.mean() if ok.size else np.nan
    return float(np.real(m))


class _Coefficients:
    """Per-direction quantities shared by several features, computed on first use.

    Where a feature reduces exactly to a sum over a marginal or a (cross-)diagonal distribution,
    that small array is used instead of the full ``(n, G, G)`` matrices (e.g. contrast
    ``= sum_k k^2 p_{x-y}(k)``, cluster tendency ``= sum_k (k - mu_x - mu_y)^2 p_{x+y}(k)``); the
    values equal PyRadiomics' up to rounding (~1e-14 relative).
    """

    def __init__(self, P: np.ndarray, gl_int: np.ndarray, n_levels: int) -> None:
        self.P = P
        self.gl = gl_int.astype(np.float64)
        self.gl_int = gl_int
        self.Ng = n_levels
        self._memo: dict[str, np.ndarray] = {}

    def __getattr__(self, key: str) -> np.ndarray:
        memo = self.__dict__["_memo"]
        if key not in memo:
            memo[key] = getattr(self, "_" + key)()
        return memo[key]

    def _px(self) -> np.ndarray:
        return self.P.sum(axis=2)  # (n, G) row marginal

    def _py(self) -> np.ndarray:
        return self.P.sum(axis=1)  # (n, G) column marginal

    def _ux(self) -> np.ndarray:
        return self.px @ self.gl

    def _uy(self) -> np.ndarray:
        return self.py @ self.gl

    def _diag(self) -> tuple[np.ndarray, np.ndarray]:
        return _diag_probs(self.P, self.gl_int, self.Ng)

    def _pxy_sum(self) -> np.ndarray:
        return self.diag[0]

    def _pxy_diff(self) -> np.ndarray:
        return self.diag[1]

    def _ksum(self) -> np.ndarray:
        return np.arange(2, 2 * self.Ng + 1, dtype=np.float64)[: self.pxy_sum.shape[1]]

    def _kdiff(self) -> np.ndarray:
        return np.arange(0, self.Ng, dtype=np.float64)[: self.pxy_diff.shape[1]]

    def _HXY(self) -> np.ndarray:
        P = self.P
        return -np.sum(P * np.log2(P + EPS), axis=(1, 2))

    def _pxpy(self) -> np.ndarray:
        return self.px[:, :, None] * self.py[:, None, :]

    def _log_pxpy(self) -> np.ndarray:
        return np.log2(self.pxpy + EPS)

    def _var_x(self) -> np.ndarray:
        return np.sum(self.px * (self.gl[None, :] - self.ux[:, None]) ** 2, axis=1)

    def _var_y(self) -> np.ndarray:
        return np.sum(self.py * (self.gl[None, :] - self.uy[:, None]) ** 2, axis=1)

    def _cluster_dev(self) -> np.ndarray:
        return self.ksum[None, :] - self.ux[:, None] - self.uy[:, None]


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


def _per_direction(c: _Coefficients, names: list[str]) -> dict[str, np.ndarray]:
    """Each requested feature per direction, shape (n,)."""
    P = c.P
    n = P.shape[0]
    vec: dict[str, np.ndarray] = {}
    diff = [name for name in names if name in _DIFF_WEIGHTS]
    if diff:
        W = np.stack([_DIFF_WEIGHTS[name](c.kdiff, c.Ng) for name in diff], axis=1)
        for name, v in zip(diff, (c.pxy_diff @ W).T):
            vec[name] = v
    for name in names:
        if name in vec:
            continue
        if name == "Autocorrelation":
            v = np.einsum("nij,i,j->n", P, c.gl, c.gl)
        elif name == "JointAverage":
            v = c.ux
        elif name in _CLUSTER_POWERS:
            v = np.sum(c.pxy_sum * c.cluster_dev ** _CLUSTER_POWERS[name], axis=1)
        elif name == "Correlation":
            # sum_ij p(i,j) (i - mu_x)(j - mu_y), sigma_x, sigma_y from the marginals
            dy = c.gl[None, :] - c.uy[:, None]
            dx = c.gl[None, :] - c.ux[:, None]
            corm = np.einsum("nij,ni,nj->n", P, dx, dy)
            sig = c.var_x**0.5 * c.var_y**0.5
            v = corm / (sig + EPS)
            v[sig == 0] = 1  # flat region: PyRadiomics returns 1
        elif name == "DifferenceEntropy":
            v = -np.sum(c.pxy_diff * np.log2(c.pxy_diff + EPS), axis=1)
        elif name == "DifferenceVariance":
            da = c.pxy_diff @ c.kdiff
            v = np.sum(c.pxy_diff * (c.kdiff[None, :] - da[:, None]) ** 2, axis=1)
        elif name == "JointEnergy":
            v = np.einsum("nij,nij->n", P, P)
        elif name == "JointEntropy":
            v = c.HXY
        elif name == "Imc1":
            HX = -np.sum(c.px * np.log2(c.px + EPS), axis=1)
            HY = -np.sum(c.py * np.log2(c.py + EPS), axis=1)
            HXY1 = -np.einsum("nij,nij->n", P, c.log_pxpy)
            div = np.fmax(HX, HY)
            v = c.HXY - HXY1
            nz = div != 0
            v[nz] /= div[nz]
            v[div == 0] = 0  # flat region: PyRadiomics returns 0
        elif name == "Imc2":
            HXY2 = -np.einsum("nij,nij->n", c.pxpy, c.log_pxpy)
            v = (1 - np.e ** (-2 * (HXY2 - c.HXY))) ** 0.5  # NaN if HXY > HXY2 by rounding, as PyRadiomics
            v[HXY2 == c.HXY] = 0
        elif name == "MaximumProbability":
            v = P.reshape(n, -1).max(axis=1) if P.size else np.zeros(n)
        elif name == "SumAverage":
            v = c.pxy_sum @ c.ksum
        elif name == "SumEntropy":
            v = -np.sum(c.pxy_sum * np.log2(c.pxy_sum + EPS), axis=1)
        elif name == "SumSquares":
            v = c.var_x
        else:  # pragma: no cover - _select guards the names
            raise ValueError(name)
        vec[name] = v
    return vec


def _pyradiomics_features(P: np.ndarray, gl_int: np.ndarray, n_levels: int, names: list[str]) -> dict[str, float]:
    """PyRadiomics GLCM features from normalised matrices ``P`` (n, G, G), averaged over n.

    PyRadiomics averages with ``nanmean`` (``mean`` for JointAverage, which cannot differ: a NaN
    direction only exists when it is the only one).
    """
    c = _Coefficients(P, gl_int, n_levels)
    plain = [name for name in names if name != "MCC"]
    out: dict[str, float] = {}
    if plain:
        vec = _per_direction(c, plain)
        V = np.stack([vec[name] for name in plain])  # (F, n)
        means = V.mean(axis=1) if V.shape[1] else np.full(len(plain), np.nan)
        for name, m, row in zip(plain, means, V):
            out[name] = float(m) if not np.isnan(m) else _avg(row)
    if "MCC" in names:
        out["MCC"] = _mcc(P, c.px, c.py)
    return {name: out[name] for name in names}


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
