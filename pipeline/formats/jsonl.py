"""JSON Lines: one object per segment."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from pipeline.io import atomic_write


def dumps(records: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write(path: Path, records: Iterable[dict]) -> None:
    atomic_write(path, dumps(records))


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
