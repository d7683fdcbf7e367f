"""The verdict on an English for a segment, however the English came: a model's answer, a repair,
the cache, the translation memory, the term base alone, or the source copied.

Every verdict goes through ``pipeline/verify.py``; the functions here only say which English, which
tags and which of the segment's facts (source, year) it is judged with, so that a model's answer and
the same English read back from the cache are judged alike.
"""
from __future__ import annotations

from dataclasses import replace

from pipeline import facts
from pipeline.chinese import has_han
from pipeline.document import Segment, TermOutcome, Translation
from pipeline.markup import TAG, inner, protect, restore, strip_tags, tagged_text
from pipeline.translate.cleanup import clean, restore_targets
from pipeline.translate.engines.base import TermPair
from pipeline.translate.methods import Method
from pipeline.verify import closed, occurrences, repair_case, verify


def term_pairs(segment: Segment) -> tuple[TermPair, ...]:
    """The locked terms as the engine sees them, in order of occurrence."""
    return tuple(TermPair(segment.norm[m.norm_start:m.norm_end], m.term.en, m.term.action) for m in segment.terms)


def unique_pairs(pairs: tuple[TermPair, ...]) -> tuple[TermPair, ...]:
    return tuple(dict.fromkeys(pairs))


def tagged_source(segment: Segment) -> str:
    """The normalized text with the inline tags the engine sees (``pipeline/markup.py``)."""
    return tagged_text(segment.norm, segment.norm_offsets, inner(segment.tags))


def source_key(segment: Segment) -> tuple:
    """What decides the English: identical keys share one translation (and one cache entry)."""
    key = (tagged_source(segment), tuple((p.zh, p.en, p.action) for p in term_pairs(segment)))
    key = key + (segment.context,) if segment.context else key
    return key + (("about", segment.subject),) if segment.subject else key


def expected(segment: Segment) -> list[str]:
    """What each locked term must appear as: its approved English, or its Chinese for `keep`."""
    return [p.target for p in term_pairs(segment)]


def matched(segment: Segment, match) -> str:
    """The normalized Chinese a term match covers."""
    return segment.norm[match.norm_start:match.norm_end]


def tags_in(segment: Segment, english: str) -> list:
    """The tags to read back from stored English: those the segment sends, if the English has any."""
    return inner(segment.tags) if TAG.search(english) else []


def foreign_tags(segment: Segment, english: str) -> list[str]:
    """Tags in stored English the segment does not send: one render places by itself (at an edge,
    on a locked term's English) or one the source lacks."""
    names = {t.name for t in inner(segment.tags)}
    return list(dict.fromkeys(m.group(0) for m in TAG.finditer(english) if m.group(2) + m.group(3) not in names))


def own_tags_only(segment: Segment, english: str) -> str:
    """``english`` without its ``foreign_tags``."""
    foreign = set(foreign_tags(segment, english))
    return TAG.sub(lambda m: "" if m.group(0) in foreign else m.group(0), english) if foreign else english


def of_model(segment: Segment, english: str, method: str, tags: list, draft: str = "") -> Translation:
    """The verdict on English the model wrote (or a rule derived from what it wrote): the rules that
    judge the model's own wording apply."""
    return verify(english, segment.terms, expected(segment), method, source=segment.norm, tags=tags,
                  year=segment.year, draft=draft, subject=segment.about or segment.subject)


def judge(segment: Segment, raw: str, method: str, tags: list = (), draft: str = "", ended: bool = False) -> Translation:
    """The verdict on a model's raw output for ``segment``, after clean-up, case repair and life
    dates the source leaves blank taken out. ``tags``: the inline tags the engine was sent; any
    others it wrote are dropped. ``draft``: the English a forcing method was to edit. ``ended``: the
    model ended the answer itself (not its token budget): a final stop it left out is put in."""
    targets = expected(segment)
    text = restore_targets(restore(clean(protect(raw), segment.norm)), targets)
    text = closed(text, segment.norm) if ended else text
    text = facts.blank_life_dates(repair_case(text if tags else strip_tags(text), targets), segment.norm, segment.year)
    return of_model(segment, text, method, tags, draft)


