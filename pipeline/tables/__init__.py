"""Spreadsheet-shaped tables (a header row, then data rows), read from CSV/TSV or XLSX.

Readers accept what Excel and LibreOffice write: a UTF-8 BOM or none, CRLF or LF, `,` `;` or tab
separators, quoted cells with commas and newlines. Every row keeps its spreadsheet row number.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ZhenError

FORMULA_PREFIXES = ("=", "+", "-", "@")


class TableError(ZhenError):
    """A spreadsheet that cannot be read as a table."""


@dataclass
class Table:
    path: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, cells)
    blank_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the reader did that a user should know


def neutralize(cell: object) -> object:
    """Make a cell inert for spreadsheets: text starting with = + - @ gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TableError(f"is not UTF-8 (byte 0x{data[exc.start]:02x})", path=str(path), line=line,
                         hint="save it as 'CSV UTF-8' or convert with `iconv -f GBK -t UTF-8`") from None


def _dialect(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: (counts[sep], sep == ","))


def _build(path: str, records: list[list[str]], first_row: int = 1) -> Table:
    if not records or not any(cell.strip() for cell in records[0]):
        raise TableError("has no header row", path=path, line=first_row)
    header = [cell.strip() for cell in records[0]]
    table = Table(path, header)
    for number, record in enumerate(records[1:], start=first_row + 1):
        if not any((cell or "").strip() for cell in record):
            table.blank_rows.append(number)
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            raise TableError(f"has {len(record)} cells but the header has {len(header)}",
                             path=path, line=number, hint="a separator or quote inside a cell?")
        cells = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
        table.rows.append((number, cells))
    return table


def read_csv(path: Path) -> Table:
    data = path.read_bytes()
    text = _decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text, path.suffix.lower()))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise TableError(f"is not valid CSV: {exc}", path=str(path), line=reader.line_num) from None
    return _build(str(path), records)


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, sheet: str | None = None, preferred: tuple[str, ...] = ()) -> Table:
    """The named sheet, else the first ``preferred`` one present, else the first sheet.

    Cells are read as values, never evaluated: a formula is an error naming its cell, since a
    spreadsheet's formula must not become a term or a translation. Macros are never run.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    import zipfile

    try:
        book = load_workbook(path, read_only=False, data_only=False, keep_vba=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"is not a readable XLSX workbook ({exc})", path=str(path)) from None
    names = book.sheetnames
    chosen = sheet or next((n for n in preferred if n in names), names[0])
    if chosen not in names:
        raise TableError(f"has no sheet {chosen!r} (sheets: {', '.join(names)})", path=str(path))
    ws = book[chosen]
    records = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                raise TableError(f"cell {cell.coordinate} holds a formula ({str(cell.value)[:40]}); "
                                 "replace formulas by their values", path=f"{path} [{chosen}]", line=cell.row)
        records.append([_xlsx_cell(cell.value) for cell in row])
    book.close()
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)  # tolerate empty rows above the header
    table = _build(f"{path} [{chosen}]", records)
    table.notes = [f"sheet {chosen!r} read; {', '.join(n for n in names if n != chosen)} ignored"] \
        if len(names) > 1 else []
    if path.suffix.lower() == ".xlsm":
        table.notes.append("macro-enabled workbook: its macros were ignored, never run")
    return table


def read_table(path: Path) -> Table:
    if not path.exists():
        raise TableError("no such file", path=str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv(path)


def csv_text(header: list[str], rows: list[dict[str, str]], *, excel: bool = False) -> str:
    """CSV with every field quoted; ``excel`` adds a BOM, CRLF and neutralizes formula-like cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if excel else csv.QUOTE_MINIMAL,
                        lineterminator="\r\n" if excel else "\n")
    writer.writerow(header)
    for row in rows:
        cells = [row.get(name, "") for name in header]
        writer.writerow([neutralize(c) for c in cells] if excel else cells)
    return ("\ufeff" if excel else "") + buffer.getvalue()
