"""Persistent segment cache (SQLite): a finished segment is never translated twice.

The key covers everything that decides the English: the normalized source, the locked entries
(zh, en, action), the engine, the model's sha256, the generation settings and the prompt. Entries are
committed as segments finish, so a killed run loses only the segments in flight.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Callable

from pipeline.models.registry import cache_dir
from pipeline.provenance import stable_engine

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    key TEXT PRIMARY KEY, tgt TEXT NOT NULL, method TEXT NOT NULL, attempts INTEGER NOT NULL,
    degenerate INTEGER NOT NULL
)"""


def default_cache_path() -> Path:
    return cache_dir() / "segments.sqlite"


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


class SegmentCache:
    """A cache is disposable: a damaged one is set aside (renamed, never deleted) and rebuilt."""

    def __init__(self, path: Path, engine: dict, warn: Callable[[str], None] = lambda m: None):
        self.path, self.warn = path, warn
        self.engine = engine_signature(engine)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = self._open()
        except (sqlite3.DatabaseError, IsADirectoryError) as exc:
            aside = set_aside(path)
            warn(f"{path}: the segment cache was damaged ({exc}); set aside as {aside.name}, starting a new one")
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise IsADirectoryError("it is a folder")
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the integrity check failed")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def key(self, job_key: tuple) -> str:
        return hashlib.sha256(json.dumps([job_key, self.engine], ensure_ascii=False).encode()).hexdigest()

    def _failed(self, exc: sqlite3.DatabaseError) -> None:
        """Damage found mid-run: go on without the cache (the next run sets the file aside)."""
        self.warn(f"{self.path}: the segment cache failed ({exc}); continuing without it")
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        self.db = None

    def get(self, job_key: tuple) -> tuple[str, str, int, bool] | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT tgt, method, attempts, degenerate FROM segments WHERE key = ?",
                                  (self.key(job_key),)).fetchone()
        except sqlite3.DatabaseError as exc:
            self._failed(exc)
            return None
        return (row[0], row[1], row[2], bool(row[3])) if row else None

    def put(self, job_key: tuple, tgt: str, method: str, attempts: int, degenerate: bool) -> None:
        if self.db is None:
            return
        try:
            self.db.execute("INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?, ?)",
                            (self.key(job_key), tgt, method, attempts, int(degenerate)))
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
