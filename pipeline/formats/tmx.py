"""TMX 1.4b for CAT tools: one translation unit per segment, the term audit as props.

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
from pipeline.tables import xml_safe

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
    last, pos = None, 0

    def text(piece: str) -> None:
        piece = xml_safe(piece)
        if last is None:
            seg.text = (seg.text or "") + piece
        else:
            last.tail = (last.tail or "") + piece

    for m in TAG.finditer(tagged):
        text(tagged[pos:m.start()])
        pos = m.end()
        name = m.group(2) + m.group(3)
        if name not in codes:
            continue
        i, tag = codes[name]
        kind = _TYPES.get(tag["kind"])
        if m.group(4):
            last = ET.SubElement(seg, "ph", {"x": str(i), **({"type": kind} if kind else {})})
            last.text = xml_safe(tag["open"])
        elif m.group(1):
            last = ET.SubElement(seg, "ept", i=str(i))
            last.text = xml_safe(tag["close"])
        else:
            last = ET.SubElement(seg, "bpt", {"i": str(i), "x": str(i), **({"type": kind} if kind else {})})
            last.text = xml_safe(tag["open"])
    text(tagged[pos:])


def tmx_bytes(units: list[dict], *, created: float | None = None) -> bytes:
    """``units``: dicts with ``id``, ``src``, ``tgt``, optional ``props`` [(type, value)] and
    ``tags`` (the record's tag audit; ``src`` and ``tgt`` then hold inline tags).

    ``created`` (seconds since the epoch) adds a creation date; without it the file depends on its
    content alone, so an unchanged rerun writes identical bytes.
    """
    header = {"creationtool": "zhen", "creationtoolversion": __version__, "segtype": "sentence",
              "o-tmf": "zhen-aligned-jsonl", "adminlang": "en", "srclang": "zh", "datatype": "plaintext"}
    if created is not None:
        header["creationdate"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(created))
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(root, "header", header)
    body = ET.SubElement(root, "body")
    segs = []
    for unit in units:
        tu = ET.SubElement(body, "tu", tuid=xml_safe(unit["id"]))
        for kind, value in unit.get("props", []):
            _prop(tu, kind, value)
        segs += [(_tuv(tu, "zh"), unit["src"], unit.get("tags", ())), (_tuv(tu, "en"), unit["tgt"], unit.get("tags", ()))]
    ET.indent(root, space=" ")  # before the segments are filled: indenting would add spaces to their text
    for seg, text, tags in segs:
        _fill(seg, text, tags)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def units_from_records(records: list[dict]) -> list[dict]:
    units = []
    for r in records:
        props = [("x-doc", r["doc"]), ("x-kind", r["kind"]), ("x-method", r.get("method", ""))]
        props += [("x-term", f"{t['src']} → {t['tgt']} | {t['status']} | {t['method']} | {t['id']}")
                  for t in r["terms"]]
        props += [("x-qa", f"{f['severity']}: {f['check']}: {f['message']}") for f in r["qa"]]
        units.append({"id": segment_id(r["doc"], r["seg"]), "src": r.get("src_tagged") or r.get("plain") or r["src"],
                      "tgt": r.get("tgt_tagged") or r["tgt"], "props": props, "tags": r.get("tags", [])})
    return units


@writer("tmx", "{doc}.tmx")
def tmx_file(out: Output) -> bytes:
    return tmx_bytes(units_from_records(out.records))
