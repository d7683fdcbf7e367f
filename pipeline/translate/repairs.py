"""Repair, don't regenerate: the rules that mend a model's answer without asking the model again.

Each repair is a small named function registered with ``@repair``: the findings it mends, when it
applies (``when``), and the stages of the locking loop it runs in. Within a stage repairs run in the
order registered here. A repair returns the better verdict, or None where it mends nothing or its
English does not score better (``pipeline/translate/scoring.py``).

The stages (``pipeline/translate/policy.py`` reads the decision top to bottom):
- ``BEFORE_ASKING``: after each answer, before any further request (a rule that mends the draft
  spares a re-prompt);
- ``CHINESE_LEFT``: once every run of Chinese the draft left has English to fill it in with;
- ``LAST``: on the answer that ships, when the ladder has nothing more to ask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from pipeline import facts, kinship
from pipeline.chinese import HAN_ONLY
from pipeline.document import Segment, Translation
from pipeline.markup import strip_tags
from pipeline.terms.suggest import cedict_gloss, leftover_english, name_rendering
from pipeline.translate import substitution
from pipeline.translate.methods import Method
from pipeline.translate.scoring import SCORER
from pipeline.translate.verdicts import has_chinese_left, matched, revised, term_pairs

BEFORE_ASKING, CHINESE_LEFT, LAST = "before-asking", "chinese-left", "last"
Looked = dict[str, str]  # Chinese → the model's own rendering of it alone (``Method.LOOKUP``)


@dataclass(frozen=True)
class Repair:
    name: str
    mends: tuple[str, ...]  # the findings it mends (``term-missing`` or a verification rule's name)
    when: Callable[[Translation], bool]
    run: Callable[[Segment, Translation, list, Looked], Translation | None]
    stages: tuple[str, ...]


REPAIRS: dict[str, Repair] = {}


def repair(name: str, mends: tuple[str, ...], when: Callable[[Translation], bool], stages: tuple[str, ...]):
    """Register ``run(segment, best, tags, looked_up) -> better verdict | None`` as the repair ``name``."""
    def register(run: Callable) -> Callable:
        REPAIRS[name] = Repair(name, mends, when, run, stages)
        return run
    return register


def mended(stage: str, segment: Segment, best: Translation, tags: list, looked_up: Looked) -> Translation:
    """``best`` after every repair of ``stage`` that applies, in order."""
    for item in REPAIRS.values():
        if stage in item.stages and item.when(best):
            best = item.run(segment, best, tags, looked_up) or best
    return best


# -- fill-in: Chinese the model left ------------------------------------------------------------

def _keep_targets(segment: Segment) -> list[str]:
    return sorted({p.target for p in term_pairs(segment) if p.action == "keep"}, key=len, reverse=True)


def _leftovers(keep: list[str]) -> re.Pattern:
    """Runs of Chinese, with each `keep` term matched whole so it can be told apart and left alone."""
    return re.compile("|".join([re.escape(k) for k in keep] + [HAN_ONLY.pattern]))


def chinese_runs(segment: Segment, verdict: Translation) -> list[str]:
    """The runs of Chinese the model left in its English, outside `keep` terms, in order."""
    keep = _keep_targets(segment)
    return list(dict.fromkeys(m.group(0) for m in _leftovers(keep).finditer(verdict.tagged) if m.group(0) not in keep))


def missing_chinese(segment: Segment, verdict: Translation) -> dict[str, str]:
    """The Chinese of each term ``verdict`` lacks, with its approved English: left in the draft as it
    stands, it is filled in with that English, not looked up ("returned to延安" → Yan'an)."""
    return {matched(segment, o.match): o.expected for o in verdict.outcomes
            if o.status == "missing" and o.match.term.action != "keep" and o.expected}


_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)\s*$", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def _in_sentence(english: str, zh: str, before: str) -> str:
    """A rendering of Chinese alone, as the words go inside a sentence: no second article after the
    draft's ("the The Hunan …"), an article of its own in lower case ("joined The League"), and a
    common word — CC-CEDICT's sense, its article aside, is lowercase — in lower case inside a sentence,
    though the model capitalized it alone ("conducted a Clearing"; 共青团 "the Communist Youth League"
    is a name)."""
    inside = not substitution.at_sentence_start(before, len(before))
    if _ARTICLE_BEFORE.search(strip_tags(before)):
        english = _LEADING_ARTICLE.sub("", english)
    elif inside:
        english = _LEADING_ARTICLE.sub(lambda m: m.group(0).lower(), english)
    if inside and _LEADING_ARTICLE.sub("", cedict_gloss(zh))[:1].islower():
        english = " ".join(w.lower() if w[:1].isupper() and not w.isupper() else w for w in english.split())
    return english


