"""What the prompt shows beside each sentence, and the translate component's entry point.

``translate_segments`` plans a batch (``pipeline/translate/planning.py``), sets each sentence's prompt
context (similar translated pairs, and with ``Prompting.context`` the sentences before it with their
first drafts), runs the locking loop over what is pending, and gives every segment its verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

from pipeline.chinese import has_han
from pipeline.document import Segment, SpanKind, Translation
from pipeline.markup import strip_tags
from pipeline.translate.engines.base import Engine, Request
from pipeline.translate.locking import lock
from pipeline.translate.planning import InDocument, finish, plan, store
from pipeline.translate.verdicts import source_key, tagged_source, term_pairs, unique_pairs

# Off by default: on FLORES dev two sentences of context cost ×3.9 the time for a chrF gain within
# noise, and retrieved examples ×1.3 for one within noise (bench/RESULTS.md, "Context without waiting").
DEFAULT_CONTEXT = 0
DEFAULT_EXAMPLES = 0


@dataclass(frozen=True)
class Prompting:
    """What goes into the prompt beside the sentence: ``examples`` similar translated pairs (from an
    ``ExampleIndex``), and the ``context`` sentences before it in its document with their English.
    That English is their first draft, written for every sentence at once before the translation
    proper, so no sentence waits for the one before it and one article fills a batch."""

    context: int = 0
    examples: int = 0
    index: object = None  # an ExampleIndex
    # Tell the model whom a biography is about (``article_subject``). Off by default: on the 12
    # articles the line cost a tenth more requests and a third more time, and the model echoed it in
    # every method for four short segments (bench/RESULTS.md, "Confidence and adequacy rules").
    subject: bool = False

    def __bool__(self) -> bool:
        return bool(self.context or (self.examples and self.index is not None))

    def describe(self) -> str:
        return f"context={self.context},examples={self.examples}" + (",subject" if self.subject else "")


LEAD = 3  # the segments of an article that may name its subject in bold (the title line, the lead)


def article_subject(doc: Sequence[InDocument]) -> str:
    """A biography's subject: the person its lead names in bold (**王明**是…), as the term base's (or
    the run's) approved English; "" for an article about anything else."""
    for _text, segment in doc[:LEAD]:
        marks = [span for span in segment.spans if span.kind == SpanKind.EMPHASIS]  # ** opens, ** closes
        bold = [(opening.end, closing.start) for opening, closing in zip(marks[::2], marks[1::2])]
        for match in segment.terms:
            if match.term.type == "person" and match.term.en and \
                    any(start <= match.src_start and match.src_end <= end for start, end in bold):
                return match.term.en
    return ""


def tell_subjects(items: Sequence[InDocument], prompting: Prompting) -> None:
    """Each segment's ``about``: its article's subject (``article_subject``), which the adequacy rules
    know; and its ``subject``, the same where prompting tells the model."""
    for doc in documents(items):
        about = article_subject(doc)
        for _text, segment in doc:
            segment.about = about
            segment.subject = about if prompting.subject else ""


def documents(items: Sequence[InDocument]) -> list[list[InDocument]]:
    """The items grouped by document (items of one document share its text), in order."""
    grouped: dict[int, list[InDocument]] = {}
    for item in items:
        grouped.setdefault(id(item[0]), []).append(item)
    return list(grouped.values())


def _with_context(engine: Engine, segment: Segment, pairs: tuple[tuple[str, str], ...]) -> tuple:
    """The most of ``pairs`` (the nearest kept) with which the request still fits the engine."""
    request = Request(tagged_source(segment), unique_pairs(term_pairs(segment)))
    while pairs and not engine.fits(replace(request, context=pairs)):
        pairs = pairs[1:]
    return pairs


def _similar(prompting: Prompting, segment: Segment) -> tuple[tuple[str, str], ...]:
    if not (prompting.examples and prompting.index is not None and has_han(segment.norm)):
        return ()
    return prompting.index.similar(segment.norm, prompting.examples)


DRAFT = ("draft",)  # a first draft's cache key: its sentence's key and this


def first_drafts(engine: Engine, items: Sequence[InDocument], batch_size: int, cache, locker) -> dict[int, str]:
    """The first answer (no context, no further request) of every sentence that a later one shows
    as context, all at once: id of the segment → English."""
    keys = {id(segment): source_key(segment) for _text, segment in items}
    shown = {}
    for doc in documents(items):
        with_han = [segment for _text, segment in doc if has_han(segment.norm)]
        shown.update((keys[id(segment)], segment) for segment in with_han[:-1])
    cached = {key: cache.get(key + DRAFT) for key in shown} if cache is not None else {}
    drafts = {key: strip_tags(entry["tgt"]) for key, entry in cached.items() if entry is not None}
    pending = [key for key in shown if key not in drafts]
    verdicts = locker(engine, [shown[key] for key in pending], batch_size, first_only=True)
    for key, verdict in zip(pending, verdicts):
        drafts[key] = verdict.tgt
        if cache is not None:
            store(cache, key + DRAFT, verdict)
    return {segment_id: drafts[key] for segment_id, key in keys.items() if key in drafts}


def _prior(done: list[InDocument], drafts: dict[int, str], count: int) -> tuple[tuple[str, str], ...]:
    """The last ``count`` Chinese sentences before a segment, with their drafts."""
    pairs = [(s.norm, drafts[id(s)]) for _t, s in done if drafts.get(id(s))]
    return tuple(pairs[-count:]) if count else ()


def translate_segments(engine: Engine, items: Sequence[InDocument], batch_size: int = 8,
                       on_done: Callable[[int], None] | None = None, memory=None, cache=None,
                       seen: dict | None = None, examples=lambda segment: (),
                       prompting: Prompting = Prompting(), locker=None, listed: bool = False) -> None:
    """Fill ``segment.translation`` for every item; identical sources are translated once.

    ``memory`` (a TranslationMemory) supplies reviewed English for exact normalized-source matches;
    ``cache`` (a SegmentCache) supplies and stores finished translations; ``seen`` holds (and
    receives) the verdicts of earlier batches of the run; ``prompting`` what the prompt shows
    beside each sentence; ``locker`` runs the locking loop (default ``lock``: here, on ``engine``);
    ``listed``: the items are short names, asked several to a request first (``in_lists``).
    """
    locker = locker or lock
    tell_subjects(items, prompting)
    for _text, segment in items:  # the examples depend on the sentence alone
        segment.context = _with_context(engine, segment, _similar(prompting, segment))
    if prompting.context:
        drafts = first_drafts(engine, items, batch_size, cache, locker)
        for doc in documents(items):
            for k, (_text, segment) in enumerate(doc):
                segment.context = _with_context(engine, segment,
                                                segment.context + _prior(doc[:k], drafts, prompting.context))
    _translate_batch(engine, items, batch_size, on_done, memory, cache, seen, examples, locker, listed)


def _translate_batch(engine, items, batch_size, on_done, memory, cache, seen, examples, locker, listed=False) -> None:
    work = plan(items, memory, cache, seen)
    if on_done:
        on_done(sum(n for key, n in work.copies.items() if key in work.best))

    def finished(i: int, verdict: Translation) -> None:
        key = work.pending[i]
        if cache is not None:
            store(cache, key, verdict)
        if on_done:
            on_done(work.copies[key])

    verdicts = locker(engine, work.sources(), batch_size, finished,
                      cache.commit if cache is not None else lambda: None, examples, listed=listed)
    work.settle(verdicts)
    if seen is not None:
        seen.update(work.best)
    finish(items, work.best)
