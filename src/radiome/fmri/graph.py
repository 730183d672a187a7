"""Graph theory on an ROI connectivity matrix (our own numpy/scipy implementation).

Every measure works on a symmetric, non-negative weight matrix ``W`` with a zero diagonal (the
thresholding functions produce one from a correlation matrix). Definitions follow Rubinov & Sporns
(2010), "Complex network measures of brain connectivity: uses and interpretations", NeuroImage 52:
1059-1069 (Table A1), written out in each docstring:

* degree ``k_i = sum_j a_ij``; strength ``s_i = sum_j w_ij``.
* clustering coefficient: binary, Watts & Strogatz (1998, Nature 393: 440-442),
  ``C_i = t_i / (k_i (k_i - 1) / 2)`` with ``t_i`` the triangles through ``i``; weighted, Onnela et
  al. (2005, Phys Rev E 71: 065103), ``C_i = sum_jh (w_ij w_jh w_hi)^(1/3) / (k_i (k_i - 1))`` with
  weights divided by the largest weight of the graph (the networkx convention). ``C_i = 0`` when
  ``k_i < 2``.
* global efficiency, Latora & Marchiori (2001, Phys Rev Lett 87: 198701):
  ``E = 1/(n(n-1)) sum_{i != j} 1/d_ij`` (``1/inf = 0`` for disconnected pairs).
* characteristic path length as the *harmonic* mean of the distances, ``L = 1/E`` (Latora &
  Marchiori 2001; the convention of GRETNA for thresholded brain graphs); finite whenever at least
  one pair is connected, so it is safe on fragmented graphs where the arithmetic mean is infinite.
* local efficiency: binary, Latora & Marchiori (2001): ``E_loc(i)`` is the global efficiency of the
  subgraph induced by the neighbours of ``i`` (``0`` when ``k_i < 2``), as in networkx; weighted,
  Rubinov & Sporns (2010) Table A1 (see :func:`local_efficiency`).
* betweenness centrality (Freeman 1977; computed with Brandes' algorithm by networkx), weighted with
  edge length ``1 / w``.
* small-worldness sigma (Humphries & Gurney 2008, PLoS ONE 3: e0002002) and omega (Telesford et al.
  2011, Brain Connectivity 1: 367-375), with random references made by Maslov & Sneppen (2002,
  Science 296: 910-913) degree-preserving double-edge swaps; see :func:`small_worldness`.

Weighted distances use the edge length ``l_ij = 1 / w~_ij`` with ``w~ = w / max(w)`` so that every
weighted measure is invariant to a global rescaling of the weights.

No code from the Brain Connectivity Toolbox (GPL) was used; networkx (BSD) computes betweenness and
serves as the test reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import shortest_path

from radiome._threads import single_blas_thread
from radiome.errors import RadiomeError

__all__ = [
    "betweenness",
    "binarize",
    "characteristic_path_length",
    "clustering_coefficient",
    "degree",
    "global_efficiency",
    "graph_metric_curves",
    "graph_metrics",
    "local_efficiency",
    "nodal_efficiency",
    "randomize_degree_preserving",
    "ring_lattice",
    "small_worldness",
    "strength",
    "threshold_absolute",
    "threshold_proportional",
]

DEFAULT_DENSITIES = np.round(np.arange(0.05, 0.51, 0.01), 10)


# --------------------------------------------------------------------------------------------------
# input checks and thresholding


def _square(W: np.ndarray, *, what: str = "connectivity matrix") -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise RadiomeError(f"the {what} must be square, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise RadiomeError(f"the {what} holds NaN or Inf values")
    if not np.allclose(W, W.T, rtol=1e-6, atol=1e-8):
        raise RadiomeError(f"the {what} must be symmetric (undirected graph)")
    W = (W + W.T) / 2.0
    np.fill_diagonal(W, 0.0)
    return W


def _graph(W: np.ndarray) -> np.ndarray:
    """A valid graph: square, symmetric, finite, non-negative; the diagonal is set to 0."""
    W = _square(W, what="graph weight matrix")
    if np.any(W < 0):
        raise RadiomeError(
            "the graph has negative weights: threshold it first (threshold_proportional / "
            "threshold_absolute keep positive weights, or |r| with absolute=True)"
        )
    return W


def _ranking_values(W: np.ndarray, absolute: bool) -> np.ndarray:
    return np.abs(W) if absolute else W


def threshold_proportional(W: np.ndarray, density: float, absolute: bool = False) -> np.ndarray:
    """Keep the strongest ``round(density * n(n-1)/2)`` edges of an undirected matrix.

    Edges are ranked by weight (``absolute=False``: only positive weights can be kept, negative
    correlations are dropped) or by ``|w|`` (``absolute=True``, as GRETNA's "absolute" mode; the kept
    weights become ``|w|``). The count uses ``numpy.round`` (half to even). Ties are broken by
    the row-major position of the edge in the upper triangle, so the result is deterministic. When
    fewer eligible (non-zero) edges exist than requested, all of them are kept.

    Returns the thresholded symmetric weight matrix (zero diagonal).
    """
    W = _square(W)
    if not 0.0 <= density <= 1.0:
        raise RadiomeError(f"density must lie in [0, 1], got {density}")
    n = W.shape[0]
    iu, ju = np.triu_indices(n, k=1)
    vals = _ranking_values(W, absolute)[iu, ju]
    k = int(np.round(density * iu.size))
    order = np.argsort(-vals, kind="stable")[:k]
    order = order[vals[order] > 0]
    out = np.zeros_like(W)
    out[iu[order], ju[order]] = vals[order]
    out[ju[order], iu[order]] = vals[order]
    return out


def threshold_absolute(W: np.ndarray, thr: float, absolute: bool = False) -> np.ndarray:
    """Keep the edges with ``w > thr`` (or ``|w| > thr`` when ``absolute``; kept weights become ``|w|``)."""
    W = _ranking_values(_square(W), absolute)
    out = np.where(W > thr, W, 0.0)
    out[out < 0] = 0.0  # a negative thr must not let negative weights through
    np.fill_diagonal(out, 0.0)
    return out


def binarize(W: np.ndarray) -> np.ndarray:
    """Adjacency matrix ``a_ij = 1`` where ``w_ij != 0`` (float array, zero diagonal)."""
    A = (np.asarray(W) != 0).astype(float)
    np.fill_diagonal(A, 0.0)
    return A


# --------------------------------------------------------------------------------------------------
# basic node measures


def degree(W: np.ndarray) -> np.ndarray:
    """Node degree ``k_i = sum_j a_ij`` (number of non-zero edges)."""
    return binarize(_graph(W)).sum(axis=1)


def strength(W: np.ndarray) -> np.ndarray:
    """Node strength ``s_i = sum_j w_ij``."""
    return _graph(W).sum(axis=1)


def _normalised(W: np.ndarray) -> np.ndarray:
    m = W.max() if W.size else 0.0
    return W / m if m > 0 else W.copy()


def clustering_coefficient(W: np.ndarray, weighted: bool = False) -> np.ndarray:
    """Node clustering coefficient.

    Binary (Watts & Strogatz 1998): ``C_i = (A^3)_ii / (k_i (k_i - 1))``, the fraction of pairs of
    neighbours of ``i`` that are connected. Weighted (Onnela et al. 2005):
    ``C_i = (W~^(1/3))^3_ii / (k_i (k_i - 1))`` with ``W~ = W / max(W)``, i.e. the geometric mean
    of the triangle weights. ``C_i = 0`` for ``k_i < 2``. Equals ``networkx.clustering`` (with
    ``weight=`` for the weighted form).
    """
    W = _graph(W)
    A = binarize(W)
    k = A.sum(axis=1)
    M = np.cbrt(_normalised(W)) if weighted else A
    cyc = ((M @ M) * M).sum(axis=1)  # (M^3)_ii for symmetric M
    denom = k * (k - 1)
    return np.divide(cyc, denom, out=np.zeros_like(cyc), where=denom > 0)


def _distances(W: np.ndarray, weighted: bool) -> np.ndarray:
    """Shortest-path distances; binary: number of edges, weighted: sum of ``1/w~``."""
    if weighted:
        Wn = _normalised(W)
        L = np.divide(1.0, Wn, out=np.zeros_like(Wn), where=Wn > 0)
        return shortest_path(L, method="D", directed=False)
    return shortest_path((W != 0).astype(float), method="D", directed=False, unweighted=True)


def _inverse_distances(D: np.ndarray) -> np.ndarray:
    inv = np.zeros_like(D)
    finite = np.isfinite(D) & (D > 0)
    inv[finite] = 1.0 / D[finite]
    np.fill_diagonal(inv, 0.0)
    return inv


def nodal_efficiency(W: np.ndarray, weighted: bool = False) -> np.ndarray:
    """Nodal efficiency ``E_i = 1/(n-1) sum_{j != i} 1/d_ij`` (Achard & Bullmore 2007)."""
    W = _graph(W)
    n = W.shape[0]
    if n < 2:
        return np.zeros(n)
    return _inverse_distances(_distances(W, weighted)).sum(axis=1) / (n - 1)


def global_efficiency(W: np.ndarray, weighted: bool = False) -> float:
    """Global efficiency ``E = 1/(n(n-1)) sum_{i != j} 1/d_ij`` (Latora & Marchiori 2001).

    Disconnected pairs contribute ``1/inf = 0``. Binary distances count edges; weighted distances
    add edge lengths ``1/w~`` (``w~ = w / max w``). Equals ``networkx.global_efficiency`` (binary).
    """
    W = _graph(W)
    n = W.shape[0]
    if n < 2:
        return 0.0
    return float(_inverse_distances(_distances(W, weighted)).sum() / (n * (n - 1)))


def characteristic_path_length(W: np.ndarray, weighted: bool = False) -> float:
    """Characteristic path length as the harmonic mean distance, ``L = 1 / E_glob``.

    This is the Latora & Marchiori (2001) definition: the reciprocal of :func:`global_efficiency`.
    It differs from the arithmetic mean of the shortest-path lengths (Watts & Strogatz) but stays
    finite on a disconnected graph (disconnected pairs add 0 to ``E``). Returns ``inf`` for a graph
    without edges.
    """
    e = global_efficiency(W, weighted)
    return float(1.0 / e) if e > 0 else float("inf")


def local_efficiency(W: np.ndarray, weighted: bool = False) -> np.ndarray:
    """Nodal local efficiency (average it for the network value).

    Binary (Latora & Marchiori 2001): ``E_loc(i) = E_glob(G_i)``, the global efficiency of the
    subgraph ``G_i`` induced by the neighbours of ``i`` (``i`` itself removed):
    ``E_loc(i) = 1/(k_i(k_i-1)) sum_{j != h in N_i} 1/d_jh(G_i)``. ``networkx.local_efficiency`` is
    the mean of this vector.

    Weighted (Rubinov & Sporns 2010, Table A1):
    ``E_loc(i) = sum_{j != h in N_i} (w~_ij w~_ih / d_jh(N_i))^(1/3) / (k_i (k_i - 1))`` where
    ``w~ = w / max(w)`` and ``d_jh(N_i)`` is the weighted shortest-path length (edge length
    ``1/w~``) between ``j`` and ``h`` through neighbours of ``i`` only. On a binary graph it equals
    the binary value only where neighbours are directly linked (``d = 1``): the cube root also
    applies to ``1/d``, as in the published formula.

    ``E_loc(i) = 0`` when ``k_i < 2``.
    """
    W = _graph(W)
    n = W.shape[0]
    A = W != 0
    Wn = _normalised(W)
    out = np.zeros(n)
    for i in range(n):
        nb = np.flatnonzero(A[i])
        k = nb.size
        if k < 2:
            continue
        sub = W[np.ix_(nb, nb)]
        if not np.any(sub):
            continue
        if weighted:
            subn = Wn[np.ix_(nb, nb)]
            L = np.divide(1.0, subn, out=np.zeros_like(subn), where=subn > 0)
            D = shortest_path(L, method="D", directed=False)
            inv = _inverse_distances(D)
            wi = Wn[i, nb]
            out[i] = np.cbrt(np.outer(wi, wi) * inv).sum() / (k * (k - 1))
        else:
            D = shortest_path((sub != 0).astype(float), method="D", directed=False, unweighted=True)
            out[i] = _inverse_distances(D).sum() / (k * (k - 1))
    return out


def betweenness(W: np.ndarray, weighted: bool = False, normalized: bool = True) -> np.ndarray:
    """Node betweenness centrality (Freeman 1977) by Brandes' algorithm (networkx).

    ``b_i = sum_{s != i != t} sigma_st(i) / sigma_st``; ``normalized`` divides by
    ``(n-1)(n-2)/2``, the number of pairs not including ``i`` (undirected). Weighted: edge length
    ``1/w~`` (``w~ = w / max w``).
    """
    W = _graph(W)
    n = W.shape[0]
    G = nx.Graph()
    G.add_nodes_from(range(n))
    iu, ju = np.nonzero(np.triu(W, 1))
    if weighted:
        Wn = _normalised(W)
        G.add_weighted_edges_from([(int(a), int(b), 1.0 / Wn[a, b]) for a, b in zip(iu, ju)], weight="length")
        bc = nx.betweenness_centrality(G, normalized=normalized, weight="length")
    else:
        G.add_edges_from(zip(iu.tolist(), ju.tolist()))
        bc = nx.betweenness_centrality(G, normalized=normalized)
    return np.array([bc[i] for i in range(n)], dtype=float)


# --------------------------------------------------------------------------------------------------
# reference graphs and small-worldness


def randomize_degree_preserving(
    A: np.ndarray, n_swaps_per_edge: int = 10, seed: int | np.random.Generator | None = 0
) -> np.ndarray:
    """Maslov & Sneppen (2002) degree-preserving randomisation of a binary undirected graph.

    Repeats ``n_swaps_per_edge * n_edges`` attempts of the double-edge swap: pick two distinct
    edges ``(a, b)`` and ``(c, d)`` uniformly (and one of the two orientations of the second with
    probability 1/2) and rewire them to ``(a, d)`` and ``(c, b)`` unless that would create a
    self-loop or a double edge. Every node keeps its degree exactly. The randomness comes from a
    seeded :class:`numpy.random.Generator`, so the result is reproducible.
    """
    A = binarize(_graph(A))
    n = A.shape[0]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    iu, ju = np.nonzero(np.triu(A, 1))
    u = iu.tolist()
    v = ju.tolist()
    m = len(u)
    if m < 2:
        return A
    adj = bytearray(n * n)
    for a, b in zip(u, v):
        adj[a * n + b] = 1
        adj[b * n + a] = 1
    n_try = int(n_swaps_per_edge) * m
    e1s = rng.integers(0, m, n_try).tolist()
    e2s = rng.integers(0, m, n_try).tolist()
    flips = rng.integers(0, 2, n_try).tolist()
    for e1, e2, flip in zip(e1s, e2s, flips):
        if e1 == e2:
            continue
        a, b = u[e1], v[e1]
        if flip:
            d, c = u[e2], v[e2]
        else:
            c, d = u[e2], v[e2]
        if a == d or c == b or adj[a * n + d] or adj[c * n + b]:
            continue
        adj[a * n + b] = adj[b * n + a] = 0
        adj[c * n + d] = adj[d * n + c] = 0
        adj[a * n + d] = adj[d * n + a] = 1
        adj[c * n + b] = adj[b * n + c] = 1
        u[e1], v[e1] = a, d
        u[e2], v[e2] = c, b
    out = np.zeros((n, n))
    out[u, v] = 1.0
    out[v, u] = 1.0
    return out


def ring_lattice(n: int, n_edges: int) -> np.ndarray:
    """A ring lattice on ``n`` nodes with exactly ``n_edges`` edges (lattice reference for omega).

    Edges are added by increasing ring distance: all ``n`` edges ``(i, i+1)``, then all
    ``(i, i+2)``, ...; the last, partial distance band takes its edges at evenly spaced start
    nodes. With ``n_edges = n k / 2`` this is the Watts & Strogatz (1998) ring lattice of degree
    ``k`` (each node linked to its ``k/2`` nearest neighbours on either side).
    """
    n_edges = int(min(max(n_edges, 0), n * (n - 1) // 2))
    A = np.zeros((n, n))
    left = n_edges
    idx = np.arange(n)
    for dist in range(1, n // 2 + 1):
        if left <= 0:
            break
        band = n if (2 * dist != n) else n // 2  # for even n the opposite-node band has n/2 edges
        take = min(left, band)
        starts = idx[:band] if take == band else np.floor(np.arange(take) * band / take).astype(int)
        A[starts, (starts + dist) % n] = 1.0
        A[(starts + dist) % n, starts] = 1.0
        left -= take
    return A


def small_worldness(
    W: np.ndarray,
    n_random: int = 20,
    seed: int | np.random.Generator | None = 0,
    n_swaps_per_edge: int = 10,
) -> dict[str, float]:
    """Small-world indices of the binarised graph.

    * ``C`` = mean Watts-Strogatz clustering coefficient, ``L`` = harmonic characteristic path
      length (``1 / E_glob``, see :func:`characteristic_path_length`).
    * ``C_rand``, ``L_rand``: means over ``n_random`` Maslov-Sneppen degree-preserving randomised
      graphs (:func:`randomize_degree_preserving`, ``n_swaps_per_edge`` swap attempts per edge).
    * ``gamma = C / C_rand``, ``lambda = L / L_rand``, ``sigma = gamma / lambda`` (Humphries &
      Gurney 2008; a small world has ``sigma > 1``).
    * ``omega = L_rand / L - C / C_latt`` (Telesford et al. 2011; ``~0`` small world, ``-> -1``
      lattice-like, ``-> +1`` random-like), where ``C_latt`` is the clustering of a **ring lattice
      with the same number of nodes and edges** (:func:`ring_lattice`), not of a latticised copy of
      the network (Sporns & Zwi 2004) - deterministic and fast, exact for regular graphs.

    Indices whose denominators are 0 are NaN (e.g. ``C_rand = 0`` in very sparse small graphs).

    Because ``L`` is the harmonic mean, the long paths of a lattice weigh less than in Humphries'
    arithmetic-mean ``L``, so sigma separates lattices from small worlds less sharply (a factor ~2
    for a 300-node ring of degree 6 vs. Watts-Strogatz with p = 0.1, see the tests); omega does
    separate them (about -0.7 vs. ~0).
    """
    with single_blas_thread():
        return _small_worldness(W, n_random, seed, n_swaps_per_edge)


def _small_worldness(
    W: np.ndarray, n_random: int, seed: int | np.random.Generator | None, n_swaps_per_edge: int
) -> dict[str, float]:
    A = binarize(_graph(W))
    n = A.shape[0]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    C = float(clustering_coefficient(A).mean()) if n else 0.0
    L = characteristic_path_length(A)
    c_r, l_r = [], []
    for _ in range(int(n_random)):
        R = randomize_degree_preserving(A, n_swaps_per_edge=n_swaps_per_edge, seed=rng)
        c_r.append(clustering_coefficient(R).mean())
        l_r.append(characteristic_path_length(R))
    C_rand = float(np.mean(c_r)) if c_r else float("nan")
    L_rand = float(np.mean(l_r)) if l_r else float("nan")
    C_latt = float(clustering_coefficient(ring_lattice(n, int(A.sum() // 2))).mean()) if n else 0.0

    def ratio(x: float, y: float) -> float:
        return x / y if (np.isfinite(x) and np.isfinite(y) and y != 0) else float("nan")

    gamma = ratio(C, C_rand)
    lam = ratio(L, L_rand)
    return {
        "C": C,
        "L": L,
        "C_rand": C_rand,
        "L_rand": L_rand,
        "C_latt": C_latt,
        "gamma": gamma,
        "lambda": lam,
        "sigma": ratio(gamma, lam),
        "omega": ratio(L_rand, L) - ratio(C, C_latt),
    }


# --------------------------------------------------------------------------------------------------
# metrics over a range of densities


_GLOBAL = ("Cp", "Lp", "Eglob", "Eloc", "gamma", "lambda", "sigma", "omega")
_NODAL = ("degree", "strength", "clustering", "efficiency", "local_efficiency", "betweenness")


def _at_density(
    W: np.ndarray, density: float, absolute: bool, weighted: bool, small_world: bool, n_random: int,
    rng: np.random.Generator, n_swaps_per_edge: int,
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    G = threshold_proportional(W, density, absolute=absolute)
    M = G if weighted else binarize(G)
    cl = clustering_coefficient(M, weighted=weighted)
    eloc = local_efficiency(M, weighted=weighted)
    glob = {
        "Cp": float(cl.mean()),
        "Lp": characteristic_path_length(M, weighted=weighted),
        "Eglob": global_efficiency(M, weighted=weighted),
        "Eloc": float(eloc.mean()),
    }
    if small_world:
        sw = small_worldness(G, n_random=n_random, seed=rng, n_swaps_per_edge=n_swaps_per_edge)
        glob.update({k: sw[k] for k in ("gamma", "lambda", "sigma", "omega")})
    nodal = {
        "degree": degree(G),
        "strength": strength(G),
        "clustering": cl,
        "efficiency": nodal_efficiency(M, weighted=weighted),
        "local_efficiency": eloc,
        "betweenness": betweenness(M, weighted=weighted),
    }
    return glob, nodal


def _densities(densities: Sequence[float] | np.ndarray | float) -> np.ndarray:
    d = np.atleast_1d(np.asarray(densities, dtype=float))
    if d.size == 0 or np.any((d <= 0) | (d > 1)) or np.any(np.diff(d) <= 0):
        raise RadiomeError("densities must be increasing values in (0, 1]")
    return d


def _auc(x: np.ndarray, y: np.ndarray) -> float:
    y = np.asarray(y, dtype=float)
    if x.size == 1:
        return float(y[0])
    return float(np.trapezoid(y, x))


def graph_metrics(
    W: np.ndarray,
    densities: Sequence[float] | np.ndarray = DEFAULT_DENSITIES,
    names: Sequence[str] | None = None,
    absolute: bool = False,
    weighted: bool = False,
    small_world: bool = True,
    n_random: int = 20,
    seed: int = 0,
    n_swaps_per_edge: int = 10,
) -> dict[str, float]:
    """Global and nodal graph metrics over a range of densities, summarised by their area under curve.

    At each density the matrix is proportionally thresholded (:func:`threshold_proportional`,
    positive weights or ``|w|`` with ``absolute``). Metrics are computed on the binary graph
    (``weighted=False``, default) or on the kept weights (``weighted=True``; degree and the
    small-world indices always use the binary graph). The area under each metric's curve is the
    trapezoid rule over the densities (GRETNA's AUC); with a single density it is the value itself.

    Returned keys (floats): ``graph_{m}_auc`` for m in Cp, Lp, Eglob, Eloc, and, with
    ``small_world``, gamma, lambda, sigma, omega; ``nodal_{m}_auc_{roi}`` for m in degree, strength,
    clustering, efficiency, local_efficiency, betweenness. ``roi`` comes from ``names`` (default
    ``roi_1 ... roi_n``). Each density uses its own generator seeded by ``(seed, index)``, so the
    output is deterministic. Infinite values (e.g. ``Lp`` of an empty graph) make the AUC NaN.
    """
    curves, nodal, d, names = _compute(W, densities, names, absolute, weighted, small_world, n_random, seed,
                                       n_swaps_per_edge)
    out: dict[str, float] = {}
    for m in curves.columns:
        y = curves[m].to_numpy(dtype=float)
        out[f"graph_{m}_auc"] = _auc(d, y) if np.all(np.isfinite(y)) else float("nan")
    for m in _NODAL:
        arr = nodal[m]  # densities x nodes
        for j, roi in enumerate(names):
            out[f"nodal_{m}_auc_{roi}"] = _auc(d, arr[:, j])
    return out


def graph_metric_curves(
    W: np.ndarray,
    densities: Sequence[float] | np.ndarray = DEFAULT_DENSITIES,
    absolute: bool = False,
    weighted: bool = False,
    small_world: bool = True,
    n_random: int = 20,
    seed: int = 0,
    n_swaps_per_edge: int = 10,
) -> pd.DataFrame:
    """The global metrics of :func:`graph_metrics` at each density (rows indexed by density)."""
    curves, _, _, _ = _compute(W, densities, None, absolute, weighted, small_world, n_random, seed, n_swaps_per_edge)
    return curves


def _compute(
    W: np.ndarray, densities, names, absolute, weighted, small_world, n_random, seed, n_swaps_per_edge
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray, list[str]]:
    W = _square(W)
    n = W.shape[0]
    names = [f"roi_{i + 1}" for i in range(n)] if names is None else [str(x) for x in names]
    if len(names) != n:
        raise RadiomeError(f"{len(names)} ROI names for a {n} x {n} matrix")
    d = _densities(densities)
    rows = []
    nodal = {m: np.zeros((d.size, n)) for m in _NODAL}
    with single_blas_thread():  # small matrices: extra BLAS threads only cost (see radiome._threads)
        for t, dens in enumerate(d):
            rng = np.random.default_rng([int(seed), t])
            glob, nod = _at_density(W, float(dens), absolute, weighted, small_world, n_random, rng, n_swaps_per_edge)
            rows.append(glob)
            for m in _NODAL:
                nodal[m][t] = nod[m]
    curves = pd.DataFrame(rows, index=pd.Index(d, name="density"))
    curves = curves[[c for c in _GLOBAL if c in curves.columns]]
    return curves, nodal, d, names
