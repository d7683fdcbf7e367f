"""Terminal output shared by the commands (rich tables to stdout, problems to stderr)."""
from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)
from rich.table import Table

def _console(stderr: bool = False) -> Console:
    # markup=False: paths and texts from users are printed as they are ("o[/]" is a folder name).
    console = Console(stderr=stderr, highlight=False, soft_wrap=True, markup=False, emoji=False)
    if not console.is_terminal:  # logs and pipes: do not squeeze tables into 80 columns
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=200, markup=False, emoji=False)
    return console


def safe_streams() -> None:
    """Never fail on printing: text the terminal's encoding lacks (Chinese on an ASCII locale) is
    written as backslash escapes."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")


out = _console()
err = _console(stderr=True)


def error(message: object) -> None:
    err.print(f"[bold red]error:[/] {escape(str(message))}", markup=True, emoji=False)


def warn(message: object) -> None:
    err.print(f"[yellow]warning:[/] {escape(str(message))}", markup=True, emoji=False)


def table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    grid = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        grid.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        grid.add_row(*(str(cell) for cell in row))
    out.print(grid)


def byte_progress() -> Progress:
    """A progress bar for bytes (joining and checking model files), on stderr."""
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    TimeRemainingColumn(), console=err)
