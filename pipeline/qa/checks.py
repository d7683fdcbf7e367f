"""Segment-level QA checks. Each takes a SegmentQA and yields findings; CHECKS lists them all."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from pipeline.document import Span
from pipeline.translate.locking_loop import Result

ERROR, WARNING, INFO = "error", "warning", "info"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")


@dataclass
class SegmentQA:
    src: str
    norm: str
    result: Result
    lost_links: list[Span] = field(default_factory=list)
    lost_emphasis: int = 0


Finding = dict
Check = Callable[[SegmentQA], Iterator[Finding]]


def inconsistent_terms(records: list[dict]) -> list[tuple[str, int, Finding]]:
    """Run-level: an entry locked in some segments but rendered otherwise (missing) in others."""
    seen: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for r in records:
        for t in r["terms"]:
            seen.setdefault(t["id"], {}).setdefault(t["status"], []).append((r["doc"], r["seg"]))
    found = []
    for term_id, statuses in seen.items():
        if "locked" in statuses and "missing" in statuses:
            for doc, seg in statuses["missing"]:
                found.append((doc, seg, finding("inconsistent-term", WARNING,
                              f"{term_id} is locked in {len(statuses['locked'])} segment(s) of the run but "
                              "not rendered with its approved English here")))
    return found


def finding(check: str, severity: str, message: str) -> Finding:
    return {"check": check, "severity": severity, "message": message}


def term_missing(qa: SegmentQA) -> Iterator[Finding]:
    for outcome in qa.result.outcomes:
        if outcome.status == "missing":
            yield finding("term-missing", ERROR, f"{outcome.match.term.zh} → {outcome.expected!r} not in the "
                          f"English after {qa.result.attempts} attempt(s) (last method: {qa.result.method})")


def forbidden_rendering(qa: SegmentQA) -> Iterator[Finding]:
    for match, bad in qa.result.forbidden:
        yield finding("forbidden-rendering", ERROR,
                      f"{bad!r} is a forbidden rendering of {match.term.zh} (use {match.term.en!r})")


def untranslated(qa: SegmentQA) -> Iterator[Finding]:
    if qa.result.chinese_left:
        yield finding("untranslated", ERROR, f"Chinese left in the English: {qa.result.chinese_left[:40]!r}")


def empty_output(qa: SegmentQA) -> Iterator[Finding]:
    if not qa.result.tgt.strip():
        yield finding("empty-output", ERROR, "the English is empty")


def _source_numbers(norm: str) -> list[tuple[str, bool]]:
    """Numbers in the source, each flagged when it is a month (8月) that English may spell out."""
    return [(m.group(0), norm[m.end():m.end() + 1] == "月") for m in _NUMBER.finditer(norm)]


def number_mismatch(qa: SegmentQA) -> Iterator[Finding]:
    english = qa.result.tgt
    found = {n.replace(",", "") for n in _NUMBER.findall(english)}
    for number, is_month in _source_numbers(qa.norm):
        plain = number.replace(",", "")
        if plain in found:
            continue
        if is_month and plain.isdigit() and 1 <= int(plain) <= 12 and MONTHS[int(plain) - 1] in english:
            continue
        yield finding("number-mismatch", WARNING, f"the number {number} is not in the English")
    source = {n.replace(",", "") for n, _ in _source_numbers(qa.norm)}
    for year in re.findall(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", english):
        if year not in source:
            yield finding("number-mismatch", WARNING, f"the year {year} in the English is not in the source")


def degenerate_output(qa: SegmentQA) -> Iterator[Finding]:
    if qa.result.degenerate:
        yield finding("degenerate-output", ERROR, "the English repeats itself or is far longer than the source")


def forced_terms(qa: SegmentQA) -> Iterator[Finding]:
    if qa.result.method == "constrained" and qa.result.outcomes:
        yield finding("forced-terms", WARNING, "terms were forced by constrained decoding: check the "
                      "sentence reads well")


def same_as_source(qa: SegmentQA) -> Iterator[Finding]:
    english = qa.result.tgt.strip()
    if english and _HAN_CHAR.search(qa.norm) and english in (qa.norm.strip(), qa.src.strip()):
        yield finding("same-as-source", ERROR, "the English is the source text unchanged")


_PAIRS = [("(", ")"), ("[", "]"), ("“", "”"), ("‘", "’")]
_SOURCE_PAIRS = {"(": "（(", ")": "）)", "[": "[【", "]": "]】", "“": "“「『", "”": "”」』", "‘": "‘", "’": "’"}


def _balance(text: str, opening: str, closing: str) -> int:
    return sum(text.count(c) for c in opening) - sum(text.count(c) for c in closing)


def unbalanced(qa: SegmentQA) -> Iterator[Finding]:
    english = qa.result.tgt
    for opening, closing in _PAIRS:
        source_balance = _balance(qa.norm, _SOURCE_PAIRS[opening], _SOURCE_PAIRS[closing])
        if _balance(english, opening, closing) != 0 and source_balance == 0:
            yield finding("unbalanced", WARNING, f"unbalanced {opening}{closing} in the English")
    straight = english.count('"')
    if straight % 2 and _balance(qa.norm, "“「『", "”」』") == 0:
        yield finding("unbalanced", WARNING, 'an odd number of " in the English')


MIN_RATIO, MAX_RATIO, MIN_LENGTH = 0.6, 9.0, 6


def length_ratio(qa: SegmentQA) -> Iterator[Finding]:
    source, english = len(qa.norm.strip()), len(qa.result.tgt.strip())
    if source < MIN_LENGTH or not english or not _HAN_CHAR.search(qa.norm):
        return
    ratio = english / source
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        yield finding("length-ratio", WARNING, f"English/Chinese length ratio {ratio:.1f} is outside "
                      f"{MIN_RATIO}–{MAX_RATIO}: content may be lost or added")


def lost_link(qa: SegmentQA) -> Iterator[Finding]:
    for span in qa.lost_links:
        yield finding("lost-link", WARNING, f"link [{span.text}]({span.target}) could not be placed: its "
                      "label holds no locked term")


def lost_emphasis(qa: SegmentQA) -> Iterator[Finding]:
    if qa.lost_emphasis:
        yield finding("lost-emphasis", INFO, f"{qa.lost_emphasis} bold/italic run(s) not placed in the English")


CHECKS: dict[str, Check] = {
    "term-missing": term_missing,
    "forbidden-rendering": forbidden_rendering,
    "untranslated": untranslated,
    "empty-output": empty_output,
    "degenerate-output": degenerate_output,
    "number-mismatch": number_mismatch,
    "forced-terms": forced_terms,
    "same-as-source": same_as_source,
    "unbalanced": unbalanced,
    "length-ratio": length_ratio,
    "lost-link": lost_link,
    "lost-emphasis": lost_emphasis,
}


def run_checks(qa: SegmentQA, checks: dict[str, Check] = CHECKS) -> list[Finding]:
    return [f for check in checks.values() for f in check(qa)]
