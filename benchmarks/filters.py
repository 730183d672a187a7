"""Time radiome's filters against PyRadiomics' generators + crop (a script, not a test).

``python benchmarks/filters.py [case] [repeats]`` (default brain1, 7): for every
image type, the best-of-N wall time of

* PyRadiomics: ``imageoperations.get<Type>Image(image, mask, **settings)`` iterated, each output
  cropped with ``imageoperations.cropToTumorMask`` and read with ``sitk.GetArrayFromImage``;
* radiome: ``radiome.features.filters.apply(type, image, bbox, settings, mask=roi)`` iterated.

PyRadiomics' LBP2D needs scikit-image and its LBP3D needs trimesh (and SciPy < 1.17); without them
its generator yields nothing and the ratio is not meaningful (flagged in the output).
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import SimpleITK as sitk

DATA = Path(__file__).parents[1] / "tests" / "data" / "pyradiomics"
TYPES = [
    ("Original", {}),
    ("Wavelet", {}),
    ("LoG", {"sigma": [1.0, 2.0, 3.0]}),
    ("Square", {}),
    ("SquareRoot", {}),
    ("Logarithm", {}),
    ("Exponential", {}),
    ("Gradient", {}),
    ("LBP2D", {}),
    ("LBP3D", {}),
]


def best(fn, repeats: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t)
    return min(times), n


def main(case: str = "brain1", repeats: int = 7) -> None:
    from radiomics import imageoperations as io

    from radiome.features.filters import apply

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    logging.getLogger("radiome").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    image = sitk.ReadImage(str(DATA / f"{case}_image.nrrd"))
    mask = io.getMask(sitk.ReadImage(str(DATA / f"{case}_label.nrrd")))
    bb, _ = io.checkMask(image, mask)
    bbox = (slice(bb[4], bb[5] + 1), slice(bb[2], bb[3] + 1), slice(bb[0], bb[1] + 1))
    roi = sitk.GetArrayViewFromImage(mask)[bbox] == 1

    def ref(name, settings):
        def run():
            n = 0
            for img, _, _ in getattr(io, f"get{name}Image")(image, mask, **settings):
                ci, _ = io.cropToTumorMask(img, mask, bb)
                sitk.GetArrayFromImage(ci)
                n += 1
            return n
        return run

    def ours(name, settings):
        def run():
            return sum(1 for _ in apply(name, image, bbox, settings, mask=roi))
        return run

    print(f"{case}: image {image.GetSize()}, bbox (z,y,x) {[int(s.stop - s.start) for s in bbox]}, "
          f"{int(roi.sum())} ROI voxels; best of {repeats}")
    print(f"{'image type':12s} {'outputs':>7s} {'PyRadiomics ms':>15s} {'radiome ms':>11s} {'speed-up':>9s}")
    tot_r = tot_o = 0.0
    for name, settings in TYPES:
        tr, nr = best(ref(name, settings), repeats)
        to, no = best(ours(name, settings), repeats)
        note = "" if nr == no else f"  (PyRadiomics yielded {nr}, radiome {no}: reference incomplete)"
        print(f"{name:12s} {no:7d} {tr * 1e3:15.1f} {to * 1e3:11.1f} {tr / to:8.1f}x{note}")
        tot_r += tr
        tot_o += to
    print(f"{'total':12s} {'':7s} {tot_r * 1e3:15.1f} {tot_o * 1e3:11.1f} {tot_r / tot_o:8.1f}x")
    np.seterr(all="warn")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "brain1", int(sys.argv[2]) if len(sys.argv) > 2 else 7)
