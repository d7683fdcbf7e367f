"""XLIFF for bilingual review in a CAT tool: 2.1 (``{doc}.xlf``) and 1.2 (``{doc}.v12.xlf``), which
most tools still read best. One unit per segment; inline markup as inline codes holding the original
markup (2.1: ``<pc>``/``<ph>`` pointing into ``<originalData>``; 1.2: ``<bpt>``/``<ept>``/``<ph>``);
the state says what the English is (``translated`` machine output, ``reviewed`` from the translation
memory, ``initial`` when empty; QA errors as a sub-state / ``needs-review-translation``); QA findings
and the locked terms as notes. ``zhen review import`` reads a reviewed file back (``read_review``).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

from pipeline.formats import Output, writer
from pipeline.formats.review_rows import segment_id
from pipeline.formats.tmx import has_error, source_language
from pipeline.markup import TAG, strip_tags
from pipeline.tables import Table, TableError, append_xml_text, xml_safe
from pipeline.translate.methods import Method

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
REVIEWED_STATES = {"reviewed", "final", "signed-off"}  # 2.1; 1.2


def _inline(parent: ET.Element, tagged: str, codes: dict[str, int], version: str) -> None:
    """``tagged`` text as the element's text and inline codes (nested ``pc`` in 2.1)."""
    stack = [parent]

    def add(tag: str, attributes: dict) -> ET.Element:
        return ET.SubElement(stack[-1], tag, attributes)

    pos = 0
    for m in TAG.finditer(tagged):
        append_xml_text(stack[-1], tagged[pos:m.start()])
        pos = m.end()
        name = m.group(2) + m.group(3)
        if name not in codes:
            continue
        n = str(codes[name])
        if version == "2.1":
            if m.group(4):
                add("ph", {"id": n, "dataRef": f"d{n}"})
            elif m.group(1):
                if len(stack) > 1:
                    stack.pop()
            else:
                stack.append(add("pc", {"id": n, "dataRefStart": f"d{n}", "dataRefEnd": f"e{n}"}))
        else:
            kind = "ph" if m.group(4) else "ept" if m.group(1) else "bpt"
            add(kind, {"id": n})
    append_xml_text(stack[-1], tagged[pos:])


def _code_texts(element: ET.Element, tags: list[dict], version: str) -> None:
    """1.2 codes hold their markup as content."""
    by_number = {str(i): t for i, t in enumerate(tags, 1)}
    for code in element.iter():
        if code.tag in ("bpt", "ph") and version == "1.2":
            code.text = xml_safe(by_number[code.get("id")]["open"])
        elif code.tag == "ept" and version == "1.2":
            code.text = xml_safe(by_number[code.get("id")]["close"])


def _notes(record: dict) -> list[tuple[str, str, str]]:
    """(category, priority, text): QA findings, then the term audit, then the confidence."""
    notes = [("qa", "1" if f["severity"] == "error" else "5", f"{f['severity']}: {f['check']}: {f['message']}")
             for f in record["qa"]]
    notes += [("term", "5", f"{t['src']} → {t['tgt']} ({t['status']}, {t['id']})") for t in record["terms"]]
    if record.get("confidence") is not None:
        notes.append(("confidence", "5", f"confidence {record['confidence']:.2f} (how likely the English is right)"))
    return notes


def _state(record: dict) -> str:
    if not record["tgt"]:
        return "initial"
    return "reviewed" if record.get("method") == Method.MEMORY else "translated"


def xliff21(records: list[dict], doc_id: str, run_id: str) -> bytes:
    script = records[0].get("script", "") if records else ""
    root = ET.Element("xliff", {"xmlns": XLIFF2, "version": "2.1", "srcLang": source_language(script),
                                "trgLang": "en"})
    file = ET.SubElement(root, "file", {"id": "f1", "original": xml_safe(doc_id)})
    ET.SubElement(ET.SubElement(file, "notes"), "note", category="zhen-run").text = run_id
    for r in records:
        unit = ET.SubElement(file, "unit", {"id": f"u{r['seg']}", "name": xml_safe(segment_id(r["doc"], r["seg"]))})
        notes = _notes(r)
        if notes:
            holder = ET.SubElement(unit, "notes")
            for category, priority, text in notes:
                ET.SubElement(holder, "note", category=category, priority=priority).text = xml_safe(text)
        tags = r.get("tags", [])
        if tags:
            data = ET.SubElement(unit, "originalData")
            for i, tag in enumerate(tags, 1):
                ET.SubElement(data, "data", id=f"d{i}").text = xml_safe(tag["open"])
                if tag["close"]:
                    ET.SubElement(data, "data", id=f"e{i}").text = xml_safe(tag["close"])
        attributes = {"id": f"s{r['seg']}", "state": _state(r)}
        if has_error(r):
            attributes["subState"] = "zhen:qa-error"
        segment = ET.SubElement(unit, "segment", attributes)
        codes = {t["tag"]: i for i, t in enumerate(tags, 1)}
        _inline(ET.SubElement(segment, "source"), r.get("src_tagged") or r.get("plain") or r["src"], codes, "2.1")
        _inline(ET.SubElement(segment, "target"), r.get("tgt_tagged") or r["tgt"], codes, "2.1")
    return _bytes(root)


