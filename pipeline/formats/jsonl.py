"""aligned.jsonl: one record per segment (``Segment.to_record``) — what every review format shows."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from pipeline.formats import Output, writer


def dumps(records: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


@writer("aligned-jsonl", "aligned.jsonl")
def aligned_jsonl(out: Output) -> str:
    return out.aligned


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
