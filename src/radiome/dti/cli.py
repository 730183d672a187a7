"""``radiome dti fit``: diffusion tensor fit writing FA, MD, AD and RD maps.

A Typer sub-app (``app``) registered by :mod:`radiome.cli`. A :class:`radiome.errors.RadiomeError`
becomes one red ``error:`` line on stderr and exit code 1; maps are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from radiome._cli import fail, sub_app
from radiome.errors import GeometryError, RadiomeError

app = sub_app("Diffusion tensor imaging: tensor fit and scalar maps.")

_out = Console()


@app.callback()
def _dti() -> None:
    """Diffusion tensor imaging: tensor fit and scalar maps (FA, MD, AD, RD)."""


def _fail(exc: RadiomeError) -> None:
    fail(exc)


@app.command("fit")
def fit_cmd(
    dwi: Annotated[Path, typer.Argument(help="4D diffusion-weighted NIfTI.")],
    bval: Annotated[Path, typer.Argument(help="FSL-style b-values file (one row).")],
    bvec: Annotated[Path, typer.Argument(help="FSL-style b-vectors file (3 rows).")],
    out_prefix: Annotated[Path, typer.Option("--out-prefix", "-o", help="Writes PREFIX_FA.nii.gz, _MD, _AD, _RD.")],
    mask: Annotated[Path | None, typer.Option("--mask", help="Brain mask NIfTI on the DWI grid.")] = None,
    fit_method: Annotated[str, typer.Option("--fit-method", help="dipy fit method: WLS, OLS, NLLS, RT.")] = "WLS",
    b0_threshold: Annotated[float, typer.Option("--b0-threshold", help="b-values <= this are b0.")] = 50.0,
) -> None:
    """Fit the diffusion tensor (dipy TensorModel) and write FA, MD, AD and RD maps.

    Example: [bold]radiome dti fit dwi.nii.gz dwi.bval dwi.bvec --mask brain.nii.gz --out-prefix sub01[/bold]
    """
    from radiome.dti.tensor import fit_tensor, read_dwi, write_maps
    from radiome.anat.regional import _load

    try:
        d = read_dwi(dwi, bval, bvec, b0_threshold=b0_threshold)
        m = None
        if mask is not None:
            m, maff, _ = _load(mask, "mask")
            if m.ndim == 4 and m.shape[3] == 1:
                m = m[..., 0]
            if m.shape != d.data.shape[:3] or not np.allclose(maff, d.affine, atol=1e-3):
                raise GeometryError(f"mask grid does not match the DWI grid of {str(dwi)!r}", path=mask)
            if not np.any(m > 0):
                raise RadiomeError("the mask is empty", path=mask)
        maps = fit_tensor(d, mask=m, fit_method=fit_method, b0_threshold=b0_threshold)
        paths = write_maps(maps, d.affine, out_prefix)
    except RadiomeError as exc:
        _fail(exc)
    _out.print(f"[green]DTI maps written:[/green] {', '.join(str(p) for p in paths.values())}")
