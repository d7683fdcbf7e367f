"""Segment-level QA checks: each a small documented function with a declared severity.

``@check(name, severity)`` adds a function to ``CHECKS``, in the order findings are reported. A
check takes the document's text and a translated, rendered segment and yields messages. The
verification rules (``pipeline/verify.py``) are entries of the same table, after `term-missing`:
judged on every candidate during translation, their findings are reported here as they were found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from pipeline.chinese import has_han
from pipeline.components import Context, component
from pipeline.document import ERROR, INFO, WARNING, Document, Finding, Segment
from pipeline.qa import confidence
from pipeline.tables import XML_FORBIDDEN
from pipeline.translate.methods import Method
from pipeline.verify import RULES, Rule

Messages = Iterator[str]


@dataclass(frozen=True)
class Check:
    name: str
    severity: str
    run: Callable[[str, Segment], Iterator]  # yields messages (or whole Findings, for a verification rule)
    doc: str = ""  # what the guide says of it, where not ``run``'s docstring
    last: bool = False  # runs after the others, once the segment's confidence is known from their findings

    @property
    def description(self) -> str:
        return " ".join((self.doc or self.run.__doc__ or "").split())


CHECKS: dict[str, Check] = {}


def check(name: str, severity: str, last: bool = False):
    """Register a segment check under ``name`` with ``severity``; its docstring documents it."""
    def register(fn: Callable[[str, Segment], Iterator]) -> Callable:
        CHECKS[name] = Check(name, severity, fn, last=last)
        return fn
    return register




@check("term-missing", ERROR)
def term_missing(text: str, segment: Segment) -> Messages:
    """A locked term's approved English is not in the output after every locking method."""
    verdict = segment.translation
    for outcome in verdict.outcomes:
        if outcome.status == "missing":
            yield (f"{outcome.match.term.zh} → {outcome.expected!r} not in the English after "
                   f"{verdict.attempts} attempt(s) (last method: {verdict.method})")


def _as_reported(rule: Rule) -> Check:
    """A verification rule as a check: its findings on the shipped English, as translation found them."""
    def reported(text: str, segment: Segment) -> Iterator[Finding]:
        return (f for f in segment.translation.defects if f.check == rule.name)
    return Check(rule.name, rule.severity, reported, rule.description)


CHECKS.update((rule.name, _as_reported(rule)) for rule in RULES)


@check("forced-terms", WARNING)
def forced_terms(text: str, segment: Segment) -> Messages:
    """Terms were forced by constrained decoding: the sentence needs a reader's eye."""
    if segment.translation.method == Method.CONSTRAINED and segment.translation.outcomes:
        yield "terms were forced by constrained decoding: check the sentence reads well"


@check("substituted", INFO)
def substituted(text: str, segment: Segment) -> Messages:
    """A locked term was put into the model's fluent sentence in place of the words that rendered it
    (the audit's `replaced`): no second model call was needed; the words around it may want a glance."""
    for outcome in segment.translation.outcomes:
        if outcome.replaced:
            yield f"{outcome.match.term.zh}: {outcome.replaced!r} replaced by the approved {outcome.expected!r}"


@check("filled-in", WARNING)
def filled_in(text: str, segment: Segment) -> Messages:
    """Chinese the model left in its English was filled in (the model's rendering of that Chinese
    alone, else pinyin for a name or a CC-CEDICT sense for a word): the English needs a reader's eye."""
    if segment.translation.method == Method.FILL_IN:
        yield "Chinese the model left untranslated was filled in (its own rendering of the words alone, or a dictionary sense): check it"


@check("same-as-source", ERROR)
def same_as_source(text: str, segment: Segment) -> Messages:
    """The English is the Chinese source unchanged."""
    english = segment.translation.tgt.strip()
    if english and has_han(segment.norm) and english in (segment.norm.strip(), segment.src(text).strip()):
        yield "the English is the source text unchanged"


_PAIRS = [("(", ")"), ("[", "]"), ("“", "”"), ("‘", "’")]
_SOURCE_PAIRS = {"(": "（(", ")": "）)", "[": "[【", "]": "]】", "“": "“「『", "”": "”」』", "‘": "‘", "’": "’"}


def _balance(text: str, opening: str, closing: str) -> int:
    return sum(text.count(c) for c in opening) - sum(text.count(c) for c in closing)


@check("unbalanced", WARNING)
def unbalanced(text: str, segment: Segment) -> Messages:
    """Brackets or quotes unbalanced in the English where the source's are balanced."""
    english = segment.translation.tgt
    for opening, closing in _PAIRS:
        source_balance = _balance(segment.norm, _SOURCE_PAIRS[opening], _SOURCE_PAIRS[closing])
        if _balance(english, opening, closing) != 0 and source_balance == 0:
            yield f"unbalanced {opening}{closing} in the English"
    if english.count('"') % 2 and _balance(segment.norm, "“「『", "”」』") == 0:
        yield 'an odd number of " in the English'


MIN_RATIO, MAX_RATIO, MIN_LENGTH = 0.6, 9.0, 6