def xliff12(records: list[dict], doc_id: str, run_id: str) -> bytes:
    script = records[0].get("script", "") if records else ""
    root = ET.Element("xliff", {"xmlns": XLIFF12, "version": "1.2"})
    file = ET.SubElement(root, "file", {"original": xml_safe(doc_id), "source-language": source_language(script),
                                        "target-language": "en", "datatype": "plaintext"})
    ET.SubElement(ET.SubElement(file, "header"), "note", {"from": "zhen-run"}).text = run_id
    body = ET.SubElement(file, "body")
    for r in records:
        unit = ET.SubElement(body, "trans-unit", {"id": f"u{r['seg']}", "resname": xml_safe(segment_id(r["doc"], r["seg"])),
                                                  "approved": "yes" if r.get("method") == Method.MEMORY else "no"})
        tags = r.get("tags", [])
        codes = {t["tag"]: i for i, t in enumerate(tags, 1)}
        source = ET.SubElement(unit, "source")
        _inline(source, r.get("src_tagged") or r.get("plain") or r["src"], codes, "1.2")
        state = {"initial": "new", "reviewed": "final"}.get(_state(r), "translated")
        target = ET.SubElement(unit, "target", state="needs-review-translation" if has_error(r) else state)
        _inline(target, r.get("tgt_tagged") or r["tgt"], codes, "1.2")
        for element in (source, target):
            _code_texts(element, tags, "1.2")
        for category, priority, text in _notes(r):
            ET.SubElement(unit, "note", {"from": f"zhen-{category}", "priority": priority}).text = xml_safe(text)
    return _bytes(root)


def _bytes(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


@writer("xliff", "{doc}.xlf")
def xliff21_file(out: Output) -> bytes:
    return xliff21(out.records, out.doc.doc_id, out.run_id)


@writer("xliff12", "{doc}.v12.xlf")
def xliff12_file(out: Output) -> bytes:
    return xliff12(out.records, out.doc.doc_id, out.run_id)


def _plain(element: ET.Element | None) -> str:
    """The text a translator wrote: character data, without the codes' own content."""
    if element is None:
        return ""
    parts = [element.text or ""]
    for child in element:
        local = child.tag.rsplit("}", 1)[-1]
        if local in ("pc", "mrk", "g"):
            parts.append(_plain(child))
        parts.append(child.tail or "")
    return strip_tags("".join(parts)).strip()


def read_review(path: Path) -> Table:
    """A reviewed XLIFF (2.x or 1.2) as review rows: id, reviewed_en, decision, run. The decision is
    ``xliff:final`` for a reviewed/final state, ``xliff:draft`` otherwise; the importer turns a changed
    target into a fix, an unchanged final one into an approval."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise TableError(f"not well-formed XLIFF: {exc}", path=str(path)) from None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    rows = []
    for file in root.iter(q("file")):
        run = next((n.text or "" for n in file.iter(q("note")) if n.get("category") == "zhen-run"
                    or n.get("from") == "zhen-run"), "")
        if ns == XLIFF2:
            for unit in file.iter(q("unit")):
                segment = unit.find(q("segment"))
                state = segment.get("state", "") if segment is not None else ""
                target = segment.find(q("target")) if segment is not None else None
                rows.append([unit.get("name", ""), _plain(target), _decision(state), run])
        else:
            for unit in file.iter(q("trans-unit")):
                target = unit.find(q("target"))
                state = target.get("state", "") if target is not None else ""
                reviewed = unit.get("approved") == "yes" or state in REVIEWED_STATES
                rows.append([unit.get("resname", ""), _plain(target), _decision("final" if reviewed else state), run])
    if not rows:
        raise TableError("no units: not an XLIFF review file", path=str(path))
    frame = pd.DataFrame(rows, columns=["id", "reviewed_en", "decision", "run"], dtype=object,
                         index=range(1, len(rows) + 1))
    return Table(str(path), frame)


def _decision(state: str) -> str:
    return "xliff:final" if state in REVIEWED_STATES else "xliff:draft"
