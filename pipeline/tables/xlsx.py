"""XLSX writing for reviewers and glossary editors: readable, and inert (no formulas run)."""
from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipeline.tables import neutralize, xml_safe

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
HIGHLIGHT_FILLS = {"term": PatternFill("solid", fgColor="FFF4CC"),
                   "error": PatternFill("solid", fgColor="F8D0D0"),
                   "warning": PatternFill("solid", fgColor="FCE8C8")}


@dataclass
class Sheet:
    title: str
    header: list[str]
    rows: list[list[object]]
    widths: dict[str, int] = field(default_factory=dict)       # column → width in characters
    highlights: dict[tuple[int, str], str] = field(default_factory=dict)  # (row index, column) → fill


def _inert(value: object) -> object:
    """Neutralized, and with characters a worksheet cannot hold shown as U+FFFD."""
    value = neutralize(value)
    return xml_safe(value) if isinstance(value, str) else value


def _write_sheet(ws, sheet: Sheet) -> None:
    ws.title = sheet.title[:31]
    ws.append(sheet.header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for row in sheet.rows:
        ws.append([_inert(v) for v in row])
    for r, row in enumerate(ws.iter_rows(min_row=2), start=0):
        for c, cell in enumerate(row):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even if a spreadsheet would read a formula
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            fill = sheet.highlights.get((r, sheet.header[c]))
            if fill:
                cell.fill = HIGHLIGHT_FILLS[fill]
    for c, name in enumerate(sheet.header, start=1):
        ws.column_dimensions[get_column_letter(c)].width = sheet.widths.get(name, 16)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


FIXED_TIME = datetime.datetime(2000, 1, 1)


def _deterministic_zip(data: bytes) -> bytes:
    """The same workbook content always gives the same bytes: fixed entry times and order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            target.writestr(entry, data)
    return buffer.getvalue()


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.properties.created = book.properties.modified = FIXED_TIME
    book.properties.creator = "zhen"
    _write_sheet(book.active, sheets[0])
    for sheet in sheets[1:]:
        _write_sheet(book.create_sheet(), sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return _deterministic_zip(buffer.getvalue())
