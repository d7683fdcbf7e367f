"""Terminal output shared by the commands (rich tables to stdout, problems to stderr)."""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def error(message: object) -> None:
    err.print(f"[bold red]error:[/] {escape(str(message))}", markup=True, emoji=False)


def warn(message: object) -> None:
    err.print(f"[yellow]warning:[/] {escape(str(message))}", markup=True, emoji=False)


def table(title: str, columns: list[str], rows: list[list[object]]) -> None:
    grid = Table(title=title, title_justify="left")
    for i, column in enumerate(columns):
        grid.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        grid.add_row(*(escape(str(cell)) for cell in row))
    out.print(grid)
