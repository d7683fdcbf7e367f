"""Translate segments so that every locked term appears: verify, escalate, audit.

Each unique source (normalized text + its locked terms) is translated once. All pending sources go
to the engine in batches with its weakest locking method; those whose verdict has a problem (a
missing term, a defect found by ``pipeline/verify.py``) go again with the next method. The best
attempt is kept, and each segment gets its own verdict in ``Segment.translation``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence

from pipeline.chinese import has_han
from pipeline.document import Segment, Translation
from pipeline.markup import TAG, inner, protect, restore, strip_tags, tagged_text
from pipeline.translate.cleanup import clean, restore_targets
from pipeline.translate.engines.base import Engine, Request, TermPair
from pipeline.verify import occurrences, repair_case, verify

Item = tuple[str, Segment]  # (the document's text, one of its segments)


def term_pairs(segment: Segment) -> tuple[TermPair, ...]:
    """The locked terms as the engine sees them, in order of occurrence."""
    return tuple(TermPair(segment.norm[m.norm_start:m.norm_end], m.term.en, m.term.action) for m in segment.terms)


def tagged_source(segment: Segment) -> str:
    """The normalized text with the inline tags the engine sees (``pipeline/markup.py``)."""
    return tagged_text(segment.norm, segment.norm_offsets, inner(segment.tags))


def source_key(segment: Segment) -> tuple:
    """What decides the English: identical keys share one translation (and one cache entry)."""
    return (tagged_source(segment), tuple((p.zh, p.en, p.action) for p in term_pairs(segment)))


def _tags_in(segment: Segment, english: str) -> list:
    """The tags to read back from stored English: those the segment sends, if the English has any."""
    return inner(segment.tags) if TAG.search(english) else []


def _expected(segment: Segment) -> list[str]:
    return [p.target for p in term_pairs(segment)]


def judge(segment: Segment, raw: str, method: str, tags: list = ()) -> Translation:
    """The verdict on a model's raw output for ``segment``, after clean-up and case repair.
    ``tags``: the inline tags the engine was sent; any others it wrote are dropped."""
    expected = _expected(segment)
    text = restore_targets(restore(clean(protect(raw), segment.norm)), expected)
    text = repair_case(text if tags else strip_tags(text), expected)
    return verify(text, segment.terms, expected, method, source=segment.norm, tags=tags)


def from_cache(segment: Segment, cached: tuple[str, str, int, bool]) -> Translation:
    tgt, method, attempts, _degenerate = cached  # the flag is judged again from the same text
    verdict = verify(tgt, segment.terms, _expected(segment), method, source=segment.norm,
                     tags=_tags_in(segment, tgt))
    verdict.attempts, verdict.reused = attempts, "cache"
    return verdict


def from_memory(segment: Segment, english: str) -> Translation:
    """Reviewed English from the translation memory; its locked terms are verified like any output."""
    verdict = verify(english, segment.terms, _expected(segment), "memory")
    verdict.attempts, verdict.reused = 0, "memory"
    return verdict


def copy_through(segment: Segment) -> Translation:
    """Text without Chinese (dates in digits, Latin names) needs no model; its tags stay where they are."""
    return verify(tagged_source(segment), segment.terms, _expected(segment), "copy", tags=inner(segment.tags))


def finalize(text: str, segment: Segment, best: Translation, gloss_kept: bool = True) -> Translation:
    """This segment's verdict from the shared best one: `keep` terms back in their original script
    (glossed once with their English), then verified against this segment's own matches."""
    if best.method == "memory":
        return from_memory(segment, best.tgt)  # a reviewer's English is used exactly as written
    english = best.tagged
    originals = [segment.original(text, m) for m in segment.terms]
    for match, original in zip(segment.terms, originals):
        if match.term.action != "keep":
            continue
        norm_form = segment.norm[match.norm_start:match.norm_end]
        starts = occurrences(english, norm_form)
        if not starts:
            continue
        at = starts[0]
        gloss = f" ({match.term.en})" if gloss_kept and match.term.en and match.term.en != original \
            and not english[at + len(norm_form):].lstrip().startswith(f"({match.term.en})") else ""
        english = english[:at] + original + gloss + english[at + len(norm_form):]
    expected = [orig if m.term.action == "keep" else m.term.en for m, orig in zip(segment.terms, originals)]
    tags = inner(segment.tags) if best.marked is not None else _tags_in(segment, english)
    verdict = verify(english, segment.terms, expected, best.method, judged=best, tags=tags)
    verdict.attempts, verdict.reused = best.attempts, best.reused
    return verdict


def _unique_pairs(pairs: tuple[TermPair, ...]) -> tuple[TermPair, ...]:
    return tuple(dict.fromkeys(pairs))


@dataclass
class Plan:
    """What a batch of segments needs: each unique source once, and which of them a model must
    translate (the rest come from the translation memory, the cache, or need no model)."""

    unique: dict[tuple, Segment]
    best: dict[tuple, Translation]
    pending: list[tuple]
    copies: Counter


