"""TMX 1.4b for CAT tools: one translation unit per segment, the term audit as props."""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET

from pipeline import __version__
from pipeline.formats import Output, writer
from pipeline.formats.review_rows import segment_id
from pipeline.tables import xml_safe

def _prop(parent: ET.Element, kind: str, value: str) -> None:
    ET.SubElement(parent, "prop", type=kind).text = xml_safe(value)


def _tuv(parent: ET.Element, lang: str, text: str) -> None:
    tuv = ET.SubElement(parent, "tuv", {"xml:lang": lang})
    ET.SubElement(tuv, "seg").text = xml_safe(text)


def tmx_bytes(units: list[dict], *, created: float | None = None) -> bytes:
    """``units``: dicts with ``id``, ``src``, ``tgt`` and optional ``props`` [(type, value)].

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
    for unit in units:
        tu = ET.SubElement(body, "tu", tuid=xml_safe(unit["id"]))
        for kind, value in unit.get("props", []):
            _prop(tu, kind, value)
        _tuv(tu, "zh", unit["src"])
        _tuv(tu, "en", unit["tgt"])
    ET.indent(root, space=" ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def units_from_records(records: list[dict]) -> list[dict]:
    units = []
    for r in records:
        props = [("x-doc", r["doc"]), ("x-kind", r["kind"]), ("x-method", r.get("method", ""))]
        props += [("x-term", f"{t['src']} → {t['tgt']} | {t['status']} | {t['method']} | {t['id']}")
                  for t in r["terms"]]
        props += [("x-qa", f"{f['severity']}: {f['check']}: {f['message']}") for f in r["qa"]]
        units.append({"id": segment_id(r["doc"], r["seg"]), "src": r.get("plain") or r["src"],
                      "tgt": r["tgt"], "props": props})
    return units


@writer("tmx", "{doc}.tmx")
def tmx_file(out: Output) -> bytes:
    return tmx_bytes(units_from_records(out.records))
