"""`zhen glossary lint`: each rule is a small function over the whole glossary, collected in RULES."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator

import ahocorasick
from pypinyin import lazy_pinyin

from pipeline.chinese import all_han
from pipeline.normalize import normalize
from pipeline.tables import FORMULA_PREFIXES
from pipeline.terms.glossary import ACTIONS, STATUSES, TYPES, Glossary, Term
from pipeline.terms.suggest import pinyin_name

ERROR, WARNING = "error", "warning"
_MARKUP = re.compile(r"<[A-Za-z/!]|&#?\w+;")
MIN_KEY_CHARS = 2


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    file: str
    row: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.severity}: [{self.rule}] {self.message}"


Rule = Callable[[Glossary], Iterator[Finding]]


@lru_cache(maxsize=None)
def _norm(key: str) -> str:
    return normalize(key).text


def _finding(rule: str, severity: str, term: Term, message: str) -> Finding:
    return Finding(rule, severity, term.file, term.row, message)


def _keyed(glossary: Glossary, normalized: bool) -> dict[str, list[tuple[str, Term]]]:
    index: dict[str, list[tuple[str, Term]]] = defaultdict(list)
    for term in glossary.terms:
        for key in term.keys:
            index[_norm(key) if normalized else key].append((key, term))
    return index


def empty_source(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        if not term.zh:
            yield _finding("empty-source", ERROR, term, "empty 'zh'")


def empty_target(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        if term.zh and not term.en:
            severity = ERROR if term.status == "approved" else WARNING
            yield _finding("empty-target", severity, term, f"{term.zh!r} has no 'en'")


def duplicate_key(glossary: Glossary) -> Iterator[Finding]:
    for key, uses in _keyed(glossary, normalized=False).items():
        for _key, term in uses[1:]:
            first = uses[0][1]
            if term.en == first.en:
                yield _finding("duplicate-key", WARNING, term, f"{key!r} is also a key at row {first.row}")


def conflicting_targets(glossary: Glossary) -> Iterator[Finding]:
    for key, uses in _keyed(glossary, normalized=False).items():
        first = uses[0][1]
        for _key, term in uses[1:]:
            if term.en == first.en or term is first:
                continue
            if term.file != first.file:  # a later --glossary file overriding an earlier one, by design
                yield _finding("overridden-key", WARNING, term,
                               f"{key!r} → {term.en!r} here overrides {first.en!r} from {first.where}")
            else:
                yield _finding("conflicting-targets", ERROR, term,
                               f"{key!r} → {term.en!r} here but → {first.en!r} at {first.where}")


def normalization_collision(glossary: Glossary) -> Iterator[Finding]:
    for norm, uses in _keyed(glossary, normalized=True).items():
        distinct = {key for key, _ in uses}
        if len(distinct) < 2:
            continue
        first_key, first = uses[0]
        for key, term in uses[1:]:
            if key == first_key:
                continue
            if term is first:
                yield _finding("redundant-variant", WARNING, term,
                               f"variant {key!r} equals {first_key!r} after normalization (matching is script-blind)")
            else:
                severity = ERROR if term.en != first.en else WARNING
                yield _finding("normalization-collision", severity, term,
                               f"{key!r} and {first_key!r} ({first.where}) are the same after OpenCC "
                               f"normalization ({norm!r})" + (f" but → {term.en!r} vs {first.en!r}"
                                                               if term.en != first.en else ""))


def stray_whitespace(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        for column in ("zh", "en", "variants", "forbidden", "id", "type", "action", "status"):
            value = term.cells.get(column, "")
            if value != value.strip() or "  " in value or "\n" in value or "\t" in value:
                yield _finding("stray-whitespace", WARNING, term, f"column {column!r} has stray whitespace: {value!r}")


def forbidden_contains_target(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        for bad in term.forbidden:
            if term.en and bad.lower() in term.en.lower():
                yield _finding("forbidden-contains-target", ERROR, term,
                               f"forbidden {bad!r} occurs in the approved English {term.en!r}")


def bad_values(glossary: Glossary) -> Iterator[Finding]:
    allowed = {"type": TYPES, "action": ACTIONS, "status": STATUSES}
    for term in glossary.terms:
        for column, values in allowed.items():
            value = term.cells.get(column, "").strip()
            if value and value not in values:
                yield _finding(f"bad-{column}", ERROR, term,
                               f"{column} {value!r} is not one of {', '.join(values)}")


def short_or_punctuation_key(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        for key in term.keys:
            if not any(c.isalnum() for c in key):
                yield _finding("punctuation-key", ERROR, term, f"key {key!r} has no letters: it would match punctuation")
            elif len(key) < MIN_KEY_CHARS:
                yield _finding("short-key", WARNING, term, f"key {key!r} is one character: it will match inside many words")


def nested_terms(glossary: Glossary) -> Iterator[Finding]:
    """A key inside another row's key: fine for leftmost-longest, but worth a look."""
    owners: dict[str, Term] = {}
    for term in glossary.terms:
        if term.locks:
            for key in term.keys:
                norm = _norm(key)
                if len(norm) >= MIN_KEY_CHARS:
                    owners.setdefault(norm, term)
    if not owners:
        return
    automaton = ahocorasick.Automaton()
    for norm in owners:
        automaton.add_word(norm, norm)
    automaton.make_automaton()
    reported = set()
    for outer, outer_term in owners.items():
        for _end, inner in automaton.iter(outer):
            term = owners[inner]
            if inner == outer or term is outer_term or term.en in outer_term.en or id(term) in reported:
                continue
            reported.add(id(term))
            yield _finding("nested-term", WARNING, term,
                           f"{inner!r} ({term.en}) also occurs inside {outer!r} ({outer_term.where}, "
                           f"{outer_term.en}); the longer match wins there")