def plan(items: Sequence[Item], memory=None, cache=None, seen: dict | None = None) -> Plan:
    """``seen``: verdicts from earlier batches of the same run (a source is translated once a run)."""
    unique: dict[tuple, Segment] = {}
    for _text, segment in items:
        unique.setdefault(source_key(segment), segment)
    best: dict[tuple, Translation] = {}
    pending = []
    for key, segment in unique.items():
        if seen is not None and key in seen:
            best[key] = seen[key]
            continue
        entry = memory.get(segment.norm) if memory is not None else None
        cached = cache.get(key) if cache is not None and entry is None else None
        if entry is not None:
            best[key] = from_memory(segment, entry.tgt)
        elif cached is not None:
            best[key] = from_cache(segment, cached)
        elif has_han(segment.norm):
            pending.append(key)
        else:
            best[key] = copy_through(segment)
    return Plan(unique, best, pending, Counter(source_key(segment) for _text, segment in items))


def _tags_to_send(engine: Engine, segment: Segment) -> list:
    """The segment's inline tags, where the engine translates tags and the tagged request fits it whole."""
    tags = inner(segment.tags) if engine.markup else []
    if tags and not engine.fits(Request(tagged_source(segment), _unique_pairs(term_pairs(segment)))):
        return []
    return tags


def _next_level(engine: Engine, best: Translation, level: int) -> int | None:
    """The next method to try, if any: the next one while a term or text problem is left; for tag
    problems alone only the engine's ``retag`` methods (a re-prompt that shows the draft and its
    tags), never a forcing one — a grammar that forces tags into place wrecks the sentence around
    them, and render has a fallback for a tag."""
    if best.text_problems:
        return level if level < len(engine.methods) else None
    if best.tag_problems:
        return next((i for i in range(level, len(engine.methods)) if engine.methods[i] in engine.retag), None)
    return None


def lock(engine: Engine, sources: list[Segment], batch_size: int = 8,
         finished: Callable[[int, Translation], None] = lambda i, verdict: None,
         checkpoint: Callable[[], None] = lambda: None,
         examples: Callable[[Segment], tuple[TermPair, ...]] = lambda segment: ()) -> list[Translation]:
    """The best verdict for each source: its weakest method first, the next while a problem is left.

    ``finished(i, verdict)`` is called as each source is done. This is all that needs the engine,
    so it can run where the engine is (a worker process or a Ray actor).
    """
    best: dict[int, Translation] = {}
    levels = [0] * len(sources)
    sent = [_tags_to_send(engine, s) for s in sources]

    def request(i: int) -> Request:
        segment = sources[i]
        source = tagged_source(segment) if sent[i] else segment.norm
        return Request(source, _unique_pairs(term_pairs(segment)), engine.methods[levels[i]],
                       best[i].tagged if i in best else "", examples(segment))

    def follow(i: int, raw: str) -> Request | None:
        """Judge an answer; ask again with the next method while it has a problem."""
        level = levels[i]
        verdict = judge(sources[i], raw, engine.methods[level], sent[i])
        if i not in best or verdict.rank < best[i].rank:
            best[i] = verdict
        best[i].attempts = level + 1
        following = _next_level(engine, best[i], level + 1)
        if following is not None:
            levels[i] = following
            return request(i)
        finished(i, best[i])
        return None

    if sources:
        engine.translate_followed([request(i) for i in range(len(sources))], follow, batch_size, checkpoint)
    return [best[i] for i in range(len(sources))]


def finish(items: Sequence[Item], best: dict[tuple, Translation]) -> None:
    for text, segment in items:
        segment.translation = finalize(text, segment, best[source_key(segment)])


def store(cache, key: tuple, verdict: Translation) -> None:
    cache.put(key, verdict.tagged, verdict.method, verdict.attempts, verdict.degenerate)


def translate_segments(engine: Engine, items: Sequence[Item], batch_size: int = 8,
                       on_done: Callable[[int], None] | None = None, memory=None, cache=None,
                       seen: dict | None = None, examples=lambda segment: ()) -> None:
    """Fill ``segment.translation`` for every item; identical sources are translated once.

    ``memory`` (a TranslationMemory) supplies reviewed English for exact normalized-source matches;
    ``cache`` (a SegmentCache) supplies and stores finished translations; ``seen`` holds (and
    receives) the verdicts of earlier batches of the run.
    """
    work = plan(items, memory, cache, seen)
    if on_done:
        on_done(sum(n for key, n in work.copies.items() if key in work.best))

    def finished(i: int, verdict: Translation) -> None:
        key = work.pending[i]
        if cache is not None:
            store(cache, key, verdict)
        if on_done:
            on_done(work.copies[key])

    verdicts = lock(engine, [work.unique[k] for k in work.pending], batch_size, finished,
                    cache.commit if cache is not None else lambda: None, examples)
    work.best.update(zip(work.pending, verdicts))
    if seen is not None:
        seen.update(work.best)
    finish(items, work.best)
