"""Feature extraction: radiome vs PyRadiomics (pyradiomics-bhklab 3.1.4), same inputs, one process.

For each case (PyRadiomics' test images brain1, brain2, breast1 by default) and each configuration
(Original only; all image types), both tools extract the same features from the same files with the
same settings. The table gives the median seconds per case of each tool over ``--repeat`` warm runs,
the speed ratio, the peak traced memory (numpy and Python allocations, tracemalloc) and the largest
relative difference between the two tools' values over all common features.

Run: ``python benchmarks/extraction.py [--repeat 5] [--cases brain1 breast1]``.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).parents[1] / "tests" / "data" / "pyradiomics"

SETTINGS: dict[str, Any] = {"binWidth": 25, "label": 1}
CONFIGS: dict[str, dict[str, Any]] = {
    "Original": {"Original": {}},
    "All image types": {
        "Original": {},
        "Wavelet": {},
        "LoG": {"sigma": [1.0, 2.0, 3.0]},
        "Square": {},
        "SquareRoot": {},
        "Logarithm": {},
        "Exponential": {},
        "Gradient": {},
        "LBP2D": {},
        "LBP3D": {},
    },
}


def _timed(fn: Any, repeat: int) -> tuple[float, float, dict[str, float]]:
    fn()  # warm-up (imports, caches of the libraries, not of the data)
    times = []
    out: dict[str, float] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, out


def max_rel_diff(a: dict[str, float], b: dict[str, float]) -> tuple[float, str, int]:
    worst, name, n = 0.0, "", 0
    for k in a.keys() & b.keys():
        x, y = float(a[k]), float(b[k])
        if np.isnan(x) and np.isnan(y):
            continue
        n += 1
        d = abs(x - y) / max(abs(y), 1e-9) if abs(x - y) > 1e-9 else 0.0
        if d > worst:
            worst, name = d, k
    return worst, name, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cases", nargs="+", default=["brain1", "brain2", "breast1"])
    args = ap.parse_args()
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    from radiomics import featureextractor

    from radiome.features import FeatureExtractor

    print(
        f"{'config':16s} {'case':8s} {'n feat':>6s} {'pyradiomics s':>13s} {'radiome s':>10s} {'speed-up':>9s} "
        f"{'peak MB pyrad':>13s} {'peak MB ours':>12s} {'max rel diff':>12s}"
    )
    print("(max rel diff: largest |ours - ref| / |ref| over features whose absolute difference exceeds 1e-9)")
    for cname, image_types in CONFIGS.items():
        params = {"setting": SETTINGS, "imageType": image_types}
        ref = featureextractor.RadiomicsFeatureExtractor(params)
        ours = FeatureExtractor(params)
        for case in args.cases:
            img, msk = str(DATA / f"{case}_image.nrrd"), str(DATA / f"{case}_label.nrrd")

            def run_ref() -> dict[str, float]:
                r = ref.execute(img, msk)
                return {k: float(v) for k, v in r.items() if not k.startswith("diagnostics")}

            def run_ours() -> dict[str, float]:
                return ours.execute(img, msk)

            t_ref, m_ref, f_ref = _timed(run_ref, args.repeat)
            t_ours, m_ours, f_ours = _timed(run_ours, args.repeat)
            worst, name, n = max_rel_diff(f_ours, f_ref)
            missing = len(f_ref.keys() - f_ours.keys())
            print(
                f"{cname:16s} {case:8s} {len(f_ours):6d} {t_ref:13.3f} {t_ours:10.3f} {t_ref / t_ours:8.1f}x "
                f"{m_ref:13.0f} {m_ours:12.0f} {worst:12.1e}" + (f"  ({missing} missing)" if missing else "")
            )
            if worst > 1e-6:
                print(f"    largest difference: {name}")


if __name__ == "__main__":
    main()
