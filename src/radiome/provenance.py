"""Provenance records: what ran, with which configuration, software and inputs.

Every command that writes results also writes ``run.json`` beside them: the radiome version, the
exact versions of the scientific packages, Python and platform, the command line, the resolved
configuration, seeds, and a SHA-256 checksum of every input file, so a result can be traced and
rerun identically a year later.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from radiome._atomic import write_text_atomic

TRACKED_PACKAGES = (
    "radiome",
    "numpy",
    "scipy",
    "pandas",
    "SimpleITK",
    "nibabel",
    "pydicom",
    "pydantic",
    "PyYAML",
    "matplotlib",
    "typer",
    "rich",
    "PyWavelets",
    "scikit-learn",
    "statsmodels",
    "xgboost-cpu",
    "lightgbm",
    "shap",
    "nilearn",
    "dipy",
    "dask",
)


def package_versions(names: Iterable[str] = TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (None when it is not installed)."""
    out: dict[str, str | None] = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = None
    return out


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, or of every file in a folder (a DICOM series) in name order."""
    h = hashlib.sha256()
    p = Path(path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        if p.is_dir():
            h.update(str(f.relative_to(p)).encode())
        with open(f, "rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()


def run_record(
    command: str,
    config: dict[str, Any],
    inputs: Iterable[str | Path] = (),
    *,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a provenance record; missing input files are recorded with checksum None."""
    checksums = {}
    for f in inputs:
        p = Path(f)
        checksums[str(p)] = sha256_file(p) if p.exists() else None
    return {
        "command": command,
        "argv": sys.argv,
        "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "config": config,
        "inputs_sha256": checksums,
        **(extra or {}),
    }


def write_run_record(path: str | Path, record: dict[str, Any]) -> Path:
    """Write ``record`` as pretty JSON, atomically."""
    return write_text_atomic(path, json.dumps(record, indent=2, default=str, sort_keys=False) + "\n")
