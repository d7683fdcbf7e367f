"""aligned.tsv and aligned.xlsx: the review table for spreadsheets (inert cells, readable layout)."""
from __future__ import annotations

from pathlib import Path

from pipeline.formats import review_rows
from pipeline.formats.table import neutralize
from pipeline.formats.xlsx import Sheet, workbook_bytes
from pipeline.io import atomic_write


def tsv_text(records: list[dict], run_id: str) -> str:
    """Tab-separated, UTF-8 with BOM, CRLF; tabs and line breaks inside cells become spaces/⏎."""
    def cell(value: object) -> str:
        text = str(neutralize(value))
        return text.replace("\t", " ").replace("\r\n", " ⏎ ").replace("\n", " ⏎ ")

    lines = ["\t".join(review_rows.COLUMNS)]
    for row in review_rows.rows(records, run_id):
        lines.append("\t".join(cell(row[c]) for c in review_rows.COLUMNS))
    return "\ufeff" + "\r\n".join(lines) + "\r\n"


def xlsx_bytes(records: list[dict], run_id: str, meta: dict) -> bytes:
    rows = review_rows.rows(records, run_id)
    highlights = {}
    for i, (row, record) in enumerate(zip(rows, records)):
        if record["terms"]:
            highlights[(i, "terms")] = "term"
        if review_rows.worst(record):
            highlights[(i, "qa")] = review_rows.worst(record)
    segments = Sheet("segments", review_rows.COLUMNS, [[r[c] for c in review_rows.COLUMNS] for r in rows],
                     review_rows.WIDTHS, highlights)
    terms = review_rows.term_rows(records)
    term_sheet = Sheet("terms", review_rows.TERM_COLUMNS, [[t[c] for c in review_rows.TERM_COLUMNS] for t in terms],
                       {"id": 22, "term": 24, "source": 18, "english": 34, "status": 10, "method": 12},
                       {(i, "status"): "error" for i, t in enumerate(terms) if t["status"] != "locked"})
    run_sheet = Sheet("run", ["key", "value"], [[k, str(v)] for k, v in meta.items()], {"key": 18, "value": 90})
    return workbook_bytes([segments, term_sheet, run_sheet])


def write(folder: Path, records: list[dict], run_id: str, meta: dict) -> None:
    atomic_write(folder / "aligned.tsv", tsv_text(records, run_id))
    atomic_write(folder / "aligned.xlsx", xlsx_bytes(records, run_id, meta))
