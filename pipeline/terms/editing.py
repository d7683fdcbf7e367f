"""Glossary round trip through a spreadsheet: export for editing, validated import with a backup."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from pipeline.tables import Table, csv_text
from pipeline.tables.xlsx import Sheet, workbook_bytes
from pipeline.io import atomic_write
from pipeline.terms.glossary import COLUMNS, GlossaryError, Glossary, load_glossary, term_from_row
from pipeline.terms.lint import ERROR, Finding, lint

WIDTHS = {"id": 24, "zh": 18, "variants": 24, "en": 32, "type": 13, "action": 13, "forbidden": 22,
          "note": 40, "source": 28, "status": 11}


def ordered_header(header: list[str]) -> list[str]:
    """Known columns in their usual order, then any extra columns as they came."""
    return [c for c in COLUMNS if c in header] + [c for c in header if c not in COLUMNS]


def _rows(table: Table) -> list[dict[str, str]]:
    return [term_from_row(cells, table.path, row).cells for row, cells in table.rows]


def export_xlsx(glossary: Glossary, out: Path) -> int:
    table = glossary.tables[-1] if len(glossary.tables) == 1 else None
    header = ordered_header(table.header if table else list(COLUMNS))
    rows = [t.cells for t in glossary.terms]
    sheet = Sheet("terms", header, [[r.get(c, "") for c in header] for r in rows], WIDTHS)
    atomic_write(out, workbook_bytes([sheet]))
    return len(rows)


def export_csv(glossary: Glossary, out: Path) -> int:
    header = ordered_header(glossary.tables[0].header if glossary.tables else list(COLUMNS))
    rows = [t.cells for t in glossary.terms]
    atomic_write(out, csv_text(header, rows, excel=True))
    return len(rows)


def validate(path: Path) -> tuple[Glossary, list[Finding]]:
    glossary = load_glossary([path])
    return glossary, lint(glossary)


def import_table(source: Path, into: Path) -> tuple[int, Path | None, list[Finding]]:
    """Replace ``into`` with the validated contents of ``source``; the old file is kept as a backup.

    Raises GlossaryError listing every error row, and changes nothing, when the source has errors.
    """
    glossary, findings = validate(source)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        listing = "\n".join(f"  {f}" for f in errors)
        raise GlossaryError(f"{len(errors)} error(s); nothing was imported:\n{listing}", path=str(source))
    table = glossary.tables[0]
    header = ordered_header(table.header)
    backup = None
    if into.exists():
        stamp, n = time.strftime("%Y%m%d-%H%M%S"), 1
        backup = into.with_name(f"{into.name}.{stamp}.bak")
        while backup.exists():
            n += 1
            backup = into.with_name(f"{into.name}.{stamp}-{n}.bak")
        shutil.copy2(into, backup)
    atomic_write(into, csv_text(header, _rows(table)))
    return len(table.rows), backup, [f for f in findings if f.severity != ERROR]
