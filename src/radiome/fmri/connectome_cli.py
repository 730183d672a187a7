"""``radiome fmri connectome`` and ``radiome fmri graph``: ROI connectivity matrices and graph metrics.

A Typer sub-app (``app``) registered by :mod:`radiome.cli`. Bad input never prints a traceback:
a :class:`radiome.errors.RadiomeError` becomes one red ``error:`` line on stderr and exit code 1.
Outputs are written atomically (:mod:`radiome._atomic`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from radiome._atomic import write_atomic
from radiome._cli import fail, sub_app
from radiome.errors import RadiomeError

app = sub_app("ROI connectivity matrices and graph-theory metrics.")

_out = Console()


def _fail(exc: RadiomeError) -> None:
    fail(exc)


def parse_densities(spec: str) -> np.ndarray:
    """``"start:stop:step"`` (stop included), ``"a,b,c"`` or ``"a"`` -> increasing densities."""
    try:
        if ":" in spec:
            parts = [float(p) for p in spec.split(":")]
            if len(parts) != 3 or parts[2] <= 0:
                raise ValueError
            start, stop, step = parts
            d = np.round(np.arange(start, stop + step / 2, step), 10)
        else:
            d = np.array([float(p) for p in spec.split(",") if p.strip()])
    except ValueError:
        raise RadiomeError(
            f"cannot read densities {spec!r}; use start:stop:step (e.g. 0.05:0.5:0.01) or a,b,c"
        ) from None
    if d.size == 0 or np.any((d <= 0) | (d > 1)) or np.any(np.diff(d) <= 0):
        raise RadiomeError(f"densities {spec!r} must be increasing values in (0, 1]")
    return d


def _kind(kind: str) -> str:
    k = kind.strip().lower()
    if k not in ("correlation", "partial", "tangent"):
        raise RadiomeError(f"--kind must be correlation, partial or tangent, got {kind!r}")
    return k


def _bold_series(bold: Path, atlas) -> np.ndarray:
    from radiome.fmri.atlas import load_nifti, roi_timeseries

    img = load_nifti(bold, role="BOLD image")
    if len(img.shape) != 4:
        raise RadiomeError(f"BOLD image must be 4D, got shape {tuple(img.shape)}", path=bold, code="not_4d")
    ts, _ = roi_timeseries(img, atlas, labels=atlas.labels)
    return ts


@app.command("connectome")
def connectome_cmd(
    bold: Annotated[Path, typer.Argument(help="Preprocessed 4D BOLD NIfTI (in the atlas space).")],
    atlas: Annotated[Path, typer.Argument(help="3D label atlas NIfTI on the BOLD grid.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: the R x R matrix with ROI names.")],
    labels: Annotated[
        Path | None, typer.Option("--labels", help="Label table: CSV/TSV (index,name) or 'index name' text.")
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="ROI name prefix, e.g. AAL.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="correlation, partial or tangent.")] = "correlation",
    group: Annotated[
        list[Path] | None,
        typer.Option("--group", help="Other subjects' BOLD files (repeat); required by --kind tangent."),
    ] = None,
    fisher: Annotated[
        bool, typer.Option("--fisher", help="Fisher r-to-z (arctanh) off the diagonal; diagonal 0.")
    ] = False,
) -> None:
    """Atlas ROI mean time series -> connectivity matrix (nilearn ConnectivityMeasure).

    Example: [bold]radiome fmri connectome sub01_bold.nii.gz aal.nii.gz --labels aal.txt --prefix AAL --fisher --out sub01_fc.csv[/bold]
    """
    from radiome.fmri.atlas import connectivity, fisher_z, read_atlas

    try:
        k = _kind(kind)
        at = read_atlas(atlas, labels, prefix=prefix)
        series = [_bold_series(bold, at)]
        for g in group or []:
            series.append(_bold_series(g, at))
        if k == "tangent":
            if len(series) < 2:
                raise RadiomeError("--kind tangent needs a group: add the other subjects with --group FILE")
            M = connectivity(series, kind="tangent")[0]
        else:
            M = connectivity(series[0], kind=k)
        if fisher:
            M = fisher_z(M)
            np.fill_diagonal(M, 0.0)
        df = pd.DataFrame(M, index=pd.Index(at.names, name="roi"), columns=at.names)
        write_atomic(out, lambda p: df.to_csv(p, float_format="%.10g"))
    except RadiomeError as exc:
        _fail(exc)
    _out.print(f"[green]{len(at.names)} x {len(at.names)} {k} matrix written[/green] to {out}")


def _read_matrix(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise RadiomeError("matrix file not found", path=path, code="file_not_found")
    try:
        df = pd.read_csv(path, index_col=0)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise RadiomeError(f"cannot read the matrix CSV: {exc}", path=path, code="unreadable") from exc
    if df.shape[0] != df.shape[1] or df.shape[0] < 3:
        raise RadiomeError(f"expected a square matrix with ROI names as header and index, got {df.shape}", path=path)
    try:
        df = df.astype(float)
    except ValueError as exc:
        raise RadiomeError(f"matrix holds non-numbers: {exc}", path=path) from exc
    return df


@app.command("graph")
def graph_cmd(
    matrix: Annotated[Path, typer.Argument(help="Connectivity matrix CSV (as written by 'connectome').")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output CSV: one row of graph features.")],
    density: Annotated[
        str, typer.Option("--density", help="start:stop:step (stop included) or a,b,c.")
    ] = "0.05:0.5:0.01",
    absolute: Annotated[bool, typer.Option("--absolute", help="Rank edges by |r| (GRETNA absolute mode).")] = False,
    weighted: Annotated[bool, typer.Option("--weighted", help="Weighted instead of binary metrics.")] = False,
    n_random: Annotated[int, typer.Option("--n-random", min=0, help="Random graphs for sigma/omega (0: skip).")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (results are reproducible).")] = 0,
) -> None:
    """Graph metrics of a connectivity matrix over a density range, as areas under the curve.

    Example: [bold]radiome fmri graph sub01_fc.csv --density 0.05:0.5:0.01 --n-random 20 --out sub01_graph.csv[/bold]
    """
    from radiome.fmri.graph import graph_metrics

    try:
        d = parse_densities(density)
        df = _read_matrix(matrix)
        if list(df.index.astype(str)) != list(df.columns.astype(str)):
            raise RadiomeError("row and column ROI names of the matrix differ", path=matrix)
        W = df.to_numpy()
        if not np.all(np.isfinite(W)):
            raise RadiomeError("the matrix holds NaN or Inf", path=matrix)
        if not np.allclose(W, W.T, atol=1e-6):
            raise RadiomeError("the matrix is not symmetric", path=matrix)
        feats = graph_metrics(W, densities=d, names=[str(c) for c in df.columns], absolute=absolute,
                              weighted=weighted, small_world=n_random > 0, n_random=n_random, seed=seed)
        row = pd.DataFrame([{"matrix": matrix.stem, **feats}])
        write_atomic(out, lambda p: row.to_csv(p, index=False, float_format="%.10g"))
    except RadiomeError as exc:
        _fail(exc)
    _out.print(f"[green]{len(feats)} graph features written[/green] to {out}")
