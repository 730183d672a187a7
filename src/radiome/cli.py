"""Command-line interface (Typer + Rich). Thin: every command calls a public function.

Exit codes: 0 success, 1 the data or study file has problems (all reported), 2 wrong usage.
Bad data never produces a traceback: :class:`radiome.errors.RadiomeError` is printed as one line.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Callable

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from radiome import __version__
from radiome._logging import add_log_file, setup_logging
from radiome.errors import RadiomeError

app = typer.Typer(
    name="radiome",
    help="MRI radiomics and neuroimaging machine learning: from images to a publication-ready report.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

log = logging.getLogger("radiome.cli")


class _State:
    verbosity: int = 0  # -1 quiet: no progress bars or summaries, only problems and results
    console: Console = Console()
    err: Console = Console(stderr=True)


state = _State()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"radiome {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors and results only.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail (-vv for debug).")] = 0,
) -> None:
    """radiome: MRI radiomics and neuroimaging machine learning.

    Start with [bold]radiome demo --out demo[/bold], then [bold]radiome validate demo/study.yaml[/bold].
    """
    state.verbosity = -1 if quiet else verbose
    state.console = Console()
    setup_logging(state.verbosity, console=state.err)


@contextlib.contextmanager
def _progress(description: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A Rich progress bar with ETA; yields (set_total, advance) callbacks for library functions."""
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=state.err, disable=state.verbosity < 0, transient=False) as progress:
        task = progress.add_task(description, total=None)
        yield (lambda n: progress.update(task, total=n)), (lambda k: progress.advance(task, k))


def _say(text: str) -> None:
    """Print a progress/summary message unless --quiet."""
    if state.verbosity >= 0:
        state.console.print(text)


def _fail(exc: RadiomeError) -> None:
    state.err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
    raise typer.Exit(1)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the demo study into.")] = Path("demo"),
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives byte-identical data.")] = 2026,
    n_mild: Annotated[int, typer.Option(min=1, help="Patients with mild pain.")] = 52,
    n_severe: Annotated[int, typer.Option(min=1, help="Patients with severe pain.")] = 96,
    validate: Annotated[bool, typer.Option(help="Validate the generated study (without --run).")] = True,
    run: Annotated[bool, typer.Option(help="Run the whole study (radiome run) after generating it.")] = True,
    n_reader2: Annotated[int, typer.Option(min=3, help="Patients segmented by the second reader (ICC).")] = 40,
    brain: Annotated[bool, typer.Option("--brain", help="The synthetic brain rs-fMRI study instead (60 subjects: "
                                        "30 patients, 30 controls).")] = False,
) -> None:
    """Generate the synthetic lumbar pain demo study (148 patients) and run it end to end.

    The data is SYNTHETIC: axial T2-weighted-like L4-5 volumes with multifidus and erector spinae
    masks from two simulated readers, landmarks, true fat fractions and a clinical table. The run
    extracts radiomics (all image types), builds the clinical, Rad-score, classifier and combined
    models and writes the HTML report (its path is printed at the end).

    Example: [bold]radiome demo --out /tmp/demo[/bold]
    """
    from radiome.demo import write_demo_study
    from radiome.provenance import run_record, write_run_record

    out.mkdir(parents=True, exist_ok=True)
    add_log_file(out / "radiome.log")
    if brain:
        _brain_demo(out, seed, run)
        return
    log.info("generating the demo study into %s (seed %d)", out, seed)
    t0 = time.perf_counter()
    try:
        with _progress("Generating patients") as (set_total, advance):
            set_total(n_mild + n_severe)
            paths = write_demo_study(out, seed=seed, n_mild=n_mild, n_severe=n_severe, progress=advance,
                                     n_reader2=min(n_reader2, n_mild + n_severe))
    except RadiomeError as exc:
        _fail(exc)
    elapsed = time.perf_counter() - t0
    write_run_record(
        out / "run.json",
        run_record(
            "demo",
            {"seed": seed, "n_mild": n_mild, "n_severe": n_severe},
            [paths[k] for k in ("manifest", "clinical", "landmarks", "truth", "study")],
            extra={"elapsed_s": round(elapsed, 2), "synthetic": True},
        ),
    )
    _say(
        f"[green]Synthetic demo study written[/green] to {out} in {elapsed:.1f} s "
        f"({n_mild + n_severe} patients; montage: {paths['montage']})"
    )
    if run:
        _run_demo_study(paths["study"], out, t0, "Demo")
    elif validate:
        _run_validate(paths["study"], resample_mask=False, out=None, jobs=2)


