"""Benchmark the foundation: demo generation and whole-cohort validation (jobs 1 vs 2).

There is no reference tool for these steps; the table gives absolute seconds per patient and the
speed-up of parallel validation, with peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from radiome.demo import write_demo_study
from radiome.io.validate import validate_cohort
from radiome.study import load_study


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=None, help="demo folder (default: a temporary one)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="radiome_bench_"))
    rows = []
    t0 = time.perf_counter()
    paths = write_demo_study(out)
    gen = time.perf_counter() - t0
    study = load_study(paths["study"])
    n = 148
    rows.append(("generate demo (148 patients)", gen, gen / n, None))
    times = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        report = validate_cohort(study, jobs=jobs, out_dir=out / "results" / f"validation_j{jobs}")
        times[jobs] = time.perf_counter() - t0
        assert report.ok, report.to_frame()
        rows.append((f"validate, --jobs {jobs}", times[jobs], times[jobs] / n, times[1] / times[jobs]))
    print(f"{'step':32s} {'seconds':>9s} {'s/patient':>10s} {'speed-up':>9s}")
    for name, t, per, ratio in rows:
        print(f"{name:32s} {t:9.2f} {per:10.4f} {('' if ratio is None else f'{ratio:.2f}x'):>9s}")
    print(f"peak memory: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
