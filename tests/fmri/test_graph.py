"""Graph metrics against networkx (independent BSD reference) and hand-computed values."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from radiome.errors import RadiomeError
from radiome.fmri import graph as g


def _nx(A: np.ndarray, weight: bool = False) -> nx.Graph:
    G = nx.from_numpy_array(A)
    if not weight:
        for _, _, d in G.edges(data=True):
            d.pop("weight", None)
    return G


@pytest.fixture(params=[(30, 0.2, 1), (25, 0.35, 7), (40, 0.1, 3)])
def random_binary(request) -> np.ndarray:
    n, p, seed = request.param
    return nx.to_numpy_array(nx.gnp_random_graph(n, p, seed=seed))


def _hand_graph() -> np.ndarray:
    # triangle 0-1-2, a tail 2-3-4, a square 5-6-7-8 (disconnected from the rest) and isolated node 9
    edges = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (5, 6), (6, 7), (7, 8), (8, 5)]
    A = np.zeros((10, 10))
    for a, b in edges:
        A[a, b] = A[b, a] = 1
    return A


def test_binary_measures_match_networkx(random_binary):
    A = random_binary
    G = _nx(A)
    n = A.shape[0]
    np.testing.assert_allclose(g.clustering_coefficient(A), [nx.clustering(G)[i] for i in range(n)], atol=1e-12)
    assert g.clustering_coefficient(A).mean() == pytest.approx(nx.average_clustering(G), abs=1e-12)
    assert g.global_efficiency(A) == pytest.approx(nx.global_efficiency(G), abs=1e-12)
    assert g.local_efficiency(A).mean() == pytest.approx(nx.local_efficiency(G), abs=1e-12)
    np.testing.assert_allclose(g.degree(A), [d for _, d in sorted(G.degree())])
    bc = nx.betweenness_centrality(G)
    np.testing.assert_allclose(g.betweenness(A), [bc[i] for i in range(n)], atol=1e-12)


def test_hand_drawn_graph():
    A = _hand_graph()
    G = _nx(A)
    np.testing.assert_allclose(g.clustering_coefficient(A), [nx.clustering(G)[i] for i in range(10)])
    # node 2 has neighbours 0, 1, 3: one link (0-1) among 3 pairs
    assert g.clustering_coefficient(A)[2] == pytest.approx(1 / 3)
    assert g.global_efficiency(A) == pytest.approx(nx.global_efficiency(G))
    assert g.local_efficiency(A).mean() == pytest.approx(nx.local_efficiency(G))
    np.testing.assert_allclose(g.degree(A), [2, 2, 3, 2, 1, 2, 2, 2, 2, 0])


def test_path_length_on_disconnected_graph_by_hand():
    # two disjoint edges 0-1 and 2-3 plus the path 4-5-6: n = 7
    A = np.zeros((7, 7))
    for a, b in [(0, 1), (2, 3), (4, 5), (5, 6)]:
        A[a, b] = A[b, a] = 1
    # ordered pairs at distance 1: 2+2+4 = 8; at distance 2: 4-6 and 6-4 = 2; others disconnected
    E = (8 * 1 + 2 * 0.5) / (7 * 6)
    assert g.global_efficiency(A) == pytest.approx(E)
    assert g.characteristic_path_length(A) == pytest.approx(1 / E)
    assert np.isfinite(g.characteristic_path_length(A))
    assert g.characteristic_path_length(np.zeros((4, 4))) == np.inf


def test_weighted_clustering_matches_networkx_onnela():
    rng = np.random.default_rng(4)
    G = nx.gnp_random_graph(30, 0.3, seed=2)
    for a, b in G.edges:
        G[a][b]["weight"] = rng.uniform(0.05, 3.0)
    W = nx.to_numpy_array(G, weight="weight")
    ref = nx.clustering(G, weight="weight")
    np.testing.assert_allclose(g.clustering_coefficient(W, weighted=True), [ref[i] for i in range(30)], atol=1e-12)
    # scale invariance of the weighted measures
    np.testing.assert_allclose(g.clustering_coefficient(7 * W, weighted=True), g.clustering_coefficient(W, True))
    assert g.global_efficiency(7 * W, weighted=True) == pytest.approx(g.global_efficiency(W, weighted=True))


def test_weighted_efficiency_and_betweenness_vs_networkx_lengths():
    rng = np.random.default_rng(5)
    G = nx.gnp_random_graph(20, 0.3, seed=9)
    for a, b in G.edges:
        G[a][b]["weight"] = rng.uniform(0.1, 1.0)
    W = nx.to_numpy_array(G, weight="weight")
    wmax = W.max()
    H = nx.Graph()
    H.add_nodes_from(G)
    H.add_weighted_edges_from([(a, b, wmax / d["weight"]) for a, b, d in G.edges(data=True)], weight="length")
    dist = dict(nx.all_pairs_dijkstra_path_length(H, weight="length"))
    E = sum(1 / dist[i][j] for i in range(20) for j in dist[i] if j != i) / (20 * 19)
    assert g.global_efficiency(W, weighted=True) == pytest.approx(E)
    bc = nx.betweenness_centrality(H, weight="length")
    np.testing.assert_allclose(g.betweenness(W, weighted=True), [bc[i] for i in range(20)], atol=1e-12)


def test_weighted_local_efficiency_by_hand():
    # star centre 0 with neighbours 1, 2, 3; edges 1-2 (w 0.5) and 2-3 (w 1.0); w01=1, w02=0.5, w03=1
    W = np.zeros((4, 4))
    for a, b, w in [(0, 1, 1.0), (0, 2, 0.5), (0, 3, 1.0), (1, 2, 0.5), (2, 3, 1.0)]:
        W[a, b] = W[b, a] = w
    # within N(0) = {1, 2, 3}: lengths 1/w: d12 = 2, d23 = 1, d13 = 3 (via 2)
    d = {(1, 2): 2.0, (2, 3): 1.0, (1, 3): 3.0}
    w0 = {1: 1.0, 2: 0.5, 3: 1.0}
    tot = sum(2 * np.cbrt(w0[a] * w0[b] / dd) for (a, b), dd in d.items())
    assert g.local_efficiency(W, weighted=True)[0] == pytest.approx(tot / 6)
    # binary version of the same graph: nx reference
    A = (W > 0).astype(float)
    G = _nx(A)
    assert g.local_efficiency(A).mean() == pytest.approx(nx.local_efficiency(G))


def test_proportional_threshold_keeps_exact_edge_count():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 20))
    R = np.corrcoef(X.T)
    n_edges = 20 * 19 // 2
    for density in (0.05, 0.1, 0.13, 0.2, 0.3):
        k = int(np.round(density * n_edges))
        T = g.threshold_proportional(R, density, absolute=True)
        assert int((np.triu(T, 1) > 0).sum()) == k
        # the kept |r| are the k largest
        vals = np.sort(np.abs(R[np.triu_indices(20, 1)]))[::-1]
        np.testing.assert_allclose(np.sort(T[np.triu_indices(20, 1)])[::-1][:k], vals[:k])
        Tp = g.threshold_proportional(R, density)
        assert int((np.triu(Tp, 1) > 0).sum()) == k  # enough positive correlations here
        assert np.all(Tp >= 0) and np.allclose(Tp, Tp.T) and np.all(np.diag(Tp) == 0)


def test_proportional_threshold_positive_only_when_too_few():
    R = -np.ones((5, 5))
    R[0, 1] = R[1, 0] = 0.4
    np.fill_diagonal(R, 1)
    T = g.threshold_proportional(R, 0.5)
    assert int((np.triu(T, 1) > 0).sum()) == 1


def test_absolute_threshold_and_binarize():
    R = np.array([[1, 0.5, -0.6], [0.5, 1, 0.2], [-0.6, 0.2, 1]])
    T = g.threshold_absolute(R, 0.3)
    assert T[0, 1] == 0.5 and T[0, 2] == 0 and T[1, 2] == 0
    Ta = g.threshold_absolute(R, 0.3, absolute=True)
    assert Ta[0, 2] == pytest.approx(0.6)
    np.testing.assert_array_equal(g.binarize(Ta), [[0, 1, 1], [1, 0, 0], [1, 0, 0]])


def test_negative_weights_rejected():
    with pytest.raises(RadiomeError, match="negative"):
        g.clustering_coefficient(np.array([[0, -1.0], [-1.0, 0]]))
    with pytest.raises(RadiomeError, match="symmetric"):
        g.degree(np.array([[0, 1.0], [0.0, 0]]))


def test_maslov_sneppen_preserves_degrees_and_is_seeded():
    A = nx.to_numpy_array(nx.barabasi_albert_graph(60, 3, seed=1))
    R = g.randomize_degree_preserving(A, n_swaps_per_edge=10, seed=11)
    np.testing.assert_array_equal(R.sum(axis=1), A.sum(axis=1))
    assert np.all(np.diag(R) == 0) and np.array_equal(R, R.T) and set(np.unique(R)) <= {0.0, 1.0}
    assert (R != A).sum() > A.sum() / 2  # actually rewired
    np.testing.assert_array_equal(R, g.randomize_degree_preserving(A, n_swaps_per_edge=10, seed=11))


def test_ring_lattice_is_watts_strogatz_lattice():
    L = g.ring_lattice(20, 40)
    ref = nx.to_numpy_array(nx.watts_strogatz_graph(20, 4, 0.0))
    np.testing.assert_array_equal(L, ref)
    assert int(g.ring_lattice(21, 50).sum() // 2) == 50


def test_small_worldness_lattice_vs_small_world():
    # with the harmonic path length the lattice's long paths weigh less than in Humphries' arithmetic
    # L, so sigma separates lattice and small world by a factor ~2 here, not by orders of magnitude
    n, k = 300, 6
    lattice = g.ring_lattice(n, n * k // 2)
    sl = g.small_worldness(lattice, n_random=3, seed=0)
    for seed in (0, 1):
        ws = nx.to_numpy_array(nx.watts_strogatz_graph(n, k, 0.1, seed=seed))
        sw = g.small_worldness(ws, n_random=3, seed=0)
        assert sw["sigma"] > 1.0
        assert sl["sigma"] < 0.6 * sw["sigma"]
        assert abs(sw["omega"]) < 0.15  # small world: omega ~ 0
    assert sl["omega"] < -0.5  # lattice-like: omega towards -1
    assert sl["C"] == pytest.approx(sl["C_latt"])
    assert sl == g.small_worldness(lattice, n_random=3, seed=0)  # deterministic


def test_graph_metrics_names_auc_and_determinism():
    rng = np.random.default_rng(1)
    R = np.corrcoef(rng.standard_normal((80, 12)).T)
    names = [f"R{i}" for i in range(12)]
    d = np.array([0.2, 0.3, 0.4])
    m = g.graph_metrics(R, densities=d, names=names, n_random=3, seed=5)
    for key in ("graph_Eglob_auc", "graph_Cp_auc", "graph_sigma_auc", "graph_omega_auc", "nodal_degree_auc_R0"):
        assert key in m
    # AUC by the trapezoid rule over the per-density values
    eg = [g.global_efficiency(g.binarize(g.threshold_proportional(R, x))) for x in d]
    assert m["graph_Eglob_auc"] == pytest.approx(np.trapezoid(eg, d))
    deg = [g.degree(g.threshold_proportional(R, x))[3] for x in d]
    assert m["nodal_degree_auc_R3"] == pytest.approx(np.trapezoid(deg, d))
    assert m == g.graph_metrics(R, densities=d, names=names, n_random=3, seed=5)
    curves = g.graph_metric_curves(R, densities=d, n_random=3, seed=5)
    assert list(curves.index) == list(d) and curves.loc[0.3, "Eglob"] == pytest.approx(eg[1])
