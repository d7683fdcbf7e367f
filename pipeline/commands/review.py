"""`zhen review import|export-tmx|serve`: reviewed sheets into the translation memory, out as TMX, and
the review editor over an output folder."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

from pipeline import console
from pipeline.formats import tmx
from pipeline.tables import csv_text
from pipeline.io import atomic_write
from pipeline.normalize.script import detect_script
from pipeline.review.importer import ReviewError, plan_import
from pipeline.review.memory import TranslationMemory
from pipeline.review.proposals import COLUMNS as PROPOSAL_COLUMNS


def run_import(files: list[Path], outputs: Path, memory_path: Path, proposals_path: Path) -> int:
    for path in files:
        if not path.is_file():
            raise ReviewError("no such file", path=str(path))
    plan = plan_import(files, outputs)
    if plan.errors:
        listing = "\n".join(f"  {e}" for e in plan.errors)
        raise ReviewError(f"{len(plan.errors)} problem(s); nothing was imported:\n{listing}")
    with TranslationMemory(memory_path) as memory:
        memory.apply([e for e in plan.upserts if not memory.holds(e)], plan.deletions)
        total = len(memory)
    for note in plan.notes:
        console.out.print(note, markup=False)
    counts = plan.counts
    console.out.print(f"imported {counts['approve']} approved, {counts['fix']} fixed, {counts['reject']} rejected "
                      f"({counts['unreviewed']} rows not reviewed) into {memory_path}: {total} entries",
                      markup=False)
    if plan.proposals:
        plan.proposals = list({(p["id"], p["en"]): p for p in plan.proposals}.values())  # a term met twice: one row
        atomic_write(proposals_path, csv_text(PROPOSAL_COLUMNS, plan.proposals, excel=True))
        console.out.print(f"{len(plan.proposals)} glossary change(s) proposed in {proposals_path} "
                          "(the term base itself is unchanged)", markup=False)
    return 0


def plain_text(markdown: str) -> str:
    """What a reader sees of a stored source segment (the text the per-document TMX holds)."""
    from pipeline.stages import analyze_text

    return " ".join(s.plain for s in analyze_text(markdown).segments) or markdown


def run_export_tmx(memory_path: Path, out: Path) -> int:
    if not memory_path.exists():
        raise ReviewError("no translation memory here yet", path=str(memory_path),
                          hint="`zhen review import` creates it")
    with TranslationMemory(memory_path) as memory:
        entries = memory.all()
    units = [{"id": "tm-" + hashlib.sha1(e.norm.encode("utf-8")).hexdigest()[:12], "src": plain_text(e.src),
              "tgt": e.tgt, "props": [("x-status", "reviewed"), ("x-decision", e.decision), ("x-origin", e.origin),
                                      ("x-run", e.run), ("x-updated", e.updated)],
              "srclang": tmx.source_language(detect_script(e.src))}
             for e in entries]
    atomic_write(out, tmx.tmx_bytes(units, created=time.time()))
    console.out.print(f"{len(units)} translation unit(s) written to {out}", markup=False)
    return 0


def run_serve(outputs: Path, memory_path: Path, host: str, port: int, reviewer: str | None,
              proposals: Path | None) -> int:
    try:
        from pipeline.serve.server import serve
    except ImportError as exc:
        raise ReviewError(f"the review editor needs the serve extra ({exc.name} is missing)",
                          hint="pip install 'zhen[serve]'") from None
    return serve(outputs, memory_path, host, port, reviewer, proposals)
