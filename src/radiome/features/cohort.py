"""Cohort-scale extraction: every (patient, ROI) of a study, in parallel, cached, resumable.

Design:

* **Unit of work** = one patient: its image is read once and shared by all of its ROIs.
* **Cache**: each (patient, ROI) result is a small JSON file named by the SHA-256 of (image bytes,
  mask bytes, label, resolved parameters, radiome version), written atomically (temporary name,
  then rename). A rerun skips every case whose key is cached, so an interrupted run loses nothing
  and a changed image, mask or setting is recomputed. Failures are not cached: they are retried.
* **Failures** never stop the cohort: the case is recorded with the error's message and the run
  goes on; the caller gets the list and decides the exit code.
* **Parallelism**: local worker processes (``jobs``), or a Dask distributed cluster when a
  ``scheduler`` address is given (``tcp://host:port``, or a ``distributed.Client``) — the same
  worker function runs in both.
* **Output**: one row per (patient, ROI) in ``features.parquet`` and ``features.csv``, failures in
  ``extraction_failures.csv``, and ``run.json`` with configuration, versions and checksums.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from radiome import __version__
from radiome._atomic import atomic_path, write_text_atomic
from radiome.errors import RadiomeError
from radiome.features.settings import Params, load_params
from radiome.io.cohort import load_cohort
from radiome.provenance import sha256_file
from radiome.study.schema import Study


@dataclass(frozen=True)
class RoiTask:
    roi: str
    mask: str
    label: int
    cache: str


@dataclass(frozen=True)
class PatientTask:
    """Everything a worker needs for one patient (plain data, picklable for processes and Dask)."""

    patient_id: str
    image: str
    rois: tuple[RoiTask, ...]
    params: dict[str, Any]


@dataclass
class CaseResult:
    patient_id: str
    roi: str
    label: int
    features: dict[str, float] | None = None
    error: str | None = None
    cached: bool = False
    seconds: float = 0.0


@dataclass
class CohortResult:
    """Outcome of a cohort extraction."""

    table: pd.DataFrame
    failures: list[CaseResult]
    n_cases: int
    n_cached: int
    seconds: float
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def case_key(image_sha: str, mask_sha: str, label: int, params: dict[str, Any]) -> str:
    """Cache key of one (image, mask, label, settings) combination."""
    blob = json.dumps(
        {"image": image_sha, "mask": mask_sha, "label": label, "params": params, "radiome": __version__},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_cache(path: Path) -> dict[str, float] | None:
    try:
        return json.loads(path.read_text())["features"]
    except (OSError, ValueError, KeyError):
        return None


def extract_patient(task: PatientTask) -> list[CaseResult]:
    """Worker: extract every ROI of one patient, using and filling the cache. Never raises."""
    from radiome.features.extractor import FeatureExtractor
    from radiome.io.images import read_image

    results: list[CaseResult] = []
    todo = []
    for r in task.rois:
        cached = _read_cache(Path(r.cache))
        if cached is not None:
            results.append(CaseResult(task.patient_id, r.roi, r.label, cached, cached=True))
        else:
            todo.append(r)
    if not todo:
        return results
    try:
        image = read_image(task.image, patient=task.patient_id)
    except RadiomeError as exc:
        return results + [CaseResult(task.patient_id, r.roi, r.label, error=str(exc)) for r in todo]
    extractor = FeatureExtractor(task.params)
    masks: dict[str, Any] = {}
    for r in todo:
        t0 = time.perf_counter()
        try:
            if r.mask not in masks:
                masks[r.mask] = read_image(r.mask, patient=task.patient_id, role="mask")
            feats = extractor.execute(image, masks[r.mask], r.label, patient=task.patient_id)
            feats = {k: float(v) for k, v in feats.items()}
            payload = {"patient_id": task.patient_id, "roi": r.roi, "label": r.label, "features": feats}
            write_text_atomic(r.cache, json.dumps(payload))
            results.append(CaseResult(task.patient_id, r.roi, r.label, feats, seconds=time.perf_counter() - t0))
        except RadiomeError as exc:
            results.append(CaseResult(task.patient_id, r.roi, r.label, error=f"{r.roi}: {exc}"))
        except Exception as exc:  # a bug must not stop the cohort; keep the trace for the report
            tb = traceback.format_exc(limit=3).strip().splitlines()[-1]
            results.append(CaseResult(task.patient_id, r.roi, r.label, error=f"{r.roi}: internal error {exc!r} ({tb})"))
    return results


def plan(study: Study, params: Params, cache_dir: Path) -> tuple[list[PatientTask], dict[str, str]]:
    """One task per patient with its ROIs and cache paths; returns tasks and input checksums."""
    cohort = load_cohort(study)
    rois = study.features.rois or list(study.rois)
    pdict = params.model_dump(mode="json")
    checksums: dict[str, str] = {}

    def sha(p: Path) -> str:
        key = str(p)
        if key not in checksums:
            checksums[key] = sha256_file(p) if p.exists() else "missing"
        return checksums[key]

    tasks = []
    for case in cohort.cases:
        if case.image is None:
            continue
        img_sha = sha(case.image)
        rts = []
        for roi in rois:
            mpath = case.masks.get(study.roi_mask_column(roi))
            if mpath is None:
                continue
            label = study.rois[roi].label
            pd_label = {**pdict, "setting": {**pdict["setting"], "label": label}}
            key = case_key(img_sha, sha(mpath), label, pd_label)
            rts.append(RoiTask(roi, str(mpath), label, str(cache_dir / f"{key}.json")))
        tasks.append(PatientTask(case.patient_id, str(case.image), tuple(rts), pdict))
    return tasks, checksums


def run_tasks(
    tasks: list[PatientTask],
    *,
    jobs: int = 1,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
) -> list[CaseResult]:
    """Run patient tasks locally (``jobs`` processes; 1 = in this process) or on a Dask cluster."""
    out: list[CaseResult] = []

    def done(res: list[CaseResult]) -> None:
        out.extend(res)
        if progress:
            progress(len(res))

    if scheduler is not None:
        from distributed import Client, as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = client.map(extract_patient, tasks, pure=False)
            for fut in dask_completed(futures):
                done(fut.result())
        finally:
            if client is not scheduler:
                client.close()
    elif jobs <= 1:
        for t in tasks:
            done(extract_patient(t))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = [pool.submit(extract_patient, t) for t in tasks]
            for f in as_completed(futs):
                done(f.result())
    return out


def results_table(results: Iterable[CaseResult], order: list[str] | None = None) -> pd.DataFrame:
    """One row per successful (patient, ROI), patients in manifest order, feature columns in extraction order."""
    rows = [
        {"patient_id": r.patient_id, "roi": r.roi, "label": r.label, **(r.features or {})}
        for r in results
        if r.features is not None
    ]
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    if order:
        rank = {p: i for i, p in enumerate(order)}
        df["_o"] = df["patient_id"].map(rank)
        df = df.sort_values(["_o", "roi"], kind="stable").drop(columns="_o")
    return df.reset_index(drop=True)


def extract_cohort(
    study: Study,
    *,
    out_dir: Path | None = None,
    jobs: int | None = None,
    scheduler: Any = None,
    params: str | Path | dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> CohortResult:
    """Extract the whole cohort of ``study`` and write ``features.parquet``/``.csv`` into ``out_dir``."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir) if out_dir is not None else Path(study.output_dir) / "features"
    out_dir.mkdir(parents=True, exist_ok=True)
    p = load_params(params if params is not None else study.features.params)
    tasks, checksums = plan(study, p, out_dir / "cache")
    n_cases = sum(len(t.rois) for t in tasks)
    if on_start:
        on_start(n_cases)
    results = run_tasks(
        tasks,
        jobs=jobs if jobs is not None else study.features.jobs,
        scheduler=scheduler if scheduler is not None else study.features.scheduler,
        progress=progress,
    )
    order = [t.patient_id for t in tasks]
    table = results_table(results, order)
    failures = sorted((r for r in results if r.error), key=lambda r: (order.index(r.patient_id), r.roi))
    files = {}
    if not table.empty:
        files["parquet"] = out_dir / "features.parquet"
        with atomic_path(files["parquet"]) as tmp:
            table.to_parquet(tmp, index=False)
        files["csv"] = out_dir / "features.csv"
        with atomic_path(files["csv"]) as tmp:
            table.to_csv(tmp, index=False)
    files["failures"] = out_dir / "extraction_failures.csv"
    with atomic_path(files["failures"]) as tmp:
        pd.DataFrame(
            [{"patient_id": r.patient_id, "roi": r.roi, "label": r.label, "error": r.error} for r in failures],
            columns=["patient_id", "roi", "label", "error"],
        ).to_csv(tmp, index=False)
    from radiome.provenance import run_record, write_run_record

    seconds = time.perf_counter() - t0
    n_cached = sum(r.cached for r in results)
    files["run"] = write_run_record(
        out_dir / "run.json",
        run_record(
            "extract",
            {"study": study.model_dump(mode="json"), "params": p.model_dump(mode="json")},
            [],
            extra={
                "inputs_sha256": checksums,
                "n_cases": n_cases,
                "n_failed": len(failures),
                "n_cached": n_cached,
                "elapsed_s": round(seconds, 2),
            },
        ),
    )
    return CohortResult(table, failures, n_cases, n_cached, seconds, files)

