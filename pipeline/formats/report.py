"""qa.json and manifest.json: the document's QA report and its provenance."""
from __future__ import annotations

import json

from pipeline.formats import Output, writer


def to_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def qa_report(doc_id: str, records: list[dict]) -> dict:
    by_check: dict[str, int] = {}
    findings = [f for r in records for f in r["qa"]]
    for found in findings:
        by_check[found["check"]] = by_check.get(found["check"], 0) + 1
    terms = [t for r in records for t in r["terms"]]
    return {"doc": doc_id,
            "summary": {"segments": len(records), "terms_locked": sum(t["status"] == "locked" for t in terms),
                        "terms_missing": sum(t["status"] == "missing" for t in terms),
                        "errors": sum(f["severity"] == "error" for f in findings),
                        "warnings": sum(f["severity"] == "warning" for f in findings), "by_check": by_check},
            "segments": [{"seg": r["seg"], "confidence": r.get("confidence"), "findings": r["qa"]}
                         for r in records if r["qa"]],
            "read_first": read_first(records)}


READ_FIRST = 10  # the segments a reviewer is pointed to first


def read_first(records: list[dict], most: int = READ_FIRST) -> list[int]:
    """The segments to read first: those under the confidence threshold (a `low-confidence`
    warning), least confident first."""
    low = [r for r in records if any(f["check"] == "low-confidence" for f in r["qa"])]
    return [r["seg"] for r in sorted(low, key=lambda r: (r.get("confidence") or 0.0, r["seg"]))[:most]]


@writer("qa", "qa.json")
def qa_json(out: Output) -> str:
    return to_json(qa_report(out.doc.doc_id, out.records))


@writer("manifest", "manifest.json")
def manifest_json(out: Output) -> str:
    return to_json(out.manifest)
