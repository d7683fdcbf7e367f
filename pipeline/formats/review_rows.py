"""The reviewer's table: one row per segment, built from aligned.jsonl records.

Shared by aligned.tsv and aligned.xlsx, and read back by `zhen review import`.
"""
from __future__ import annotations

# source: the text a reader sees (as on the review page); source_md / english_md: with the wiki markup
COLUMNS = ["id", "kind", "source", "english", "terms", "qa", "confidence", "reviewed_en", "decision", "run",
           "source_md", "english_md"]
DECISIONS = ("approve", "fix", "reject")
WIDTHS = {"id": 22, "kind": 11, "source": 60, "english": 70, "terms": 34, "qa": 40, "confidence": 11, "reviewed_en": 60,
          "decision": 11, "run": 18, "source_md": 60, "english_md": 70}
TERM_COLUMNS = ["id", "term", "source", "english", "status", "method", "via", "action"]


def segment_id(doc: str, seg: int) -> str:
    return f"{doc}#{seg}"


def parse_segment_id(value: str) -> tuple[str, int] | None:
    doc, sep, seg = value.strip().rpartition("#")
    return (doc, int(seg)) if sep and doc and seg.isascii() and seg.isdigit() else None


def terms_cell(record: dict) -> str:
    lines = []
    for term in record["terms"]:
        mark = "" if term["status"] == "locked" else f"  [{term['status'].upper()}]"
        lines.append(f"{term['src']} → {term['tgt']}{mark}")
    return "\n".join(dict.fromkeys(lines))


def qa_cell(record: dict) -> str:
    return "\n".join(f"{f['severity']}: {f['check']}: {f['message']}" for f in record["qa"])


def worst(record: dict) -> str:
    severities = {f["severity"] for f in record["qa"]}
    return "error" if "error" in severities else "warning" if "warning" in severities else ""


def confidence_cell(record: dict) -> str:
    """The segment's confidence (``pipeline/qa/confidence.py``), two decimals; "" where not known."""
    value = record.get("confidence")
    return "" if value is None else f"{value:.2f}"


def rows(records: list[dict], run_id: str) -> list[dict]:
    return [{"id": segment_id(r["doc"], r["seg"]), "kind": r["kind"], "source": r.get("plain") or r["src"],
             "source_md": r["src"],
             "english": r["tgt"], "terms": terms_cell(r), "qa": qa_cell(r), "confidence": confidence_cell(r),
             "reviewed_en": "",
             "decision": "", "run": run_id, "english_md": r.get("tgt_md", "")} for r in records]


def term_rows(records: list[dict]) -> list[dict]:
    return [{"id": segment_id(r["doc"], r["seg"]), "term": t["id"], "source": t["src"], "english": t["tgt"],
             "status": t["status"], "method": t["method"], "via": t.get("via", ""), "action": t.get("action", "")}
            for r in records for t in r["terms"]]
