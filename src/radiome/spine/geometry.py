"""Angles from landmarks in physical mm (LPS), and landmark readers/writers.

Angles
------
* :func:`facet_angle` - the angle (0-90 degrees) between the facet joint line (anterior -> posterior
  point of the joint) and the midsagittal line (midline anterior -> posterior, e.g. centre of the
  vertebral body's posterior margin to the spinous process), as Karacan / Noren measure it on the
  axial slice. Both lines are projected onto the plane with normal ``plane_normal`` (the slice
  normal; give the image's ``direction[:, 2]`` for an oblique acquisition); ``None`` uses the 3D lines
  directly, which equals the in-plane angle when the four points lie on one slice.
* :func:`facet_tropism` - ``|left - right|``.
* :func:`lordosis_angle` - Cobb angle between the superior endplate lines of L1 and S1, each taken
  anterior -> posterior, projected onto the sagittal plane (normal ``plane_normal``, default the
  L-R axis ``(1, 0, 0)`` of LPS). The angle between the two directed lines (0-180 degrees).

Landmark files
--------------
* 3D Slicer markups JSON (``.mrk.json``): ``markups[*].controlPoints[*].{label, position}`` with
  ``markups[*].coordinateSystem`` ``"LPS"`` or ``"RAS"`` (LPS when absent, as Slicer reads it);
  points whose ``positionStatus`` is not ``defined`` are skipped.
* 3D Slicer ``.fcsv``: ``#`` header lines, ``# CoordinateSystem = RAS|LPS|0|1`` (0 = RAS, 1 = LPS;
  RAS when absent), ``# columns = id,x,y,z,...,label,...`` (default column order of Slicer 4).
* CSV: ``patient_id, name, x, y, z`` in LPS mm (what ``radiome demo`` writes).

RAS points are converted to LPS by negating x and y. Everything returned is LPS.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from radiome._atomic import write_text_atomic

_FCSV_DEFAULT_COLUMNS = ["id", "x", "y", "z", "ow", "ox", "oy", "oz", "vis", "sel", "lock", "label", "desc", "associatedNodeID"]


def _vec(p: object) -> np.ndarray:
    v = np.asarray(p, dtype=float).ravel()
    if v.size == 2:
        v = np.r_[v, 0.0]
    if v.size != 3:
        raise ValueError(f"a landmark must have 2 or 3 coordinates, got {v.size}")
    return v


def _project(v: np.ndarray, normal: object | None) -> np.ndarray:
    if normal is None:
        return v
    n = _vec(normal)
    n = n / np.linalg.norm(n)
    return v - np.dot(v, n) * n


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    nu, nv = np.linalg.norm(u), np.linalg.norm(v)
    if nu == 0 or nv == 0:
        return math.nan
    c = float(np.clip(np.dot(u, v) / (nu * nv), -1.0, 1.0))
    return math.degrees(math.acos(c))


def facet_angle(
    anterior: object, posterior: object, midline_anterior: object, midline_posterior: object, *, plane_normal: object | None = None
) -> float:
    """Angle (degrees, 0-90) between the facet line and the midsagittal line."""
    f = _project(_vec(posterior) - _vec(anterior), plane_normal)
    m = _project(_vec(midline_posterior) - _vec(midline_anterior), plane_normal)
    a = _angle(f, m)
    return min(a, 180.0 - a) if math.isfinite(a) else a


def facet_tropism(left_deg: float, right_deg: float) -> float:
    """Facet tropism: ``|left - right|`` (degrees)."""
    return abs(float(left_deg) - float(right_deg))


def lordosis_angle(
    l1_sup_ant: object, l1_sup_post: object, s1_sup_ant: object, s1_sup_post: object, *, plane_normal: object | None = (1.0, 0.0, 0.0)
) -> float:
    """Cobb angle (degrees) between the L1 and S1 superior endplates in the sagittal plane."""
    a = _project(_vec(l1_sup_post) - _vec(l1_sup_ant), plane_normal)
    b = _project(_vec(s1_sup_post) - _vec(s1_sup_ant), plane_normal)
    return _angle(a, b)


# ------------------------------------------------------------------------------------------------
# Readers / writers
# ------------------------------------------------------------------------------------------------
def _ras_to_lps(p: np.ndarray) -> np.ndarray:
    return np.array([-p[0], -p[1], p[2]], dtype=float)


def read_mrk_json(path: str | Path) -> dict[str, np.ndarray]:
    """Control points of a 3D Slicer ``.mrk.json`` as ``{label: LPS point}``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, np.ndarray] = {}
    for markup in data.get("markups", []):
        system = str(markup.get("coordinateSystem") or "LPS").upper()
        for i, cp in enumerate(markup.get("controlPoints", [])):
            if "position" not in cp or cp.get("positionStatus", "defined") != "defined":
                continue
            p = np.asarray(cp["position"], dtype=float)
            out[str(cp.get("label") or f"P{i + 1}")] = _ras_to_lps(p) if system == "RAS" else p
    return out


