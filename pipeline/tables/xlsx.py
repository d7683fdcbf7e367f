"""XLSX writing for reviewers and glossary editors: readable, and inert (no formulas run)."""
from __future__ import annotations

import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field

import math

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.chinese import is_han

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
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)     # column → drop-down values


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
    widths = {name: _width(sheet, c, name) for c, name in enumerate(sheet.header)}
    for c, name in enumerate(sheet.header, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths[name]
    for r, row in enumerate(sheet.rows, start=2):  # LibreOffice does not grow rows for wrapped text itself
        lines = max((_lines(v, widths[name]) for v, name in zip(row, sheet.header)), default=1)
        ws.row_dimensions[r].height = min(409, 15 * lines)
    for name, values in sheet.choices.items():
        column = get_column_letter(sheet.header.index(name) + 1)
        rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        rule.add(f"{column}2:{column}{max(2, len(sheet.rows) + 1)}")
        ws.add_data_validation(rule)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    _print_setup(ws)


def _display_width(text: str) -> int:
    return sum(2 if is_han(c) else 1 for c in text)


def _width(sheet: Sheet, column: int, name: str) -> float:
    """The configured width; an id column as wide as its longest id (Chinese counts double)."""
    width = sheet.widths.get(name, 16)
    if name == "id":
        width = max([width] + [min(60, _display_width(str(row[column])) + 2) for row in sheet.rows])
    return width


def _lines(value: object, width: float) -> int:
    text = str(value or "")
    return sum(max(1, math.ceil(_display_width(line) / max(1.0, width - 1))) for line in text.split("\n"))


def _print_setup(ws) -> None:
    """Landscape, fit to one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


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
