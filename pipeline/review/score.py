"""`zhen review score`: the run's confidence estimator over any given pairs of source and English.

A run's own `aligned.jsonl` is scored from what each record says (its findings, method, attempts),
so each segment gets the confidence the run gave it. Other pairs — a TSV, CSV or XLSX with `source`
and `english` columns, from any MT system — are judged as the run judges a model's answer: the source
analysed and matched against the term base, the English verified by every rule and QA check.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import ERROR, WARNING
from pipeline.errors import ZhenError
from pipeline.qa import confidence as estimator
from pipeline.qa.checks import run_checks
from pipeline.stages import analyze_text
from pipeline.translate.methods import Method
from pipeline.translate.verdicts import audited, of_model

FLAGGING = (ERROR, WARNING)  # a segment with a finding of these severities is flagged for review
ADDED = ("confidence", "flagged", "findings")


@dataclass(frozen=True)
class Scored:
    confidence: float
    flagged: bool
    findings: list[str]

    def cells(self) -> dict[str, str]:
        return {"confidence": f"{self.confidence:.3f}", "flagged": "yes" if self.flagged else "no",
                "findings": " ".join(self.findings)}


LOW = "low-confidence"


def scored(record: dict) -> Scored:
    """A record's confidence, whether it is flagged, and its findings' names. The `low-confidence`
    warning is the estimator's own, so it is decided afresh here, not read from the record."""
    findings = [f for f in record.get("qa", ()) if f["check"] != LOW]
    value = estimator.confidence(record)
    low = estimator.is_low(value)
    checks = list(dict.fromkeys([f["check"] for f in findings] + ([LOW] if low else [])))
    return Scored(value, low or any(f["severity"] in FLAGGING for f in findings), checks)


def judged(source: str, english: str, matcher, method: str = Method.PROMPT, attempts: int = 1,
           replaced: dict[str, str] | None = None, subject: str = "", logprob: dict | None = None) -> dict:
    """The aligned record of ``english`` as the run would judge it for ``source``: every verification
    rule and QA check, and the `low-confidence` warning where the estimator says so."""
    doc = analyze_text(source, matcher=matcher)
    segments = list(doc.segments)
    if len(segments) != 1:
        raise ZhenError(f"the source is {len(segments)} segments, not one sentence: {source[:60]!r}")
    segment = segments[0]
    segment.subject = subject
    verdict = of_model(segment, english, method, [])
    verdict.attempts, verdict.logprob = attempts, logprob
    verdict.outcomes = audited(verdict.outcomes, replaced or {})
    segment.translation, segment.markdown = verdict, english
    segment.findings = run_checks(doc.text, segment)
    return segment.to_record(doc)


def rejudged(record: dict, matcher) -> dict:
    """A run's record judged again by today's rules (its method, attempts and substitutions kept)."""
    replaced = {t["tgt"]: t["replaced"] for t in record.get("terms", ()) if t.get("replaced")}
    fresh = judged(record["norm"], record["tgt"], matcher, record.get("method", Method.PROMPT),
                   record.get("attempts", 1), replaced, record.get("subject", ""), record.get("logprob"))
    return {**record, "qa": fresh["qa"], "confidence": fresh.get("confidence")}


def read_records(path: Path) -> list[dict]:
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ZhenError(f"line {number} is not JSON ({exc})", path=str(path)) from None
        if not isinstance(record, dict) or not {"norm", "tgt"} <= record.keys():
            raise ZhenError(f"line {number} is not an aligned record (norm, tgt)", path=str(path))
        records.append(record)
    return records
