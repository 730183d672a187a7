"""``radiome run``: the whole study, stage by stage, cached and resumable.

Stages (in order): ``validate`` (cohort checks and the one patient split) -> ``morphometry`` (spine
measures, when the study has a morphometry section) -> ``extract``
(radiomics features) -> ``clinical`` (clinical model) -> ``models`` (feature selection, Rad-score
and classifiers; alias ``selection``) -> ``combined`` (clinical + Rad-score, nomogram) ->
``evaluation`` (AUCs with CIs, thresholds, calibration, decision curves, DeLong comparisons).

Each stage has a cache key: the SHA-256 of its settings sections (JSON), the keys of the stages it
depends on, the input files' checksums (first stages) and the radiome version. The key and the
produced files (with checksums) are stored in ``<out>/.cache/<stage>.json``; a stage whose key
matches and whose files are intact is skipped. ``from_stage`` forces that stage and all later ones.

Outputs: see :mod:`radiome.study.stages`, plus ``results.json`` (every number, deterministic:
sorted keys, floats rounded to 12 significant digits, no timings) and ``run.json`` (provenance:
resolved configuration, versions, seeds, input checksums, timings).

An error in a stage raises :class:`StageError` naming the stage; finished stages keep their outputs
and cache entries, so a rerun resumes after them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from radiome import __version__
from radiome._atomic import write_text_atomic
from radiome.errors import RadiomeError
from radiome.io.cohort import load_cohort
from radiome.provenance import run_record, sha256_file, write_run_record
from radiome.study import stages as st
from radiome.study.schema import Study

__all__ = ["STAGES", "RunProgress", "RunResult", "StageError", "run_command", "run_study"]


class StageError(RadiomeError):
    """A stage of ``radiome run`` failed; ``stage`` names it."""

    code = "stage_failed"

    def __init__(self, stage: str, cause: str) -> None:
        self.stage = stage
        super().__init__(f"stage {stage!r} failed: {cause}")


class RunProgress(Protocol):
    """Progress callbacks of :func:`run_study` (the CLI draws them; tests record them)."""

    def stage_started(self, stage: str, index: int, total: int) -> None: ...

    def stage_finished(self, stage: str, cached: bool, seconds: float) -> None: ...

    def message(self, text: str) -> None: ...


class _Silent:
    def stage_started(self, stage: str, index: int, total: int) -> None:
        pass

    def stage_finished(self, stage: str, cached: bool, seconds: float) -> None:
        pass

    def message(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class StageSpec:
    name: str
    func: Callable[[st.Context], list[Path]]
    sections: tuple[str, ...]  # Study fields whose settings enter the key
    deps: tuple[str, ...] = ()
    uses_inputs: bool = False  # input file checksums enter the key


STAGES: tuple[StageSpec, ...] = (
    StageSpec("validate", st.stage_validate,
              ("inputs", "rois", "outcome", "covariates", "checks", "validation"), uses_inputs=True),
    StageSpec("morphometry", st.stage_morphometry, ("inputs", "rois", "morphometry"), ("validate",), uses_inputs=True),
    StageSpec("extract", st.stage_extract, ("inputs", "rois", "features", "selection_icc", "brain"), uses_inputs=True),
    StageSpec("clinical", st.stage_clinical, ("covariates", "clinical"), ("validate", "morphometry")),
    StageSpec("models", st.stage_models, ("selection", "models", "validation", "features"),
              ("validate", "extract")),
    StageSpec("combined", st.stage_combined, ("covariates", "clinical", "outcome"), ("clinical", "models")),
    StageSpec("evaluation", st.stage_evaluation, ("evaluation", "validation"), ("clinical", "models", "combined")),
    StageSpec("results", lambda ctx: [stage_results(ctx)], (),
              ("validate", "morphometry", "extract", "clinical", "models", "combined", "evaluation")),
    StageSpec("report", lambda ctx: stage_report(ctx), ("report",), ("results",)),
)
STAGE_NAMES = tuple(s.name for s in STAGES)
ALIASES = {"selection": "models", "selection+models": "models", "evaluate": "evaluation", "extraction": "extract"}


@dataclass
class RunResult:
    out: Path
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)
    results: Path | None = None
    run_json: Path | None = None


def _section(study: Study, name: str) -> Any:
    if name == "selection_icc":  # the second reader is extracted only when the chain uses ICC
        return st.uses_icc(study)
    return getattr(study, name)


def input_checksums(study: Study) -> dict[str, str]:
    """SHA-256 of the manifest, clinical table, parameter file and every image and mask."""
    if study.is_table:
        files = [Path(study.inputs.features)] + ([Path(study.inputs.clinical)] if study.inputs.clinical else [])
        return {str(f): sha256_file(f) if f.exists() else "missing" for f in files}
    files: list[Path] = [Path(study.inputs.manifest)]
    if study.morphometry is not None:
        files.append(Path(study.morphometry.landmarks or Path(study.inputs.manifest).parent / "landmarks.csv"))
    if study.brain is not None:
        files += [Path(study.brain.atlas)] + ([Path(study.brain.labels)] if study.brain.labels else [])
    if study.inputs.clinical is not None:
        files.append(Path(study.inputs.clinical))
    if isinstance(study.features.params, Path):
        files.append(study.features.params)
    try:
        cohort = load_cohort(study)
    except RadiomeError:
        cohort = None
    if cohort is not None:
        for c in cohort.cases:
            files += [p for p in (c.image, *c.masks.values()) if p is not None]
    out = {}
    for f in dict.fromkeys(files):
        out[str(f)] = sha256_file(f) if Path(f).exists() else "missing"
    return out


def stage_key(spec: StageSpec, study: Study, keys: dict[str, str], checksums: dict[str, str]) -> str:
    payload = {
        "stage": spec.name,
        "settings": {s: _section(study, s) for s in spec.sections},
        "deps": {d: keys[d] for d in spec.deps},
        "inputs": checksums if spec.uses_inputs else None,
        "radiome": __version__,
    }
    from pydantic import BaseModel

    def enc(o: Any) -> Any:
        if isinstance(o, BaseModel):
            return o.model_dump(mode="json")
        return str(o)

    blob = json.dumps(payload, sort_keys=True, default=enc)
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_path(out: Path, stage: str) -> Path:
    return out / ".cache" / f"{stage}.json"


def _is_cached(out: Path, stage: str, key: str) -> bool:
    try:
        entry = json.loads(_cache_path(out, stage).read_text())
    except (OSError, ValueError):
        return False
    if entry.get("key") != key:
        return False
    for rel, sha in entry.get("files", {}).items():
        p = out / rel
        if not p.is_file() or sha256_file(p) != sha:
            return False
    return True


def _rel(out: Path, p: Path) -> str:
    p = Path(p)
    try:
        return str(p.resolve().relative_to(out.resolve()))
    except ValueError:
        return str(p)


def _resolve_from(from_stage: str | None) -> int | None:
    if from_stage is None:
        return None
    name = ALIASES.get(from_stage, from_stage)
    if name not in STAGE_NAMES:
        raise RadiomeError(f"unknown stage {from_stage!r} for --from; use one of {', '.join(STAGE_NAMES)} "
                           f"(or {', '.join(ALIASES)})", code="config")
    return STAGE_NAMES.index(name)


def run_study(
    study: Study,
    out: Path | None = None,
    *,
    from_stage: str | None = None,
    progress: RunProgress | None = None,
) -> RunResult:
    """Run (or resume) every stage of ``study`` into ``out`` (default: the study's output_dir)."""
    progress = progress or _Silent()
    out = Path(out if out is not None else study.output_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    force_from = _resolve_from(from_stage)
    t_start = time.perf_counter()
    checksums = input_checksums(study)
    keys: dict[str, str] = {}
    timings: dict[str, float] = {}
    result = RunResult(out)
    forced = False
    for i, spec in enumerate(STAGES):
        key = stage_key(spec, study, keys, checksums)
        keys[spec.name] = key
        forced = forced or (force_from is not None and i >= force_from)
        progress.stage_started(spec.name, i, len(STAGES))
        t0 = time.perf_counter()
        dep_ran = any(d in result.ran for d in spec.deps)  # a rerun dependency invalidates this stage
        if not forced and not dep_ran and _is_cached(out, spec.name, key):
            entry = json.loads(_cache_path(out, spec.name).read_text())
            result.cached.append(spec.name)
            result.files[spec.name] = sorted(entry["files"])
            timings[spec.name] = 0.0
            progress.stage_finished(spec.name, True, 0.0)
            continue
        _cache_path(out, spec.name).unlink(missing_ok=True)  # a failed stage leaves no stale entry
        ctx = st.Context(study, out, progress.message, {k: v for k, v in keys.items() if k != spec.name},
                         getattr(progress, "bar", lambda d: st.Bar()))
        try:
            produced = spec.func(ctx)
        except StageError:
            raise
        except RadiomeError as exc:
            raise StageError(spec.name, str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - any failure is reported with its stage
            raise StageError(spec.name, f"{type(exc).__name__}: {exc}") from exc
        rels = {_rel(out, p): sha256_file(p) for p in produced}
        write_text_atomic(_cache_path(out, spec.name),
                          json.dumps({"stage": spec.name, "key": key, "files": rels}, indent=2, sort_keys=True) + "\n")
        timings[spec.name] = round(time.perf_counter() - t0, 3)
        result.ran.append(spec.name)
        result.files[spec.name] = sorted(rels)
        progress.stage_finished(spec.name, False, timings[spec.name])

    result.results = out / "results.json"
    result.run_json = write_run_record(
        out / "run.json",
        run_record(
            "run",
            study.model_dump(mode="json"),
            [],
            extra={
                "inputs_sha256": checksums,
                "seeds": {"validation": study.validation.seed, "bootstrap": study.validation.seed},
                "stage_keys": keys,
                "stages_ran": result.ran,
                "stages_cached": result.cached,
                "timings_s": timings,
                "elapsed_s": round(time.perf_counter() - t_start, 3),
            },
        ),
    )
    return result


_csv = st.read_csv_or_empty


def stage_results(ctx: st.Context) -> Path:
    """``results.json``: every number of the run (deterministic; the report reads it)."""
    keys = {k: v for k, v in ctx.keys.items() if k in STAGE_NAMES[:STAGE_NAMES.index("results")]}
    results = collect_results(ctx.study, ctx.out, keys)
    return write_text_atomic(ctx.out / "results.json",
                             json.dumps(results, indent=2, sort_keys=True, allow_nan=False) + "\n")


def stage_report(ctx: st.Context) -> list[Path]:
    """``report/report.html`` and its figures (PNG, SVG, PDF)."""
    from radiome.report import build_report

    return build_report(ctx.study, ctx.out)


def _table1_types(df: pd.DataFrame) -> pd.DataFrame:
    """Table 1 read as text (its cells are formatted strings), with the numeric columns restored."""
    df = df.copy()
    for c in df.columns:
        if c in ("p_value", "missing") or (c.split("_")[0] in ("mean", "sd", "median", "q1", "q3", "n") and "_" in c):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def collect_results(study: Study, out: Path, keys: dict[str, str]) -> dict[str, Any]:
    """Every number of the run as one JSON-ready dict (deterministic; no timings, no paths)."""
    split = _csv(out / "split.csv")
    res: dict[str, Any] = {
        "study": study.name,
        "radiome": __version__,
        "stage_keys": keys,
        "split": {
            s: {"n": int((split["split"] == s).sum()), "n_events": int(split.loc[split["split"] == s, "label"].sum())}
            for s in st.SPLITS if (split["split"] == s).any()
        },
    }
    res["input"] = "table" if study.is_table else "brain" if study.is_brain else "images"
    if (out / "clinical" / "table1.csv").exists():
        res["table1"] = st.records(pd.read_csv(out / "clinical" / "table1.csv", dtype=str, keep_default_na=False)
                                   .replace({"": None}).pipe(_table1_types))
    if study.morphometry is not None and (out / "morphometry" / "morphometry.csv").exists():
        morph = pd.read_csv(out / "morphometry" / "morphometry.csv", dtype={"patient_id": str})
        res["morphometry"] = {
            "method": study.morphometry.method, "slice": str(study.morphometry.slice), "n_patients": len(morph),
            "n_with_messages": st.patients_with_messages(morph), "covariates": study.morphometry_covariates,
            "measures": [c for c in morph.columns if c not in ("patient_id", "messages")],
        }
    clin = json.loads((out / "clinical" / "clinical_model.json").read_text())
    res["clinical"] = {
        **clin,
        "univariate": st.records(_csv(out / "clinical" / "clinical_univariate.csv")),
        "multivariate": st.records(_csv(out / "clinical" / "clinical_multivariate.csv")),
    }
    res["radiomics"] = {}
    for set_name, rois in st.roi_sets(study).items():
        folder = out / "models" / set_name
        entry = {
            "rois": rois,
            "selected_features": st.records(_csv(folder / "selected_features.csv")),
            "radscore_formula": (folder / "radscore_formula.txt").read_text().strip(),
            "classifiers": json.loads((folder / "best_params.json").read_text()),
        }
        if (folder / "icc.csv").exists():
            icc = _csv(folder / "icc.csv")
            thr = study.selection.icc_threshold
            entry["icc"] = {"n_features": len(icc), "n_reproducible": int((icc["icc"] >= thr).sum())}
        if (folder / "lasso.json").exists():
            entry["lasso"] = json.loads((folder / "lasso.json").read_text())
        entry["best_classifier"] = st.best_classifier(entry["classifiers"])
        if (folder / "shap.json").exists():
            entry["shap"] = json.loads((folder / "shap.json").read_text())
        cfold = out / "combined" / set_name
        entry["combined"] = st.records(_csv(cfold / "combined_multivariate.csv"))
        res["radiomics"][set_name] = entry
    ev = out / "evaluation"
    res["metrics"] = st.records(_csv(ev / "metrics.csv"))
    res["calibration"] = st.records(_csv(ev / "calibration.csv"))
    res["hosmer_lemeshow"] = st.records(_csv(ev / "hosmer_lemeshow.csv"))
    res["delong"] = st.records(_csv(ev / "delong_matrix.csv"))
    return st.clean_json(res)


class _Printer:
    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)

    def stage_started(self, stage: str, index: int, total: int) -> None:
        self.console.print(f"[{index + 1}/{total}] {stage} ...")

    def stage_finished(self, stage: str, cached: bool, seconds: float) -> None:
        self.console.print(f"      {stage}: {'cached' if cached else f'done in {seconds:.1f} s'}")

    def message(self, text: str) -> None:
        self.console.print(f"      {text}")

    def bar(self, description: str) -> st.Bar:
        return _RichBar(self.console, description)


class _RichBar(st.Bar):
    """A transient Rich progress bar (count, elapsed, remaining) for the long stages."""

    def __init__(self, console, description: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

        self.progress = Progress("      " + description, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=console, transient=True)
        self.task = None

    def start(self, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("", total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.progress.advance(self.task, n)

    def close(self) -> None:
        self.progress.stop()


def summary_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (ROI set, model) of the headline models: clinical, Rad-score, best classifier and
    combined, with the test (else train) AUC and its DeLong CI."""
    idx = {(m["model"], m["split"]): m for m in results.get("metrics", [])}
    split = "test" if any(k[1] == "test" for k in idx) else "train"
    rows = []
    if ("clinical", split) in idx:
        m = idx[("clinical", split)]
        rows.append({"roi_set": "-", "model": "clinical", "split": split, "auc": m["auc"],
                     "lower": m["auc_delong_lower"], "upper": m["auc_delong_upper"]})
    for set_name, entry in results.get("radiomics", {}).items():
        best = entry.get("best_classifier")
        for name in (f"radscore[{set_name}]", f"{set_name}/{best}", f"combined[{set_name}]"):
            m = idx.get((name, split))
            if m is not None:
                rows.append({"roi_set": set_name, "model": name + (" (best)" if name.endswith(f"/{best}") else ""),
                             "split": split, "auc": m["auc"], "lower": m["auc_delong_lower"],
                             "upper": m["auc_delong_upper"]})
    return rows


def print_summary(res: RunResult) -> None:
    """The end-of-run table (headline models, test AUC with 95 % CI) and where the outputs are."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    try:
        results = json.loads(Path(res.results).read_text())
    except (OSError, ValueError, TypeError):
        return
    t = Table(title="Headline models", title_justify="left")
    for col in ("ROI set", "model", "set", "AUC (95 % CI)"):
        t.add_column(col, justify="right" if col.startswith("AUC") else "left")
    from rich.markup import escape

    for r in summary_rows(results):
        auc = "-" if r["auc"] is None else f"{r['auc']:.3f} ({r['lower']:.3f}-{r['upper']:.3f})"
        t.add_row(escape(r["roi_set"]), escape(r["model"]), r["split"], auc)
    console.print(t)
    report = res.out / "report" / "report.html"
    console.print(f"results: {res.results}\nprovenance: {res.run_json}"
                  + (f"\nreport: [bold]{report}[/bold]" if report.is_file() else "")
                  + f"\noutput folder: {res.out}")


def run_command(study: Path, out: Path | None = None, from_stage: str | None = None, quiet: bool = False) -> int:
    """``radiome run STUDY [--out DIR] [--from STAGE] [--quiet]``; returns the exit code (0 ok, 1 error)."""
    from radiome.study.loader import load_study

    try:
        s = load_study(study)
        res = run_study(s, out, from_stage=from_stage, progress=_Silent() if quiet else _Printer())
    except RadiomeError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        return 1
    if not quiet:
        print_summary(res)
    return 0
