"""Group ICA (nilearn CanICA) and dual regression (FSL ``dual_regression``, reimplemented).

Group ICA
    :func:`group_ica` runs :class:`nilearn.decomposition.CanICA` (Varoquaux et al. 2010,
    NeuroImage 51: 288-299): per-subject PCA, a group CCA/PCA reduction, then FastICA with several
    restarts; the component maps are thresholded (``threshold="auto"``) by nilearn.

Dual regression
    :func:`dual_regression` reproduces what FSL's ``dual_regression`` script does for each
    subject (Beckmann et al. 2009, OHBM, "Group comparison of resting-state FMRI data using
    multi-subject ICA and dual regression"; Nickerson et al. 2017, Front. Neurosci. 11: 115).
    The script runs two ``fsl_glm`` calls (FSL 6 ``dual_regression`` v0.5/0.6)::

        fsl_glm -i subj -d melodic_IC        -o dr_stage1_subj.txt --demean -m mask
        fsl_glm -i subj -d dr_stage1_subj.txt -o dr_stage2_subj --out_z=dr_stage2_subj_Z \\
                --demean -m mask [--des_norm]

    ``--des_norm`` is added when the script's ``<des_norm>`` argument is 1 (recommended).
    In ``fsl_glm`` (source ``fsl_glm.cc``): ``--demean`` removes the column means of the data
    matrix and of the design; ``--des_norm`` divides each design column by its standard deviation;
    when the design is an *image* the data and design are transposed first (spatial regression),
    so "column" means a volume / a map (means over voxels); with a text design (temporal
    regression) columns are voxel series / time courses (means over time). The GLM is ordinary
    least squares, ``beta = (X'X)^-1 X'Y``, without an intercept column (the demeaning replaces
    it), residual variance ``sigma^2 = |Y - X beta|^2 / dof`` with ``dof = T - rank(X)``, and the
    z-statistics are the t-statistics ``beta / sqrt(sigma^2 [(X'X)^-1]_cc)`` converted to the
    normal scale with equal tail probability.

    Here, with ``Y`` the in-mask data as a ``(T, V)`` matrix and ``G`` the group maps ``(C, V)``:

    1. stage 1 (spatial regression): demean every volume of ``Y`` and every group map over
       voxels; solve ``Y_t ~ G' a_t`` for each time point -> subject time courses ``A`` ``(T, C)``;
    2. ``normalise=True`` (``des_norm``): demean ``A`` over time and divide each time course by
       its standard deviation (``ddof=1``, as FSL's ``stdev``); otherwise only demean;
    3. stage 2 (temporal regression): demean every voxel series of ``Y`` over time; solve
       ``Y_v ~ A b_v`` for each voxel -> subject spatial maps ``B`` ``(C, V)`` and their z-maps.

    With ``des_norm`` the stage-2 maps carry the amplitude of each network in the data units
    (Nickerson et al. 2017 recommend it); without it they also carry the time-course scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from radiome.errors import GeometryError, RadiomeError

__all__ = ["DualRegressionResult", "GroupICAResult", "dual_regression", "group_ica", "t_to_z", "unmask"]


@dataclass
class GroupICAResult:
    """Group ICA output: ``maps`` ``(X, Y, Z, C)``, the in-mask ``components`` ``(C, V)``, the mask
    and the fitted :class:`nilearn.decomposition.CanICA`."""

    maps: np.ndarray
    components: np.ndarray
    mask: np.ndarray
    estimator: Any

    @property
    def components_img(self) -> Any:
        return self.estimator.components_img_


def group_ica(
    imgs: Sequence[Any],
    mask_img: Any,
    n_components: int = 20,
    seed: int = 0,
    smoothing_fwhm: float | None = 6.0,
    n_init: int = 10,
    threshold: str | float | None = "auto",
    **canica_kwargs: Any,
) -> GroupICAResult:
    """Group ICA of a list of 4D images (paths or nibabel images) with nilearn's CanICA.

    ``mask_img`` (path or image) is the brain mask on the images' grid. ``seed`` is CanICA's
    ``random_state``; ``smoothing_fwhm``, ``n_init``, ``threshold`` and any other keyword go to
    :class:`~nilearn.decomposition.CanICA` (defaults as nilearn's, except ``standardize`` set to
    ``"zscore_sample"``).
    """
    from nilearn.decomposition import CanICA

    if len(imgs) == 0:
        raise RadiomeError("group ICA needs at least one 4D image")
    if n_components < 1:
        raise RadiomeError(f"n_components must be >= 1, got {n_components}")
    kwargs = {"standardize": "zscore_sample", "mask_strategy": "epi"}
    kwargs.update(canica_kwargs)
    canica = CanICA(
        mask=mask_img,
        n_components=int(n_components),
        random_state=int(seed),
        smoothing_fwhm=smoothing_fwhm,
        n_init=n_init,
        threshold=threshold,
        **kwargs,
    )
    try:
        canica.fit(list(imgs))
    except (ValueError, TypeError) as exc:
        raise RadiomeError(f"group ICA failed: {exc}") from exc
    comp_img = canica.components_img_
    maps = np.asarray(comp_img.dataobj, dtype=np.float64)
    mask = np.asarray(canica.mask_img_.dataobj) > 0  # the mask nilearn used (on the images' grid)
    return GroupICAResult(maps=maps, components=np.asarray(canica.components_, dtype=np.float64), mask=mask,
                          estimator=canica)


@dataclass
class DualRegressionResult:
    """Dual regression output for one subject.

    ``timecourses`` ``(T, C)``: stage-1 time courses (as FSL's ``dr_stage1``, before normalising);
    ``maps`` ``(C, V)``: stage-2 spatial maps (``dr_stage2``); ``zmaps`` ``(C, V)`` or None;
    ``mask`` the boolean ``(X, Y, Z)`` mask defining ``V``; ``dof`` of stage 2.
    """

    timecourses: np.ndarray
    maps: np.ndarray
    zmaps: np.ndarray | None
    mask: np.ndarray
    dof: int

    def maps_4d(self, z: bool = False) -> np.ndarray:
        """Stage-2 (or z) maps as an ``(X, Y, Z, C)`` array, zero outside the mask."""
        src = self.zmaps if z else self.maps
        if src is None:
            raise RadiomeError("no z-maps were computed (z_stats=False)")
        return unmask(src, self.mask)


def unmask(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``(C, V)`` in-mask values -> ``(X, Y, Z, C)`` volume (0 outside the mask)."""
    mask = np.asarray(mask, dtype=bool)
    values = np.atleast_2d(values)
    out = np.zeros(mask.shape + (values.shape[0],), dtype=values.dtype)
    out[mask] = values.T
    return out


def _array(x: Any) -> np.ndarray:
    if hasattr(x, "dataobj"):
        return np.asarray(x.dataobj, dtype=np.float64)
    if isinstance(x, str) or hasattr(x, "__fspath__"):
        import nibabel as nib

        try:
            return np.asarray(nib.load(x).dataobj, dtype=np.float64)
        except Exception as exc:
            raise RadiomeError(f"cannot read the image: {exc}", path=str(x), code="unreadable") from exc
    return np.asarray(x, dtype=np.float64)


def _ols(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Least-squares ``B`` with ``Y ~ X B`` (``X`` full column rank, else minimum-norm solution)."""
    B, *_ = np.linalg.lstsq(X, Y, rcond=None)
    return B


def t_to_z(t: np.ndarray, dof: float) -> np.ndarray:
    """t-statistics to z-scores with the same tail probability (accurate far in the tails)."""
    t = np.asarray(t, dtype=np.float64)
    logp = stats.t.logsf(np.abs(t), dof)
    z = -special.ndtri_exp(logp)
    return np.sign(t) * z


def dual_regression(
    data4d: Any,
    mask: Any,
    group_maps: Any,
    normalise: bool = True,
    z_stats: bool = True,
) -> DualRegressionResult:
    """FSL-style dual regression of one subject (see the module docstring for every step).

    ``data4d``: ``(X, Y, Z, T)`` array, nibabel image or path; ``mask``: ``(X, Y, Z)`` boolean
    (array/image/path); ``group_maps``: ``(X, Y, Z, C)`` volume (e.g. ``GroupICAResult.maps`` or
    ``melodic_IC``) or already-masked ``(C, V)`` array. ``normalise`` is FSL's ``des_norm``.
    """
    Y4 = _array(data4d)
    if Y4.ndim != 4:
        raise RadiomeError(f"data must be 4D (x, y, z, time), got shape {Y4.shape}")
    m = _array(mask)
    if m.ndim == 4 and m.shape[3] == 1:
        m = m[..., 0]
    m = np.nan_to_num(m) > 0
    if m.shape != Y4.shape[:3]:
        raise GeometryError(f"mask grid {m.shape} does not match the data grid {Y4.shape[:3]}")
    if not m.any():
        raise RadiomeError("the mask is empty")
    G = _array(group_maps)
    if G.ndim == 3:
        G = G[..., None]
    if G.ndim == 4:
        if G.shape[:3] != Y4.shape[:3]:
            raise GeometryError(f"group maps grid {G.shape[:3]} does not match the data grid {Y4.shape[:3]}")
        G = G[m].T  # (C, V)
    elif G.ndim != 2 or G.shape[1] != int(m.sum()):
        raise GeometryError(f"group maps of shape {G.shape} do not match the {int(m.sum())} in-mask voxels")
    Y = Y4[m].T  # (T, V)
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(G))):
        raise RadiomeError("data or group maps hold NaN/Inf inside the mask")
    T, V = Y.shape
    C = G.shape[0]
    if C >= V:
        raise RadiomeError(f"{C} group maps for only {V} in-mask voxels")
    if C >= T:
        raise RadiomeError(f"{C} group maps for only {T} time points: stage 2 is not estimable")

    # stage 1: spatial regression, data and design demeaned over voxels (fsl_glm --demean, image design)
    Ys = Y - Y.mean(axis=1, keepdims=True)  # each volume over voxels
    Gs = (G - G.mean(axis=1, keepdims=True)).T  # (V, C), each map over voxels
    A = _ols(Gs, Ys.T).T  # (T, C)

    # stage 2: temporal regression, data demeaned per voxel and design per time course over time
    X = A - A.mean(axis=0, keepdims=True)
    if normalise:
        sd = X.std(axis=0, ddof=1)
        if np.any(sd == 0):
            raise RadiomeError("a stage-1 time course is constant: cannot variance-normalise (des_norm)")
        X = X / sd
    Yt = Y - Y.mean(axis=0, keepdims=True)
    B = _ols(X, Yt)  # (C, V)
    rank = int(np.linalg.matrix_rank(X))
    dof = T - rank
    Z = None
    if z_stats:
        res = Yt - X @ B
        sigsq = np.einsum("tv,tv->v", res, res) / dof
        xtx_inv_diag = np.diag(np.linalg.pinv(X.T @ X))
        se = np.sqrt(np.outer(xtx_inv_diag, sigsq))
        with np.errstate(divide="ignore", invalid="ignore"):
            tstat = np.where(se > 0, B / se, 0.0)
        Z = t_to_z(tstat, dof)
    return DualRegressionResult(timecourses=A, maps=B, zmaps=Z, mask=m, dof=dof)
