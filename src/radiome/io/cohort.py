"""Cohorts: the manifest (one row per patient) joined with an optional clinical table.

A manifest is CSV, TSV or Excel with at least ``patient_id``, ``image`` and ``mask`` columns (names
configurable in the study file). Relative image and mask paths resolve against the manifest's
folder, so a study folder can be moved or shared as a whole. Row numbers in messages are the
spreadsheet's own (the header is row 1, the first patient row 2), so users find the line at once.

:func:`load_cohort` never stops at the first problem: it returns the cohort together with every
table-level :class:`Fault` it found (missing columns, duplicate ids, bad outcome values...), and
:mod:`radiome.io.validate` adds the per-image checks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from radiome.errors import CohortError
from radiome.study.schema import Study

Severity = Literal["error", "warning"]
COHORT_VALUES = ("train", "test", "external")


@dataclass(frozen=True)
class Fault:
    """One problem found in a cohort: where (row, patient, file), what (check) and how to read it."""

    check: str
    message: str
    row: int | None = None
    patient: str | None = None
    file: str | None = None
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "row": self.row,
            "patient": self.patient,
            "file": self.file,
            "check": self.check,
            "message": self.message,
        }


@dataclass
class Case:
    """One patient row of the cohort with its paths resolved."""

    row: int
    patient_id: str
    image: Path | None
    masks: dict[str, Path | None]
    outcome: Any = None
    label: int | None = None  # outcome coded 0/1 (1 = positive class) when it could be
    cohort: str | None = None
    covariates: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cohort:
    """A loaded cohort: the joined table, one :class:`Case` per row, and table-level faults."""

    study: Study
    table: pd.DataFrame
    cases: list[Case]
    faults: list[Fault]

    @property
    def patient_ids(self) -> list[str]:
        return [c.patient_id for c in self.cases]

    def column_path(self, case: Case, column: str | None) -> Path | None:
        """The path in ``column`` of the case's manifest row (resolved against the manifest's folder, as
        images and masks), or None when the column is absent or the cell empty."""
        if not column or column not in self.table.columns:
            return None
        inp = self.study.inputs
        base = Path(inp.features if inp.features is not None else inp.manifest).parent
        return _to_path(self.table.loc[case.row - 2, column], base)  # Case.row: file row, header = 1

    def outcome_counts(self) -> dict[str, int]:
        """Number of patients per outcome value (in the order the values first appear)."""
        counts: dict[str, int] = {}
        for c in self.cases:
            if c.outcome is not None:
                counts[str(c.outcome)] = counts.get(str(c.outcome), 0) + 1
        return counts


TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")


def read_table(path: str | Path, *, id_column: str | None = None, what: str = "table") -> pd.DataFrame:
    """Read a CSV/TSV/Excel/Parquet table; the id column is read as text (keeps leading zeros).

    Column names are stripped of surrounding white space; cells that are empty or white space only
    become missing values.
    """
    path = Path(path)
    if not path.is_file():
        raise CohortError(f"{what} not found", path=path, code="file_not_found")
    suffix = path.suffix.lower()
    dtype = {id_column: str} if id_column else None
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            df = pd.read_excel(path, dtype=dtype)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            if id_column and id_column in df.columns:
                df[id_column] = df[id_column].map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                                                  else str(v))
        elif suffix in (".csv", ".tsv", ".txt"):
            df = pd.read_csv(path, sep=None, engine="python", dtype=dtype, skipinitialspace=True)
        else:
            raise CohortError(
                f"unsupported {what} format {suffix!r}; use one of {', '.join(TABLE_SUFFIXES)}",
                path=path,
                code="unsupported_format",
            )
    except CohortError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CohortError(f"unreadable {what}: {exc}", path=path, code="unreadable") from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.replace(r"^\s*$", np.nan, regex=True)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].map(lambda v: v.strip() if isinstance(v, str) else v)
    if df.empty:
        raise CohortError(f"{what} has no rows", path=path, code="empty_table")
    return df


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _to_path(v: Any, base: Path) -> Path | None:
    if _missing(v):
        return None
    p = Path(str(v)).expanduser()
    return p if p.is_absolute() else base / p


def _norm_value(v: Any) -> Any:
    """Numbers that are whole become int, so 1.0 and 1 and '1' compare equal as outcome values."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return int(v) if float(v).is_integer() else float(v)
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() else f
    return v


