"""Grey level size zone matrix (GLSZM) features (IBSI 1 section 3.8, family ``9SAK``).

A *zone* is a connected group of ROI voxels sharing one discretised grey level; the GLSZM ``s_ij``
counts the zones of grey level ``i`` and size (voxel count) ``j`` (Thibault et al. 2009/2014; IBSI
reference manual, Zwanenburg et al. 2020). Connectivity is 26 in 3D and 8 in 2D (Chebyshev distance
1). Two profiles are offered:

* :func:`compute` reproduces PyRadiomics 3.1.4 (``RadiomicsGLSZM``);
* :func:`compute_ibsi` follows IBSI and its three aggregation methods, keyed by IBSI tags
  (``szm_sze_3D``, ...).

Features (PyRadiomics name: IBSI name and code)
-----------------------------------------------
Formulas as in :func:`radiome.features.glrlm.matrix_features`, with ``j`` the zone size.
SmallAreaEmphasis: small zone emphasis 5QRC; LargeAreaEmphasis: large zone emphasis 48P8;
LowGrayLevelZoneEmphasis XMSY; HighGrayLevelZoneEmphasis 5GN9; SmallAreaLowGrayLevelEmphasis 5RAI;
SmallAreaHighGrayLevelEmphasis HW1V; LargeAreaLowGrayLevelEmphasis YH51;
LargeAreaHighGrayLevelEmphasis J17V; GrayLevelNonUniformity JNSA; GrayLevelNonUniformityNormalized
Y1RO; SizeZoneNonUniformity: zone size non-uniformity 4JP3; SizeZoneNonUniformityNormalized VB3A;
ZonePercentage P30P; GrayLevelVariance BYLV; ZoneVariance: zone size variance 3NSA; ZoneEntropy:
zone size entropy GU8N. PyRadiomics' default corresponds to IBSI's "3D" aggregation.

PyRadiomics behaviour reproduced by :func:`compute` (departures from IBSI)
-------------------------------------------------------------------------
* PyRadiomics' C code grows each zone over the neighbour offsets of ``generate_angles``
  (bidirectional, distance 1). Without ``force2D`` that is the full 26-neighbourhood. With
  ``force2D`` the offsets along ``force2Ddimension`` are dropped, so zones are 8-connected *within*
  the slices along that axis and never cross slices; the slices' zones are pooled into one matrix.
* Rows of grey levels absent from the ROI are dropped (``i`` is the actual grey level value) and so
  are columns of absent zone sizes; one matrix, no averaging. ``N_z = 0`` and ``N_p = 0`` are set to
  1 (only reachable for an empty ROI).
* Zone entropy uses ``log2(p + eps)``, ``eps = numpy.spacing(1)`` (IBSI: ``log2 p`` over ``p > 0``).
* Single-voxel ROIs (where PyRadiomics raises "Error getting angle count", and its extractor rejects
  the mask beforehand) give the features of one zone of size 1.

Implementation (vectorised; no Python loop over voxels)
-------------------------------------------------------
Zones are the connected components of the graph whose nodes are the ROI voxels and whose edges
join neighbours (26-connected, or 8-connected in-plane with ``force2D``) of equal grey level.

*PyRadiomics path* (:func:`compute`). The neighbour pairs depend on the mask only: they are the
distance-1 :func:`~radiome.features._neighbours.pair_table`, built once per ROI and kept in the
ROI's mask store, which the extractor shares between all image types
(:meth:`radiome.features.base.RoiImage.mask_cache`), and shared with GLCM/GLDM/NGTDM when those use
distance 1. Per image type the pairs of equal grey level are selected (two gathers and a compare,
also reused by GLDM) and handed as a CSR graph straight to
``scipy.sparse.csgraph.connected_components`` (:func:`_components`: for small ROIs the symmetric
graph and strong connectivity, one cheap call; otherwise the one-sided pairs and weak
connectivity). Zone sizes are one ``bincount`` of the zone ids, and one ``bincount`` over
``(level, size)`` builds the matrix.

*Level images* (:func:`zones`, used by the IBSI path and by GLDZM): one of two equivalent methods,
picked per image by a cost estimate:

* ``label``: ``scipy.ndimage.find_objects`` on the level image gives every grey level's bounding
  box in one pass, and each grey level is labelled with ``scipy.ndimage.label`` (3x3x3 structure
  built from the linkage offsets) inside its own box. The cost is the summed volume of those boxes,
  so it wins for few grey levels (large homogeneous zones);
* ``graph``: a pair table is built for the image's ROI and labelled as above. The cost is a few
  operations per ROI voxel and offset plus the edge count, so it wins for many grey levels, where
  each level's bounding box still spans most of the ROI.

The choice compares ``15 ns x summed level boxes + 25 us x levels`` with ``7 ns x offsets x ROI
voxels + 60 ns x edges + 250 us`` (edges extrapolated from the equal x-neighbours; the boxes are
only measured when cheap bounds do not decide), so ROIs with few, large zones are labelled and
finely textured ones use the graph. One ``bincount`` over ``(group, level, size)`` builds the
matrices (per axial slice for the IBSI 2D method).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from radiome.features._neighbours import PairLevels, PairTable, pair_levels
from radiome.features._texture import angles
from radiome.features.base import Levels, RoiImage
from radiome.features.glrlm import direction_means, feature_table, matrix_features

NAME = "glszm"

_PYRAD = {
    "SmallAreaEmphasis": "se",
    "LargeAreaEmphasis": "le",
    "GrayLevelNonUniformity": "glnu",
    "GrayLevelNonUniformityNormalized": "glnu_norm",
    "SizeZoneNonUniformity": "jnu",
    "SizeZoneNonUniformityNormalized": "jnu_norm",
    "ZonePercentage": "perc",
    "GrayLevelVariance": "gl_var",
    "ZoneVariance": "j_var",
    "ZoneEntropy": "entr",
    "LowGrayLevelZoneEmphasis": "lge",
    "HighGrayLevelZoneEmphasis": "hge",
    "SmallAreaLowGrayLevelEmphasis": "slge",
    "SmallAreaHighGrayLevelEmphasis": "shge",
    "LargeAreaLowGrayLevelEmphasis": "llge",
    "LargeAreaHighGrayLevelEmphasis": "lhge",
}
FEATURES: tuple[str, ...] = tuple(sorted(_PYRAD))
DEPRECATED: frozenset[str] = frozenset()

_IBSI = {
    "sze": "se",  # 5QRC small zone emphasis
    "lze": "le",  # 48P8 large zone emphasis
    "lgze": "lge",  # XMSY low grey level zone emphasis
    "hgze": "hge",  # 5GN9 high grey level zone emphasis
    "szlge": "slge",  # 5RAI small zone low grey level emphasis
    "szhge": "shge",  # HW1V small zone high grey level emphasis
    "lzlge": "llge",  # YH51 large zone low grey level emphasis
    "lzhge": "lhge",  # J17V large zone high grey level emphasis
    "glnu": "glnu",  # JNSA grey level non-uniformity
    "glnu_norm": "glnu_norm",  # Y1RO normalised grey level non-uniformity
    "zsnu": "jnu",  # 4JP3 zone size non-uniformity
    "zsnu_norm": "jnu_norm",  # VB3A normalised zone size non-uniformity
    "z_perc": "perc",  # P30P zone percentage
    "gl_var": "gl_var",  # BYLV grey level variance
    "zs_var": "j_var",  # 3NSA zone size variance
    "zs_entr": "entr",  # GU8N zone size entropy
}
IBSI_AGGREGATIONS = ("3D", "2D", "2_5D")


def _pair_slices(shape: Sequence[int], o: Sequence[int]) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Slices selecting the voxels ``p`` and ``p + o`` of all pairs inside a box of ``shape``."""
    a, b = [], []
    for n, d in zip(shape, o):
        a.append(slice(max(0, -d), n - max(0, d)))
        b.append(slice(max(0, d), n - max(0, -d)))
    return tuple(a), tuple(b)