def _brain_demo(out: Path, seed: int, run: bool) -> None:
    """``radiome demo --brain``: generate the synthetic rs-fMRI cohort and (with run) model it."""
    from radiome.demo.brain import write_brain_demo
    from radiome.provenance import run_record, write_run_record

    t0 = time.perf_counter()
    try:
        with _progress("Generating subjects") as (set_total, advance):
            set_total(60)
            paths = write_brain_demo(out, seed=seed, progress=advance)
    except RadiomeError as exc:
        _fail(exc)
    write_run_record(out / "run.json", run_record("demo --brain", {"seed": seed}, [paths["study"]],
                                                  extra={"elapsed_s": round(time.perf_counter() - t0, 2),
                                                         "synthetic": True}))
    _say(f"[green]Synthetic brain demo study written[/green] to {out} in {time.perf_counter() - t0:.1f} s")
    if run:
        _run_demo_study(paths["study"], out, t0, "Brain demo")


def _run_demo_study(study: Path, out: Path, t0: float, what: str) -> None:
    """Run a generated demo study (``radiome run``) and say where its report is."""
    from radiome.study.runner import run_command

    code = run_command(study, None, None, quiet=state.verbosity < 0)
    if code:
        raise typer.Exit(code)
    _say(f"[green]{what} finished in {time.perf_counter() - t0:.0f} s.[/green] Open the report: "
         f"{(out / 'results' / 'report' / 'report.html').resolve()}")


@app.command("validate")
def validate_cmd(
    study: Annotated[Path, typer.Argument(help="The study YAML file.")],
    resample_mask: Annotated[
        bool,
        typer.Option(
            "--resample-mask",
            help="Fix masks whose spacing differs from the image by nearest-neighbour resampling "
            "(written to the output folder with a corrected manifest; inputs are never changed).",
        ),
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder [default: <output_dir>/validation].")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Cases read in parallel.")] = 2,
) -> None:
    """Check a whole cohort and report every problem at once.

    Checks files, image/mask geometry, ROI labels and sizes, NaN/Inf, duplicate ids, the outcome
    and whether the requested split is possible. Exit code 0 when clean, 1 when not.

    Example: [bold]radiome validate demo/study.yaml[/bold]
    """
    _run_validate(study, resample_mask=resample_mask, out=out, jobs=jobs)


def _run_validate(study_path: Path, *, resample_mask: bool, out: Path | None, jobs: int) -> None:
    from radiome.io.validate import validate_cohort
    from radiome.provenance import run_record, write_run_record
    from radiome.study import load_study

    try:
        study = load_study(study_path)
    except RadiomeError as exc:
        _fail(exc)
    out_dir = out if out is not None else Path(study.output_dir) / "validation"
    out_dir.mkdir(parents=True, exist_ok=True)
    add_log_file(out_dir / "validate.log")
    with _progress("Validating patients") as (set_total, advance):
        report = validate_cohort(
            study, resample_mask=resample_mask, out_dir=out_dir, jobs=jobs, progress=advance, on_start=set_total
        )
    files = report.write(out_dir)
    write_run_record(
        out_dir / "run.json",
        run_record(
            "validate",
            {"study": study.model_dump(mode="json"), "resample_mask": resample_mask},
            [study_path, study.inputs.manifest, *([study.inputs.clinical] if study.inputs.clinical else [])],
            extra={"ok": report.ok, "n_errors": len(report.errors), "n_warnings": len(report.warnings)},
        ),
    )
    for f in report.faults:  # to the log file (the terminal gets the table below)
        log.debug("%s row=%s patient=%s file=%s check=%s: %s", f.severity, f.row, f.patient, f.file, f.check, f.message)
    log.debug("validation summary: %s", report.summary)
    _print_report(report, files, study_path)
    if report.corrected_manifest is not None:
        state.console.print(
            f"[yellow]Resampled masks written; corrected manifest:[/yellow] {report.corrected_manifest}\n"
            "Point inputs.manifest of the study file at it to use the resampled masks."
        )
    raise typer.Exit(0 if report.ok else 1)


