"""Repair, don't regenerate: a fluent draft that lacks a locked term gets it by substitution.

The words in the draft that render the term's Chinese are replaced by the approved English. Where those
words come from, in order: the model's own rendering of the term alone (where the engine's
``term_lookups`` policy asks it, once per term per run, ``Method.LOOKUP``), the term base's forbidden renderings,
pinyin of the term and its variants, its CC-CEDICT senses and those of the words it abbreviates (国民党:
KMT, Kuomintang, Nationalist Party; 中共: Chinese Communist Party and 中国共产党's Communist Party of China),
the approved English's own words ("Lominadze" for "Besso Lominadze", "Politburo" for "Provisional
Politburo"), and last, for an organization, its generic head ("Communist Party") where the draft has it
exactly as often as the term is missing. A match may differ in case, carry an article, a plural or a
possessive; it never reaches into another locked term's English, nor across an inline tag.
Only where none is found does the locking loop ask the model again.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from typing import Callable

from pipeline.chinese import all_han, has_han
from pipeline.document import TermOutcome
from pipeline.terms.suggest import (cedict_full_forms, cedict_senses, joined_pinyin, pinyin_name, pinyin_words,
                                    spelled_in_pinyin)
from pipeline.verify import occurrences

_TONE_MARKS = re.compile("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", re.IGNORECASE)
MAX_RENDERING_WORDS = 6
# Words too common to stand for a term on their own ("Party" is not "Chinese Communist Party").
GENERIC = frozenset("""the of and a an in on for to party communist central committee chinese china army red soviet
union people's republic national congress conference meeting session plenary enlarged bureau department ministry
province county city member members secretary general first second third fourth fifth sixth seventh eighth ninth
expanded provisional political new international workers"""
                    .split())


def as_name(english: str) -> str:
    """The model's answer for a term alone, as a name: no wrapping quotes, no final stop, no pinyin
    tone marks (隆 → "lóng", shipped as "De lóng Village"); "" where it is not a short rendering (a
    sentence, Chinese left)."""
    english = english.strip().strip('"“”\'').rstrip(".").strip()
    if _TONE_MARKS.search(english):
        english = "".join(c for c in unicodedata.normalize("NFD", english) if not unicodedata.combining(c))
    if not english or has_han(english) or len(english.split()) > MAX_RENDERING_WORDS or re.search(r"[.!?:;]\s", english):
        return ""
    return english


def worth_looking_up(zh: str, term) -> bool:
    """Whether the model's rendering of a missing term alone can tell more than the draft was
    searched for already: not where the approved English is the term's pinyin (Mao Zedong, Yan'an) —
    the model renders such a name alone in that pinyin, and it is missing from the draft."""
    return not (all_han(zh) and spelled_in_pinyin(term.en, zh, *term.variants))


def _partials(approved: str) -> list[str]:
    """Runs of the approved English's words that can stand for it: the words after its first
    ("Lominadze") and before its last ("Politburo Standing Committee"), each with a word that is not
    generic."""
    words = approved.split()
    runs = [" ".join(words[k:]) for k in range(1, len(words))] + [" ".join(words[:k]) for k in range(len(words) - 1, 0, -1)]
    return [run for run in runs if any(w.lower().strip(",.'’") not in GENERIC for w in run.split())
            and len(run.replace(" ", "")) >= 3]


def draft_renderings(zh: str, match, looked_up: str = "") -> list[str]:
    """English a draft may have written for ``zh`` (a term's matched Chinese), longest first."""
    term = match.term
    found = [looked_up] if looked_up else []
    found += list(term.forbidden)
    for form in dict.fromkeys([zh, term.zh, *term.variants]):
        if not form or not all_han(form):
            continue
        if term.type == "person" or term.action == "transliterate":
            found += [pinyin_name(form), joined_pinyin(form)]
        found.append(pinyin_words(form))
        found += _senses(form)
    found += _partials(term.en)
    return sorted({f.strip() for f in found if f.strip() and f.strip() != term.en}, key=len, reverse=True)


def _senses(form: str) -> list[str]:
    """CC-CEDICT's senses of ``form`` and of the words it abbreviates (中共: "Chinese Communist Party",
    and 中国共产党's "Communist Party of China")."""
    return [sense for word in (form, *cedict_full_forms(form)) for sense in cedict_senses(word)]


def organization_heads(zh: str, match) -> list[str]:
    """For an organization, the words that name it without what sets it apart: its English's last two
    or more words before any "of" ("Communist Party" for "Chinese Communist Party" and "Communist
    Party of China", "Central Committee" for "CCP Central Committee"). Generic, so they stand for the
    term only where the draft has them exactly as often as the term is missing (``substitute``)."""
    if match.term.type != "organization":
        return []
    heads = []
    for english in (match.term.en, *(sense for form in dict.fromkeys((zh, match.term.zh)) for sense in _senses(form))):
        words = re.split(r"\s+of\s+", english, maxsplit=1)[0].split()
        heads += [" ".join(words[k:]) for k in range(len(words) - 1)]
    return sorted({h for h in heads if h != match.term.en}, key=len, reverse=True)


def _pattern(rendering: str) -> re.Pattern:
    words = [re.escape(w) for w in re.split(r"[\s\-‐]+", rendering) if w]
    if words and words[-1].endswith("y"):
        words[-1] = words[-1][:-1] + "(?:y|i(?=es))"  # Majority, Majorities
    body = r"[\s\-‐]+".join(words)
    return re.compile(rf"(?<![\w'’])(?P<article>the\s+)?(?P<body>{body})(?P<suffix>['’]s|s['’]|e?s)?(?![\w])",
                      re.IGNORECASE)


def _spans(text: str, targets: list[str]) -> list[tuple[int, int]]:
    return [(s, s + len(t)) for t in set(targets) for s in occurrences(text, t, singular_too=True)]


def at_sentence_start(text: str, at: int) -> bool:
    before = re.sub(r"<[^>]+>", "", text[:at]).rstrip()
    return not before or before.endswith((".", "!", "?", ":"))


SAME_WORD = 0.8  # difflib ratio at which a word beside a hit is the approved word in another spelling


def _alike(word: str, other: str) -> bool:
    """``word`` is ``other`` spelled otherwise: nearly the same letters, or the same acronym with its
    letters in another order (CPC for CCP)."""
    other = other.strip(",.'’")
    if len(word) > 1 and word.isupper() and other.isupper() and sorted(word) == sorted(other):
        return True
    return SequenceMatcher(None, word.lower(), other.lower()).ratio() >= SAME_WORD


def _place_in(words: list[str], hit: list[str]) -> int | None:
    """Where the hit's words stand among the approved English's words (case aside), if they do."""
    lowered, wanted = [w.lower() for w in words], [w.lower() for w in hit]
    return next((k for k in range(len(words) - len(hit) + 1) if lowered[k:k + len(hit)] == wanted), None)


def _widened(text: str, m: re.Match, approved: str) -> tuple[int, int]:
    """The hit's span, widened over the words beside it that repeat the approved English's own words
    in another spelling: "labor" before a hit on "movement" for "labour movement" (one shipped as
    "the labor labour movement"), "Union" after a hit on "Soviet" for "Communist Party of the Soviet
    Union" (one shipped as "the Communist Party of the Soviet Union Union's"), "CPC" before a hit on
    "Jiangsu Provincial Committee" for "CCP Jiangsu Provincial Committee"."""
    start, end = m.start(), m.end()
    words, hit = approved.split(), m.group("body").split()
    k = _place_in(words, hit)
    if k is None:
        return _without_doubled_seam(text, start, end, approved)
    before = words[:k] if not m.group("article") else []
    after = words[k + len(hit):] if not m.group("suffix") else []
    for word in reversed(before):
        found = re.search(r"([A-Za-z][\w\-]*)\s+$", text[:start])
        if not found or not _alike(found.group(1), word):
            break
        start = found.start(1)
    for word in after:
        found = re.match(r"\s+([A-Za-z][\w\-]*)", text[end:])
        if not found or not _alike(found.group(1), word):
            break
        end += found.end(1)
    return _without_doubled_seam(text, start, end, approved)


def _without_doubled_seam(text: str, start: int, end: int, approved: str) -> tuple[int, int]:
    """The span widened over a word beside it that the approved English begins or ends with, so the
    seam does not write it twice ("hundreds of millions of" → "hundreds millions of of" for WMT's
    "hundreds millions of")."""
    words = approved.split()
    found = re.match(r"\s+([A-Za-z][\w'’\-]*)", text[end:])
    if found and found.group(1).lower() == words[-1].lower() and len(words) > 1:
        end += found.end(1)
    found = re.search(r"([A-Za-z][\w'’\-]*)\s+$", text[:start])
    if found and found.group(1).lower() == words[0].lower() and len(words) > 1 and words[0].lower() != "the":
        start = found.start(1)
    return start, end


def _replacement(text: str, m: re.Match, approved: str, start: int) -> str:
    """The approved English for hit ``m`` (its span widened to begin at ``start``), with the hit's
    article and suffix, capitalized at a sentence's start."""
    article = m.group("article") or ""
    if approved.lower().startswith("the "):
        article = ""
    english = approved
    if at_sentence_start(text, start) and english[:1].islower():
        english = english[:1].upper() + english[1:]
    elif article[:1] == "T" and english[:1].isupper():
        article = "The "
    suffix = m.group("suffix") or ""
    if suffix.lower() in ("s", "es"):
        return article + plural(english)
    return article + english + suffix


def plural(english: str) -> str:
    """The plural of a rendering (its last word), as verification accepts it: +s, or +es after s, x, ch, sh."""
    if english.endswith("s") and not english.endswith(("ss", "us")):
        return english  # already plural
    return english + ("es" if english.endswith(("s", "x", "ch", "sh")) else "s")


def _free_hits(tagged: str, rendering: str, protected_targets: list[str]) -> list[re.Match]:
    """The places ``rendering`` occurs in ``tagged`` outside every protected target and every tag."""
    protected = _spans(tagged, protected_targets)
    return [m for m in _pattern(rendering).finditer(tagged)
            if not any(lo < m.end() and m.start() < hi for lo, hi in protected) and "<" not in m.group(0)]


def substitute(tagged: str, missing: list[TermOutcome], renderings_of: Callable[[TermOutcome], list[str]],
               present: list[str], heads_of: Callable[[TermOutcome], list[str]] = lambda outcome: []
               ) -> tuple[str, dict[str, str]]:
    """``tagged`` with each missing term's draft rendering replaced by its approved English.

    ``renderings_of(outcome)``: what the draft may have written for it (``draft_renderings``);
    ``heads_of(outcome)``: generic words that stand for it only where the draft has them exactly as
    often as it is missing (``organization_heads``), tried last;
    ``present``: the approved English of every locked term (their places are never touched). Returns
    the English and, for each term substituted, the words it replaced."""
    replaced: dict[str, str] = {}
    wanted = Counter(o.expected for o in missing if o.expected)  # a term missing at two places: both
    for outcome in missing:
        approved = outcome.expected
        if approved in replaced or not approved:
            continue
        candidates = [(r, False) for r in renderings_of(outcome)] + [(r, True) for r in heads_of(outcome)]
        for rendering, exactly in candidates:
            hits = _free_hits(tagged, rendering, [*present, *replaced])
            if not hits or (exactly and len(hits) != wanted[approved]):
                continue
            hits = hits[:wanted[approved]]
            for hit in reversed(hits):  # from the end, so earlier offsets hold
                start, end = _widened(tagged, hit, approved)
                tagged = tagged[:start] + _replacement(tagged, hit, approved, start) + tagged[end:]
            replaced[approved] = hits[0].group(0)
            break
    return tagged, replaced
