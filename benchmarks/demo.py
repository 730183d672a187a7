"""Wall time of ``radiome demo`` end to end (generate + validate + extract all image types + models
+ evaluation + HTML report), per stage, against the 5-minute budget of the study-runner issue.

Run: ``python benchmarks/demo.py [--out DIR]``. It runs the real command in a subprocess (as a user
would) and reads the stage timings from the run records; prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 300.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=None, help="demo folder (default: a temporary one, removed)")
    args = ap.parse_args()
    tmp = None
    out = args.out
    if out is None:
        tmp = tempfile.mkdtemp(prefix="radiome_demo_bench_")
        out = Path(tmp) / "demo"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "radiome", "-q", "demo", "--out", str(out)],
                          capture_output=True, text=True)
    total = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, file=sys.stderr)
        raise SystemExit(f"radiome demo failed with exit code {proc.returncode}")
    gen = json.loads((out / "run.json").read_text())["elapsed_s"]
    run = json.loads((out / "results" / "run.json").read_text())
    rows = [("generate (148 patients)", gen)] + [(k, v) for k, v in run["timings_s"].items()]
    print("| step | seconds |")
    print("|---|---|")
    for name, sec in rows:
        print(f"| {name} | {sec:.1f} |")
    print(f"| **total (wall, incl. start-up)** | **{total:.1f}** |")
    print(f"\nbudget {BUDGET_S:.0f} s: {'met' if total < BUDGET_S else 'NOT met'} "
          f"({total / BUDGET_S:.0%} of it); report: {out / 'results' / 'report' / 'report.html'}")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
