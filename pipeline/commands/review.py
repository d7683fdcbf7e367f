"""`zhen review import|export-tmx|serve`: reviewed sheets into the translation memory, out as TMX, and
the review editor over an output folder."""
from __future__ import annotations

import hashlib
import json
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


def run_score(file: Path, out: Path | None, glossaries: list[Path], reader=None, every: bool = False) -> int:
    """``zhen review score``: each row of ``file`` with its confidence, whether it is flagged, and its
    findings, written to ``out`` (default: beside it, ``NAME.scored.EXT``) in the same format.
    ``reader()`` gives the engine that reads back English whose token probabilities are not known
    (None: scored without them); ``every``: read back every model's English, recorded or not."""
    from pipeline.review import score

    if not file.is_file():
        raise ReviewError("no such file", path=str(file))
    out = out or file.with_name(f"{file.stem}.scored{file.suffix}")
    started = time.perf_counter()
    jsonl = file.suffix.lower() == ".jsonl"
    if jsonl:
        records = score.read_records(file)
    else:
        header, rows = _pairs(file)
        matcher = _matcher(glossaries)
        records = [score.judged(row["source"], row["english"], matcher) for _number, row in rows]
    read = _read_back(records, reader, every)
    results = [score.scored(r) for r in read]
    if jsonl:
        atomic_write(out, "".join(json.dumps({**r, **s.cells()}, ensure_ascii=False) + "\n"
                                  for r, s in zip(records, results)))
    else:
        _write_rows(out, header + [c for c in score.ADDED if c not in header],
                    [{**row, **s.cells()} for (_n, row), s in zip(rows, results)])
    seconds = time.perf_counter() - started
    flagged = sum(s.flagged for s in results)
    console.out.print(f"scored {len(results)} pair(s) in {seconds:.1f} s ({seconds / max(1, len(results)):.3f} s a "
                      f"pair): {flagged} flagged for review; written to {out}", markup=False)
    return 0


def _read_back(records: list[dict], reader, every: bool) -> list[dict]:
    """The records with the model's token probabilities of each English it must read back."""
    from pipeline.review import score

    if reader is None or not any(score.needs_reading(r, every) for r in records):
        return records
    engine = reader()
    try:
        return score.read_back(records, engine, every)
    finally:
        engine.close()


def _pairs(file: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    from pipeline.tables import read_table

    table = read_table(file)
    missing = [c for c in ("source", "english") if c not in table.header]
    if missing:
        raise ReviewError(f"no {' or '.join(repr(c) for c in missing)} column (its columns: "
                          f"{', '.join(table.header) or 'none'})", path=str(file))
    rows = table.rows
    for number, row in rows:
        if not (row["source"] or "").strip():
            raise ReviewError(f"row {number}: the source is empty", path=str(file))
    return table.header, rows


def _matcher(glossaries: list[Path]):
    from pipeline.terms.glossary import load_glossary
    from pipeline.terms.matcher import TermMatcher

    return TermMatcher(load_glossary(glossaries).terms)


def _write_rows(out: Path, header: list[str], rows: list[dict]) -> None:
    if out.suffix.lower() in (".xlsx", ".xlsm"):
        from pipeline.tables.xlsx import Sheet, workbook_bytes

        atomic_write(out, workbook_bytes([Sheet("scored", header, [[row.get(c, "") for c in header] for row in rows])]))
    elif out.suffix.lower() == ".tsv":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[row.get(c, "") for c in header] for row in rows])
        atomic_write(out, buffer.getvalue())
    else:
        atomic_write(out, csv_text(header, rows, excel=True))
