"""Errors a user can act on: each names the file, the line or row, and what is wrong.

Exit statuses, the same in every command: 0 done; 1 problems with the inputs or outputs (an
unreadable article or glossary, a damaged model or memory, a full disk), reported one line each; 2 a
command line that asks for something impossible; 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class ZhenError(Exception):
    """An error reported to the user as one clear line, never as a traceback."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None):
        super().__init__(message)
        self.message, self.path, self.line, self.hint = message, path, line, hint

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return where + self.message + (f" ({self.hint})" if self.hint else "")


class InputError(ZhenError):
    """An input file that cannot be read as a wiki-Markdown article."""


class UsageError(ZhenError):
    """The command line itself is wrong (exit status 2)."""
