"""Spreadsheet-shaped tables (a header row, then data rows) as pandas DataFrames, from CSV/TSV or XLSX.

Readers accept what Excel and LibreOffice write: a UTF-8 BOM or none, CRLF or LF, `,` `;` or tab
separators, quoted cells with commas and newlines. Every cell is text (``dtype=str``, nothing read as
a number or NaN) and the frame's index is each row's spreadsheet row number, so every error can name
it. Writers neutralise cells that a spreadsheet would run as a formula.
"""
from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.errors import ZhenError

FORMULA_PREFIXES = ("=", "+", "-", "@")
# Characters XML 1.0 (so XLSX, TMX, XLIFF) cannot hold; every such writer shows them as U+FFFD.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return XML_FORBIDDEN.sub("\ufffd", text)


def append_xml_text(parent, text: str) -> None:
    """Character data after what an ElementTree element holds so far: its text, or its last
    child's tail (mixed content, as inline codes in TMX and XLIFF need)."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + xml_safe(text)
    else:
        parent.text = (parent.text or "") + xml_safe(text)


class TableError(ZhenError):
    """A spreadsheet that cannot be read as a table."""


@dataclass
class Table:
    path: str
    frame: pd.DataFrame   # text cells; columns: the header; index: spreadsheet row numbers
    blank_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the reader did that a user should know

    @property
    def header(self) -> list[str]:
        return list(self.frame.columns)

    @property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """(row number, {column: cell}); where a header name repeats, its last column wins."""
        header = self.header
        return [(number, dict(zip(header, cells)))
                for number, cells in zip(self.frame.index.tolist(), self.frame.values.tolist())]


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


def _trimmed(cells: list[str]) -> list[str]:
    """A record without its trailing empty cells (spreadsheets pad rows with separators)."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _build(path: str, records: list[list[str]], first_row: int = 1) -> Table:
    """A Table from raw records (lists of cell text); ``first_row`` is the header's row number."""
    if not records or not any(cell.strip() for cell in records[0]):
        raise TableError("has no header row", path=path, line=first_row)
    header = [cell.strip() for cell in _trimmed(records[0])]
    data, numbers, blank = [], [], []
    for number, record in enumerate(records[1:], start=first_row + 1):
        cells = _trimmed(record)
        if not cells:
            blank.append(number)
            continue
        if len(cells) > len(header):
            raise TableError(f"has {len(cells)} cells but the header has {len(header)}",
                             path=path, line=number, hint="a separator or quote inside a cell?")
        data.append(cells + [""] * (len(header) - len(cells)))
        numbers.append(number)
    frame = pd.DataFrame(data, columns=header, index=pd.Index(numbers, name="row"), dtype=str)
    return Table(path, frame, blank)


# A row with more cells than the first line plus this many is refused by the CSV parser itself.
_EXTRA_CELLS = 16


def _csv_records(path: Path, text: str) -> list[list[str]]:
    sep = _dialect(text, path.suffix.lower())
    width = text.split("\n", 1)[0].count(sep) + 1 + _EXTRA_CELLS
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, names=range(width), dtype=str,
                            keep_default_na=False, na_filter=False, skip_blank_lines=False,
                            quoting=csv.QUOTE_MINIMAL, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        raise TableError(f"is not valid CSV: {str(exc).strip()}", path=str(path)) from None
    return frame.fillna("").astype(str).values.tolist()


def read_csv(path: Path) -> Table:
    text = _decode(path, path.read_bytes())
    return _build(str(path), _csv_records(path, text) if text.strip() else [])


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def max_table_bytes() -> int:
    return int(float(os.environ.get("ZHEN_MAX_TABLE_MB", "50")) * 1024 * 1024)


MAX_CELLS = 5_000_000  # rows × columns of one sheet


def check_workbook_size(path: Path) -> None:
    """Refuse a workbook whose unpacked parts or sheet dimensions are too large, before loading it:
    a 2 MB file can unpack to gigabytes (a zip bomb). The sizes the zip's directory declares are
    checked before anything is decompressed; then each part is decompressed as a stream, counted and
    dropped, and the count stops at the limit (a zip can under-declare its sizes)."""
    import zipfile
    import zlib

    limit = max_table_bytes()

    def too_large(size: str) -> TableError:
        return TableError(f"unpacks to {size}, more than the {limit // 1024 // 1024} MB allowed", path=str(path),
                          hint="a damaged or hostile file? ZHEN_MAX_TABLE_MB raises the limit")
    try:
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if declared > limit:
                raise too_large(f"{declared / 1024 / 1024:,.0f} MB")
            unpacked, dimensions = 0, []
            for info in archive.infolist():
                head = b""
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        head += chunk[:4096 - len(head)]
                        unpacked += len(chunk)
                        if unpacked > limit:
                            raise too_large("more than its directory declares")
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    dimensions.append(_dimension(head))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, KeyError, EOFError,
            NotImplementedError, RuntimeError) as exc:
        raise TableError(f"is not a readable XLSX workbook ({exc})", path=str(path)) from None
    for cells in dimensions:
        if cells > MAX_CELLS:
            raise TableError(f"has a sheet of {cells:,} cells, more than the {MAX_CELLS:,} allowed", path=str(path))


_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+(\d+)(?::([A-Z]+)(\d+))?"')


def _dimension(head: bytes) -> int:
    """Cells a worksheet declares (its <dimension ref="A1:C300">), 0 when it declares none."""
    from openpyxl.utils import column_index_from_string

    match = _DIMENSION.search(head)
    if not match or not match.group(2):
        return 0
    return int(match.group(3)) * column_index_from_string(match.group(2).decode())


def _sheet_records(ws, where: str) -> list[list[str]]:
    records = []
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                raise TableError(f"cell {cell.coordinate} holds a formula ({str(cell.value)[:40]}); "
                                 "replace formulas by their values", path=where, line=cell.row)
        records.append([_xlsx_cell(cell.value) for cell in row])
    return records


def read_xlsx(path: Path, sheet: str | None = None, preferred: tuple[str, ...] = ()) -> Table:
    """The named sheet, else the first ``preferred`` one present, else the first sheet.

    Cells are read as values, never evaluated: a formula is an error naming its cell, since a
    spreadsheet's formula must not become a term or a translation. Macros are never run.
    """
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_workbook_size(path)
    try:
        book = load_workbook(path, read_only=False, data_only=False, keep_vba=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(f"is not a readable XLSX workbook ({exc})", path=str(path)) from None
    names = book.sheetnames
    chosen = sheet or next((n for n in preferred if n in names), names[0])
    if chosen not in names:
        raise TableError(f"has no sheet {chosen!r} (sheets: {', '.join(names)})", path=str(path))
    try:
        records = _sheet_records(book[chosen], f"{path} [{chosen}]")
    except ValueError as exc:
        raise TableError(f"sheet {chosen!r} cannot be read ({exc})", path=str(path)) from None
    finally:
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
    frame = pd.DataFrame([[row.get(name, "") for name in header] for row in rows], columns=header, dtype=object)
    if excel:
        frame = frame.map(neutralize)
    text = frame.to_csv(index=False, quoting=csv.QUOTE_ALL if excel else csv.QUOTE_MINIMAL,
                        lineterminator="\r\n" if excel else "\n")
    return ("\ufeff" if excel else "") + text
