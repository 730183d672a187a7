"""``radiome fmri ...``: voxel-wise resting-state maps from a 4D BOLD NIfTI and a brain mask.

Thin Typer sub-app; each command loads the data with :func:`radiome.fmri.load_bold`, calls one
metric function and writes the map(s) atomically with :func:`radiome.fmri.save_map`. Bad input
(:class:`radiome.errors.RadiomeError`) prints one red line and exits with code 1 (as the rest of the CLI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Callable

import typer
from rich.console import Console

from radiome._cli import fail, sub_app
from radiome.errors import RadiomeError

app = sub_app("Voxel-wise resting-state fMRI maps: ALFF, fALFF, ReHo, degree centrality, VMHC, seed FC.", name="fmri")

_out = Console()

Bold = Annotated[Path, typer.Argument(help="4D BOLD NIfTI (x, y, z, time).")]
Mask = Annotated[Path, typer.Argument(help="Brain mask NIfTI on the same grid (voxels > 0).")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Output map, e.g. alff.nii.gz.")]
Tr = Annotated[float | None, typer.Option("--tr", help="Repetition time in s [default: from the header].")]
Band = Annotated[tuple[float, float], typer.Option("--band", help="Frequency band LOW HIGH in Hz.")]


def _run(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except RadiomeError as exc:
        fail(exc)


def _wrote(*paths: Path) -> None:
    for p in paths:
        _out.print(f"[green]wrote[/green] {p}", highlight=False)


def _check_convention(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise RadiomeError(f"--convention must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _amplitude(kind: str, bold: Path, mask: Path, out: Path, convention: str, band: tuple[float, float],
               tr: float | None) -> None:
    """The ALFF or fALFF map (``kind``) of one BOLD series, written to ``out``."""

    def go() -> Path:
        from radiome.fmri import alff, falff, load_bold, save_map

        conv = _check_convention(convention, ("dpabi", "afni", "cpac"))
        data, m, t, aff = load_bold(bold, mask, tr)
        fn = alff if kind == "alff" else falff
        return save_map(fn(data, m, t, band=band, convention=conv), aff, out)  # type: ignore[arg-type]

    _wrote(_run(go))


Convention = Annotated[str, typer.Option(help="dpabi, afni or cpac.")]


@app.command("alff")
def alff_cmd(bold: Bold, mask: Mask, out: Out, convention: Convention = "dpabi", band: Band = (0.01, 0.08),
             tr: Tr = None) -> None:
    """ALFF map. Example: [bold]radiome fmri alff bold.nii.gz mask.nii.gz --out alff.nii.gz[/bold]"""
    _amplitude("alff", bold, mask, out, convention, band, tr)


@app.command("falff")
def falff_cmd(bold: Bold, mask: Mask, out: Out, convention: Convention = "dpabi", band: Band = (0.01, 0.08),
              tr: Tr = None) -> None:
    """fALFF map (band amplitude / whole-spectrum amplitude)."""
    _amplitude("falff", bold, mask, out, convention, band, tr)


@app.command("reho")
def reho_cmd(
    bold: Bold,
    mask: Mask,
    out: Out,
    convention: Annotated[str, typer.Option(help="dpabi or afni.")] = "dpabi",
    neighbours: Annotated[int, typer.Option(help="Neighbourhood size: 7, 19 or 27.")] = 27,
    tr: Tr = None,
) -> None:
    """ReHo (Kendall's W of the 7/19/27-voxel neighbourhood)."""

    def go() -> Path:
        from radiome.fmri import load_bold, reho, save_map

        conv = _check_convention(convention, ("dpabi", "afni"))
        data, m, _, aff = load_bold(bold, mask, tr if tr is not None else 1.0)
        return save_map(reho(data, m, neighbours=neighbours, convention=conv), aff, out)  # type: ignore[arg-type]

    _wrote(_run(go))


def _weighted_path(out: Path) -> Path:
    name = out.name
    for ext in (".nii.gz", ".nii"):
        if name.endswith(ext):
            return out.with_name(name[: -len(ext)] + "_weighted" + ext)
    return out.with_name(name + "_weighted")


@app.command("dc")
def dc_cmd(
    bold: Bold,
    mask: Mask,
    out: Out,
    threshold: Annotated[float, typer.Option(help="Keep pairs with r > threshold.")] = 0.25,
    sparsity: Annotated[
        float | None, typer.Option(help="Instead keep this fraction of all voxel pairs (highest r).")
    ] = None,
    tr: Tr = None,
) -> None:
    """Degree centrality: binarised map to --out, weighted map to <out>_weighted."""

    def go() -> tuple[Path, Path]:
        from radiome.fmri import degree_centrality, load_bold, save_map

        data, m, _, aff = load_bold(bold, mask, tr if tr is not None else 1.0)
        b, w = degree_centrality(data, m, threshold=threshold, sparsity=sparsity)
        return save_map(b, aff, out), save_map(w, aff, _weighted_path(out))

    _wrote(*_run(go))


@app.command("vmhc")
def vmhc_cmd(
    bold: Bold,
    mask: Mask,
    out: Out,
    assume_symmetric: Annotated[
        bool, typer.Option("--assume-symmetric", help="Skip the check that the grid is symmetric about x = 0.")
    ] = False,
    tr: Tr = None,
) -> None:
    """VMHC: Fisher z of each voxel's correlation with its x-mirrored voxel (symmetric template space)."""

    def go() -> Path:
        from radiome.fmri import load_bold, save_map, vmhc

        data, m, _, aff = load_bold(bold, mask, tr if tr is not None else 1.0)
        _, z = vmhc(data, m, aff, assume_symmetric=assume_symmetric)
        return save_map(z, aff, out)

    _wrote(_run(go))


@app.command("fc")
def fc_cmd(
    bold: Bold,
    mask: Mask,
    out: Out,
    seed_mask: Annotated[Path | None, typer.Option("--seed-mask", help="Seed ROI NIfTI (voxels > 0).")] = None,
    seed_mm: Annotated[
        tuple[float, float, float] | None, typer.Option("--seed-mm", help="Seed sphere centre X Y Z in mm.")
    ] = None,
    radius: Annotated[float, typer.Option("--radius", help="Seed sphere radius in mm.")] = 6.0,
    tr: Tr = None,
) -> None:
    """Seed-based FC: Fisher z map of r with the seed's mean series (--seed-mask or --seed-mm)."""

    def go() -> Path:
        import numpy as np

        from radiome.fmri import load_bold, save_map, seed_fc, sphere_mask
        from radiome.fmri._io import load_mask

        if (seed_mask is None) == (seed_mm is None):
            raise RadiomeError("give exactly one of --seed-mask PATH or --seed-mm X Y Z")
        data, m, _, aff = load_bold(bold, mask, tr if tr is not None else 1.0)
        if seed_mask is not None:
            seed = load_mask(seed_mask, m.shape, aff)
        else:
            seed = sphere_mask(m.shape, aff, seed_mm, radius)  # type: ignore[arg-type]
        _, z = seed_fc(data, m, np.asarray(seed))
        return save_map(z, aff, out)

    _wrote(_run(go))


def _add_connectome_commands() -> None:
    """``radiome fmri connectome`` and ``radiome fmri graph`` live in :mod:`radiome.fmri.connectome_cli`."""
    from radiome.fmri.connectome_cli import app as connectome_app

    app.registered_commands.extend(connectome_app.registered_commands)


_add_connectome_commands()