def _print_report(report: Any, files: dict[str, Path], study_path: Path) -> None:
    c = state.console
    s = report.summary
    if report.faults:
        t = Table(title=f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)", show_lines=False)
        for col in ("", "Row", "Patient", "File", "Check", "Problem"):
            t.add_column(col, overflow="fold")
        for f in report.faults:
            mark = "[red]error[/red]" if f.severity == "error" else "[yellow]warn[/yellow]"
            fname = Path(f.file).name if f.file else ""
            t.add_row(mark, str(f.row or ""), f.patient or "", fname, f.check, f.message)
        c.print(t)
    lines = [f"Study: [bold]{s.get('study', study_path)}[/bold]  ({study_path})", f"Patients: {s.get('n_patients', 0)}"]
    if s.get("rois"):
        lines.append("ROIs: " + ", ".join(f"{n}={v['label']}" for n, v in s["rois"].items()))
    if s.get("outcome"):
        counts = s.get("outcome_counts", {})
        total = sum(counts.values()) or 1
        lines.append(
            f"Outcome {s['outcome']}: " + ", ".join(f"{k} {n} ({n / total:.0%})" for k, n in counts.items())
        )
    if s.get("cohorts"):
        lines.append("Cohorts: " + ", ".join(f"{k} {n}" for k, n in s["cohorts"].items()))
    if s.get("split"):
        lines.append(f"Split: {s['split']}")
    g = s.get("geometry") or {}
    if g:
        sp = " x ".join(
            f"{a:g}" if a == b else f"{a:g}-{b:g}" for a, b in zip(g["spacing_min_mm"], g["spacing_max_mm"])
        )
        sz = " x ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(g["size_min"], g["size_max"]))
        lines.append(
            f"Images: {g['n_images']}, size {sz} voxels, spacing {sp} mm, "
            f"{g['n_distinct_grids']} distinct grid(s), {g['oblique_images']} oblique"
        )
    if s.get("undeclared_labels"):
        lines.append("Mask labels not used as ROIs: " + ", ".join(map(str, s["undeclared_labels"])))
    lines.append(f"Report: {files['faults']}")
    status = "[green]OK: no errors[/green]" if report.ok else f"[red]{len(report.errors)} error(s)[/red]"
    if state.verbosity < 0:
        return
    c.print(Panel("\n".join(lines), title=f"Validation {status}", expand=False))


@app.command("init")
def init_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the study file.")] = Path("study.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    from_table: Annotated[
        Path | None, typer.Option("--from-table", help="A feature table (CSV/TSV/XLSX/Parquet): write a study for it.")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Id column of the table [default: guessed].")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Outcome column of the table [default: guessed].")] = None,
    positive: Annotated[str | None, typer.Option("--positive", help="Positive outcome value.")] = None,
) -> None:
    """Write a commented study file with every key at its default (the lumbar pain study's design).

    Example: [bold]radiome init --out study.yaml[/bold], then edit inputs, rois, outcome, covariates.
    With [bold]--from-table features.csv[/bold], a study that models a feature table (no images).
    """
    from radiome.study.template import write_table_template, write_template

    try:
        if from_table is not None:
            write_table_template(from_table, out, force=force, id_column=id_column, outcome=outcome, positive=positive)
        else:
            write_template(out, force=force)
    except RadiomeError as exc:
        _fail(exc)
    if from_table is not None:
        _say(f"Study file for {from_table} written to {out}: check the guessed id, outcome and covariates, "
             f"then radiome run {out}")
    else:
        _say(f"Study file written to {out}: edit inputs, rois, outcome and covariates, then radiome validate {out}")


