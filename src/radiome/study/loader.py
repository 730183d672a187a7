"""Load a study YAML file into a :class:`~radiome.study.schema.Study`, with errors that point at the key.

pydantic reports each problem with its location (``("rois", "MF_L", "label")``); the YAML node tree
gives the line of every key, so a message reads
``study.yaml line 7, rois.MF_L.label: Input should be greater than or equal to 1``.
All problems are reported together in one :class:`~radiome.errors.ConfigError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from radiome.errors import ConfigError
from radiome.study.schema import Study


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """Map each key path in a YAML document to its 1-based line number."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                p = path + (key.value,)
                lines[p] = key.start_mark.line + 1
                walk(value, p)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                p = path + (i,)
                lines[p] = item.start_mark.line + 1
                walk(item, p)

    if root is not None:
        walk(root, ())
    return lines


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def format_validation_error(exc: ValidationError, source: str, lines: dict[tuple[Any, ...], int]) -> list[str]:
    """One message per pydantic error: ``source line N, key.path: message``."""
    msgs: list[tuple[int, str]] = []
    for err in exc.errors():
        # drop pydantic's internal union/validator tags (e.g. 'function-after[...]') from the path
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        line = None
        for k in range(len(loc), -1, -1):
            if loc[:k] in lines:
                line = lines[loc[:k]]
                break
        if err["type"] == "string_pattern_mismatch" and loc[:1] == ("rois",):
            text = "ROI names must start with a letter and use only letters, digits, '_', '-', '+', '.'"
        elif err["type"] == "extra_forbidden":
            text = "unknown key (check its spelling and indentation)"
        elif err["type"] == "missing":
            text = "required key is missing"
        else:
            text = err["msg"].removeprefix("Value error, ")
        where = f"{source} line {line}" if line else source
        msgs.append((line or 0, f"{where}, {_format_loc(loc)}: {text}"))
    return [m for _, m in sorted(msgs, key=lambda t: t[0])]


def parse_study(data: dict[str, Any], base_dir: Path, *, source: str = "study", text: str | None = None) -> Study:
    """Validate a study mapping and resolve its relative paths against ``base_dir``."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the study file must be a mapping of sections (inputs:, rois:, ...)")
    try:
        study = Study.model_validate(data)
    except ValidationError as exc:
        msgs = format_validation_error(exc, source, _line_map(text) if text else {})
        raise ConfigError(f"{len(msgs)} problem(s) in the study file:\n  " + "\n  ".join(msgs)) from None
    base = base_dir.resolve()

    def res(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else base / p)

    inputs = study.inputs.model_copy(update={"manifest": res(study.inputs.manifest), "clinical": res(study.inputs.clinical),
                                             "features": res(study.inputs.features)})
    features = study.features
    if isinstance(features.params, Path):
        features = features.model_copy(update={"params": res(features.params)})
    update = {"inputs": inputs, "output_dir": res(study.output_dir), "features": features}
    if study.brain is not None:
        update["brain"] = study.brain.model_copy(update={"atlas": res(study.brain.atlas), "labels": res(study.brain.labels)})
    if study.morphometry is not None and study.morphometry.landmarks is not None:
        update["morphometry"] = study.morphometry.model_copy(update={"landmarks": res(study.morphometry.landmarks)})
    return study.model_copy(update=update)


def load_study(path: str | Path) -> Study:
    """Read and validate a study YAML file; relative paths resolve against its folder."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("study file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read study file: {exc}", path=path) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"invalid YAML{where}: {problem}", path=path) from None
    if data is None:
        raise ConfigError("study file is empty", path=path)
    return parse_study(data, path.parent, source=path.name, text=text)
