"""Cohort extraction throughput on the demo study: ``--jobs 1`` vs ``--jobs 2`` (and more).

Generates the 148-patient synthetic demo (or reuses ``--demo DIR``), then extracts the four muscle
ROIs of every patient (592 cases) with the given image types, from an empty cache each time, and
prints seconds, cases per second and the scaling relative to one job.

Run: ``python benchmarks/cohort.py [--demo /tmp/demo] [--jobs 1 2] [--all-image-types]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from extraction import CONFIGS  # same image types as the single-case benchmark

from radiome.demo import write_demo_study
from radiome.features.cohort import extract_cohort
from radiome.study import load_study

ALL_TYPES = CONFIGS["All image types"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--demo", type=Path, default=None)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--all-image-types", action="store_true")
    args = ap.parse_args()
    demo = args.demo or Path(tempfile.mkdtemp(prefix="radiome_cohort_"))
    if not (demo / "study.yaml").exists():
        write_demo_study(demo)
    study = load_study(demo / "study.yaml")
    params = {"imageType": ALL_TYPES if args.all_image_types else {"Original": {}}}
    print(f"{'jobs':>4s} {'cases':>6s} {'seconds':>8s} {'cases/s':>8s} {'scaling':>8s}")
    base = None
    for jobs in args.jobs:
        out = Path(tempfile.mkdtemp(prefix="radiome_extract_"))
        t0 = time.perf_counter()
        res = extract_cohort(study, out_dir=out, jobs=jobs, params=params)
        dt = time.perf_counter() - t0
        assert res.ok, res.failures[:3]
        base = base or dt
        print(f"{jobs:4d} {res.n_cases:6d} {dt:8.1f} {res.n_cases / dt:8.1f} {base / dt:7.2f}x")
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
