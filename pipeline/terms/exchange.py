"""Term-base exchange formats beside CSV/XLSX: TBX and the headerless two-column glossaries.

TBX (ISO 30042, TBX-Basic style, what memoQ, Trados MultiTerm, Phrase and OmegaT exchange): one
``conceptEntry`` per row; its Chinese ``langSec`` holds the entry's form then its variants, its
English ``langSec`` the approved rendering (``administrativeStatus`` preferred) and every forbidden
rendering (``deprecatedTerm-admn-sts``). zhen's own columns (type, action, status, source) travel
as ``admin``/``descrip`` elements so an export imports back to the same term base. TBX v2 files
(``termEntry``/``langSet``/``tig``) are read too.

Two-column glossaries (DeepL and Google: ``source,target`` CSV without a header; OmegaT: ``source⇥
target⇥comment`` TSV) are read and written as they are.
"""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from pipeline.chinese import has_han
from pipeline.tables import Table, TableError, xml_safe
from pipeline.terms.glossary import COLUMNS, LIST_SEPARATOR, Term

TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PREFERRED, DEPRECATED = "preferredTerm-admn-sts", "deprecatedTerm-admn-sts"
_ADMIN = ("action", "status", "source")  # zhen columns kept as <admin type="x-zhen-…">


def _split(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(LIST_SEPARATOR) if v.strip()]


def _term_sec(parent: ET.Element, text: str, status: str = "") -> None:
    sec = ET.SubElement(parent, "termSec")
    ET.SubElement(sec, "term").text = xml_safe(text)
    if status:
        ET.SubElement(sec, "termNote", type="administrativeStatus").text = status


def tbx_bytes(terms: list[Term]) -> bytes:
    root = ET.Element("tbx", {"type": "TBX-Basic", "style": "dca", XML_LANG: "en", "xmlns": TBX_NS})
    header = ET.SubElement(ET.SubElement(root, "tbxHeader"), "fileDesc")
    ET.SubElement(ET.SubElement(header, "sourceDesc"), "p").text = "zhen term base (Chinese → English)"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for n, term in enumerate(terms, start=1):
        cells = term.cells or {}
        entry = ET.SubElement(body, "conceptEntry", id=xml_safe(term.id.strip() or f"c{n}"))
        if not term.id.strip():  # the id was made up for TBX: importing gives the row back without one
            ET.SubElement(entry, "admin", type="x-zhen-no-id").text = "1"
        if term.type:
            ET.SubElement(entry, "descrip", type="subjectField").text = xml_safe(term.type)
        for name in _ADMIN:
            value = cells.get(name, getattr(term, name, ""))
            if value:
                ET.SubElement(entry, "admin", type=f"x-zhen-{name}").text = xml_safe(value)
        if term.note:
            ET.SubElement(entry, "note").text = xml_safe(term.note)
        chinese = ET.SubElement(entry, "langSec", {XML_LANG: "zh"})
        for form in [term.zh, *term.variants]:
            _term_sec(chinese, form)
        english = ET.SubElement(entry, "langSec", {XML_LANG: "en"})
        if term.en:
            _term_sec(english, term.en, PREFERRED)
        for bad in term.forbidden:
            _term_sec(english, bad, DEPRECATED)
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) in names]


def _terms_of(lang_sec: ET.Element) -> list[tuple[str, str]]:
    """(term, administrative status) of a langSec (v3 termSec) or langSet (v2 tig / ntig)."""
    found = []
    for sec in _children(lang_sec, "termSec", "tig", "ntig"):
        holder = next(iter(_children(sec, "termGrp")), sec)
        term = next((t.text or "" for t in holder.iter() if _local(t.tag) == "term"), "").strip()
        status = next(((n.text or "").strip() for n in sec.iter() if _local(n.tag) == "termNote"
                       and n.get("type") == "administrativeStatus"), "")
        if term:
            found.append((term, status))
    return found


def _row(entry: ET.Element) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    if not any(a.get("type") == "x-zhen-no-id" for a in _children(entry, "admin")):
        row["id"] = entry.get("id", "")
    for element in _children(entry, "descrip", "admin", "note"):
        kind, text = element.get("type", ""), (element.text or "").strip()
        if _local(element.tag) == "note":
            row["note"] = text
        elif kind == "subjectField":
            row["type"] = text
        elif kind.startswith("x-zhen-") and kind[7:] in _ADMIN:
            row[kind[7:]] = text
    for lang_sec in _children(entry, "langSec", "langSet"):
        lang = (lang_sec.get(XML_LANG) or lang_sec.get("lang") or "").lower()
        terms = _terms_of(lang_sec)
        if lang.startswith("zh"):
            forms = [t for t, _s in terms]
            row["zh"] = row["zh"] or (forms[0] if forms else "")
            row["variants"] = LIST_SEPARATOR.join(f for f in forms if f != row["zh"])
        elif lang.startswith("en"):
            bad = [t for t, s in terms if s.startswith(("deprecated", "superseded", "forbidden"))]
            good = [t for t, s in terms if t not in bad]
            row["en"] = next((t for t, s in terms if s.startswith("preferred")), good[0] if good else "")
            row["forbidden"] = LIST_SEPARATOR.join(bad)
    return row


def read_tbx(path: Path) -> Table:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise TableError(f"not well-formed TBX: {exc}", path=str(path)) from None
    entries = [e for e in root.iter() if _local(e.tag) in ("conceptEntry", "termEntry")]
    if not entries:
        raise TableError("no conceptEntry or termEntry: not a TBX term base", path=str(path))
    rows = [_row(e) for e in entries]
    frame = pd.DataFrame([[r[c] for c in COLUMNS] for r in rows], columns=list(COLUMNS), dtype=object,
                         index=range(1, len(rows) + 1))  # "row" n = the n-th concept entry
    return Table(str(path), frame, notes=[f"read {len(rows)} concept entries from TBX (row n = entry n)"])


def pairs_text(terms: list[Term], delimiter: str = ",") -> str:
    """The two-column layout: ``source,target`` (CSV) or ``source⇥target⇥comment`` (TSV), no header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for term in terms:
        if term.locks and term.zh and term.en:
            writer.writerow([term.zh, term.en] + ([term.note.replace("\n", " ")] if delimiter == "\t" else []))
    return buffer.getvalue()


def looks_like_pairs(first_row: list[str]) -> bool:
    """A headerless glossary: two or three cells, Chinese in the first, none of them a column name."""
    return 2 <= len(first_row) <= 3 and has_han(first_row[0]) and not {"zh", "en"} & {c.strip() for c in first_row}


def read_pairs(path: Path, text: str) -> Table:
    """Rows zh, en (and note, where a third column holds comments); new rows are approved on import."""
    delimiter = "\t" if "\t" in text.split("\n", 1)[0] else ","
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    columns = ["zh", "en", "note"][:max(2, max(len(r) for r in rows))]
    frame = pd.DataFrame([(r + ["", ""])[:len(columns)] for r in rows], columns=columns, dtype=object,
                         index=range(1, len(rows) + 1))
    return Table(str(path), frame, notes=[f"read as a headerless glossary ({', '.join(columns)})"])
