"""The curated term base: rows of a CSV/XLSX sheet, one concept per row."""
from __future__ import annotations

import difflib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ZhenError
from pipeline.tables import FORMULA_PREFIXES, Table, read_table, read_xlsx

REQUIRED = ("zh", "en")
COLUMNS = ("id", "zh", "variants", "en", "type", "action", "forbidden", "note", "source", "status")
TYPES = ("person", "organization", "party_term", "event", "place", "publication", "title", "concept")
ACTIONS = ("translate", "transliterate", "keep")
STATUSES = ("approved", "proposed")
LOCKING_STATUSES = ("approved", "run")
LIST_SEPARATOR = "|"
# Shipped as package data (a link to glossary/terms.csv in the repository, a copy in an installed wheel):
# only ever read. The term base a user edits lives in their working folder.
PACKAGED_GLOSSARY = (Path(__file__).resolve().parents[1] / "data" / "terms.csv").resolve()
USER_GLOSSARY = Path("glossary") / "terms.csv"


def user_glossary() -> Path:
    """The term base edits go to: $ZHEN_GLOSSARY, else glossary/terms.csv in the working folder."""
    return Path(os.environ.get("ZHEN_GLOSSARY") or USER_GLOSSARY)


def default_glossary() -> Path:
    """The term base runs read by default: the user's (``user_glossary``) where it exists, else the
    packaged one."""
    user = user_glossary()
    return user if user.is_file() else PACKAGED_GLOSSARY


class GlossaryError(ZhenError):
    """A term base that cannot be used as it is."""


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip())


def _unneutralize(cell: str) -> str:
    """Undo the apostrophe our spreadsheet export puts before = + - @."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_PREFIXES) else cell


@dataclass(frozen=True)
class Term:
    zh: str
    en: str
    id: str = ""
    variants: tuple[str, ...] = ()
    type: str = ""
    action: str = "translate"
    forbidden: tuple[str, ...] = ()
    note: str = ""
    source: str = ""
    status: str = "approved"
    file: str = ""
    row: int = 0
    cells: dict = field(default_factory=dict, compare=False, hash=False)  # the row as read, extras too

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.zh, *self.variants) if self.zh else self.variants

    @property
    def key(self) -> str:
        """Identity used in audits and caches: the id, or the Chinese form when there is none."""
        return self.id or self.zh

    @property
    def locks(self) -> bool:
        """Approved entries lock; so do a run's own terms (status ``run``, ``pipeline/terms/run_terms.py``)."""
        return self.status.strip() in LOCKING_STATUSES and bool(self.zh.strip()) and bool(self.en.strip())

    @property
    def where(self) -> str:
        return f"{self.file}:{self.row}"


def term_from_row(cells: dict[str, str], file: str, row: int) -> Term:
    cells = {k: _unneutralize(v or "") for k, v in cells.items()}
    get = lambda name: cells.get(name, "")  # noqa: E731
    return Term(zh=get("zh").strip(), en=get("en").strip(), id=get("id").strip(),
                variants=_split(get("variants")), type=get("type").strip(),
                action=get("action").strip() or "translate", forbidden=_split(get("forbidden")),
                note=get("note"), source=get("source"), status=get("status").strip() or "approved",
                file=file, row=row, cells=cells)


def check_header(table: Table) -> None:
    repeated = sorted({name for name in table.header if name and table.header.count(name) > 1})
    if repeated:
        columns = "; ".join(f"'{name}' in columns " + ", ".join(str(i + 1) for i, h in enumerate(table.header)
                                                               if h == name) for name in repeated)
        raise GlossaryError(f"header names a column twice ({columns}); which one is meant is unclear",
                            path=table.path, line=1, hint="rename or delete the extra column")
    missing = [name for name in REQUIRED if name not in table.header]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, [h.lower() for h in table.header], n=1, cutoff=0.5)
        hints.append(f"'{name}'" + (f" (found '{close[0]}': misspelled?)" if close else ""))
    raise GlossaryError(f"header lacks required column {', '.join(hints)}; header is "
                        f"{', '.join(repr(h) for h in table.header)}", path=table.path, line=1)


@dataclass
class Glossary:
    """Terms from one or more files; where files disagree on a key, the later file wins."""

    terms: list[Term]
    files: list[str]
    hashes: dict[str, str]
    tables: list[Table] = field(default_factory=list)

    @property
    def locking_terms(self) -> list[Term]:
        return [t for t in self.terms if t.locks]

    def signature(self) -> str:
        return hashlib.sha256("".join(self.hashes[f] for f in self.files).encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_table(path: Path) -> Table:
    """A term base file: CSV/TSV, XLSX, TBX, or a headerless two-column glossary (DeepL, Google, OmegaT)."""
    from pipeline.terms import exchange

    suffix = path.suffix.lower()
    if suffix == ".tbx":
        return exchange.read_tbx(path)
    table = read_xlsx(path, preferred=("terms",)) if suffix in (".xlsx", ".xlsm") else read_table(path)
    if not set(REQUIRED) <= set(table.header) and exchange.looks_like_pairs(table.header):
        return exchange.read_pairs(path, path.read_bytes().decode("utf-8-sig"))
    check_header(table)
    _check_question_marks(table)
    return table


def _check_question_marks(table: Table) -> None:
    """Chinese that became ``??`` (saved as "CSV" in a Western legacy encoding) is one problem to
    name, not a thousand lint errors."""
    cells = [cells.get("zh", "").strip() for _row, cells in table.rows]
    lost = [c for c in cells if c and set(c) == {"?"}]
    if cells and len(lost) >= max(3, len(cells) // 2):
        raise GlossaryError(f"{len(lost)} of {len(cells)} rows have a zh cell of only question marks: the "
                            "Chinese was lost when the file was saved in an encoding that cannot hold it",
                            path=table.path, hint="save as 'CSV UTF-8' (Excel) or 'Unicode (UTF-8)' (LibreOffice) "
                                                  "from the original, or export again with `zhen glossary export`")


def load_glossary(paths: list[Path] | None = None) -> Glossary:
    paths = paths or [default_glossary()]
    terms, tables, hashes = [], [], {}
    for path in paths:
        table = load_table(path)
        tables.append(table)
        hashes[str(path)] = file_sha256(path)
        terms += [term_from_row(cells, table.path, row) for row, cells in table.rows]
    return Glossary(terms, [str(p) for p in paths], hashes, tables)