@app.command("run")
def run_cmd(
    study: Annotated[Path, typer.Argument(help="The study YAML file.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Run folder [default: the study's output_dir].")] = None,
    from_stage: Annotated[
        str | None,
        typer.Option("--from", help="Rerun from this stage: validate, morphometry, extract, clinical, models, "
                     "combined, evaluation, results, report."),
    ] = None,
) -> None:
    """Run the whole study: validate, morphometry, extract, clinical model, selection and models,
    combined model, evaluation, results and the HTML report.

    Each stage is cached by the hash of its inputs and settings, so a rerun after changing only the
    model list does not re-extract. Writes tables, figures, results.json, run.json and
    report/report.html. A feature-table study (inputs.features) skips the image stages.

    Example: [bold]radiome run demo/study.yaml[/bold]
    """
    from radiome.study.runner import run_command

    raise typer.Exit(run_command(study, out, from_stage, state.verbosity < 0))


@app.command("morphometry-case")
def morphometry_case_cmd(
    image: Annotated[Path, typer.Argument(help="Axial image (file or DICOM folder).")],
    mask: Annotated[Path, typer.Argument(help="Multi-label mask.")],
    labels: Annotated[str, typer.Option("--labels", help="ROIs as NAME=LABEL pairs, e.g. MF_L=1,MF_R=2.")],
    method: Annotated[str, typer.Option(help="Fat method: otsu, reference, gmm or dixon.")] = "otsu",
    slice_: Annotated[str, typer.Option("--slice", help="auto, all, or a slice index.")] = "auto",
    reference_label: Annotated[int | None, typer.Option(help="Label of the subcutaneous-fat reference ROI.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON instead of CSV rows.")] = False,
    dixon: Annotated[Path | None, typer.Option(help="Dixon fat-fraction map on the image grid (--method dixon).")] = None,
) -> None:
    """Muscle measures of one case: CSA, fat infiltration area and rate, gray value, asymmetry.

    Prints CSV rows roi,measure,value (or --json).

    Example: [bold]radiome morphometry-case t2.nii.gz mask.nii.gz --labels MF_L=1,MF_R=2 --method otsu[/bold]
    """
    from radiome.spine.cohort import morphometry_case_command

    raise typer.Exit(morphometry_case_command(image, mask, labels, method, slice_, reference_label, json_out, dixon))


@app.command("morphometry")
def morphometry_cmd(
    study: Annotated[Path, typer.Argument(help="The study YAML file.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output CSV [default: <output_dir>/morphometry/morphometry.csv].")] = None,
) -> None:
    """Spine morphometry for every patient: muscle CSA and fat infiltration, vertebral area, facet and lordosis angles.

    Writes morphometry.csv (patient x measure) and QA images; a missing ROI or landmark gives NaN
    for that measure only, with a message.

    Example: [bold]radiome morphometry demo/study.yaml[/bold]
    """
    from radiome.spine.cohort import morphometry_command

    raise typer.Exit(morphometry_command(study, out))


@app.command("features")
def features_cmd(
    image: Annotated[Path, typer.Argument(help="Image file or DICOM series folder.")],
    mask: Annotated[Path, typer.Argument(help="Mask file (binary or multi-label).")],
    label: Annotated[int, typer.Option("--label", "-l", min=1, help="Label value of the ROI.")] = 1,
    params: Annotated[
        Path | None, typer.Option("--params", "-p", help="PyRadiomics parameter file (YAML/JSON).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="pyradiomics (default) or ibsi (IBSI conventions and tags).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write name,value rows to this CSV.")] = None,
) -> None:
    """Extract radiomics features of one ROI and print name,value rows.

    Example: [bold]radiome features image.nii.gz mask.nii.gz --label 2 --params params.yaml[/bold]
    """
    import csv
    import io

    from radiome._atomic import write_text_atomic
    from radiome.features import FeatureExtractor

    try:
        extra = {"profile": profile} if profile else {}
        feats = FeatureExtractor(params, **extra).execute(image, mask, label)
    except RadiomeError as exc:
        _fail(exc)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "value"])
    for k, v in feats.items():
        w.writerow([k, repr(float(v))])
    if out is not None:
        write_text_atomic(out, buf.getvalue())
        _say(f"{len(feats)} features written to {out}")
    else:
        typer.echo(buf.getvalue(), nl=False)


