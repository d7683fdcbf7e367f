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


@dataclass
class SegmentQA:
    src: str
    norm: str
    result: Result
    lost_links: list[Span] = field(default_factory=list)
    lost_emphasis: int = 0


Finding = dict
Check = Callable[[SegmentQA], Iterator[Finding]]


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
    "lost-link": lost_link,
    "lost-emphasis": lost_emphasis,
}


def run_checks(qa: SegmentQA, checks: dict[str, Check] = CHECKS) -> list[Finding]:
    return [f for check in checks.values() for f in check(qa)]
