"""`zhen review score`: the run's confidence estimator over any given pairs of source and English.

A run's own `aligned.jsonl` is scored from what each record says (its findings, method, attempts,
the model's token probabilities of its answer), so each segment gets the confidence the run gave it.
Other pairs — a TSV, CSV or XLSX with `source` and `english` columns, from any MT system — are judged
as the run judges a model's answer: the source analysed and matched against the term base, the
English verified by every rule and QA check. Where the English's token probabilities are not known
(it was not generated in this run), the model reads it back (teacher forcing: ``read_back``) under
the prompt that would have asked for it, so one estimator scores English written or read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import ERROR, WARNING
from pipeline.markup import TAG
from pipeline.normalize import normalize
from pipeline.errors import ZhenError
from pipeline.qa import confidence as estimator
from pipeline.qa.checks import run_checks
from pipeline.stages import analyze_text
from pipeline.translate.engines.base import Engine, Request, TermPair
from pipeline.translate.methods import Method
from pipeline.translate.verdicts import audited, of_model, unique_pairs

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
           replaced: dict[str, str] | None = None, subject: str = "", logprob: dict | None = None,
           about: str = "") -> dict:
    """The aligned record of ``english`` as the run would judge it for ``source``: every verification
    rule and QA check, and the `low-confidence` warning where the estimator says so."""
    doc = analyze_text(source, matcher=matcher)
    segments = list(doc.segments)
    if len(segments) != 1:
        raise ZhenError(f"the source is {len(segments)} segments, not one sentence: {source[:60]!r}")
    segment = segments[0]
    segment.subject, segment.about = subject, about or subject
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
                   record.get("attempts", 1), replaced, record.get("subject", ""), record.get("logprob"),
                   record.get("about", ""))
    return {**record, "qa": fresh["qa"], "confidence": fresh.get("confidence")}


NOT_SENT = ("edge", "anchor")  # tags placed by render, never shown to the model (``markup.inner``)


def _only_tags(text: str, names: set[str]) -> str:
    """``text`` with the inline tags not named in ``names`` taken out."""
    return TAG.sub(lambda m: m.group(0) if m.group(2) + m.group(3) in names else "", text)


def forcing_request(record: dict) -> tuple[Request, str]:
    """The request that would have asked for the record's English at first — its sentence with the
    inline tags the run sends, its locked terms, its article's subject — and that English with the
    tags the model placed (the others were placed by render after it answered)."""
    tags = record.get("tags") or ()
    sent = {t["tag"] for t in tags if t.get("placed") not in NOT_SENT}
    placed = {t["tag"] for t in tags if t.get("placed") == "engine"}
    source = normalize(_only_tags(record["src_tagged"], sent)).text if sent else record["norm"]
    english = _only_tags(record["tgt_tagged"], placed) if placed else record["tgt"]
    pairs = tuple(TermPair(normalize(t["src"]).text, t.get("approved", t["tgt"]), t.get("action", "translate"))
                  for t in record.get("terms", ()))
    return Request(source, unique_pairs(pairs), subject=record.get("subject", "")), english


def needs_reading(record: dict, every: bool) -> bool:
    """Whether the model must read the record's English back: a model's English whose probabilities
    the record lacks (or, with ``every``, any model's English). Read back, English is scored as a
    first answer: for English the run re-prompted for or mended by a rule, the run recorded the
    probabilities of its last answer instead, under the prompt that asked for it."""
    return estimator.translated_by_model(record) and (every or not record.get("logprob"))


def read_back(records: list[dict], engine: Engine, every: bool = False) -> list[dict]:
    """The records, each English the model must read (``needs_reading``) with the token probabilities
    the engine gives it by teacher forcing (none where the engine cannot: its logprob removed)."""
    wanted = [i for i, record in enumerate(records) if needs_reading(record, every)]
    asked = [forcing_request(records[i]) for i in wanted]
    found = engine.forced_logprobs([request for request, _ in asked], [english for _, english in asked])
    out = list(records)
    for i, logprob in zip(wanted, found):
        out[i] = {k: v for k, v in records[i].items() if k != "logprob"}
        if logprob:
            out[i]["logprob"] = logprob
    return out


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
