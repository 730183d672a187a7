"""Facet angle, tropism and lordosis from landmarks; landmark file round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import SimpleITK as sitk

from radiome.spine import (
    facet_angle,
    facet_tropism,
    lordosis_angle,
    read_fcsv,
    read_landmarks,
    read_mrk_json,
    write_fcsv,
    write_mrk_json,
)


def _oblique_image() -> sitk.Image:
    """An anisotropic grid whose axes are rotated about all three physical axes."""
    img = sitk.Image(64, 48, 10, sitk.sitkUInt8)
    img.SetSpacing((0.7, 1.3, 4.5))
    img.SetOrigin((-31.0, 12.5, 80.0))
    a, b, c = np.radians([17.0, -11.0, 23.0])
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    img.SetDirection(tuple((rz @ ry @ rx).ravel()))
    return img


def _phys(img: sitk.Image | None, u: float, v: float, w: float = 0.0) -> np.ndarray:
    """Image-frame mm (u along the columns, v along the rows, w along the slices) -> physical."""
    if img is None:
        return np.array([u, v, w])
    sp = img.GetSpacing()
    return np.array(img.TransformContinuousIndexToPhysicalPoint((u / sp[0] + 20.3, v / sp[1] + 17.1, w / sp[2] + 4.6)))


@pytest.mark.parametrize("oblique", [False, True])
@pytest.mark.parametrize("theta", [0.0, 12.5, 30.0, 45.0, 58.3, 75.0, 90.0])
def test_facet_angle_recovers_rotation(theta: float, oblique: bool) -> None:
    img = _oblique_image() if oblique else None
    normal = np.asarray(img.GetDirection()).reshape(3, 3)[:, 2] if oblique else None
    t = math.radians(theta)
    mid_a, mid_p = _phys(img, 1.0, -20.0), _phys(img, 1.0, 30.0)  # midsagittal line along the rows
    for sgn, side_off in ((1, 14.0), (-1, -13.0)):  # left and right facets mirror each other
        a = _phys(img, side_off, 2.0)
        p = _phys(img, side_off + sgn * 15.0 * math.sin(t), 2.0 + 15.0 * math.cos(t))
        assert facet_angle(a, p, mid_a, mid_p, plane_normal=normal) == pytest.approx(theta, abs=0.5)
    # landmarks clicked on different slices: the projection onto the slice plane removes the offset
    if oblique:
        a = _phys(img, 14.0, 2.0, w=-4.5)
        p = _phys(img, 14.0 + 15.0 * math.sin(t), 2.0 + 15.0 * math.cos(t), w=4.5)
        assert facet_angle(a, p, mid_a, mid_p, plane_normal=normal) == pytest.approx(theta, abs=0.5)


def test_facet_tropism() -> None:
    assert facet_tropism(47.0, 39.5) == pytest.approx(7.5)
    assert facet_tropism(39.5, 47.0) == pytest.approx(7.5)


@pytest.mark.parametrize("oblique", [False, True])
@pytest.mark.parametrize(("tilt", "slope"), [(0.0, 20.0), (10.0, 40.0), (25.0, 60.0), (5.0, 33.3)])
def test_lordosis_recovers_cobb_angle(tilt: float, slope: float, oblique: bool) -> None:
    img = _oblique_image() if oblique else None
    t, s = math.radians(tilt), math.radians(slope)
    # sagittal plane of the image: v (rows, posterior) and w (slices, cranial); u = 2 mm off the midline
    l1a = (2.0, -5.0, 150.0)
    l1p = (2.0, -5.0 + 34 * math.cos(t), 150.0 - 34 * math.sin(t))
    s1a = (2.0, -3.0, -40.0)
    s1p = (2.0, -3.0 + 38 * math.cos(s), -40.0 + 38 * math.sin(s))
    pts = [_phys(img, *p) for p in (l1a, l1p, s1a, s1p)]
    normal = np.asarray(img.GetDirection()).reshape(3, 3)[:, 0] if oblique else (1.0, 0.0, 0.0)
    assert lordosis_angle(*pts, plane_normal=normal) == pytest.approx(tilt + slope, abs=0.5)
    # an endplate point a little off the sagittal plane does not change the projected angle
    pts[1] = pts[1] + 6.0 * np.asarray(normal)
    assert lordosis_angle(*pts, plane_normal=normal) == pytest.approx(tilt + slope, abs=0.5)


LPS = {"facet_L_anterior": np.array([10.5, 1.75, 2.0]), "midline_posterior": np.array([-0.25, 42.0, -3.5])}


def test_mrk_json_round_trip_ras(tmp_path) -> None:
    path = write_mrk_json(tmp_path / "p.mrk.json", LPS, coordinate_system="RAS")
    doc = json.loads(path.read_text())
    assert doc["markups"][0]["coordinateSystem"] == "RAS"
    assert doc["markups"][0]["controlPoints"][0]["position"] == [-10.5, -1.75, 2.0]
    back = read_mrk_json(path)
    assert set(back) == set(LPS)
    for k in LPS:
        np.testing.assert_allclose(back[k], LPS[k])
    lps_path = write_mrk_json(tmp_path / "q.mrk.json", LPS, coordinate_system="LPS")
    np.testing.assert_allclose(read_landmarks(lps_path)["facet_L_anterior"], LPS["facet_L_anterior"])


def test_fcsv_round_trip_ras_and_lps(tmp_path) -> None:
    path = write_fcsv(tmp_path / "p.fcsv", LPS)
    assert "# CoordinateSystem = RAS" in path.read_text()
    assert "-10.5,-1.75,2.0" in path.read_text()
    back = read_fcsv(path)
    for k in LPS:
        np.testing.assert_allclose(back[k], LPS[k])
    back2 = read_landmarks(write_fcsv(tmp_path / "q.fcsv", LPS, coordinate_system="LPS"))
    for k in LPS:
        np.testing.assert_allclose(back2[k], LPS[k])
    # an old-style header with the numeric code (1 = LPS) and no columns line; no header = RAS
    (tmp_path / "old.fcsv").write_text("# Markups fiducial file version = 4.4\n# CoordinateSystem = 1\nvtkMRMLMarkupsFiducialNode_0,1,2,3,0,0,0,1,1,1,0,P-1,,\n")
    np.testing.assert_allclose(read_fcsv(tmp_path / "old.fcsv")["P-1"], [1, 2, 3])
    (tmp_path / "bare.fcsv").write_text("a,1,2,3,0,0,0,1,1,1,0,X,,\n")
    np.testing.assert_allclose(read_fcsv(tmp_path / "bare.fcsv")["X"], [-1, -2, 3])


def test_csv_table(tmp_path) -> None:
    p = tmp_path / "landmarks.csv"
    p.write_text("patient_id,name,x,y,z\nA1,midline_anterior,1,2,3\nA1,midline_posterior,4,5,6\nB2,midline_anterior,7,8,9\n")
    a = read_landmarks(p, "A1")
    assert set(a) == {"midline_anterior", "midline_posterior"}
    np.testing.assert_allclose(a["midline_posterior"], [4, 5, 6])
    assert read_landmarks(p, "ZZ") == {}
    with pytest.raises(ValueError, match="patient_id"):
        read_landmarks(p)


def test_mrk_json_defaults_to_lps_and_skips_undefined(tmp_path) -> None:
    doc = {"markups": [{"type": "Fiducial", "controlPoints": [
        {"label": "a", "position": [1.0, 2.0, 3.0]},
        {"label": "b", "position": [0.0, 0.0, 0.0], "positionStatus": "undefined"},
    ]}]}
    (tmp_path / "x.mrk.json").write_text(json.dumps(doc))
    pts = read_mrk_json(tmp_path / "x.mrk.json")
    assert list(pts) == ["a"]
    np.testing.assert_allclose(pts["a"], [1, 2, 3])
