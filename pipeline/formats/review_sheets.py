"""aligned.tsv and aligned.xlsx: the review table for spreadsheets (inert cells, readable layout)."""
from __future__ import annotations

from pipeline.formats import Output, review_rows, writer
from pipeline.tables import neutralize
from pipeline.tables.xlsx import Sheet, workbook_bytes


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


@writer("tsv", "aligned.tsv")
def tsv_file(out: Output) -> str:
    return tsv_text(out.records, out.run_id)


@writer("xlsx", "aligned.xlsx")
def xlsx_file(out: Output) -> bytes:
    meta = {"doc": out.doc.doc_id, "run_id": out.run_id, "signature": out.manifest["signature"],
            "input": out.doc.path}
    return xlsx_bytes(out.records, out.run_id, meta)
