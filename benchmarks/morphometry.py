"""Spine morphometry of the whole 148-patient demo: wall time on 2 workers, and the table.

Reuses ``--demo DIR`` (default ``/tmp/demo`` when it holds a ``study.yaml``) or generates the demo
into a temporary folder (not timed). Results (CSV + QA PNGs) go to a temporary folder, so the demo
is not modified. Prints the seconds per method (Otsu with QA figures, then each fat method without),
the agreement with the demo's ``truth.csv`` and the head of the table. Target: < 30 s on 2 cores.

Run: ``python benchmarks/morphometry.py [--demo /tmp/demo] [--workers 2] [--methods otsu reference gmm]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from radiome.demo import write_demo_study
from radiome.spine import morphometry
from radiome.study import load_study


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--demo", type=Path, default=Path("/tmp/demo"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", nargs="+", default=["otsu", "reference", "gmm"])
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > args.workers:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.workers])
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo
        if not (demo / "study.yaml").is_file():
            demo = Path(tmp) / "demo"
            t0 = time.perf_counter()
            write_demo_study(demo)
            print(f"generated the demo in {time.perf_counter() - t0:.1f} s (not timed below)")
        study = load_study(demo / "study.yaml")
        truth = pd.read_csv(demo / "truth.csv", dtype={"patient_id": str}).set_index("patient_id")
        print(f"demo: {demo}  cores available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
        rows = []
        df_main = None
        for i, method in enumerate(args.methods):
            qa = i == 0
            out = Path(tmp) / f"morph_{method}" / "morphometry.csv"
            t0 = time.perf_counter()
            df = morphometry(study, method=method, qa=qa, out=out, workers=args.workers)
            dt = time.perf_counter() - t0
            df_main = df if df_main is None else df_main
            t = truth.loc[df.index]
            rec = {"method": method, "qa_png": qa, "patients": len(df), "seconds": round(dt, 2)}
            for m in ("MF_L", "MF_R", "ES_L", "ES_R"):
                rec[f"rho_{m}_slice"] = round(float(spearmanr(df[f"{m}_fat_rate"], t[f"fat_fraction_{m}"])[0]), 3)
                rec[f"rho_{m}_all"] = round(float(spearmanr(df[f"{m}_fat_rate_all"], t[f"fat_fraction_{m}"])[0]), 3)
            rec["mae_MF_all_pp"] = round(100 * float(np.nanmean(np.abs(df[["MF_L_fat_rate_all", "MF_R_fat_rate_all"]].to_numpy() - t[["fat_fraction_MF_L", "fat_fraction_MF_R"]].to_numpy()))), 2)
            rows.append(rec)
        res = pd.DataFrame(rows).set_index("method")
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print("\nTiming and agreement with truth.csv (Spearman rho; *_slice = measured slice, *_all = all slices):")
            print(res.T.to_string())
            t = truth.loc[df_main.index]
            err = {a: float(np.nanmax(np.abs(df_main[a] - t[a]))) for a in ("facet_angle_L_deg", "facet_angle_R_deg", "facet_tropism_deg", "lordosis_deg")}
            print("\nmax |angle - truth| (deg):", {k: round(v, 4) for k, v in err.items()})
            print(f"\nmorphometry table ({df_main.shape[0]} patients x {df_main.shape[1]} columns), first rows:")
            cols = ["MF_L_csa_mm2", "MF_L_fat_rate", "MF_R_fat_rate", "MF_asym_csa_mm2", "ES_L_fat_rate", "VB_csa_mm2",
                    "facet_angle_L_deg", "facet_angle_R_deg", "facet_tropism_deg", "lordosis_deg", "slice"]
            print(df_main[cols].head(12).round(3).to_string())
        best = float(res["seconds"].iloc[0])
        print(f"\n{args.methods[0]} with QA PNGs: {best:.1f} s for {len(df_main)} patients (target < 30 s) -> {'OK' if best < 30 else 'SLOW'}")


if __name__ == "__main__":
    main()