@repair(Method.FILL_IN, mends=("untranslated",), when=has_chinese_left, stages=(CHINESE_LEFT, LAST))
def filled_in(segment: Segment, best: Translation, tags: list, looked_up: Looked) -> Translation | None:
    """Each run of Chinese the model left in its English (outside `keep` terms) replaced by a missing
    term's approved English where it is that term's Chinese, else by its reading where its form says it
    is a name (``name_rendering``: the model asked for a name alone guesses another), else by the
    model's own rendering of that run alone (``looked_up``), else by ``leftover_english`` — pinyin for
    a name, a dictionary sense for a word — so no Chinese ships inside English; QA's `filled-in` asks
    a reviewer to check it."""
    keep = _keep_targets(segment)
    approved = missing_chinese(segment, best)

    def fill(m: re.Match) -> str:
        if m.group(0) in keep:
            return m.group(0)
        before, after = m.string[m.start() - 1:m.start()], m.string[m.end():m.end() + 1]
        english = approved.get(m.group(0)) or name_rendering(m.group(0)) or _in_sentence(
            looked_up.get(m.group(0)) or leftover_english(m.group(0)), m.group(0), m.string[:m.start()])
        possessive = bool(before) and before in "'’" and m.string[m.start() - 2:m.start() - 1].isalpha()
        return (" " if before.isalnum() or (before and before in ",;:") or possessive else "") + english + \
            (" " if after.isalnum() else "")

    verdict = revised(segment, best, _leftovers(keep).sub(fill, best.tagged), Method.FILL_IN, tags)
    # A tie goes to the filled-in English: at as many problems, English without Chinese in it is
    # the one a reader can read.
    return verdict if SCORER.better(verdict, best, tie_goes_to_candidate=True) else None


# -- substitute: a missing term the draft rendered otherwise -------------------------------------

def _missing_terms(verdict: Translation) -> list:
    return [o for o in verdict.outcomes if o.status == "missing" and o.match.term.action != "keep"]


@repair(Method.SUBSTITUTE, mends=("term-missing",), when=lambda v: not v.unusable and bool(_missing_terms(v)),
        stages=(BEFORE_ASKING, CHINESE_LEFT))
def substituted(segment: Segment, best: Translation, tags: list, looked_up: Looked) -> Translation | None:
    """``best`` with the draft's rendering of each missing term replaced by the approved English
    (``pipeline/translate/substitution.py``), where that scores better."""
    present = [o.expected for o in best.outcomes if o.status == "locked"]

    def renderings_of(outcome) -> list[str]:
        zh = matched(segment, outcome.match)
        return substitution.draft_renderings(zh, outcome.match, looked_up.get(zh, ""))

    def heads_of(outcome) -> list[str]:
        return substitution.organization_heads(matched(segment, outcome.match), outcome.match)

    text, replaced = substitution.substitute(best.tagged, _missing_terms(best), renderings_of, present, heads_of)
    if not replaced:
        return None
    verdict = revised(segment, best, text, Method.SUBSTITUTE, tags, replaced)
    return verdict if SCORER.better(verdict, best) else None


def _kept_if_better(segment: Segment, best: Translation, tags: list, text: str) -> Translation | None:
    """The verdict on ``text``, English a rule made of ``best`` (its method kept), where it differs and
    scores better."""
    if text == best.tagged:
        return None
    verdict = revised(segment, best, text, best.method, tags)
    return verdict if SCORER.better(verdict, best) else None


# -- kinship: a relation the source does not name --------------------------------------------------

def _kin_wrong(verdict: Translation) -> bool:
    return any(f.check == "kinship" for f in verdict.defects)


@repair("kinship", mends=("kinship",), when=_kin_wrong, stages=(BEFORE_ASKING, LAST))
def kin_named(segment: Segment, best: Translation, tags: list, looked_up: Looked) -> Translation | None:
    """A kinship word the source does not say replaced by the relation it names ("father" for 舅父 →
    "maternal uncle", ``kinship.mended_kin``): re-prompted, the 1.5B model writes the same word again."""
    return _kept_if_better(segment, best, tags, kinship.mended_kin(best.tagged, segment.norm))


# -- dates: a year the model invented or dropped -------------------------------------------------

def _numbers_wrong(verdict: Translation) -> bool:
    return any(f.check == "number-mismatch" for f in verdict.defects)


@repair("dates", mends=("number-mismatch",), when=_numbers_wrong, stages=(BEFORE_ASKING, LAST))
def dated(segment: Segment, best: Translation, tags: list, looked_up: Looked) -> Translation | None:
    """A year the model invented where the source says which one it means (``facts.mended_years``),
    and the date the source opens with, dropped, back in front ("In 1931, …")."""
    text = facts.with_leading_date(facts.mended_years(best.tagged, segment.norm, segment.year), segment.norm)
    return _kept_if_better(segment, best, tags, text)
