"""`zhen inspect`: read, segment and normalize articles; write segments.jsonl per document."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from pipeline import console
from pipeline.errors import ZhenError
from pipeline.formats import jsonl
from pipeline.io import atomic_write, discover, doc_ids
from pipeline.stages import Settings, analyze


def run(paths: list[str], out_dir: Path, settings: Settings) -> int:
    files, failures = discover(paths)
    for failure in failures:
        console.error(failure)
    if not files and not failures:
        console.error(f"no input articles (.md, .txt, .markdown) found in {', '.join(paths)}")
    rows = []
    for path, doc_id in zip(files, doc_ids(files)):
        try:
            doc = analyze(path, doc_id, settings)
        except ZhenError as exc:
            console.error(exc)
            failures.append(exc)
            continue
        segments = list(doc.segments)
        atomic_write(out_dir / doc_id / "segments.jsonl", jsonl.dumps(s.to_json(doc) for s in segments))
        scripts = Counter(s.script for s in segments)
        rows.append([doc_id, len(doc.blocks), len(segments),
                     *(scripts.get(k, 0) for k in ("hans", "hant", "mixed", "none"))])
    if rows:
        console.table(f"inspect → {out_dir}", ["document", "blocks", "segments", "hans", "hant",
                                              "mixed", "none"], rows)
    if failures:
        console.error(f"{len(failures)} input(s) failed; the others were written")
    return 1 if failures or not files else 0
