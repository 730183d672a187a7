"""Exceptions that carry what a user needs to fix bad input.

Every error raised for bad *data* (as opposed to a programming error) is a :class:`RadiomeError`.
It names the file and the patient when they are known, so the CLI can print one clear line instead
of a traceback from deep inside numpy or SimpleITK.
"""

from __future__ import annotations

from pathlib import Path


class RadiomeError(Exception):
    """Base class of user-facing errors: bad input data, bad configuration.

    ``code`` is a short machine-readable name of the fault (``file_not_found``, ``unreadable``...),
    used by the cohort validator's report; each subclass has a default.
    """

    code = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        patient: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        if code is not None:
            self.code = code
        self.path = Path(path) if path is not None else None
        self.patient = patient
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.patient is not None:
            where.append(f"patient {self.patient!r}")
        if self.path is not None:
            where.append(f"file {str(self.path)!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImageReadError(RadiomeError):
    """An image, mask or DICOM series is missing or cannot be read."""

    code = "unreadable"


class MaskError(RadiomeError):
    """A mask is empty, not integer-valued, or lacks a requested label."""

    code = "mask_invalid"


class GeometryError(RadiomeError):
    """Image and mask do not share the same voxel grid."""

    code = "geometry_mismatch"


class ConfigError(RadiomeError):
    """A study file or settings file is malformed; the message names the key path."""

    code = "config"


class CohortError(RadiomeError):
    """A manifest or clinical table cannot be used as a cohort."""

    code = "cohort"