@app.command("extract")
def extract_cmd(
    study: Annotated[Path, typer.Argument(help="The study YAML file.")],
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes [default: features.jobs].")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 [default: features.scheduler].")
    ] = None,
    params: Annotated[Path | None, typer.Option("--params", "-p", help="Override features.params.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder [default: <output_dir>/features].")] = None,
) -> None:
    """Extract features for every (patient, ROI) of a study, in parallel, cached and resumable.

    Writes features.parquet and features.csv (one row per patient and ROI). Finished cases are
    cached, so a rerun skips them; a failing case is reported and the run goes on (exit code 1).

    Example: [bold]radiome extract demo/study.yaml --jobs 2[/bold]
    """
    from radiome.features.cohort import extract_cohort
    from radiome.study import load_study

    try:
        st = load_study(study)
        out_dir = out if out is not None else Path(st.output_dir) / "features"
        out_dir.mkdir(parents=True, exist_ok=True)
        add_log_file(out_dir / "extract.log")
        with _progress("Extracting (patient, ROI)") as (set_total, advance):
            res = extract_cohort(
                st, out_dir=out_dir, jobs=jobs, scheduler=scheduler, params=params, progress=advance, on_start=set_total
            )
    except RadiomeError as exc:
        _fail(exc)
    for f in res.failures:
        log.debug("failed: %s %s %s", f.patient_id, f.roi, f.error)
    if res.failures:
        t = Table(title=f"{len(res.failures)} case(s) failed")
        for col in ("Patient", "ROI", "Reason"):
            t.add_column(col, overflow="fold")
        for f in res.failures:
            t.add_row(f.patient_id, f.roi, f.error or "")
        state.console.print(t)
    n_feat = max(len(res.table.columns) - 3, 0)
    _say(
        f"{res.n_cases - len(res.failures)}/{res.n_cases} cases extracted ({res.n_cached} from cache), "
        f"{n_feat} features each, in {res.seconds:.1f} s -> {res.files.get('parquet', out_dir)}"
    )
    raise typer.Exit(1 if res.failures else 0)


@app.command()
def info(
    path: Annotated[Path, typer.Argument(help="Image file or DICOM series folder.")],
) -> None:
    """Show an image's geometry and intensity range (and DICOM acquisition tags for a series).

    Example: [bold]radiome info demo/images/LBP001_t2.nii.gz[/bold]
    """
    import numpy as np
    import SimpleITK as sitk

    from radiome.io.dicom import dicom_metadata
    from radiome.io.images import Geometry, read_image

    try:
        img = read_image(path)
        meta = dicom_metadata(path) if path.is_dir() or path.suffix.lower() == ".dcm" else None
    except RadiomeError as exc:
        _fail(exc)
    g = Geometry.of(img)
    arr = sitk.GetArrayViewFromImage(img)
    t = Table(show_header=False, title=str(path))
    t.add_row("size (x, y, z)", str(g.size))
    t.add_row("spacing (mm)", ", ".join(f"{v:.6g}" for v in g.spacing))
    t.add_row("origin (mm)", ", ".join(f"{v:.6g}" for v in g.origin))
    t.add_row("direction", ", ".join(f"{v:.4g}" for v in g.direction))
    t.add_row("pixel type", img.GetPixelIDTypeAsString())
    finite = arr[np.isfinite(arr)] if np.issubdtype(arr.dtype, np.floating) else arr
    if finite.size:
        t.add_row("intensity range", f"{finite.min():.6g} .. {finite.max():.6g}")
    if meta is not None:
        for k, v in meta.as_dict().items():
            if v is not None:
                t.add_row(k.replace("_", " "), str(v))
    state.console.print(t)


def _register_subapps() -> None:
    """``radiome fmri ...`` (rs-fMRI maps, connectome, graph) and ``radiome dti ...``."""
    from radiome.dti.cli import app as dti_app
    from radiome.fmri.cli import app as fmri_app

    app.add_typer(fmri_app, name="fmri")
    app.add_typer(dti_app, name="dti")


_register_subapps()


def main() -> None:
    """Entry point of the ``radiome`` command."""
    try:
        app()
    except RadiomeError as exc:  # pragma: no cover - commands catch their own; last safety net
        Console(stderr=True).print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        sys.exit(1)
