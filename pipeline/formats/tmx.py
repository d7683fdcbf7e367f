"""TMX 1.4b for CAT tools: one translation unit per segment, the term audit as props.

Honest about what it holds: each unit says whether its English is machine output or reviewed
(``x-status``) and which engine made it (``creationid``); units whose English has a QA error are
left out (a CAT tool would insert them as matches) and counted in the header; the source language is
``zh-Hans`` or ``zh-Hant`` by the segment's script.

Inline markup travels as TMX inline elements, so a CAT tool sees tags, not raw Markdown: a link or
bold run as ``<bpt>``/``<ept>`` holding the original opening and closing markup, a footnote mark or
other inline code as ``<ph>``.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from pipeline import __version__
from pipeline.formats import Output, writer
from pipeline.formats.review_rows import segment_id
from pipeline.markup import TAG
from pipeline.tables import append_xml_text, xml_safe
from pipeline.translate.methods import Method

_TYPES = {"link": "link", "emphasis": "bold", "footnote": "x-footnote"}

def _prop(parent: ET.Element, kind: str, value: str) -> None:
    ET.SubElement(parent, "prop", type=kind).text = xml_safe(value)


def _tuv(parent: ET.Element, lang: str) -> ET.Element:
    tuv = ET.SubElement(parent, "tuv", {"xml:lang": lang})
    return ET.SubElement(tuv, "seg")


def _fill(seg: ET.Element, text: str, tags: list[dict]) -> None:
    if not tags:
        seg.text = xml_safe(text)
        return
    _inline(seg, text, {t["tag"]: (i, t) for i, t in enumerate(tags, 1)})


def _inline(seg: ET.Element, tagged: str, codes: dict[str, tuple[int, dict]]) -> None:
    """``tagged`` (text with ``<a1>…</a1>``, ``<f1/>``) as the seg's text and inline elements."""
    pos = 0
    for m in TAG.finditer(tagged):
        append_xml_text(seg, tagged[pos:m.start()])
        pos = m.end()
        name = m.group(2) + m.group(3)
        if name not in codes:
            continue
        i, tag = codes[name]
        kind = _TYPES.get(tag["kind"])
        if m.group(4):
            code = ET.SubElement(seg, "ph", {"x": str(i), **({"type": kind} if kind else {})})
            code.text = xml_safe(tag["open"])
        elif m.group(1):
            ET.SubElement(seg, "ept", i=str(i)).text = xml_safe(tag["close"])
        else:
            code = ET.SubElement(seg, "bpt", {"i": str(i), "x": str(i), **({"type": kind} if kind else {})})
            code.text = xml_safe(tag["open"])
    append_xml_text(seg, tagged[pos:])


def tmx_bytes(units: list[dict], *, created: float | None = None, header_props: list[tuple[str, str]] = ()) -> bytes:
    """``units``: dicts with ``id``, ``src``, ``tgt``, optional ``props`` [(type, value)] and
    ``tags`` (the record's tag audit; ``src`` and ``tgt`` then hold inline tags).

    ``created`` (seconds since the epoch) adds a creation date; without it the file depends on its
    content alone, so an unchanged rerun writes identical bytes.
    """
    languages = {unit.get("srclang", "zh-Hans") for unit in units}
    header = {"creationtool": "zhen", "creationtoolversion": __version__, "segtype": "sentence",
              "o-tmf": "zhen-aligned-jsonl", "adminlang": "en",
              "srclang": languages.pop() if len(languages) == 1 else "*all*", "datatype": "plaintext"}
    if created is not None:
        header["creationdate"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created))
    root = ET.Element("tmx", version="1.4")
    head = ET.SubElement(root, "header", header)
    for kind, value in header_props:
        _prop(head, kind, value)
    body = ET.SubElement(root, "body")
    segs = []
    for unit in units:
        attributes = {"tuid": xml_safe(unit["id"])}
        if unit.get("creationid"):
            attributes["creationid"] = xml_safe(unit["creationid"])
        tu = ET.SubElement(body, "tu", attributes)
        for kind, value in unit.get("props", []):
            _prop(tu, kind, value)
        tags = unit.get("tags", ())
        segs += [(_tuv(tu, unit.get("srclang", "zh-Hans")), unit["src"], tags), (_tuv(tu, "en"), unit["tgt"], tags)]
    ET.indent(root, space=" ")  # before the segments are filled: indenting would add spaces to their text
    for seg, text, tags in segs:
        _fill(seg, text, tags)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def source_language(script: str) -> str:
    """The BCP 47 tag of a segment's Chinese: traditional script → zh-Hant, else zh-Hans."""
    return "zh-Hant" if script == "hant" else "zh-Hans"


def has_error(record: dict) -> bool:
    return any(f["severity"] == "error" for f in record["qa"])


def units_from_records(records: list[dict], creator: str = "") -> list[dict]:
    """One unit per segment without a QA error (those are left out: see ``tmx_file``)."""
    units = []
    for r in records:
        if has_error(r):
            continue
        status = "reviewed" if r.get("method") == Method.MEMORY else "machine"
        props = [("x-doc", r["doc"]), ("x-kind", r["kind"]), ("x-method", r.get("method", "")),
                 ("x-status", status)]
        props += [("x-term", f"{t['src']} → {t['tgt']} | {t['status']} | {t['method']} | {t['id']}")
                  for t in r["terms"]]
        props += [("x-qa", f"{f['severity']}: {f['check']}: {f['message']}") for f in r["qa"]]
        units.append({"id": segment_id(r["doc"], r["seg"]), "src": r.get("src_tagged") or r.get("plain") or r["src"],
                      "tgt": r.get("tgt_tagged") or r["tgt"], "props": props, "tags": r.get("tags", []),
                      "srclang": source_language(r.get("script", "")), "creationid": creator})
    return units


def creator_id(engine: dict) -> str:
    """Who made the English: zhen, the engine and its model."""
    return f"zhen/{engine.get('engine', '')}/{engine.get('model', '')}"


@writer("tmx", "{doc}.tmx")
def tmx_file(out: Output) -> bytes:
    left_out = sum(has_error(r) for r in out.records)
    note = [("x-left-out", f"{left_out} segment(s) with QA errors are not in this file (see aligned.jsonl)")]
    return tmx_bytes(units_from_records(out.records, creator_id(out.manifest.get("engine", {}))),
                     header_props=note if left_out else [])