def write_mrk_json(path: str | Path, points: dict[str, object], *, coordinate_system: str = "RAS") -> Path:
    """Write LPS ``points`` as a Slicer markups JSON in ``coordinate_system`` (RAS or LPS)."""
    system = coordinate_system.upper()
    cps = []
    for i, (name, p) in enumerate(points.items()):
        v = _vec(p)
        v = _ras_to_lps(v) if system == "RAS" else v  # LPS <-> RAS is its own inverse
        cps.append({"id": str(i + 1), "label": name, "position": [float(c) for c in v], "positionStatus": "defined"})
    doc = {
        "@schema": "https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#",
        "markups": [{"type": "Fiducial", "coordinateSystem": system, "coordinateUnits": "mm", "controlPoints": cps}],
    }
    return write_text_atomic(path, json.dumps(doc, indent=2))


def read_fcsv(path: str | Path) -> dict[str, np.ndarray]:
    """Points of a 3D Slicer ``.fcsv`` as ``{label: LPS point}``."""
    system = "RAS"
    columns = list(_FCSV_DEFAULT_COLUMNS)
    out: dict[str, np.ndarray] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            key, _, value = body.partition("=")
            key, value = key.strip().lower(), value.strip()
            if key == "coordinatesystem":
                system = {"0": "RAS", "1": "LPS"}.get(value, value.upper())
            elif key == "columns":
                columns = [c.strip() for c in value.split(",")]
            continue
        row = next(csv.reader([line]))
        rec = dict(zip(columns, row))
        p = np.array([float(rec["x"]), float(rec["y"]), float(rec["z"])])
        name = rec.get("label") or rec.get("id") or f"P{len(out) + 1}"
        out[name] = _ras_to_lps(p) if system == "RAS" else p
    return out


def write_fcsv(path: str | Path, points: dict[str, object], *, coordinate_system: str = "RAS") -> Path:
    """Write LPS ``points`` as a Slicer ``.fcsv`` in ``coordinate_system`` (RAS or LPS)."""
    system = coordinate_system.upper()
    lines = ["# Markups fiducial file version = 4.11", f"# CoordinateSystem = {system}", "# columns = " + ",".join(_FCSV_DEFAULT_COLUMNS)]
    for i, (name, p) in enumerate(points.items()):
        v = _vec(p)
        v = _ras_to_lps(v) if system == "RAS" else v
        lines.append(f"{i + 1},{float(v[0])!r},{float(v[1])!r},{float(v[2])!r},0,0,0,1,1,1,0,{name},,")
    return write_text_atomic(path, "\n".join(lines) + "\n")


def read_landmark_table(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """A long CSV ``patient_id, name, x, y, z`` (LPS mm) as ``{patient: {name: point}}``."""
    import pandas as pd

    df = pd.read_csv(path, dtype={"patient_id": str})
    missing = {"patient_id", "name", "x", "y", "z"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: landmark table lacks column(s) {', '.join(sorted(missing))}")
    out: dict[str, dict[str, np.ndarray]] = {}
    xyz = df[["x", "y", "z"]].to_numpy(float)
    for pid, name, p in zip(df["patient_id"], df["name"], xyz):
        if np.all(np.isfinite(p)):
            out.setdefault(str(pid), {})[str(name)] = p
    return out


def read_landmarks(path: str | Path, patient_id: str | None = None) -> dict[str, np.ndarray]:
    """Read landmarks from ``.mrk.json``, ``.fcsv`` or a CSV table (then ``patient_id`` picks one)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".json"):
        return read_mrk_json(path)
    if name.endswith(".fcsv"):
        return read_fcsv(path)
    table = read_landmark_table(path)
    if patient_id is None:
        if len(table) != 1:
            raise ValueError(f"{path}: holds {len(table)} patients; pass patient_id")
        return next(iter(table.values()))
    return table.get(str(patient_id), {})
