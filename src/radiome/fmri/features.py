"""Per-subject brain features for the modelling pipeline: regional rs-fMRI maps, connectome, graph.

:func:`subject_features` turns one subject's preprocessed 4D BOLD series (already in the atlas
space, e.g. MNI) and brain mask into a flat ``{feature name: float}`` dict;
:func:`brain_feature_table` does it for a cohort in a process pool and returns one row per subject.
:class:`BrainFeatureSpec` holds every setting, so a study file can state them and a run record can
store them.

What is computed
----------------
Voxel-wise maps (inside the brain mask), then their mean over each atlas ROI (ROI voxels inside the
brain mask; an ROI with no voxel in the mask gives NaN):

* ``alff`` / ``falff`` -- amplitude of low-frequency fluctuations in ``band`` (default 0.01-0.08 Hz;
  Zang et al. 2007, Brain Dev 29: 83-91) and its fraction of the whole spectrum (Zou et al. 2008,
  J Neurosci Methods 172: 137-141), :func:`radiome.fmri.alff.alff_falff` with
  ``alff_convention`` (DPABI by default);
* ``reho`` -- regional homogeneity, Kendall's W of the ``reho_neighbours`` (7/19/27) neighbourhood
  (Zang et al. 2004, NeuroImage 22: 394-400), :func:`radiome.fmri.reho.reho` with
  ``reho_convention``;
* ``dc`` -- binarised degree centrality, the number of voxels correlated with ``r > dc_threshold``
  (Buckner et al. 2009; Zuo et al. 2012, Cereb Cortex 22: 1862-1875), and ``dcw``, the weighted DC
  (sum of those r), both from :func:`radiome.fmri.dc.degree_centrality`;
* ``vmhc`` (opt-in) -- voxel-mirrored homotopic connectivity, Fisher z (Zuo et al. 2010), which
  needs a grid symmetric about x = 0 (:func:`radiome.fmri.vmhc.vmhc`).

Standardisation (``standardize``), as DPABI users do before group analysis (Yan et al. 2016,
Neuroinformatics 14: 339-351): ``"z"`` (default) turns the ALFF, fALFF, ReHo, DC and weighted DC
maps into zALFF, zfALFF, zReHo, zDC, ``(x - mean) / SD`` over the brain-mask voxels with the
``n - 1`` SD denominator (MATLAB ``std``), by :func:`radiome.fmri.alff.standardize_map`; ``"m"``
divides by the in-mask mean (mALFF, Zang 2007); ``"none"`` keeps the raw values. VMHC is reported
as Fisher z and never standardised. A map that cannot be standardised (SD or mean 0, e.g. a DC map
without any supra-threshold pair) gives NaN features, with a warning, instead of failing the
subject.

ROI-to-ROI connectivity (``fc``): the mean series of each ROI (brain-mask voxels only) and
:func:`radiome.fmri.atlas.connectivity` of kind ``fc_kind`` (``"correlation"``: Pearson's r,
exactly ``numpy.corrcoef``); with ``fisher`` (default) correlations and partial correlations are
Fisher z-transformed, ``z = arctanh r`` (r clipped to +-(1 - 1e-7)); other kinds are reported as
they are. Upper triangle only, ROI pairs in atlas order.

Graph theory (``graph``): the Pearson correlation matrix of the ROI series is proportionally
thresholded (positive weights, binary graph) at every density of ``graph_densities``
``(start, stop, step)``, stop included (default 0.10, 0.15, ..., 0.40), and
:func:`radiome.fmri.graph.graph_metrics` summarises each metric by its area under the density curve
(GRETNA style; Rubinov & Sporns 2010, NeuroImage 52: 1059-1069): the global ``graph_{m}_auc`` for
m in Cp, Lp, Eglob, Eloc, gamma, lambda, sigma, omega (small-world indices against
``graph_n_random`` Maslov-Sneppen random graphs drawn from ``seed``) and the nodal degree and
nodal efficiency AUCs. ROIs left out of the connectome (empty, or a constant series) get NaN edges
and nodal values, and the global metrics are computed on the remaining ROIs.

The BOLD series is used as given: it is assumed preprocessed (motion correction, normalisation to
the atlas space, nuisance regression) by the user's pipeline. No band-pass filter is applied here
(ALFF/fALFF need the unfiltered spectrum); filter beforehand (:func:`radiome.fmri.clean`) if ReHo,
DC and FC should be computed on filtered data as in DPABI's default pipeline.

Optional structural and diffusion inputs of the same subject:

* ``dwi`` + ``bval`` + ``bvec``: the diffusion tensor (:func:`radiome.dti.fit_tensor`, WLS, inside
  the brain mask) and the mean FA, MD, AD, RD in each ROI; the DWI must lie on the atlas grid;
* ``t1_labels``: a label image in T1 space with the atlas' label values (e.g. the atlas warped to
  the subject): ROI volumes in mm^3 (:func:`radiome.anat.regional_volumes`); an atlas label
  absent from the image has volume 0;
* ``gm``: a grey-matter probability map on the atlas grid (e.g. modulated, in MNI space): GM volume
  per ROI, ``sum(p) x voxel volume`` (:func:`radiome.anat.gm_regional_sums`).

Feature names
-------------
ROI names come from the label table (made feature-safe by :func:`radiome.fmri.atlas.read_atlas`,
``PCC_L``), or ``roi_{label}`` without a table:

* ``alff_{roi}``, ``falff_{roi}``, ``reho_{roi}``, ``dc_{roi}``, ``dcw_{roi}``, ``vmhc_{roi}``;
* ``fc_{a}__{b}`` for ROI ``a`` before ``b`` in atlas label order;
* ``graph_{m}_auc``, ``nodal_degree_auc_{roi}``, ``nodal_efficiency_auc_{roi}``;
* ``dti_{FA,MD,AD,RD}_{roi}``, ``t1_vol_{roi}``, ``gm_vol_{roi}``.

The order of the keys is: the metrics in the order of ``spec.metrics`` (dc gives ``dc_`` then
``dcw_``), each over the ROIs in label order; then DTI, T1 and GM features. Everything is
deterministic (fixed seeds, single-threaded degree centrality).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiome.errors import ConfigError, GeometryError, RadiomeError

__all__ = ["BrainFeatureSpec", "METRICS", "SUBJECT_KEYS", "brain_feature_table", "graph_densities",
           "subject_features"]

log = logging.getLogger(__name__)

METRICS: tuple[str, ...] = ("alff", "falff", "reho", "dc", "vmhc", "fc", "graph")
"""Metric names accepted in :attr:`BrainFeatureSpec.metrics`."""

SUBJECT_KEYS: tuple[str, ...] = ("bold", "mask", "dwi", "bval", "bvec", "t1_labels", "gm", "confounds")
"""Keys of the per-subject path dict of :func:`brain_feature_table`."""

_STANDARDIZE = ("z", "m", "none")
_FC_KINDS = ("correlation", "partial", "partial correlation", "tangent", "covariance", "precision")
_FISHER_KINDS = ("correlation", "partial", "partial correlation")
_NODAL_KEPT = ("degree", "efficiency")


@dataclass(frozen=True)
class BrainFeatureSpec:
    """Settings of the brain feature extraction (see the module docstring for each metric).

    ``graph_densities`` is ``(start, stop, step)`` with ``stop`` included. ``tr`` overrides the
    repetition time of the NIfTI header (seconds). Invalid settings raise
    :class:`radiome.errors.ConfigError`.
    """

    atlas: Path
    labels: Path | None = None
    metrics: tuple[str, ...] = ("alff", "falff", "reho", "dc", "fc", "graph")
    band: tuple[float, float] = (0.01, 0.08)
    alff_convention: str = "dpabi"
    reho_neighbours: int = 27
    reho_convention: str = "dpabi"
    dc_threshold: float = 0.25
    standardize: str = "z"
    fc_kind: str = "correlation"
    fisher: bool = True
    graph_densities: tuple[float, float, float] = (0.1, 0.4, 0.05)
    graph_n_random: int = 5
    seed: int = 0
    tr: float | None = None
    # denoising before the maps (nilearn.signal.clean via radiome.fmri.clean); off by default
    # because fMRIPrep/DPARSF outputs are usually already cleaned
    clean: bool = False
    detrend: bool = True
    high_pass: float | None = None
    low_pass: float | None = None
    confound_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise the field types once, here
        set_(self, "atlas", Path(self.atlas))
        if self.labels is not None:
            set_(self, "labels", Path(self.labels))
        metrics = (self.metrics,) if isinstance(self.metrics, str) else tuple(str(m).lower() for m in self.metrics)
        bad = [m for m in metrics if m not in METRICS]
        if bad:
            raise ConfigError(f"unknown brain metric(s) {bad}; choose from {', '.join(METRICS)}")
        if len(set(metrics)) != len(metrics):
            raise ConfigError(f"brain metrics listed twice: {list(metrics)}")
        set_(self, "metrics", metrics)
        set_(self, "confound_columns", tuple(self.confound_columns))
        for name in ("high_pass", "low_pass"):
            v = getattr(self, name)
            if v is not None and not float(v) > 0:
                raise ConfigError(f"{name} must be a positive frequency in Hz, got {v}")
        band = tuple(float(b) for b in self.band)
        if len(band) != 2 or not (0 <= band[0] < band[1]):
            raise ConfigError(f"band must be (low, high) Hz with 0 <= low < high, got {self.band}")
        set_(self, "band", band)
        if self.alff_convention not in ("dpabi", "afni", "cpac"):
            raise ConfigError(f"alff_convention must be dpabi, afni or cpac, got {self.alff_convention!r}")
        if int(self.reho_neighbours) not in (7, 19, 27):
            raise ConfigError(f"reho_neighbours must be 7, 19 or 27, got {self.reho_neighbours}")
        set_(self, "reho_neighbours", int(self.reho_neighbours))
        if self.reho_convention not in ("dpabi", "afni"):
            raise ConfigError(f"reho_convention must be dpabi or afni, got {self.reho_convention!r}")
        if not 0.0 <= float(self.dc_threshold) < 1.0:
            raise ConfigError(f"dc_threshold must lie in [0, 1), got {self.dc_threshold}")
        set_(self, "dc_threshold", float(self.dc_threshold))
        std = "none" if self.standardize in (None, False) else str(self.standardize).lower()
        if std not in _STANDARDIZE:
            raise ConfigError(f"standardize must be z, m or none, got {self.standardize!r}")
        set_(self, "standardize", std)
        kind = str(self.fc_kind).strip().lower().replace("_", " ")
        if kind not in _FC_KINDS:
            raise ConfigError(f"fc_kind must be one of {', '.join(_FC_KINDS)}, got {self.fc_kind!r}")
        set_(self, "fc_kind", kind)
        dens = tuple(float(d) for d in self.graph_densities)
        if len(dens) != 3:
            raise ConfigError(f"graph_densities must be (start, stop, step), got {self.graph_densities}")
        set_(self, "graph_densities", dens)
        graph_densities(self)  # validates
        if int(self.graph_n_random) < 0:
            raise ConfigError(f"graph_n_random must be >= 0, got {self.graph_n_random}")
        set_(self, "graph_n_random", int(self.graph_n_random))
        set_(self, "seed", int(self.seed))
        if self.tr is not None:
            if not (math.isfinite(float(self.tr)) and float(self.tr) > 0):
                raise ConfigError(f"tr must be a positive number of seconds, got {self.tr}")
            set_(self, "tr", float(self.tr))


def graph_densities(spec: BrainFeatureSpec) -> np.ndarray:
    """The densities ``start, start + step, ..., stop`` (stop included) of ``spec.graph_densities``."""
    start, stop, step = spec.graph_densities
    if not (0 < start <= stop <= 1) or not step > 0:
        raise ConfigError(
            f"graph_densities (start, stop, step) need 0 < start <= stop <= 1 and step > 0, got {spec.graph_densities}"
        )
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return np.round(start + step * np.arange(n), 10)


# --------------------------------------------------------------------------------------------------
# one subject


def _tag(exc: RadiomeError, patient: str | None) -> RadiomeError:
    """Give a RadiomeError the patient id (when it has none) and refresh its message."""
    if patient is not None and exc.patient is None:
        exc.patient = patient
        exc.args = (str(exc),)
    return exc


class _ROIs:
    """Voxel indices (flat, inside the brain mask) of each atlas ROI, in label order."""

    def __init__(self, atlas_data: np.ndarray, labels: Sequence[int], mask: np.ndarray) -> None:
        flat = np.where(mask.reshape(-1), atlas_data.reshape(-1), 0)
        order = np.argsort(flat, kind="stable")
        srt = flat[order]
        self.index: list[np.ndarray] = []
        for lab in labels:
            lo, hi = np.searchsorted(srt, [lab, lab + 1])
            self.index.append(order[lo:hi])

    def means(self, map3d: np.ndarray) -> list[float]:
        flat = np.asarray(map3d, dtype=np.float64).reshape(-1)
        return [float(flat[ix].mean()) if ix.size else float("nan") for ix in self.index]

    def series(self, data: np.ndarray) -> list[np.ndarray | None]:
        x = data.reshape(-1, data.shape[3])
        return [x[ix].astype(np.float64).mean(axis=0) if ix.size else None for ix in self.index]


def _standardised(values: np.ndarray, mask: np.ndarray, kind: str, what: str, patient: str | None) -> np.ndarray:
    from radiome.fmri.alff import standardize_map

    if kind == "none":
        return values
    try:
        return standardize_map(values, mask, kind)  # type: ignore[arg-type]
    except RadiomeError as exc:
        log.warning("patient %s: cannot %s-standardise the %s map (%s); its features are NaN",
                    patient, kind, what, exc.message)
        return np.full(values.shape, np.nan)


def _check_atlas_grid(atlas: Any, shape: tuple[int, ...], affine: np.ndarray, path: Path, what: str,
                      patient: str | None) -> None:
    if tuple(atlas.data.shape) != tuple(shape[:3]):
        raise GeometryError(
            f"atlas grid {tuple(atlas.data.shape)} does not match the {what} grid {tuple(shape[:3])} of "
            f"{str(path)!r}; resample the atlas (nearest neighbour) or the {what} to one grid",
            path=atlas.path, patient=patient,
        )
    if atlas.affine is not None and not np.allclose(atlas.affine, affine, atol=1e-3):
        raise GeometryError(
            f"atlas affine differs from the {what} affine of {str(path)!r} (same shape, different position or "
            "voxel size); resample the atlas to the image grid",
            path=atlas.path, patient=patient,
        )


def subject_features(
    bold: Path,
    mask: Path,
    spec: BrainFeatureSpec,
    *,
    patient: str | None = None,
    dwi: Path | None = None,
    bval: Path | None = None,
    bvec: Path | None = None,
    t1_labels: Path | None = None,
    gm: Path | None = None,
    confounds: Path | None = None,
) -> dict[str, float]:
    """All brain features of one subject as ``{name: float}``; see the module docstring.

    With ``spec.clean`` the in-mask series are first denoised by :func:`radiome.fmri.clean`
    (nilearn's ``signal.clean``: detrending, regression of the ``confounds`` table's
    ``spec.confound_columns`` -- all numeric columns when none are named, NaN rows such as
    fMRIPrep's first-volume derivatives set to 0 -- and the ``high_pass``/``low_pass`` filter).

    Runs with one BLAS thread (:func:`radiome._threads.single_blas_thread`), so the result is the
    same in any process. Raises :class:`radiome.errors.RadiomeError` naming the file and ``patient``
    for unreadable or inconsistent input (BOLD/mask problems, an atlas or DWI grid differing from the BOLD grid,
    incomplete DTI inputs...).
    """
    from radiome._threads import single_blas_thread

    try:
        # One BLAS thread always: the float32 products of degree centrality round the same way in a
        # worker and in the caller's process, so the features do not depend on ``jobs``.
        with single_blas_thread():
            return _subject_features(Path(bold), Path(mask), spec, patient, dwi, bval, bvec, t1_labels, gm,
                                     confounds)
    except RadiomeError as exc:
        raise _tag(exc, patient) from None


def _subject_features(
    bold: Path, mask_path: Path, spec: BrainFeatureSpec, patient: str | None, dwi: Path | None,
    bval: Path | None, bvec: Path | None, t1_labels: Path | None, gm: Path | None, confounds: Path | None = None,
) -> dict[str, float]:
    from radiome.fmri._io import load_bold
    from radiome.fmri.atlas import read_atlas

    dti_given = [p is not None for p in (dwi, bval, bvec)]
    if any(dti_given) and not all(dti_given):
        missing = [n for n, g in zip(("dwi", "bval", "bvec"), dti_given) if not g]
        raise RadiomeError(f"DTI features need dwi, bval and bvec; missing {', '.join(missing)}",
                           path=next(p for p in (dwi, bval, bvec) if p is not None), patient=patient,
                           code="config")
    data, mask, tr, affine = load_bold(bold, mask_path, tr=spec.tr)
    if confounds is not None and not spec.clean:
        raise RadiomeError("a confounds table is given but cleaning is off (set clean)", path=confounds,
                           patient=patient, code="config")
    if spec.clean:
        from radiome.fmri._io import clean

        regressors = _read_confounds(confounds, spec.confound_columns, patient) if confounds is not None else None
        data, _ = clean(data, mask, tr, confounds=regressors, detrend=spec.detrend, high_pass=spec.high_pass,
                        low_pass=spec.low_pass)
    atlas = read_atlas(spec.atlas, spec.labels)
    _check_atlas_grid(atlas, data.shape, affine, bold, "BOLD", patient)
    names = atlas.names
    rois = _ROIs(atlas.data, atlas.labels, mask)
    empty = [n for n, ix in zip(names, rois.index) if ix.size == 0]
    if empty:
        log.warning("patient %s: ROI(s) %s have no voxel in the brain mask %s; their features are NaN",
                    patient, empty, mask_path)

    out: dict[str, float] = {}

    def put(prefix: str, values: Sequence[float]) -> None:
        for n, v in zip(names, values):
            out[f"{prefix}_{n}"] = float(v)

    alff_maps: tuple[np.ndarray, np.ndarray] | None = None
    conn: tuple[np.ndarray, list[int]] | None = None  # (Pearson r of the valid ROIs, their positions)
    for metric in spec.metrics:
        if metric in ("alff", "falff"):
            if alff_maps is None:
                from radiome.fmri.alff import alff_falff

                alff_maps = alff_falff(data, mask, tr, band=spec.band, convention=spec.alff_convention)  # type: ignore[arg-type]
            raw = alff_maps[0] if metric == "alff" else alff_maps[1]
            put(metric, rois.means(_standardised(raw, mask, spec.standardize, metric, patient)))
        elif metric == "reho":
            from radiome.fmri.reho import reho

            raw = reho(data, mask, neighbours=spec.reho_neighbours, convention=spec.reho_convention)  # type: ignore[arg-type]
            put("reho", rois.means(_standardised(raw, mask, spec.standardize, "ReHo", patient)))
        elif metric == "dc":
            from radiome.fmri.dc import degree_centrality

            b_map, w_map = degree_centrality(data, mask, threshold=spec.dc_threshold, n_jobs=1)
            put("dc", rois.means(_standardised(b_map, mask, spec.standardize, "DC", patient)))
            put("dcw", rois.means(_standardised(w_map, mask, spec.standardize, "weighted DC", patient)))
        elif metric == "vmhc":
            from radiome.fmri.vmhc import vmhc

            _, z_map = vmhc(data, mask, affine)
            put("vmhc", rois.means(z_map))
        elif metric == "fc":
            out.update(_fc_features(data, rois, names, spec))
        elif metric == "graph":
            if conn is None:
                conn = _pearson(data, rois)
            out.update(_graph_features(conn, names, spec))

    if dwi is not None:
        out.update(_dti_features(Path(dwi), Path(bval), Path(bvec), atlas, mask, rois, patient))  # type: ignore[arg-type]
    if t1_labels is not None:
        from radiome.anat.regional import regional_volumes

        vols = regional_volumes(Path(t1_labels), names=atlas.name_of())
        for lab, n in zip(atlas.labels, names):
            out[f"t1_vol_{n}"] = float(vols.get(f"t1_vol_{n}", 0.0))
        for k, v in vols.items():  # labels of the T1 image that the atlas lacks
            out.setdefault(k, float(v))
    if gm is not None:
        from radiome.anat.regional import gm_regional_sums

        sums = gm_regional_sums(Path(gm), spec.atlas, names=atlas.name_of(), labels=atlas.labels)
        for n in names:
            out[f"gm_vol_{n}"] = float(sums[f"gm_vol_{n}"])
    return out


def _valid_series(data: np.ndarray, rois: _ROIs) -> tuple[np.ndarray | None, list[int]]:
    series = rois.series(data)
    keep = [i for i, s in enumerate(series) if s is not None and np.ptp(s) > 0]
    if len(keep) < 2:
        return None, keep
    return np.column_stack([series[i] for i in keep]), keep


def _pearson(data: np.ndarray, rois: _ROIs) -> tuple[np.ndarray, list[int]]:
    ts, keep = _valid_series(data, rois)
    if ts is None:
        return np.zeros((0, 0)), []
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(ts, rowvar=False)
    return np.clip(r, -1.0, 1.0), keep


def _fc_features(data: np.ndarray, rois: _ROIs, names: list[str], spec: BrainFeatureSpec) -> dict[str, float]:
    from radiome.fmri.atlas import connectivity
    from radiome.fmri.fc import fisher_z

    n = len(names)
    full = np.full((n, n), np.nan)
    ts, keep = _valid_series(data, rois)
    if ts is not None:
        m = connectivity(ts, kind=spec.fc_kind)
        full[np.ix_(keep, keep)] = m
        if spec.fisher and spec.fc_kind in _FISHER_KINDS:
            full = fisher_z(full)
    iu, ju = np.triu_indices(n, k=1)
    return {f"fc_{names[i]}__{names[j]}": float(full[i, j]) for i, j in zip(iu, ju)}


def _graph_features(conn: tuple[np.ndarray, list[int]], names: list[str], spec: BrainFeatureSpec) -> dict[str, float]:
    from radiome.fmri.graph import _GLOBAL, graph_metrics

    r, keep = conn
    out: dict[str, float] = {}
    if len(keep) >= 3:
        kept_names = [names[i] for i in keep]
        gm = graph_metrics(r, densities=graph_densities(spec), names=kept_names, absolute=False, weighted=False,
                           small_world=True, n_random=spec.graph_n_random, seed=spec.seed)
    else:
        gm = {}
    for m in _GLOBAL:
        out[f"graph_{m}_auc"] = float(gm.get(f"graph_{m}_auc", float("nan")))
    for m in _NODAL_KEPT:
        for n in names:
            out[f"nodal_{m}_auc_{n}"] = float(gm.get(f"nodal_{m}_auc_{n}", float("nan")))
    return out


def _dti_features(dwi: Path, bval: Path, bvec: Path, atlas: Any, mask: np.ndarray, rois: _ROIs,
                  patient: str | None) -> dict[str, float]:
    from radiome.dti.tensor import MAPS, fit_tensor, read_dwi

    d = read_dwi(dwi, bval, bvec)
    _check_atlas_grid(atlas, d.data.shape, d.affine, dwi, "DWI", patient)
    maps = fit_tensor(d, mask=mask)
    out: dict[str, float] = {}
    for key in MAPS:
        for n, v in zip(atlas.names, rois.means(maps[key])):
            out[f"dti_{key}_{n}"] = float(v)
    return out


# --------------------------------------------------------------------------------------------------
# cohort


def _read_confounds(path: Path, columns: Sequence[str], patient: str | None) -> np.ndarray:
    """The (T, k) regressors of a confounds table (TSV/CSV, e.g. fMRIPrep's ``desc-confounds_timeseries.tsv``)."""
    import pandas as pd

    try:
        table = pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RadiomeError(f"confounds table unreadable: {exc}", path=path, patient=patient) from None
    cols = list(columns) or [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise RadiomeError(f"confound column(s) not in the table: {', '.join(missing)}", path=path, patient=patient)
    if not cols:
        raise RadiomeError("the confounds table has no numeric column", path=path, patient=patient)
    return table[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)


def _one(sid: str, paths: Mapping[str, Path | None], spec: BrainFeatureSpec) -> tuple[str, dict[str, float] | None,
                                                                                     str | None]:
    """Worker: features of one subject, or the message of a data error (other errors propagate)."""
    try:
        if paths.get("bold") is None or paths.get("mask") is None:
            missing = [k for k in ("bold", "mask") if paths.get(k) is None]
            raise RadiomeError(f"no {' and '.join(missing)} image given", patient=sid, code="config")
        opt = {k: (Path(paths[k]) if paths.get(k) is not None else None)  # type: ignore[arg-type]
               for k in ("dwi", "bval", "bvec", "t1_labels", "gm", "confounds")}
        # subject_features limits BLAS to one thread itself
        feats = subject_features(Path(paths["bold"]), Path(paths["mask"]), spec, patient=sid,  # type: ignore[arg-type]
                                 **opt)
        return sid, feats, None
    except RadiomeError as exc:
        return sid, None, str(_tag(exc, sid))
    except (ValueError, OSError) as exc:
        return sid, None, f"patient {sid!r}: {type(exc).__name__}: {exc}"


def brain_feature_table(
    subjects: Sequence[tuple[str, Mapping[str, Path | None]]],
    spec: BrainFeatureSpec,
    *,
    jobs: int = 2,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Brain features of a cohort: ``(table, failures)``.

    ``subjects``: ``[(subject_id, {"bold": ..., "mask": ..., "dwi": ..., "bval": ..., "bvec": ...,
    "t1_labels": ..., "gm": ...})]`` (only bold and mask required; absent or None keys are skipped).
    ``jobs`` > 1 runs the subjects in a ``spawn`` process pool of that many workers, each with one
    BLAS thread; ``jobs=1`` runs in this process (also with one BLAS thread), with identical results.
    ``progress`` is called with 1 after each subject (success or failure).

    ``table`` has the column ``patient_id`` then the feature columns in the order of
    :func:`subject_features` (columns that only some subjects have come after, in first-seen
    order); one row per subject that succeeded, in input order. ``failures`` lists
    ``(subject_id, message)`` for subjects whose input raised :class:`RadiomeError`, ``ValueError``
    or ``OSError``; the other subjects are still computed. Any other exception propagates.
    """
    items: list[tuple[str, dict[str, Path | None]]] = []
    seen: set[str] = set()
    for sid, paths in subjects:
        sid = str(sid)
        if sid in seen:
            raise ValueError(f"subject id {sid!r} appears twice")
        seen.add(sid)
        unknown = sorted(set(paths) - set(SUBJECT_KEYS))
        if unknown:
            raise ValueError(f"subject {sid!r}: unknown input key(s) {unknown}; expected {', '.join(SUBJECT_KEYS)}")
        items.append((sid, {k: (Path(v) if v is not None and str(v) != "" else None) for k, v in paths.items()}))
    jobs = max(1, int(jobs))
    results: dict[str, tuple[dict[str, float] | None, str | None]] = {}
    if jobs == 1 or len(items) <= 1:
        for sid, paths in items:
            _, feats, err = _one(sid, paths, spec)
            results[sid] = (feats, err)
            if progress is not None:
                progress(1)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=ctx) as pool:
            futures = [pool.submit(_one, sid, paths, spec) for sid, paths in items]
            for fut in as_completed(futures):
                sid, feats, err = fut.result()
                results[sid] = (feats, err)
                if progress is not None:
                    progress(1)

    rows: list[dict[str, float]] = []
    ids: list[str] = []
    failures: list[tuple[str, str]] = []
    columns: dict[str, None] = {}
    for sid, _ in items:
        feats, err = results[sid]
        if feats is None:
            failures.append((sid, err or "unknown error"))
            continue
        ids.append(sid)
        rows.append(feats)
        for k in feats:
            columns.setdefault(k, None)
    cols = list(columns)
    if rows:
        values = np.array([[row.get(c, np.nan) for c in cols] for row in rows], dtype=np.float64)
        table = pd.DataFrame(values, columns=cols)
    else:
        table = pd.DataFrame(columns=cols, dtype=np.float64)
    table.insert(0, "patient_id", pd.Series(ids, dtype=object))
    return table, failures