def _code_outcome(study: Study, values: list[Any], faults: list[Fault]) -> dict[Any, int] | None:
    """Map outcome values to 0/1, or report why they cannot be."""
    assert study.outcome is not None
    col = study.outcome.column
    distinct = list(dict.fromkeys(v for v in values if not _missing(v)))
    if not distinct:
        faults.append(Fault("outcome_missing", f"outcome column {col!r} has no values"))
        return None
    if len(distinct) > 2:
        shown = ", ".join(repr(v) for v in distinct[:6]) + (" ..." if len(distinct) > 6 else "")
        faults.append(
            Fault(
                "outcome_not_binary",
                f"outcome {col!r} must be binary but has {len(distinct)} distinct values: {shown}",
            )
        )
        return None
    if len(distinct) == 1:
        faults.append(
            Fault(
                "outcome_single_class",
                f"outcome {col!r} has a single class ({distinct[0]!r} for all {len(values)} patients): "
                "nothing to discriminate",
            )
        )
    pos = study.outcome.positive
    if pos is not None:
        pos = _norm_value(pos)
        if pos not in distinct:
            faults.append(
                Fault(
                    "outcome_positive_absent",
                    f"outcome.positive is {pos!r} but column {col!r} holds only "
                    + ", ".join(repr(v) for v in distinct),
                )
            )
            return None
        return {v: int(v == pos) for v in distinct}
    if set(distinct) <= {0, 1}:
        return {v: int(v) for v in distinct}
    faults.append(
        Fault(
            "outcome_positive_unset",
            f"outcome {col!r} holds {', '.join(repr(v) for v in distinct)}; "
            "name the positive class with outcome.positive in the study file",
        )
    )
    return None


def _join_clinical(study: Study, manifest: pd.DataFrame, faults: list[Fault]) -> pd.DataFrame:
    idc = study.inputs.id_column
    path = study.inputs.clinical
    assert path is not None
    try:
        clin = read_table(path, id_column=idc, what="clinical table")
    except CohortError as exc:
        faults.append(Fault(exc.code, exc.message, file=str(path)))
        return manifest
    if idc not in clin.columns:
        faults.append(Fault("column_missing", f"clinical table has no id column {idc!r}", file=str(path)))
        return manifest
    dup = clin[idc][clin[idc].duplicated(keep=False) & clin[idc].notna()]
    for pid in sorted(set(dup)):
        rows = [int(i) + 2 for i in clin.index[clin[idc] == pid]]
        faults.append(
            Fault(
                "duplicate_patient_id",
                f"patient id appears {len(rows)} times in the clinical table (rows {', '.join(map(str, rows))})",
                patient=str(pid),
                file=str(path),
            )
        )
    clin = clin.drop_duplicates(subset=[idc], keep="first")
    shared = [c for c in clin.columns if c != idc and c in manifest.columns]
    if shared:
        faults.append(
            Fault(
                "column_conflict",
                f"columns in both the manifest and the clinical table: {', '.join(shared)}; the manifest's are used",
                file=str(path),
                severity="warning",
            )
        )
        clin = clin.drop(columns=shared)
    known = set(manifest[idc].dropna())
    extra = sorted(set(clin[idc].dropna()) - known)
    if extra:
        faults.append(
            Fault(
                "clinical_extra_patient",
                f"{len(extra)} patient(s) in the clinical table are not in the manifest and are ignored: "
                + ", ".join(extra[:5])
                + (" ..." if len(extra) > 5 else ""),
                file=str(path),
                severity="warning",
            )
        )
    merged = manifest.merge(clin, on=idc, how="left", indicator="_clinical_match")
    for i, r in merged.iterrows():
        if r["_clinical_match"] == "left_only" and not _missing(r[idc]):
            faults.append(
                Fault(
                    "clinical_missing_patient",
                    "patient has no row in the clinical table",
                    row=int(i) + 2,
                    patient=str(r[idc]),
                    file=str(path),
                )
            )
    return merged.drop(columns="_clinical_match")


