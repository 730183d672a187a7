"""Report which IBSI chapter 2 reference response maps our PyRadiomics-compatible filters reproduce.

Not a test: a script. Run ``python tests/features/filters/ibsi2_report.py [IBSI2_DIR]``; IBSI2_DIR
defaults to ``/work/shared/reference/ibsi2`` (layout: ``digital_phantom/nifti/<phantom>/image/*.nii.gz``
and ``reference_response_maps/<test>-ValidCRM.nii.gz``).

IBSI pass criterion (reference data README): every voxel within 1% of the reference map's range.
Only the phase-1 tests whose filter exists in PyRadiomics are tried: LoG (2.a, 2.b; 2.c is a 2-D
LoG, which PyRadiomics does not have) and separable wavelets (5.a.1, 6.a.1, 7.a.1; the ".2"
variants and 7.a need rotation-invariant pooling, which PyRadiomics does not do). Each test is tried
with a few settings that PyRadiomics' filters allow (plus a reported rescaling for LoG: ITK's
``NormalizeAcrossScale`` multiplies the Laplacian of Gaussian by sigma^2, with sigma in voxels) and
every result is printed, pass or fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiome.features.filters import apply

DEFAULT_DIR = Path("/work/shared/reference/ibsi2")


def phantom(root: Path, name: str) -> sitk.Image:
    return sitk.ReadImage(str(next((root / "digital_phantom" / "nifti" / name / "image").glob("*.nii.gz"))))


def reference(root: Path, test: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(root / "reference_response_maps" / f"{test}-ValidCRM.nii.gz")))


def score(ours: np.ndarray, ref: np.ndarray) -> float:
    """Largest |ours - ref| as a fraction of the reference range (pass: <= 0.01)."""
    return float(np.abs(ours.astype(np.float64) - ref).max() / np.ptp(ref))


def run(image: sitk.Image, image_type: str, settings: dict) -> dict[str, np.ndarray]:
    whole = tuple(slice(0, n) for n in image.GetSize()[::-1])
    return {name: arr for name, arr, _ in apply(image_type, image, whole, settings)}


def main(root: Path = DEFAULT_DIR) -> list[tuple[str, str, float, bool]]:
    rows: list[tuple[str, str, float, bool]] = []

    def record(test: str, how: str, ours: np.ndarray, ref: np.ndarray) -> None:
        s = score(ours, ref)
        rows.append((test, how, s, s <= 0.01))

    # LoG: 2.a impulse, sigma 3 mm; 2.b checkerboard, sigma 5 mm
    for test, ph, sigma in (("2_a", "impulse", 3.0), ("2_b", "checkerboard", 5.0)):
        img = sitk.Cast(phantom(root, ph), sitk.sitkFloat64)
        ref = reference(root, test)
        out = run(img, "LoG", {"sigma": [sigma]})[f"log-sigma-{str(sigma).replace('.', '-')}-mm-3D"]
        record(test, f"LoG sigma={sigma} (PyRadiomics output, scale-normalised)", out, ref)
        record(test, f"LoG sigma={sigma} divided by sigma^2 (sigma in mm)", out / sigma**2, ref)
        sv = sigma / img.GetSpacing()[0]  # isotropic phantoms
        record(test, f"LoG sigma={sigma} divided by (sigma/spacing)^2 = {sv**2:g} (sigma in voxels)", out / sv**2, ref)

    # wavelets: every sub-band of the level asked for, to show which (if any) matches
    for test, ph, wavelet, level, band in (
        ("5_a_1", "impulse", "db2", 1, "LHL"),
        ("6_a_1", "sphere", "coif1", 1, "HHL"),
        ("7_a_1", "checkerboard", "haar", 2, "LLL"),
    ):
        img = sitk.Cast(phantom(root, ph), sitk.sitkFloat64)
        ref = reference(root, test)
        out = run(img, "Wavelet", {"wavelet": wavelet, "level": level})
        prefix = "wavelet-" if level == 1 else f"wavelet{level}-"
        record(test, f"Wavelet {wavelet} level {level} {prefix}{band}", out[prefix + band], ref)
        best = min(out, key=lambda k: score(out[k], ref))
        if best != prefix + band:
            record(test, f"best other sub-band: {best}", out[best], ref)
        # IBSI's undecimated transform vs PyRadiomics': try a one-voxel shift along each axis
        for ax in range(3):
            for shift in (-1, 1):
                shifted = np.roll(out[prefix + band], shift, axis=ax)
                s = score(shifted, ref)
                if s <= 0.01:
                    record(test, f"{prefix}{band} rolled {shift:+d} along numpy axis {ax}", shifted, ref)
    return rows


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    for test, how, s, ok in main(root):
        print(f"{test:6s} {'PASS' if ok else 'fail'}  max|diff|/range = {s:9.3e}  {how}")