def replaced_in(verdict: Translation) -> dict[str, str]:
    """Each substituted term's approved English → the draft's words it replaced (the audit)."""
    return {o.expected: o.replaced for o in verdict.outcomes if o.replaced}


def audited(outcomes: list[TermOutcome], replaced: dict[str, str]) -> list[TermOutcome]:
    """Each locked term that substitution put in, with the draft's words it replaced (its audit)."""
    return [replace(o, method=Method.SUBSTITUTE, replaced=replaced[o.expected])
            if o.expected in replaced and o.status == "locked" else o for o in outcomes]


def revised(segment: Segment, best: Translation, english: str, method: str, tags: list,
            replaced: dict[str, str] | None = None) -> Translation:
    """The verdict on ``best`` mended by a rule into ``english``: judged as the model's own words,
    with ``best``'s attempts and its substitutions' audit (or ``replaced``, a new one)."""
    verdict = of_model(segment, english, method, tags)
    verdict.outcomes = audited(verdict.outcomes, replaced_in(best) if replaced is None else replaced)
    verdict.attempts, verdict.logprob = best.attempts, best.logprob
    return verdict


def has_chinese_left(verdict: Translation) -> bool:
    return any(f.check == "untranslated" for f in verdict.defects)


def from_memory(segment: Segment, english: str) -> Translation:
    """Reviewed English from the translation memory; its locked terms are verified like any output,
    and the inline tags a reviewer kept (`zhen review serve` stores them) put its markup back."""
    english = own_tags_only(segment, english)
    verdict = verify(english, segment.terms, expected(segment), Method.MEMORY, tags=tags_in(segment, english))
    verdict.attempts, verdict.reused = 0, "memory"
    return verdict


def whole_term(segment: Segment) -> Translation | None:
    """A segment that is one locked term and nothing more (a heading or list item naming 鸡鸣三省大桥,
    a run's name again): the term's English, verified, without the model; None for any other."""
    if len(segment.terms) != 1 or segment.terms[0].term.action == "keep":
        return None
    match = segment.terms[0]
    if segment.norm[:match.norm_start].strip() or segment.norm[match.norm_end:].strip():
        return None
    english = tagged_source(segment).replace(matched(segment, match), expected(segment)[0], 1)
    if has_han(english):  # a tag inside the term: the model places it
        return None
    return verify(english, segment.terms, expected(segment), Method.TERM, tags=inner(segment.tags))


def copy_through(segment: Segment) -> Translation:
    """Text without Chinese (dates in digits, Latin names) needs no model; its tags stay where they are."""
    return verify(tagged_source(segment), segment.terms, expected(segment), Method.COPY, tags=inner(segment.tags))


def finalize(text: str, segment: Segment, best: Translation, gloss_kept: bool = True) -> Translation:
    """This segment's verdict from the shared best one: `keep` terms back in their original script
    (glossed once with their English), then verified against this segment's own matches."""
    if best.method == Method.MEMORY:
        return from_memory(segment, best.tagged)  # a reviewer's English is used exactly as written
    english = best.tagged
    originals = [segment.original(text, m) for m in segment.terms]
    for match, original in zip(segment.terms, originals):
        if match.term.action != "keep":
            continue
        norm_form = matched(segment, match)
        starts = occurrences(english, norm_form)
        if not starts:
            continue
        at = starts[0]
        gloss = f" ({match.term.en})" if gloss_kept and match.term.en and match.term.en != original \
            and not english[at + len(norm_form):].lstrip().startswith(f"({match.term.en})") else ""
        english = english[:at] + original + gloss + english[at + len(norm_form):]
    targets = [orig if m.term.action == "keep" else m.term.en for m, orig in zip(segment.terms, originals)]
    tags = inner(segment.tags) if best.marked is not None else tags_in(segment, english)
    verdict = verify(english, segment.terms, targets, best.method, judged=best, tags=tags)
    verdict.attempts, verdict.reused, verdict.logprob = best.attempts, best.reused, best.logprob
    verdict.outcomes = audited(verdict.outcomes, replaced_in(best))
    return verdict