def load_cohort(study: Study) -> Cohort:
    """Read the manifest (and clinical table), resolve paths, code the outcome; collect table faults.

    Raises :class:`~radiome.errors.CohortError` only when the manifest itself cannot be read; every
    other problem becomes a :class:`Fault` in ``cohort.faults``.
    """
    inp = study.inputs
    table_study = inp.features is not None
    manifest_path = Path(inp.features if table_study else inp.manifest)
    df = read_table(manifest_path, id_column=inp.id_column, what="feature table" if table_study else "manifest")
    faults: list[Fault] = []
    mfile = str(manifest_path)

    required = [inp.id_column] if table_study else [inp.id_column, inp.image_column, *study.mask_columns]
    missing_cols = [c for c in required if c not in df.columns]
    for c in missing_cols:
        faults.append(
            Fault("column_missing", f"manifest has no column {c!r} (columns: {', '.join(df.columns)})", file=mfile)
        )
    if inp.id_column in missing_cols:
        return Cohort(study, df, [], faults)

    if inp.clinical is not None:
        df = _join_clinical(study, df, faults)

    needed = []
    if study.outcome is not None:
        needed.append(("outcome", study.outcome.column))
    needed += [("covariate", c.name) for c in study.covariates if c.source == "clinical"]
    for kind, col in needed:
        if col not in df.columns:
            where = "manifest or clinical table" if inp.clinical is not None else "manifest"
            faults.append(Fault("column_missing", f"{kind} column {col!r} is not in the {where}", file=mfile))

    base = manifest_path.parent
    ids = df[inp.id_column]
    for pid in sorted(set(ids[ids.duplicated(keep=False) & ids.notna()])):
        rows = [int(i) + 2 for i in df.index[ids == pid]]
        for r in rows:
            faults.append(
                Fault(
                    "duplicate_patient_id",
                    f"patient id appears {len(rows)} times in the manifest (rows {', '.join(map(str, rows))})",
                    row=r,
                    patient=str(pid),
                    file=mfile,
                )
            )

    outcome_col = study.outcome.column if study.outcome is not None and study.outcome.column in df.columns else None
    coding = None
    if outcome_col is not None:
        coding = _code_outcome(study, [_norm_value(v) for v in df[outcome_col]], faults)

    numeric_covs = {}
    for cov in study.covariates:
        if cov.name in df.columns and not cov.categorical:
            numeric_covs[cov.name] = pd.to_numeric(df[cov.name], errors="coerce")

    cases: list[Case] = []
    has_cohort = inp.cohort_column in df.columns
    for i, r in df.iterrows():
        row = int(i) + 2
        pid_raw = r[inp.id_column]
        if _missing(pid_raw):
            faults.append(Fault("missing_value", f"empty {inp.id_column!r} cell", row=row, file=mfile))
            pid = f"(row {row})"
        else:
            pid = str(pid_raw)
        image = _to_path(r[inp.image_column], base) if inp.image_column in df.columns and not table_study else None
        if inp.image_column in df.columns and image is None and not table_study:
            faults.append(Fault("missing_value", f"empty {inp.image_column!r} cell", row=row, patient=pid, file=mfile))
        masks: dict[str, Path | None] = {}
        for mc in study.mask_columns:
            if mc in df.columns and not table_study:
                masks[mc] = _to_path(r[mc], base)
                # an empty second-reader cell is normal: the second reader segments a subset
                if masks[mc] is None and mc != inp.second_mask_column:
                    faults.append(Fault("missing_value", f"empty {mc!r} cell", row=row, patient=pid, file=mfile))
        case = Case(row=row, patient_id=pid, image=image, masks=masks)
        if outcome_col is not None:
            v = _norm_value(r[outcome_col])
            if _missing(v):
                faults.append(
                    Fault("outcome_missing", f"no outcome value in {outcome_col!r}", row=row, patient=pid, file=mfile)
                )
            else:
                case.outcome = v
                case.label = coding.get(v) if coding else None
        if has_cohort:
            cv = r[inp.cohort_column]
            if not _missing(cv):
                cv = str(cv).strip().lower()
                if cv not in COHORT_VALUES:
                    faults.append(
                        Fault(
                            "cohort_value_invalid",
                            f"{inp.cohort_column!r} is {r[inp.cohort_column]!r}; use one of {', '.join(COHORT_VALUES)}",
                            row=row,
                            patient=pid,
                            file=mfile,
                        )
                    )
                else:
                    case.cohort = cv
        for cov in study.covariates:
            if cov.name not in df.columns:
                continue
            v = r[cov.name]
            if _missing(v):
                faults.append(
                    Fault(
                        "covariate_missing",
                        f"covariate {cov.name!r} is missing",
                        row=row,
                        patient=pid,
                        file=mfile,
                        severity="warning",
                    )
                )
                case.covariates[cov.name] = None
            elif cov.name in numeric_covs and _missing(numeric_covs[cov.name][i]):
                faults.append(
                    Fault(
                        "covariate_not_numeric",
                        f"covariate {cov.name!r} is {v!r}, not a number "
                        "(declare it with 'categorical: true' if it is a category)",
                        row=row,
                        patient=pid,
                        file=mfile,
                    )
                )
                case.covariates[cov.name] = None
            else:
                case.covariates[cov.name] = float(numeric_covs[cov.name][i]) if cov.name in numeric_covs else v
        cases.append(case)

    for cov in study.covariates:
        if cov.categorical and cov.reference is not None and cov.name in df.columns:
            levels = {_norm_value(v) for v in df[cov.name] if not _missing(v)}
            if _norm_value(cov.reference) not in levels:
                faults.append(
                    Fault(
                        "covariate_reference_absent",
                        f"reference level {cov.reference!r} of {cov.name!r} does not occur; levels: "
                        + ", ".join(sorted(map(repr, levels))),
                        file=mfile,
                    )
                )
    return Cohort(study, df, cases, faults)