def structure(offsets: np.ndarray) -> np.ndarray:
    """The 3x3x3 connectivity structure of a set of (one-sided) neighbour offsets."""
    s = np.zeros((3, 3, 3), dtype=bool)
    s[1, 1, 1] = True
    for o in np.asarray(offsets).reshape(-1, 3):
        s[tuple(1 + o)] = s[tuple(1 - o)] = True
    return s


def _zones_label(arr: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zones by ``scipy.ndimage.label`` per grey level, each inside its own bounding box."""
    struct = structure(offsets)
    labels = np.zeros(arr.shape, dtype=np.int64)
    zone_level = []
    n = 0
    for g, box in enumerate(ndimage.find_objects(arr), start=1):
        if box is None:
            continue
        sel = arr[box] == g
        lab, k = ndimage.label(sel, structure=struct)
        sub = labels[box]
        sub[sel] = lab[sel] + n
        zone_level.append(np.full(k, g, dtype=np.int64))
        n += k
    return labels[arr > 0] - 1, np.concatenate(zone_level) if zone_level else np.zeros(0, dtype=np.int64)


# up to this many voxels, zones are labelled as strongly connected components of the symmetric graph
# (scipy's cheaper call); above, as weakly connected components of the one-sided pairs (less work per edge)
_SYMMETRIC_MAX_VOXELS = 2048


def _components(pl: PairLevels) -> tuple[int, np.ndarray]:
    """Zones: the connected components of the ROI voxels linked by the pairs of equal grey level.

    The CSR structure is handed to ``scipy.sparse.csgraph.connected_components`` directly (no COO
    conversion). Small ROIs use the symmetric graph (both signs of every pair, from the mask-only
    CSR order of the :class:`PairTable`) whose strongly connected components are the zones: one
    scipy call with little overhead. Larger ROIs use the one-sided pairs (sorted by ``src``) and
    weak connectivity, which scipy resolves with a transpose but half the edges.
    """
    n = pl.table.n_voxels
    if n <= _SYMMETRIC_MAX_VOXELS:
        indptr, neighbour = pl.equal_graph
        graph = csr_matrix((np.ones(neighbour.size), neighbour, indptr), shape=(n, n))
        return connected_components(graph, directed=True, connection="strong")
    indptr, dst = pl.equal_csr
    graph = csr_matrix((np.ones(dst.size), dst, indptr), shape=(n, n))
    return connected_components(graph, directed=True, connection="weak")


def _zones_graph(arr: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zones as connected components of the graph joining neighbours of equal grey level.

    The pairs of neighbouring ROI voxels come from a :class:`~radiome.features._neighbours.PairTable`
    (one gather per offset in the flat index of the padded mask); those with equal grey levels are
    the edges (see :func:`_components`).
    """
    mask = arr > 0
    table = PairTable(mask, np.asarray(offsets).reshape(-1, arr.ndim))
    lev = arr[mask]
    k, voxel_zone = _components(PairLevels(table, Levels.from_voxels(lev, mask)))
    zone_level = np.zeros(k, dtype=np.int64)
    zone_level[voxel_zone] = lev
    return voxel_zone.astype(np.int64), zone_level


def _choose_method(arr: np.ndarray, offsets: np.ndarray, n_levels: int | None) -> str:
    """Cost model (ns), fitted on this code. Labelling scans each grey level's bounding box and pays
    ~25 us per call; the graph pays per ROI voxel and offset, per edge (extrapolated from the equal
    x-neighbours) and ~250 us of scipy.sparse overhead. Bounds on the labelling cost decide first;
    the grey levels' bounding boxes are measured only when the bounds do not."""
    n = int(np.count_nonzero(arr))
    if n_levels is None:
        n_levels = int(np.count_nonzero(np.bincount(arr.ravel())[1:]))
    label_lo = 25e3 * n_levels + 15.0 * n
    label_hi = 25e3 * n_levels + 15.0 * n_levels * arr.size
    if label_hi < 250e3:
        return "label"
    a, b = _pair_slices(arr.shape, (0, 0, 1))
    va, vb = arr[a], arr[b]
    edges = 0.8 * len(offsets) * np.count_nonzero((va == vb) & (va > 0))
    cost_graph = 7.0 * len(offsets) * n + 60.0 * edges + 250e3
    if cost_graph <= label_lo:
        return "graph"
    if cost_graph >= label_hi:
        return "label"
    boxes = [box for box in ndimage.find_objects(arr) if box is not None]
    cost_label = 25e3 * len(boxes) + 15.0 * sum(int(np.prod([s.stop - s.start for s in box])) for box in boxes)
    return "label" if cost_label < cost_graph else "graph"


def zones(
    arr: np.ndarray, offsets: np.ndarray, method: str | None = None, n_levels: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Zones of a level image ``arr`` (0 outside the ROI) linked over ``offsets`` (one of each pair).

    Returns ``(voxel_zone, zone_level)``: the zone id (0-based) of every ROI voxel, in C order of
    ``arr[arr > 0]``, and the grey level of every zone. ``method`` 'label' or 'graph' (default: the
    one estimated to be cheaper, see the module docstring; ``n_levels``, the number of grey levels
    present, saves a pass when given); both give the same partition.
    """
    if method is None:
        method = _choose_method(arr, offsets, n_levels)
    if method == "label":
        return _zones_label(arr, offsets)
    if method == "graph":
        return _zones_graph(arr, offsets)
    raise ValueError(f"unknown zone method {method!r}")


def zone_table(
    arr: np.ndarray, offsets: np.ndarray, method: str | None = None, n_levels: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(zone_level, zone_size)`` of all zones."""
    voxel_zone, zone_level = zones(arr, offsets, method, n_levels)
    return zone_level, np.bincount(voxel_zone, minlength=zone_level.size)


def pyradiomics_offsets(roi: RoiImage) -> np.ndarray:
    """Zone linkage offsets as PyRadiomics' GLSZM uses them (26- or, with ``force2D``, 8-connected)."""
    s = roi.settings
    return angles(
        roi.mask.shape, (1,), force2D=bool(s.get("force2D", False)), force2Ddimension=int(s.get("force2Ddimension", 0))
    )


def ibsi_offsets(two_d: bool) -> np.ndarray:
    """IBSI linkage: the 13 (one-sided) 3D neighbour offsets, or the 4 within an axial slice."""
    off = angles((3, 3, 3), (1,))
    return off[off[:, 0] == 0] if two_d else off


def glszm_matrix(roi: RoiImage) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The GLSZM as PyRadiomics builds it: ``(P, gray_levels, zone_sizes)``, ``P`` of shape
    ``(1, N_g, N_s)`` with rows for the grey levels present and columns for the sizes present.

    The neighbour pairs are the mask-only :func:`~radiome.features._neighbours.pair_table` at
    distance 1 (shared by all image types of the ROI, and with GLDM/GLCM/NGTDM when they use
    distance 1); per image type only the pairs of equal grey level are selected and labelled.
    """
    s = roi.settings
    pl = pair_levels(roi, (1,), bool(s.get("force2D", False)), int(s.get("force2Ddimension", 0)))
    k, voxel_zone = _components(pl)
    index = roi.levels.index
    G = roi.levels.gray_levels.size
    if k == 0:  # empty ROI
        return np.zeros((0, G, 0)), roi.levels.gray_levels, np.zeros(0)
    zone_size = np.bincount(voxel_zone, minlength=k)
    zone_level = np.empty(k, dtype=np.intp)
    zone_level[voxel_zone] = index
    ns = int(zone_size.max())
    code = zone_level * ns
    code += zone_size
    code -= 1
    P = np.bincount(code, minlength=G * ns).reshape(1, G, ns).astype(np.float64)
    present = np.flatnonzero(P[0].any(axis=0))
    if present.size != ns:
        P = P[:, :, present]
    return P, roi.levels.gray_levels, (present + 1).astype(np.float64)


def _matrices(
    zl: np.ndarray, zs: np.ndarray, group: np.ndarray, ngroups: int, roi: RoiImage
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One bincount over ``(group, level, size)``; rows of absent grey levels, columns of absent
    sizes and groups without zones removed."""
    ng = int(roi.levels.n_levels)
    ns = int(zs.max()) if zs.size else 1
    flat = (group * (ng + 1) + zl) * ns + (zs - 1)
    P = np.bincount(flat, minlength=ngroups * (ng + 1) * ns).reshape(ngroups, ng + 1, ns).astype(np.float64)
    P = P[P.sum(axis=(1, 2)) > 0]
    gls = roi.levels.gray_levels
    P = P[:, gls, :]
    present = P.sum(axis=(0, 1)) > 0
    return P[:, :, present], gls, np.arange(1, ns + 1, dtype=np.float64)[present]


def compute(roi: RoiImage, names: Sequence[str] | None = None) -> dict[str, float]:
    """PyRadiomics-compatible GLSZM features (``names`` None: all non-deprecated features)."""
    wanted = [f for f in FEATURES if f not in DEPRECATED] if names is None else list(names)
    unknown = [n for n in wanted if n not in _PYRAD]
    if unknown:
        raise KeyError(f"unknown GLSZM feature(s): {', '.join(unknown)}")
    P, gls, jv = glszm_matrix(roi)
    if P.shape[0] == 0:  # empty ROI: PyRadiomics sets N_z = N_p = 1, so every sum is 0
        return {n: 0.0 for n in wanted}
    return direction_means(feature_table(P, gls, jv, eps=float(np.spacing(1))), wanted, _PYRAD)


def ibsi_matrices(roi: RoiImage, aggregation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GLSZMs for an IBSI aggregation method: ``3D`` one 26-connected matrix, ``2D`` one
    8-connected matrix per axial slice (features averaged later), ``2_5D`` the slice matrices merged."""
    if aggregation not in IBSI_AGGREGATIONS:
        raise ValueError(f"unknown GLSZM aggregation {aggregation!r}; use one of {', '.join(IBSI_AGGREGATIONS)}")
    arr = roi.levels.array
    voxel_zone, zl = zones(arr, ibsi_offsets(aggregation != "3D"), n_levels=len(roi.levels.gray_levels))
    zs = np.bincount(voxel_zone, minlength=zl.size)
    if aggregation == "2D":
        zslice = np.zeros(zl.size, dtype=np.int64)
        zslice[voxel_zone] = np.nonzero(arr > 0)[0]
        return _matrices(zl, zs, zslice, arr.shape[0], roi)
    return _matrices(zl, zs, np.zeros(zl.size, dtype=np.int64), 1, roi)


def compute_ibsi(roi: RoiImage, aggregation: str = "3D") -> dict[str, float]:
    """IBSI GLSZM features, keyed ``szm_<feature>_<aggregation>``.

    Aggregation (IBSI 1 section 3.8): ``2D`` features of each axial slice's 8-connected GLSZM,
    averaged over slices; ``2_5D`` one feature set from the slice GLSZMs merged (``N_v`` summed);
    ``3D`` from the 26-connected volume GLSZM. ``N_v`` is the voxel count ``sum_j j s_.j``.
    """
    P, gls, jv = ibsi_matrices(roi, aggregation)
    feats = matrix_features(P, gls, jv)
    return {f"szm_{tag}_{aggregation}": float(np.mean(feats[key])) for tag, key in _IBSI.items()}
