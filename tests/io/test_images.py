from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from radiome.errors import ImageReadError, MaskError
from radiome.io.images import (
    Geometry,
    GeometryTolerance,
    check_same_grid,
    geometry_differences,
    label_voxel_counts,
    read_image,
    read_mask,
    resample_mask_to_image,
    write_image,
)
from radiome.errors import GeometryError


def _img(arr, spacing=(0.7, 0.8, 4.0), origin=(1.5, -2.0, 30.0), direction=None):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    if direction is not None:
        img.SetDirection(direction)
    return img


# a rotation of 20 degrees about z: an oblique acquisition
_C, _S = np.cos(np.radians(20)), np.sin(np.radians(20))
OBLIQUE = (_C, -_S, 0.0, _S, _C, 0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz", ".nrrd", ".mha", ".mhd"])
def test_round_trip_keeps_array_and_geometry(tmp_path: Path, suffix: str) -> None:
    arr = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    img = _img(arr, direction=OBLIQUE)
    path = write_image(img, tmp_path / f"x{suffix}")
    back = read_image(path)
    np.testing.assert_array_equal(sitk.GetArrayFromImage(back), arr)
    g = Geometry.of(back)
    assert g.size == (6, 5, 4)
    np.testing.assert_allclose(g.spacing, (0.7, 0.8, 4.0), atol=1e-6)
    np.testing.assert_allclose(g.origin, (1.5, -2.0, 30.0), atol=1e-5)
    np.testing.assert_allclose(g.direction, OBLIQUE, atol=1e-6)
    assert not list(tmp_path.glob(".*part*")), "temporary file left behind"


def test_nifti_geometry_matches_nibabel_affine(tmp_path: Path) -> None:
    """A NIfTI written by nibabel (independent writer, RAS affine) is read in LPS with the same geometry."""
    arr_xyz = np.random.default_rng(0).integers(0, 100, size=(6, 5, 4)).astype(np.int16)
    affine = np.array(
        [[0.0, 0.0, 3.0, -12.0], [-0.7, 0.0, 0.0, 40.0], [0.0, 0.9, 0.0, -7.5], [0, 0, 0, 1]]
    )  # i -> -y (RAS), j -> +z, k -> +x: a sagittal-like orientation
    nib.save(nib.Nifti1Image(arr_xyz, affine), tmp_path / "n.nii.gz")
    img = read_image(tmp_path / "n.nii.gz")
    # LPS = diag(-1,-1,1) @ RAS
    lps = np.diag([-1, -1, 1]) @ affine[:3, :3]
    spacing = np.linalg.norm(lps, axis=0)
    np.testing.assert_allclose(img.GetSpacing(), spacing, atol=1e-6)
    np.testing.assert_allclose(img.GetOrigin(), np.diag([-1, -1, 1]) @ affine[:3, 3], atol=1e-5)
    np.testing.assert_allclose(np.reshape(img.GetDirection(), (3, 3)), lps / spacing, atol=1e-6)
    # SimpleITK's array is [k, j, i]
    np.testing.assert_array_equal(sitk.GetArrayFromImage(img), arr_xyz.transpose(2, 1, 0))
    # a voxel's physical point agrees with the affine
    ijk = (2, 3, 1)
    ras = affine @ np.array([*ijk, 1.0])
    np.testing.assert_allclose(img.TransformIndexToPhysicalPoint(ijk), [-ras[0], -ras[1], ras[2]], atol=1e-5)


def test_missing_file_names_file_and_patient(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError) as e:
        read_image(tmp_path / "nope.nii.gz", patient="LBP007")
    assert e.value.code == "file_not_found"
    assert "LBP007" in str(e.value) and "nope.nii.gz" in str(e.value)


def test_unreadable_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.nii.gz"
    p.write_bytes(b"this is not a nifti file at all" * 10)
    with pytest.raises(ImageReadError) as e:
        read_image(p, patient="P1")
    assert e.value.code == "unreadable"
    assert "Traceback" not in str(e.value)


def test_unsupported_extension(tmp_path: Path) -> None:
    p = tmp_path / "scan.png"
    p.write_bytes(b"x")
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    assert e.value.code == "unsupported_format"


def test_dimension_checks(tmp_path: Path) -> None:
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((5, 6), np.int16)), str(tmp_path / "a.nrrd"))
    with pytest.raises(ImageReadError) as e:
        read_image(tmp_path / "a.nrrd")
    assert e.value.code == "not_3d" and "2D" in e.value.message
    # 4D with a single volume is accepted as 3D
    arr4 = np.arange(24, dtype=np.int16).reshape(1, 2, 3, 4)
    sitk.WriteImage(sitk.GetImageFromArray(arr4, isVector=False), str(tmp_path / "b.nii.gz"))
    img = read_image(tmp_path / "b.nii.gz")
    assert img.GetDimension() == 3
    np.testing.assert_array_equal(sitk.GetArrayFromImage(img), arr4[0])
    arr4 = np.zeros((3, 2, 3, 4), np.int16)
    sitk.WriteImage(sitk.GetImageFromArray(arr4, isVector=False), str(tmp_path / "c.nii.gz"))
    with pytest.raises(ImageReadError, match="4D"):
        read_image(tmp_path / "c.nii.gz")


