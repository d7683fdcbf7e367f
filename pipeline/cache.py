"""Persistent segment cache (SQLite): a finished segment is never translated twice.

The key covers everything that decides the English: the normalized source, the locked entries
(zh, en, action), the engine, the model's sha256, the generation settings and the prompt. Entries are
committed as segments finish, so a killed run loses only the segments in flight.

An entry keeps what the run decided that cannot be derived again from the English: the method, the
attempts, the audit of each substitution (the draft's words a term's approved English replaced) and
the model's token log-probabilities, so a rerun from the cache writes byte for byte what the run that
stored it wrote.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable

from pipeline.errors import ZhenError
from pipeline.models.registry import cache_dir
from pipeline.provenance import stable_engine

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    key TEXT PRIMARY KEY, tgt TEXT NOT NULL, method TEXT NOT NULL, attempts INTEGER NOT NULL,
    degenerate INTEGER NOT NULL, audit TEXT NOT NULL DEFAULT '{}'
)"""
# A cache made before entries kept their audit gains the column (its entries read as audit-less).
AUDIT_COLUMN = "ALTER TABLE segments ADD COLUMN audit TEXT NOT NULL DEFAULT '{}'"


CACHE_FILE = "segments.sqlite"
SQLITE_HEADER = b"SQLite format 3\x00"


def default_cache_path() -> Path:
    return cache_dir() / CACHE_FILE


def cache_file(path: Path) -> Path:
    """The cache's file: a folder given as the cache is the user's, and the cache lives inside it."""
    return path / CACHE_FILE if path.is_dir() else path


def _is_sqlite(path: Path) -> bool:
    """An SQLite file, or an empty one: a cache that may be set aside when damaged. Anything else
    at the path is not the program's to move."""
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    return not head or head == SQLITE_HEADER


def _unwritable(exc: sqlite3.Error) -> bool:
    """A cache that cannot be written (a full disk, a read-only folder, a lock) rather than damaged."""
    return isinstance(exc, sqlite3.OperationalError)


LOCK_WAIT_S = 300  # another run sharing the cache holds its write lock until its next checkpoint


def cannot_write(path: Path, exc: sqlite3.Error) -> ZhenError:
    if "locked" in str(exc):
        hint = (f"another run kept the cache locked for {LOCK_WAIT_S} s (finished segments are kept: a rerun "
                "resumes); give each run its own --cache, or run with --no-cache")
    else:
        hint = "free some space (finished segments are kept: a rerun resumes) or run with --no-cache"
    return ZhenError(f"cannot write the segment cache: {exc}", path=str(path), hint=hint)


def engine_signature(described: dict) -> str:
    stable = {k: v for k, v in stable_engine(described).items() if k != "file"}
    settings = dict(stable.get("settings", {}))
    if settings.get("parallel") == 1:  # one request at a time: what caches made before batching hold
        del settings["parallel"]
    stable["settings"] = settings
    return json.dumps(stable, sort_keys=True, ensure_ascii=False)


def set_aside(path: Path) -> Path:
    """Rename a damaged cache (file or folder, with its SQLite side files) out of the way."""
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    return aside


def _audit(text: str) -> dict:
    """A stored audit; one that does not read as an object is none (the cache is disposable)."""
    try:
        audit = json.loads(text or "{}")
    except ValueError:
        return {}
    return audit if isinstance(audit, dict) else {}


class SegmentCache:
    """A cache is disposable: a damaged one is set aside (renamed, never deleted) and rebuilt."""

    def __init__(self, path: Path, engine: dict, warn: Callable[[str], None] = lambda m: None):
        path = cache_file(path)
        self.path, self.warn = path, warn
        self.engine = engine_signature(engine)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and (not path.is_file() or not _is_sqlite(path)):
            raise ZhenError("is not a segment cache (not an SQLite file); left untouched", path=str(path),
                            hint="give --cache a new file or a folder, or run with --no-cache")
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            if _unwritable(exc):
                raise cannot_write(path, exc) from None
            aside = set_aside(path)
            warn(f"{path}: the segment cache was damaged ({exc}); set aside as {aside.name}, starting a new one")
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=LOCK_WAIT_S)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            if "audit" not in {row[1] for row in db.execute("PRAGMA table_info(segments)")}:
                db.execute(AUDIT_COLUMN)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the integrity check failed")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def key(self, job_key: tuple) -> str:
        return hashlib.sha256(json.dumps([job_key, self.engine], ensure_ascii=False).encode()).hexdigest()

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        """Damage found mid-run: go on without the cache (the next run sets the file aside). A cache
        that cannot be written (a full disk) stops the run: what is committed stays for a rerun."""
        if _unwritable(exc):
            raise cannot_write(self.path, exc) from None
        self.warn(f"{self.path}: the segment cache failed ({exc}); continuing without it")
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = None

    def get(self, job_key: tuple) -> dict | None:
        """The entry: ``tgt``, ``method``, ``attempts``, ``degenerate``, ``replaced`` (the audit) and
        ``logprob`` (the answer's token log-probabilities, summarized; None where not known)."""
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT tgt, method, attempts, degenerate, audit FROM segments WHERE key = ?",
                                  (self.key(job_key),)).fetchone()
        except sqlite3.DatabaseError as exc:
            self._failed(exc)
            return None
        if row is None:
            return None
        audit = _audit(row[4])
        return {"tgt": row[0], "method": row[1], "attempts": row[2], "degenerate": bool(row[3]),
                "replaced": audit.get("replaced", {}), "logprob": audit.get("logprob")}

    def put(self, job_key: tuple, tgt: str, method: str, attempts: int, degenerate: bool,
            replaced: dict[str, str] | None = None, logprob: dict | None = None) -> None:
        if self.db is None:
            return
        kept = {"replaced": replaced, "logprob": logprob}
        audit = json.dumps({k: v for k, v in kept.items() if v}, ensure_ascii=False, sort_keys=True)
        try:
            self.db.execute("INSERT OR REPLACE INTO segments (key, tgt, method, attempts, degenerate, audit) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (self.key(job_key), tgt, str(method), attempts, int(degenerate), audit))
        except sqlite3.DatabaseError as exc:
            self._failed(exc)

    def commit(self) -> None:
        if self.db is None:
            return
        try:
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            self._failed(exc)

    def close(self) -> None:
        if self.db is not None:
            self.commit()
        if self.db is not None:
            self.db.close()
            self.db = None

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] if self.db is not None else 0