@check("length-ratio", WARNING)
def length_ratio(text: str, segment: Segment) -> Messages:
    """The English is far shorter or longer than the Chinese: content may be lost or added."""
    source, english = len(segment.norm.strip()), len(segment.translation.tgt.strip())
    if source < MIN_LENGTH or not english or not has_han(segment.norm):
        return
    ratio = english / source
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        yield (f"English/Chinese length ratio {ratio:.1f} is outside {MIN_RATIO}–{MAX_RATIO}: content may be "
               "lost or added")


def _fallen(segment: Segment, letters: str, *hows: str):
    return [f for how in hows for f in segment.fallbacks if f.tag.name[0] in letters and f.how == how]


def _link(fallback) -> str:
    return f"link [{fallback.tag.label}]({fallback.tag.target})"


@check("lost-link", ERROR)
def lost_link(text: str, segment: Segment) -> Messages:
    """A link the engine did not carry and no fallback could place: the English has no link there."""
    for f in _fallen(segment, "a", "lost"):
        yield f"{_link(f)} is not in the English: the engine dropped its tag and its label holds no locked term"


@check("moved-link", WARNING)
def moved_link(text: str, segment: Segment) -> Messages:
    """A link the engine did not carry, placed around the English of a locked term in its label, else
    around the English its target is known by, else around all the English (it held all the text)."""
    for f in _fallen(segment, "a", "term", "name", "whole"):
        yield f"{_link(f)} placed around {f.where!r} (the engine dropped its tag)"


@check("moved-footnote", WARNING)
def moved_footnote(text: str, segment: Segment) -> Messages:
    """A footnote mark or inline code the engine did not carry, placed after the clause it followed."""
    for f in _fallen(segment, "fx", "clause"):
        yield f"{f.tag.opening} placed after {f.where!r} (the engine dropped its tag)"


@check("moved-emphasis", INFO)
def moved_emphasis(text: str, segment: Segment) -> Messages:
    """Bold or italic the engine did not carry, placed around the English of a locked term in it (or
    around all the English, where it held all the text)."""
    for f in _fallen(segment, "b", "term", "whole"):
        yield f"{f.tag.opening}…{f.tag.closing} placed around {f.where!r} (the engine dropped its tag)"


@check("lost-emphasis", INFO)
def lost_emphasis(text: str, segment: Segment) -> Messages:
    """Bold or italic the engine did not carry and no locked term could hold."""
    lost = _fallen(segment, "b", "lost")
    if lost:
        yield f"{len(lost)} bold/italic run(s) not placed in the English"


@check("replaced-characters", INFO)
def replaced_characters(text: str, segment: Segment) -> Messages:
    """Characters XML and spreadsheets cannot hold (control characters, U+FFFE, U+FFFF) are in the
    segment: the TMX and XLSX show each as U+FFFD; aligned.jsonl and the Markdown keep them."""
    found = XML_FORBIDDEN.findall(segment.src(text) + segment.translation.tgt)
    if found:
        codes = ", ".join(dict.fromkeys(f"U+{ord(c):04X}" for c in found))
        yield f"{len(found)} character(s) XML cannot hold ({codes}) are shown as U+FFFD in the TMX and XLSX"


@check("low-confidence", WARNING, last=True)
def low_confidence(text: str, segment: Segment) -> Messages:
    """The confidence estimator (``pipeline/qa/confidence.py``: findings, how the answer was reached,
    length, the model's token probabilities) puts the English under its threshold: a sentence to read
    first, even without another finding; the message names the signals that weigh most."""
    if confidence.is_low(segment.confidence):
        signals = ", ".join(confidence.weakest(evidence(segment, segment.findings))) or "no single signal"
        yield f"confidence {segment.confidence:.2f} (under {confidence.THRESHOLD}): {signals}"


def evidence(segment: Segment, found: list[Finding]) -> dict:
    """What the estimator reads of a segment: the fields of its aligned record it uses."""
    verdict = segment.translation
    return {"norm": segment.norm, "tgt": verdict.tgt, "method": verdict.method, "attempts": verdict.attempts,
            "qa": [f.to_json() for f in found], "logprob": verdict.logprob}


def _found(text: str, segment: Segment, checks: list[Check]) -> list[Finding]:
    return [result if isinstance(result, Finding) else Finding(item.name, item.severity, result)
            for item in checks for result in item.run(text, segment)]


def run_checks(text: str, segment: Segment, checks: dict[str, Check] = CHECKS) -> list[Finding]:
    """Every check's findings; the segment's confidence from all but the last ones, which read it."""
    found = _found(text, segment, [c for c in checks.values() if not c.last])
    segment.confidence = confidence.confidence(evidence(segment, found))
    segment.findings = found
    return found + _found(text, segment, [c for c in checks.values() if c.last])


def check_document(doc: Document) -> Document:
    for segment in doc.segments:
        segment.findings = run_checks(doc.text, segment)
    return doc


@component("qa", requires=("segment.translation", "segment.fallbacks"),
           assigns=("segment.findings",))
def make_qa(context: Context):
    """Every check in ``CHECKS`` on every segment."""
    return check_document


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
                found.append((doc, seg, Finding("inconsistent-term", WARNING,
                              f"{term_id} is locked in {len(statuses['locked'])} segment(s) of the run but "
                              "not rendered with its approved English here")))
    return found


RUN_CHECKS = {"inconsistent-term": (WARNING, inconsistent_terms.__doc__)}
