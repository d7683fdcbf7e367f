"""Run-level QA: findings per check and document, and the checks that need the whole run."""
from __future__ import annotations

from pipeline.qa.checks import inconsistent_terms


def qa_summary(all_records: list[dict]) -> dict:
    """Findings per check and document for the whole run, run-level checks included."""
    per_doc: dict[str, dict[str, int]] = {}
    for record in all_records:
        counts = per_doc.setdefault(record["doc"], {})
        for found in record["qa"]:
            counts[found["check"]] = counts.get(found["check"], 0) + 1
    run_level = [{"doc": d, "seg": s, **f.to_json()} for d, s, f in inconsistent_terms(all_records)]
    for item in run_level:
        counts = per_doc.setdefault(item["doc"], {})
        counts[item["check"]] = counts.get(item["check"], 0) + 1
    totals: dict[str, int] = {}
    for counts in per_doc.values():
        for check, n in counts.items():
            totals[check] = totals.get(check, 0) + n
    return {"documents": len(per_doc), "segments": len(all_records), "by_check": totals,
            "by_document": per_doc, "run_level": run_level}
