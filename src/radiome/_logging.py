"""Logging set-up for the command line: Rich on the terminal, everything at DEBUG in a log file."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

LOGGER_NAME = "radiome"


def setup_logging(verbosity: int = 0, log_file: Path | None = None, console: Console | None = None) -> logging.Logger:
    """Configure the ``radiome`` logger.

    ``verbosity``: -1 quiet (errors only), 0 normal (warnings and above), 1 verbose (info), 2+ debug.
    The log file, when given, always receives DEBUG and above.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    term = RichHandler(console=console or Console(stderr=True), show_path=False, show_time=False, markup=False)
    term.setLevel(level)
    logger.addHandler(term)
    if log_file is not None:
        add_log_file(log_file)
    logger.propagate = False
    return logger


def add_log_file(log_file: Path) -> None:
    """Also send every record of the ``radiome`` logger to ``log_file`` (appending)."""
    logger = logging.getLogger(LOGGER_NAME)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fh = logging.FileHandler(log_file, encoding="utf-8")
    fh.setLevel(logging.DEBUG)
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(fh)
