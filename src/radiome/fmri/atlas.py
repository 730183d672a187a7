"""Atlas-based ROI signals and connectivity matrices.

* :func:`read_atlas` reads a labelled 3D NIfTI (integer labels, 0 = background) and an optional
  label table, giving each ROI a feature-safe name (``AAL_Precentral_L``, or ``roi_12`` without a
  table).
* :func:`roi_timeseries` / :func:`regional_means` average voxels per label; vectorised (one sort
  and ``numpy.add.reduceat`` over all time points), never a loop over voxels.
* :func:`connectivity` wraps :class:`nilearn.connectome.ConnectivityMeasure` (Varoquaux et al.
  2010 for the tangent space).
* :func:`matrix_features` flattens a matrix to named upper-triangle edge features, optionally
  Fisher r-to-z transformed (``z = arctanh r``).

Bad input (grid mismatch between atlas and BOLD, a requested label absent, an ROI left empty by the
mask, an unreadable label table) raises :class:`radiome.errors.RadiomeError` naming the file.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiome.errors import GeometryError, ImageReadError, MaskError, RadiomeError
from radiome.fmri.fc import fisher_z  # one Fisher r-to-z for the package (re-exported here)

__all__ = [
    "Atlas",
    "connectivity",
    "fisher_z",
    "load_nifti",
    "matrix_features",
    "read_atlas",
    "read_label_table",
    "regional_means",
    "roi_timeseries",
]

log = logging.getLogger(__name__)

KINDS = {"correlation": "correlation", "partial": "partial correlation", "partial correlation": "partial correlation",
         "tangent": "tangent", "covariance": "covariance", "precision": "precision"}


# --------------------------------------------------------------------------------------------------
# reading


def load_nifti(path: str | Path, *, role: str = "image") -> Any:
    """Load a NIfTI with nibabel; a missing or unreadable file raises :class:`ImageReadError`."""
    import nibabel as nib

    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{role} file not found", path=path, code="file_not_found")
    try:
        return nib.load(str(path))
    except Exception as exc:  # nibabel raises several types (ImageFileError, OSError, EOFError...)
        raise ImageReadError(f"cannot read the {role}: {exc}", path=path) from exc


def _safe_name(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z]+", "_", str(name).strip()).strip("_")
    return s or "unnamed"


@dataclass
class Atlas:
    """A labelled atlas: integer label volume, its affine and one name per label (sorted labels)."""

    data: np.ndarray
    affine: np.ndarray | None
    labels: list[int]
    names: list[str]
    path: Path | None = None
    table: dict[int, str] = field(default_factory=dict)

    def name_of(self) -> dict[int, str]:
        return dict(zip(self.labels, self.names))


def read_label_table(path: str | Path) -> dict[int, str]:
    """Read a label table mapping integer index -> ROI name.

    Accepted formats:

    * CSV / TSV with a header naming an index column (``index``, ``label``, ``id``, ``value`` or
      ``roi_id``) and a name column (``name``, ``label_name``, ``roi``, ``region``), any case;
    * whitespace-separated text (FSL / MRIcron / FreeSurfer-LUT style), one ``index name [...]``
      per line; trailing numeric columns (colours, other codes) and ``#`` comments are ignored, and
      the name may contain spaces (``9 Frontal Sup L 2101`` -> ``Frontal Sup L``).
    """
    path = Path(path)
    if not path.exists():
        raise RadiomeError("label table not found", path=path, code="file_not_found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RadiomeError(f"cannot read the label table: {exc}", path=path, code="unreadable") from exc
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise RadiomeError("label table is empty", path=path, code="unreadable")
    first = lines[0]
    delim = "\t" if "\t" in first else ("," if "," in first else None)
    table: dict[int, str] = {}
    if delim is not None and not _is_int(first.split(delim)[0].strip()):
        rows = list(csv.reader(lines, delimiter=delim))
        header = [h.strip().lower() for h in rows[0]]
        idx_col = next((header.index(c) for c in ("index", "label", "id", "value", "roi_id") if c in header), None)
        name_col = next((header.index(c) for c in ("name", "label_name", "roi", "region", "roi_name")
                         if c in header and header.index(c) != idx_col), None)
        if idx_col is None or name_col is None:
            raise RadiomeError(
                f"label table header {rows[0]} needs an index column (index/label/id/value) and a name column "
                "(name/label_name/roi/region)",
                path=path,
                code="unreadable",
            )
        body = rows[1:]
    else:
        idx_col, name_col = 0, 1
        body = [ln.split(delim) if delim else _whitespace_row(ln) for ln in lines]
    for row in body:
        if len(row) <= max(idx_col, name_col):
            raise RadiomeError(f"label table row {row} has no name", path=path, code="unreadable")
        key = row[idx_col].strip()
        if not _is_int(key):
            raise RadiomeError(f"label table index {key!r} is not an integer", path=path, code="unreadable")
        k = int(float(key))
        if k in table:
            raise RadiomeError(f"label {k} appears twice in the label table", path=path, code="unreadable")
        table[k] = row[name_col].strip()
    return table


def _whitespace_row(line: str) -> list[str]:
    """``index name words ... [numbers]`` -> [index, "name words"]: trailing numeric columns
    (MRIcron codes, FreeSurfer RGBA) are dropped; a name may contain spaces."""
    tok = line.split()
    if len(tok) < 2:
        return tok
    rest = tok[1:]
    while len(rest) > 1 and _is_number(rest[-1]):
        rest.pop()
    return [tok[0], " ".join(rest)]


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _is_int(s: str) -> bool:
    try:
        f = float(s)
    except ValueError:
        return False
    return np.isfinite(f) and float(f).is_integer()


def read_atlas(
    nifti_path: str | Path,
    label_table: str | Path | Mapping[int, str] | None = None,
    prefix: str | None = None,
) -> Atlas:
    """Read a labelled 3D atlas NIfTI and name its ROIs.

    Names come from ``label_table`` (a file, see :func:`read_label_table`, or a mapping), are made
    feature-safe (runs of non-alphanumeric characters become ``_``) and get ``prefix`` when given:
    ``read_atlas("aal.nii.gz", "aal.txt", prefix="AAL")`` names label 1 ``AAL_Precentral_L``.
    Labels without a table entry are named ``roi_{label}`` (a warning is logged when a table was
    given); table entries absent from the image are ignored.

    Raises :class:`RadiomeError` naming the file if the image is not 3D, holds non-integer values,
    has no label, or two ROIs end up with the same name.
    """
    path = Path(nifti_path)
    img = load_nifti(path, role="atlas")
    data = np.asarray(img.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise MaskError(
            f"atlas must be a 3D label image, got shape {tuple(data.shape)} (probabilistic 4D atlases are "
            "not supported here)",
            path=path,
        )
    if not np.all(np.isfinite(data)):
        raise MaskError("atlas holds NaN or Inf values", path=path)
    if np.issubdtype(data.dtype, np.floating):
        if not np.all(np.equal(np.mod(data, 1), 0)):
            raise MaskError("atlas values are not integers (is this a probability map?)", path=path)
    data = data.astype(np.int64)
    labels = sorted(int(v) for v in np.unique(data) if v > 0)
    if not labels:
        raise MaskError("atlas has no label > 0", path=path)
    if isinstance(label_table, Mapping):
        table = {int(k): str(v) for k, v in label_table.items()}
    elif label_table is not None:
        table = read_label_table(label_table)
    else:
        table = {}
    missing = [lab for lab in labels if lab not in table]
    if table and missing:
        log.warning("%s: %d atlas labels have no name in the label table (named roi_N): %s",
                    path, len(missing), missing[:10])
    names = []
    for lab in labels:
        base = _safe_name(table[lab]) if lab in table else f"roi_{lab}"
        names.append(f"{_safe_name(prefix)}_{base}" if prefix else base)
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RadiomeError(f"several ROIs share the name(s) {dup}", path=label_table if not isinstance(
            label_table, Mapping) and label_table is not None else path, code="unreadable")
    return Atlas(data=data, affine=np.asarray(img.affine, dtype=float), labels=labels, names=names, path=path,
                 table=table)


# --------------------------------------------------------------------------------------------------
# ROI signals


def _as_array(x: Any) -> tuple[np.ndarray, np.ndarray | None, Path | None]:
    """(array, affine or None, path or None) from an array, a nibabel image, an Atlas or a path."""
    if isinstance(x, Atlas):
        return x.data, x.affine, x.path
    if isinstance(x, (str, Path)):
        img = load_nifti(x)
        return np.asarray(img.dataobj), np.asarray(img.affine, dtype=float), Path(x)
    if hasattr(x, "dataobj") and hasattr(x, "affine"):
        fn = getattr(x, "get_filename", lambda: None)()
        return np.asarray(x.dataobj), np.asarray(x.affine, dtype=float), Path(fn) if fn else None
    return np.asarray(x), None, None


def _check_grid(shape: tuple[int, ...], affine: np.ndarray | None, other_shape: tuple[int, ...],
                other_affine: np.ndarray | None, other_path: Path | None, ref_path: Path | None, what: str) -> None:
    if tuple(other_shape) != tuple(shape):
        ref = f" of {str(ref_path)!r}" if ref_path else ""
        raise GeometryError(
            f"{what} grid {tuple(other_shape)} does not match the data grid {tuple(shape)}{ref}; resample the "
            f"{what} to the data first (nearest neighbour for labels)",
            path=other_path or ref_path,
        )
    if affine is not None and other_affine is not None and not np.allclose(affine, other_affine, atol=1e-3):
        ref = f" of {str(ref_path)!r}" if ref_path else ""
        raise GeometryError(f"{what} affine differs from the data affine{ref}", path=other_path or ref_path)


def _label_index(
    atlas: np.ndarray, labels: Sequence[int] | None, mask: np.ndarray | None, atlas_path: Path | None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Voxel positions (flat) sorted by ROI, ROI segment starts, and the label list."""
    flat = atlas.reshape(-1)
    if np.issubdtype(flat.dtype, np.floating):
        if not np.all(np.isfinite(flat)) or not np.all(np.mod(flat, 1) == 0):
            raise MaskError("atlas values are not integers", path=atlas_path)
    flat = flat.astype(np.int64)
    present = np.unique(flat[flat > 0])
    if labels is None:
        labels = [int(v) for v in present]
        if not labels:
            raise MaskError("atlas has no label > 0", path=atlas_path)
    else:
        labels = [int(v) for v in labels]
        absent = [lab for lab in labels if lab not in set(present.tolist())]
        if absent:
            raise MaskError(f"label(s) {absent} not found in the atlas", path=atlas_path)
    lut = np.full(int(max(flat.max(initial=0), max(labels))) + 1, -1, dtype=np.int64)
    lut[labels] = np.arange(len(labels))
    roi = np.where(flat > 0, lut[np.clip(flat, 0, None)], -1)
    if mask is not None:
        roi = np.where(np.asarray(mask).reshape(-1) > 0, roi, -1)
    counts = np.bincount(roi[roi >= 0], minlength=len(labels))
    empty = [labels[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        raise MaskError(f"ROI label(s) {empty} have no voxel inside the mask", path=atlas_path)
    vox = np.flatnonzero(roi >= 0)
    order = np.argsort(roi[vox], kind="stable")
    vox = vox[order]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return vox, starts, labels


def roi_timeseries(
    data4d: Any,
    atlas3d: Any,
    labels: Sequence[int] | None = None,
    mask: Any = None,
) -> tuple[np.ndarray, list[int]]:
    """Mean time series of each ROI: a ``(T, R)`` array and the list of the ``R`` labels.

    ``data4d`` (X, Y, Z, T) and ``atlas3d`` (X, Y, Z) are arrays, nibabel images or NIfTI paths
    (or an :class:`Atlas`); ``mask`` optionally restricts the voxels. ``labels`` selects ROIs
    (default: every label > 0, sorted). Voxels with non-finite values in any time point are
    excluded via the mask only when the caller masks them; otherwise they propagate as NaN.

    Raises :class:`GeometryError` when the grids differ (shape, or affine when both are known),
    :class:`MaskError` for a requested label not in the atlas or an ROI with no voxel in the mask.
    """
    data, daff, dpath = _as_array(data4d)
    atlas, aaff, apath = _as_array(atlas3d)
    if data.ndim == 3:
        data = data[..., None]
    if data.ndim != 4:
        raise RadiomeError(f"data must be 4D (x, y, z, time), got shape {tuple(data.shape)}", path=dpath)
    _check_grid(data.shape[:3], daff, atlas.shape, aaff, apath, dpath, "atlas")
    m = None
    if mask is not None:
        m, maff, mpath = _as_array(mask)
        _check_grid(data.shape[:3], daff, m.shape, maff, mpath, dpath, "mask")
    vox, starts, labels = _label_index(atlas, labels, m, apath)
    X = data.reshape(-1, data.shape[3])[vox].astype(np.float64, copy=False)
    sums = np.add.reduceat(X, starts, axis=0)  # (R, T)
    counts = np.diff(np.append(starts, vox.size))
    return (sums / counts[:, None]).T, labels


def regional_means(
    map3d: Any,
    atlas3d: Any,
    labels: Sequence[int] | None = None,
    mask: Any = None,
    names: Sequence[str] | Mapping[int, str] | None = None,
) -> pd.Series:
    """Mean of a 3D map in each ROI, as a Series indexed by ROI name (default ``roi_{label}``).

    With an :class:`Atlas` and no ``names``, the atlas names are used.
    """
    arr, aff, path = _as_array(map3d)
    if arr.ndim == 4 and arr.shape[3] == 1:
        arr = arr[..., 0]
    if arr.ndim != 3:
        raise RadiomeError(f"map must be 3D, got shape {tuple(arr.shape)}", path=path)
    img = arr[..., None]
    if aff is not None:
        import nibabel as nib

        img = nib.Nifti1Image(img.astype(np.float64), aff)
    ts, labs = roi_timeseries(img, atlas3d, labels=labels, mask=mask)
    if names is None and isinstance(atlas3d, Atlas):
        names = atlas3d.name_of()
    return pd.Series(ts[0], index=_names_for(labs, names), name="mean")


def _names_for(labels: Sequence[int], names: Sequence[str] | Mapping[int, str] | None) -> list[str]:
    if names is None:
        return [f"roi_{lab}" for lab in labels]
    if isinstance(names, Mapping):
        return [str(names.get(lab, f"roi_{lab}")) for lab in labels]
    names = list(names)
    if len(names) != len(labels):
        raise RadiomeError(f"{len(names)} names for {len(labels)} ROI labels")
    return [str(n) for n in names]


# --------------------------------------------------------------------------------------------------
# connectivity


def connectivity(
    timeseries: np.ndarray | Sequence[np.ndarray],
    kind: str = "correlation",
    estimator: str | None = None,
) -> np.ndarray:
    """Connectivity matrices with :class:`nilearn.connectome.ConnectivityMeasure`.

    ``timeseries``: one ``(T, R)`` array (returns ``(R, R)``) or a list of subjects' arrays
    (returns ``(S, R, R)``; the ``T`` may differ). ``kind``: ``"correlation"``, ``"partial
    correlation"`` (alias ``"partial"``), ``"tangent"`` (needs a group of at least 2 subjects: the
    matrices are whitened by the group geometric-mean covariance, Varoquaux et al. 2010),
    ``"covariance"`` or ``"precision"``.

    ``estimator``: ``"empirical"`` (maximum-likelihood covariance: ``correlation`` is then exactly
    Pearson's r) or ``"ledoit_wolf"`` (shrinkage, nilearn's default; well-conditioned, so preferred
    for partial correlation with many ROIs and for tangent). Default: empirical for correlation,
    covariance; Ledoit-Wolf for partial correlation, precision and tangent. Series are z-scored
    (sample SD) first.
    """
    from nilearn.connectome import ConnectivityMeasure
    from sklearn.covariance import EmpiricalCovariance, LedoitWolf

    key = kind.strip().lower().replace("_", " ")
    if key not in KINDS:
        raise RadiomeError(f"unknown connectivity kind {kind!r}; use one of correlation, partial, tangent")
    nl_kind = KINDS[key]
    single = isinstance(timeseries, np.ndarray) and timeseries.ndim == 2
    series = [np.asarray(timeseries, dtype=float)] if single else [np.asarray(t, dtype=float) for t in timeseries]
    if not series:
        raise RadiomeError("no time series given")
    for t in series:
        if t.ndim != 2:
            raise RadiomeError(f"each time series must be 2D (time x ROI), got shape {t.shape}")
        if t.shape[0] < 3:
            raise RadiomeError(f"time series has only {t.shape[0]} time points")
        if not np.all(np.isfinite(t)):
            raise RadiomeError("time series hold NaN or Inf values")
        const = np.flatnonzero(np.nanstd(t, axis=0) == 0)
        if const.size:
            raise RadiomeError(f"ROI column(s) {const.tolist()} are constant in time (empty or masked-out ROI?)")
    if len({t.shape[1] for t in series}) != 1:
        raise RadiomeError("subjects have different numbers of ROIs")
    if nl_kind == "tangent" and len(series) < 2:
        raise RadiomeError("the tangent kind needs a group: pass a list of at least 2 subjects' time series")
    if estimator is None:
        estimator = "empirical" if nl_kind in ("correlation", "covariance") else "ledoit_wolf"
    est = {"empirical": EmpiricalCovariance, "ledoit_wolf": LedoitWolf}.get(estimator)
    if est is None:
        raise RadiomeError(f"unknown covariance estimator {estimator!r}; use empirical or ledoit_wolf")
    measure = ConnectivityMeasure(cov_estimator=est(store_precision=False), kind=nl_kind,
                                  standardize="zscore_sample")
    try:
        mats = measure.fit_transform(series)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise RadiomeError(f"{nl_kind} connectivity failed: {exc}") from exc
    return mats[0] if single else mats


def matrix_features(
    matrix: np.ndarray,
    names: Sequence[str],
    prefix: str = "fc",
    fisher: bool = False,
) -> dict[str, float]:
    """Upper-triangle edges of a symmetric ``(R, R)`` matrix as named features.

    Keys are ``{prefix}_{a}__{b}`` for ROI names ``a`` before ``b`` in ``names`` order (``i < j``),
    the diagonal excluded: ``R (R - 1) / 2`` features. ``fisher`` applies :func:`fisher_z`.
    """
    M = np.asarray(matrix, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise RadiomeError(f"connectivity matrix must be square, got shape {M.shape}")
    names = [str(n) for n in names]
    if len(names) != M.shape[0]:
        raise RadiomeError(f"{len(names)} names for a {M.shape[0]} x {M.shape[0]} matrix")
    if len(set(names)) != len(names):
        raise RadiomeError("ROI names must be unique")
    if not np.allclose(M, M.T, equal_nan=True, atol=1e-8):
        raise RadiomeError("connectivity matrix is not symmetric")
    iu, ju = np.triu_indices(M.shape[0], k=1)
    vals = M[iu, ju]
    if fisher:
        vals = fisher_z(vals)
    return {f"{prefix}_{names[i]}__{names[j]}": float(v) for i, j, v in zip(iu, ju, vals)}
