"""Persistent segment cache (SQLite): a finished segment is never translated twice.

The key covers everything that decides the English: the normalized source, the locked entries
(zh, en, action), the engine, the model's sha256, the generation settings and the prompt. Entries are
committed as segments finish, so a killed run loses only the segments in flight.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from pipeline.models.registry import cache_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    key TEXT PRIMARY KEY, tgt TEXT NOT NULL, method TEXT NOT NULL, attempts INTEGER NOT NULL,
    degenerate INTEGER NOT NULL
)"""
VOLATILE_SETTINGS = ("threads",)  # do not change what greedy decoding produces


def default_cache_path() -> Path:
    return cache_dir() / "segments.sqlite"


def engine_signature(described: dict) -> str:
    stable = {k: v for k, v in described.items() if k != "file"}
    stable["settings"] = {k: v for k, v in described.get("settings", {}).items() if k not in VOLATILE_SETTINGS}
    return json.dumps(stable, sort_keys=True, ensure_ascii=False)


class SegmentCache:
    def __init__(self, path: Path, engine: dict):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)
        self.engine = engine_signature(engine)

    def key(self, job_key: tuple) -> str:
        return hashlib.sha256(json.dumps([job_key, self.engine], ensure_ascii=False).encode()).hexdigest()

    def get(self, job_key: tuple) -> tuple[str, str, int, bool] | None:
        row = self.db.execute("SELECT tgt, method, attempts, degenerate FROM segments WHERE key = ?",
                              (self.key(job_key),)).fetchone()
        return (row[0], row[1], row[2], bool(row[3])) if row else None

    def put(self, job_key: tuple, tgt: str, method: str, attempts: int, degenerate: bool) -> None:
        self.db.execute("INSERT OR REPLACE INTO segments VALUES (?, ?, ?, ?, ?)",
                        (self.key(job_key), tgt, method, attempts, int(degenerate)))

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.commit()
        self.db.close()

    def __len__(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
