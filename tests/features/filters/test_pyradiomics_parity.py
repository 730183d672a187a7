"""Every image type against PyRadiomics 3.1.4: its generator on the full image, cropped with
``cropToTumorMask`` to the ``checkMask`` bounding box, versus ``radiome.features.filters.apply``.

Same image type names in the same order, same dtype and shape, and values equal to 1e-9 of each
array's range, indeed bit for bit (LBP3D: inside the ROI, as PyRadiomics leaves the rest
uninitialised).

PyRadiomics' LBP2D imports scikit-image and its LBP3D trimesh; neither is a project dependency.
When they are missing, a stand-in module is installed for the duration of the test
(``local_binary_pattern`` from our scikit-image re-implementation, ``icosphere`` from our trimesh
re-implementation), so the test still checks all of PyRadiomics' own code around them (slicing,
axis swaps, dtype casts, spherical harmonics, kurtosis); those two pieces are checked against
scikit-image and trimesh output in ``test_filters.py`` (recorded data, and live when installed).
"""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pytest
import SimpleITK as sitk

pytest.importorskip("radiomics")
# PyRadiomics' own deprecated SciPy imports (sph_harm, scipy.ndimage.interpolation)
# and its cast of NaN LBP variances into integer images
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")]

from radiome.features import filters  # noqa: E402

from ._cases import bounding_box, load, pyradiomics_outputs, rel_diff  # noqa: E402

ALL = ("brain1", "breast1", "border", "border32", "thin")
SMALL = ("breast1", "border", "border32", "thin")

CONFIGS: list[tuple[str, dict, tuple[str, ...]]] = [
    ("Original", {}, ALL),
    ("Wavelet", {}, ALL),
    ("Wavelet", {"level": 2, "wavelet": "db2"}, SMALL),
    ("Wavelet", {"start_level": 1, "level": 2, "wavelet": "haar"}, SMALL),
    ("Wavelet", {"force2D": True}, ("brain1", "breast1", "border", "thin")),
    ("Wavelet", {"force2D": True, "force2Ddimension": 2, "wavelet": "sym3"}, SMALL),
    ("Wavelet", {"wavelet": "dmey"}, ("breast1", "thin")),  # filter longer than the image axes
    ("LoG", {"sigma": [1, 2.0, 3.0]}, ALL),
    ("LoG", {"sigma": [0.5, 0, -1.0, 5, 30.0]}, ("breast1", "border")),  # PyRadiomics' skip rules
    ("Square", {}, ALL),
    ("SquareRoot", {}, ALL),
    ("Logarithm", {}, ALL),
    ("Exponential", {}, ALL),
    ("Gradient", {}, ALL),
    ("Gradient", {"gradientUseSpacing": False}, SMALL),
    ("LBP2D", {}, ALL),
    ("LBP2D", {"force2D": True, "lbp2DMethod": "default", "lbp2DRadius": 2, "lbp2DSamples": 16}, SMALL),
    ("LBP2D", {"force2D": True, "force2Ddimension": 1, "lbp2DMethod": "var"}, SMALL),
    ("LBP2D", {"force2D": True, "force2Ddimension": 2, "lbp2DMethod": "ror", "lbp2DRadius": 1.5,
               "lbp2DSamples": 12}, SMALL),
    ("LBP2D", {"lbp2DMethod": "nri_uniform"}, ("breast1", "thin")),
    ("LBP3D", {}, ALL),
    ("LBP3D", {"lbp3DLevels": 3, "lbp3DIcosphereRadius": 2, "lbp3DIcosphereSubdivision": 2}, SMALL),
]

PARAMS = [
    pytest.param(t, s, c, id=f"{t}-{c}-{'-'.join(f'{k}={v}' for k, v in s.items()) or 'defaults'}")
    for t, s, cases in CONFIGS
    for c in cases
]


def _stand_ins(monkeypatch: pytest.MonkeyPatch, image_type: str) -> None:
    """Install stand-ins for scikit-image / trimesh when they are absent (see module docstring)."""
    if image_type == "LBP2D" and importlib.util.find_spec("skimage") is None:
        from radiome.features.filters.lbp2d import lbp_planes

        def local_binary_pattern(image, P, R, method="default"):
            img = np.ascontiguousarray(image, dtype=np.float64)
            pad = int(np.ceil(np.float32(R))) + 1
            padded = np.pad(img, pad)[None]
            rows, cols = np.arange(img.shape[0]), np.arange(img.shape[1])
            return lbp_planes(padded, (-pad, -pad), rows, cols, P, R, method)[0]

        sk = types.ModuleType("skimage")
        feature = types.ModuleType("skimage.feature")
        feature.local_binary_pattern = local_binary_pattern
        sk.feature = feature
        monkeypatch.setitem(sys.modules, "skimage", sk)
        monkeypatch.setitem(sys.modules, "skimage.feature", feature)
    if image_type == "LBP3D":
        from scipy import special

        if not hasattr(special, "sph_harm"):
            pytest.skip("PyRadiomics' LBP3D needs scipy.special.sph_harm (SciPy < 1.17); "
                        "covered by the recorded PyRadiomics outputs in test_filters.py")
        if importlib.util.find_spec("trimesh") is None:
            from radiome.features.filters.lbp3d import icosphere

            tm = types.ModuleType("trimesh")
            creation = types.ModuleType("trimesh.creation")
            creation.icosphere = lambda subdivisions=3, radius=1.0: types.SimpleNamespace(
                vertices=np.array(icosphere(subdivisions, radius)))
            tm.creation = creation
            monkeypatch.setitem(sys.modules, "trimesh", tm)
            monkeypatch.setitem(sys.modules, "trimesh.creation", creation)


@pytest.mark.parametrize(("image_type", "settings", "case"), PARAMS)
def test_matches_pyradiomics(image_type: str, settings: dict, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_ins(monkeypatch, image_type)
    image, mask = load(case)
    _, bbox = bounding_box(image, mask)
    roi = sitk.GetArrayViewFromImage(mask)[bbox] == 1
    ref = pyradiomics_outputs(image_type, image, mask, dict(settings))
    ours = list(filters.apply(image_type, image, bbox, dict(settings), mask=roi))

    assert [n for n, _, _ in ours] == [n for n, _ in ref]
    for (name, arr, overrides), (_, expected) in zip(ours, ref):
        assert overrides == {}
        assert arr.dtype == expected.dtype, name
        assert arr.shape == expected.shape, name
        where = roi if image_type == "LBP3D" else None
        assert rel_diff(arr, expected, where) <= 1e-9, name
        # and bit for bit: filtered values often tie (LBP codes, plateaus), and a last-bit difference
        # can move a tie across a bin edge or percentile in the features
        if where is None:
            np.testing.assert_array_equal(arr, expected, err_msg=name)
        else:
            np.testing.assert_array_equal(arr[where], expected[where], err_msg=name)
