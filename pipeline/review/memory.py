"""Translation memory: reviewed English keyed by normalized source, in SQLite."""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ZhenError
from pipeline.markup import strip_tags

DEFAULT_MEMORY = Path("tm") / "memory.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    norm TEXT PRIMARY KEY,      -- normalized (simplified) source: the lookup key
    src TEXT NOT NULL,          -- the source as written
    tgt TEXT NOT NULL,          -- the reviewed English
    decision TEXT NOT NULL,     -- approve | fix
    origin TEXT NOT NULL,       -- doc#seg it was reviewed in
    run TEXT NOT NULL,          -- run id of the reviewed outputs
    file TEXT NOT NULL,         -- the review file it came from
    updated TEXT NOT NULL
)"""


@dataclass(frozen=True)
class Entry:
    norm: str
    src: str
    tgt: str
    decision: str
    origin: str
    run: str
    file: str
    updated: str = ""


class MemoryError_(ZhenError):
    """A translation memory that cannot be read. It holds reviewed work: zhen never touches it."""


def _damaged(path: Path, problem: str) -> MemoryError_:
    return MemoryError_(f"is not a readable translation memory ({problem}); it holds reviewed work, so it "
                        "was left untouched", path=str(path),
                        hint="restore it from a backup, or move it aside and rerun with --no-tm or another --tm")


class TranslationMemory:
    def __init__(self, path: Path, shared: bool = False):
        """``shared``: the connection may be used from several threads (the caller serializes them)."""
        self.path = path
        if path.exists() and not path.is_file():
            raise _damaged(path, "it is a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, timeout=30, check_same_thread=not shared)
            self.db.execute(SCHEMA)
            if self.db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the integrity check failed")
        except sqlite3.DatabaseError as exc:
            raise _damaged(path, str(exc)) from None

    def __enter__(self) -> "TranslationMemory":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def get(self, norm: str) -> Entry | None:
        row = self.db.execute("SELECT norm, src, tgt, decision, origin, run, file, updated FROM entries "
                              "WHERE norm = ?", (norm,)).fetchone()
        return Entry(*row) if row else None

    def holds(self, entry: Entry) -> bool:
        """The memory already has this English for the source (the inline tags a reviewer placed in
        `zhen review serve` aside): approving it again changes nothing and keeps the tags."""
        held = self.get(entry.norm)
        return held is not None and strip_tags(held.tgt) == strip_tags(entry.tgt)

    def apply(self, upserts: list[Entry], deletions: list[str]) -> None:
        """All changes in one transaction: a failure leaves the memory as it was."""
        with self.db:
            self.stage(upserts, deletions)

    def stage(self, upserts: list[Entry], deletions: list[str]) -> None:
        """The changes inside a transaction the caller holds (``with memory.db:``), beside its own rows."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(norm) DO UPDATE SET "
            "src=excluded.src, tgt=excluded.tgt, decision=excluded.decision, origin=excluded.origin, "
            "run=excluded.run, file=excluded.file, updated=excluded.updated",
            [(e.norm, e.src, e.tgt, e.decision, e.origin, e.run, e.file, stamp) for e in upserts])
        self.db.executemany("DELETE FROM entries WHERE norm = ?", [(n,) for n in deletions])

    def all(self) -> list[Entry]:
        return [Entry(*row) for row in self.db.execute(
            "SELECT norm, src, tgt, decision, origin, run, file, updated FROM entries ORDER BY origin, norm")]

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def open_memory(path: Path | None) -> TranslationMemory | None:
    """The memory at ``path`` if it exists (translation never creates one)."""
    return TranslationMemory(path) if path is not None and path.exists() else None
