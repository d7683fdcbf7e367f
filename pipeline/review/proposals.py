"""Proposed term-base changes from review (``glossary-proposals.csv``): never active until
`zhen glossary` approves them."""
from __future__ import annotations

from pathlib import Path

from pipeline.io import atomic_write
from pipeline.tables import csv_text, read_csv

COLUMNS = ["id", "zh", "en", "current_en", "status", "note", "source"]
FILENAME = "glossary-proposals.csv"


def read_proposals(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [{c: cells.get(c, "") for c in COLUMNS} for _row, cells in read_csv(path).rows]


def add_proposals(path: Path, rows: list[dict]) -> list[dict]:
    """``rows`` added to the file's (a term proposed twice with one English: one row), written whole."""
    merged = {(r["zh"], r["en"]): r for r in read_proposals(path)}
    for row in rows:
        merged[(row["zh"], row["en"])] = {c: str(row.get(c, "")) for c in COLUMNS}
    atomic_write(path, csv_text(COLUMNS, list(merged.values()), excel=True))
    return list(merged.values())