def test_read_mask_accepts_integer_valued_float_and_rejects_fractions(tmp_path: Path) -> None:
    m = np.zeros((3, 4, 5), np.float32)
    m[1, 1:3, 1:4] = 2.0
    sitk.WriteImage(_img(m), str(tmp_path / "ok.nii.gz"))
    mask = read_mask(tmp_path / "ok.nii.gz")
    assert mask.GetPixelID() == sitk.sitkUInt8
    assert label_voxel_counts(sitk.GetArrayFromImage(mask)) == {2: 6}
    m[0, 0, 0] = 0.5
    sitk.WriteImage(_img(m), str(tmp_path / "bad.nii.gz"))
    with pytest.raises(MaskError) as e:
        read_mask(tmp_path / "bad.nii.gz", patient="P9")
    assert e.value.code == "mask_not_integer" and "1 voxels" in e.value.message and "P9" in str(e.value)
    neg = np.zeros((3, 4, 5), np.int16)
    neg[0, 0, 0] = -1
    sitk.WriteImage(_img(neg), str(tmp_path / "neg.nii.gz"))
    with pytest.raises(MaskError, match="negative"):
        read_mask(tmp_path / "neg.nii.gz")


def test_geometry_differences_each_aspect() -> None:
    base = Geometry((10, 10, 5), (1.0, 1.0, 3.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel()))
    assert geometry_differences(base, base) == {}
    # within tolerance
    near = Geometry((10, 10, 5), (1.0005, 1.0, 3.0), (0.0, 0.0005, 0.0), base.direction)
    assert geometry_differences(base, near) == {}
    assert set(geometry_differences(base, Geometry((10, 10, 6), (1.0, 1.0, 3.0), (0.0,) * 3, base.direction))) == {"size"}
    assert set(geometry_differences(base, Geometry((10, 10, 5), (1.0, 1.0, 2.0), (0.0,) * 3, base.direction))) == {"spacing"}
    assert set(geometry_differences(base, Geometry((10, 10, 5), (1.0, 1.0, 3.0), (0.0, 0.0, 1.5), base.direction))) == {"origin"}
    assert set(geometry_differences(base, Geometry((10, 10, 5), (1.0, 1.0, 3.0), (0.0,) * 3, OBLIQUE))) == {"direction"}
    loose = GeometryTolerance(origin=2.0)
    assert geometry_differences(base, Geometry((10, 10, 5), (1.0, 1.0, 3.0), (0.0, 0.0, 1.5), base.direction), loose) == {}


def test_check_same_grid_raises_with_details() -> None:
    a = _img(np.zeros((3, 4, 5), np.int16))
    b = _img(np.zeros((3, 4, 5), np.uint8), spacing=(1.4, 1.6, 4.0))
    with pytest.raises(GeometryError) as e:
        check_same_grid(a, b, patient="P2")
    assert "spacing" in e.value.message and "1.4" in e.value.message


def test_resample_mask_nearest_neighbour_hand_computed() -> None:
    """A mask at twice the image spacing, same origin: each mask voxel covers 2x2 image voxels."""
    image = _img(np.zeros((1, 4, 4), np.int16), spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0))
    coarse = np.array([[[1, 2], [3, 0]]], np.uint8)
    mask = _img(coarse, spacing=(2.0, 2.0, 1.0), origin=(0.5, 0.5, 0.0))
    # mask voxel centres at x = 0.5, 2.5: image voxels x=0,1 are nearest the first, x=2,3 the second
    out = sitk.GetArrayFromImage(resample_mask_to_image(mask, image))
    expected = np.array([[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 0, 0], [3, 3, 0, 0]]], np.uint8)
    np.testing.assert_array_equal(out, expected)


def test_label_voxel_counts() -> None:
    arr = np.array([[0, 1, 1], [4, 4, 4], [0, 0, 7]])
    assert label_voxel_counts(arr) == {1: 2, 4: 3, 7: 1}
    assert label_voxel_counts(np.zeros((2, 2))) == {}


def test_nan_in_nifti_is_caught_although_itk_reads_it_as_zero(tmp_path: Path) -> None:
    """ITK's NIfTI reader turns NaN/Inf into 0; the stored values are counted with nibabel."""
    arr = np.ones((3, 4, 5), np.float32)
    arr[0, 0, :2] = np.nan
    arr[2, 3, 4] = -np.inf
    for name in ("x.nii.gz", "x.nrrd"):
        sitk.WriteImage(_img(arr), str(tmp_path / name))
        with pytest.raises(ImageReadError) as e:
            read_image(tmp_path / name, patient="P5")
        assert e.value.code == "image_nonfinite" and "2 NaN and 1 Inf" in e.value.message
        img = read_image(tmp_path / name, allow_nonfinite=True)
        assert img.GetSize() == (5, 4, 3)