MAX_TERM_CELL = 1000  # characters in zh, variants, en, forbidden: more is a pasted document, not a term
_TERM_CELLS = ("zh", "variants", "en", "forbidden")


def formula_cell(glossary: Glossary) -> Iterator[Finding]:
    """A cell a spreadsheet would run as a formula (=HYPERLINK(…), +, -, @): never a term."""
    for term in glossary.terms:
        for column in _TERM_CELLS:
            value = term.cells.get(column, "")
            if value.strip().startswith(FORMULA_PREFIXES) and len(value.strip()) > 1:
                yield _finding("formula-cell", WARNING, term, f"'{column}' starts like a spreadsheet formula: "
                               f"{value[:40]!r}")


def markup_in_english(glossary: Glossary) -> Iterator[Finding]:
    """HTML or an entity in 'en': it is shown as text (escaped) in every output, never run as HTML."""
    for term in glossary.terms:
        if _MARKUP.search(term.en):
            yield _finding("markup-in-english", WARNING, term, f"'en' holds markup {term.en[:40]!r}; it is "
                           "escaped in the English Markdown and shown as text")


def oversized_cell(glossary: Glossary) -> Iterator[Finding]:
    for term in glossary.terms:
        for column in _TERM_CELLS:
            size = len(term.cells.get(column, ""))
            if size > MAX_TERM_CELL:
                yield _finding("oversized-cell", ERROR, term, f"'{column}' has {size:,} characters (at most "
                               f"{MAX_TERM_CELL:,}): a pasted text, not a term")


def another_name_as_variant(glossary: Glossary) -> Iterator[Finding]:
    """A person's variant that shares no syllable with the name is another name (a birth name, a pen
    name), not a spelling of it: matched as a variant, 原名何克全 reads "originally named Kai Feng"."""
    for term in glossary.terms:
        if term.type != "person" or not all_han(term.zh):
            continue
        syllables = set(lazy_pinyin(term.zh))
        for variant in term.variants:
            if all_han(variant) and not syllables & set(lazy_pinyin(variant)):
                yield _finding("another-name-as-variant", WARNING, term,
                               f"variant {variant!r} ({pinyin_name(variant)}) is not a spelling of {term.zh!r} "
                               f"({term.en}): give another name of the same person its own entry")


RULES: dict[str, Rule] = {
    "empty-source": empty_source,
    "empty-target": empty_target,
    "duplicate-key": duplicate_key,
    "conflicting-targets": conflicting_targets,
    "normalization-collision": normalization_collision,
    "stray-whitespace": stray_whitespace,
    "forbidden-contains-target": forbidden_contains_target,
    "bad-values": bad_values,
    "short-or-punctuation-key": short_or_punctuation_key,
    "nested-terms": nested_terms,
    "formula-cell": formula_cell,
    "markup-in-english": markup_in_english,
    "oversized-cell": oversized_cell,
    "another-name-as-variant": another_name_as_variant,
}


def lint(glossary: Glossary, rules: dict[str, Rule] = RULES) -> list[Finding]:
    findings = [f for rule in rules.values() for f in rule(glossary)]
    return sorted(findings, key=lambda f: (f.file, f.row, f.severity != ERROR, f.rule))
