"""Glossary round trip through a spreadsheet: export for editing, validated import with a backup."""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, replace as with_fields
from pathlib import Path

from pipeline.tables import Table, csv_text
from pipeline.tables.xlsx import Sheet, workbook_bytes
from pipeline.io import atomic_write
from pipeline.terms.glossary import COLUMNS, GlossaryError, Glossary, load_glossary, load_table, term_from_row
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


@dataclass
class ImportResult:
    """What an import did: rows added, changed and removed (by id, else by Chinese form), rows of the
    term base the import did not list (kept unless replacing), the backup, lint warnings."""

    rows: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    unlisted: list[str]
    backup: Path | None
    warnings: list[Finding]   # lint warnings the import brings (the term base's own are counted apart)
    old_warnings: int = 0


def _row_key(cells: dict[str, str]) -> str:
    return (cells.get("id") or "").strip() or (cells.get("zh") or "").strip()


def _merged(base: list[dict[str, str]], incoming: list[dict[str, str]]) -> tuple[list[dict], list, list, list]:
    """``base`` with ``incoming`` rows added (new keys) or updated (cells the import has, on a known
    key). A row is known by its id, or — an incoming row without one — by its Chinese form."""
    rows = [dict(r) for r in base]
    by_id = {r["id"].strip(): i for i, r in enumerate(rows) if (r.get("id") or "").strip()}
    by_zh = {(r.get("zh") or "").strip(): i for i, r in enumerate(rows)}
    added, changed, listed = [], [], set()
    for cells in incoming:
        key, zh = _row_key(cells), (cells.get("zh") or "").strip()
        at = by_id.get(key) if (cells.get("id") or "").strip() else by_zh.get(zh)
        if at is None:
            by_zh.setdefault(zh, len(rows))
            rows.append(dict(cells))
            added.append(key)
            continue
        listed.add(at)
        row = rows[at]
        update = {k: v for k, v in cells.items() if k and k != "id" and v != row.get(k, "")
                  and (v or k in ("variants", "forbidden", "note"))}
        if update:
            row.update(update)
            changed.append(_row_key(row))
    unlisted = [_row_key(r) for i, r in enumerate(base) if i not in listed]
    return rows, added, changed, unlisted


def _backup(into: Path) -> Path | None:
    if not into.exists():
        return None
    stamp, n = time.strftime("%Y%m%d-%H%M%S"), 1
    backup = into.with_name(f"{into.name}.{stamp}.bak")
    while backup.exists():
        n += 1
        backup = into.with_name(f"{into.name}.{stamp}-{n}.bak")
    shutil.copy2(into, backup)
    return backup


def _stop_on_errors(findings: list[Finding], path: Path, what: str) -> None:
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        listing = "\n".join(f"  {f}" for f in errors)
        raise GlossaryError(f"{len(errors)} error(s){what}; nothing was imported:\n{listing}", path=str(path))


def import_table(source: Path, into: Path, *, replace: bool = False, base: Path | None = None) -> ImportResult:
    """Merge the validated rows of ``source`` into the term base ``into`` (the old file kept as a
    backup): new ids/Chinese forms are added, listed ones updated, the rest kept. ``replace`` makes
    ``source`` the whole term base instead. ``base``: the term base to start from when ``into`` does
    not exist yet (the packaged default, which is only read).

    Raises GlossaryError, changing nothing, when the source or the merged base has errors.
    """
    glossary, findings = validate(source)
    _stop_on_errors(findings, source, "")
    table = glossary.tables[0]
    incoming = _rows(table)
    start_from = into if into.exists() else base
    old_table = load_table(start_from) if start_from and start_from.exists() else None
    old = _rows(old_table) if old_table else []
    if replace:
        rows, header = incoming, ordered_header(table.header)
        keys = {_row_key(r) for r in incoming}
        _, added, changed, unlisted = _merged(old, incoming)
        removed, unlisted = [k for k in unlisted if k not in keys], []
    else:
        rows, added, changed, unlisted = _merged(old, incoming)
        header = ordered_header(list(dict.fromkeys((old_table.header if old_table else []) + table.header)))
        removed = []
    text = csv_text(header, rows)
    merged_findings = _lint_text(text, into)
    _stop_on_errors(merged_findings, into, " in the term base the import would make")
    old_findings = {_where_free(f) for f in _lint_text(csv_text(old_table.header, old), into)} if old_table else set()
    backup = _backup(into)
    into.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(into, text)
    brought = [f for f in merged_findings if _where_free(f) not in old_findings]
    return ImportResult(len(rows), added, changed, removed, unlisted, backup, brought,
                        len(merged_findings) - len(brought))


def _where_free(finding: Finding) -> str:
    """A finding without its row, to compare the base before and after (rows move when rows are added)."""
    return re.sub(r":\d+([,)])", r"\1", f"{finding.rule} {finding.message}")


def _lint_text(text: str, shown: Path) -> list[Finding]:
    """Lint a term base's CSV text (what an import would write) before anything is written; the
    findings name ``shown``, the file the text is for, never the temporary copy."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "terms.csv"
        path.write_text(text, encoding="utf-8")
        return [with_fields(f, file=str(shown), message=f.message.replace(str(path), str(shown)))
                for f in lint(load_glossary([path]))]
