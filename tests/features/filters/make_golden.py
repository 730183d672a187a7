"""Regenerate the golden reference data in ``data/`` (a script, not a test).

Needs what the project does not depend on: scikit-image (LBP2D reference), trimesh (the icosphere
PyRadiomics' LBP3D samples on) and SciPy < 1.17 (PyRadiomics' LBP3D imports
``scipy.special.sph_harm``). The committed files were made with scikit-image 0.26.0, trimesh 5.2.0,
SciPy 1.16.3, NumPy 2.4.6 and pyradiomics-bhklab 3.1.4:

    pip install --target /tmp/refdeps --no-deps scikit-image==0.26.0 trimesh==5.2.0 lazy_loader
    PYTHONPATH=/tmp/refdeps python tests/features/filters/make_golden.py

Files:

* ``lbp2d_skimage.npz``: 2-D test images (integer, Gaussian-like float, float with ties) and
  ``skimage.feature.local_binary_pattern`` of each for every method and (P, R) in ``LBP2D_PARAMS``;
* ``icosphere_trimesh.npz``: ``trimesh.creation.icosphere(s, r).vertices`` for s = 0..2, r = 1, 2.5;
* ``lbp3d_pyradiomics.npz``: PyRadiomics' ``getLBP3DImage`` outputs (m1, m2, k) inside the ROI,
  for the cases in ``LBP3D_CASES`` (images from ``_cases.load``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk

sys.path.insert(0, str(Path(__file__).parent))
from _cases import bounding_box, load, pyradiomics_outputs  # noqa: E402

OUT = Path(__file__).parent / "data"
LBP2D_METHODS = ("default", "ror", "uniform", "nri_uniform", "var")
LBP2D_PARAMS = ((8, 1.0), (16, 2.0), (12, 1.5), (6, 0.3))
LBP3D_CASES = ("breast1", "border", "thin")


def lbp2d_images() -> dict[str, np.ndarray]:
    y, x = np.indices((17, 19))
    return {
        "int": (((x * 7 + y * 3) % 5) * 10 + ((x * y) % 3)).astype(np.float64),
        "float": np.sin(0.9 * x) * 50.0 + np.cos(0.55 * y + 0.2 * x) * 30.0,
        "ties": np.round(((x * 5 + y * 11) % 7) / 3.0) * 0.1 + 7.3,
    }


def main() -> None:
    from skimage.feature import local_binary_pattern
    from trimesh.creation import icosphere

    OUT.mkdir(exist_ok=True)
    lbp = {}
    for key, img in lbp2d_images().items():
        lbp[f"image_{key}"] = img
        for P, R in LBP2D_PARAMS:
            for m in LBP2D_METHODS:
                lbp[f"{key}_{P}_{R}_{m}"] = local_binary_pattern(img, P, R, m)
    np.savez_compressed(OUT / "lbp2d_skimage.npz", **lbp)

    ico = {f"s{s}_r{r}": np.asarray(icosphere(s, r).vertices) for s in range(3) for r in (1.0, 2.5)}
    np.savez_compressed(OUT / "icosphere_trimesh.npz", **ico)

    lbp3 = {}
    for case in LBP3D_CASES:
        image, mask = load(case)
        outs = pyradiomics_outputs("LBP3D", image, mask, {})
        _, box = bounding_box(image, mask)
        roi = sitk.GetArrayViewFromImage(mask)[box] == 1
        for name, arr in outs:
            lbp3[f"{case}/{name}"] = arr[roi]
    np.savez_compressed(OUT / "lbp3d_pyradiomics.npz", **lbp3)
    print("written:", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
