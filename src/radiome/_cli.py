"""What the command-line sub-apps share (``radiome fmri``, ``radiome dti``): the Typer app settings
of the main CLI and the one-line error exit (code 1 for bad data; Typer uses 2 for bad usage)."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

ERROR_EXIT = 1


def sub_app(help: str, name: str | None = None) -> typer.Typer:
    """A Typer sub-app configured like ``radiome``'s main app."""
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def fail(exc: Exception) -> NoReturn:
    """Print ``error: <exc>`` in red on stderr (one line, no traceback) and exit with code 1."""
    Console(stderr=True).print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(ERROR_EXIT)
