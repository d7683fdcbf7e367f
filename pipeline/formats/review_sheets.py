"""aligned.tsv and aligned.xlsx: the review table for spreadsheets (inert cells, readable layout)."""
from __future__ import annotations

import csv
import re

import pandas as pd

from pipeline.formats import Output, review_rows, writer
from pipeline.tables import neutralize
from pipeline.tables.xlsx import Sheet, workbook_bytes


# Every character that Excel, LibreOffice or str.splitlines() treat as the end of a line.
_LINE_BREAK = re.compile("\r\n|[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def tsv_text(records: list[dict], run_id: str) -> str:
    """Tab-separated, UTF-8 with BOM, CRLF; tabs and line breaks inside cells become spaces/⏎, and a
    cell holding a quote is quoted (as Excel and the csv module read it back)."""
    def cell(value: object) -> str:
        return _LINE_BREAK.sub(" ⏎ ", str(neutralize(value)).replace("\t", " "))

    frame = pd.DataFrame(review_rows.rows(records, run_id), columns=review_rows.COLUMNS, dtype=object)
    text = frame.map(cell).to_csv(sep="\t", index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return "\ufeff" + text


def xlsx_bytes(records: list[dict], run_id: str, meta: dict) -> bytes:
    rows = review_rows.rows(records, run_id)
    highlights = {}
    for i, (row, record) in enumerate(zip(rows, records)):
        if record["terms"]:
            highlights[(i, "terms")] = "term"
        if review_rows.worst(record):
            highlights[(i, "qa")] = review_rows.worst(record)
    segments = Sheet("segments", review_rows.COLUMNS, [[r[c] for c in review_rows.COLUMNS] for r in rows],
                     review_rows.WIDTHS, highlights, {"decision": review_rows.DECISIONS})
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
