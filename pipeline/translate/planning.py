"""What a batch of segments needs before any engine runs, and what is done with the verdicts after.

Each unique source (normalized text + its locked terms) is translated once a run. The translation
memory answers first, then the segment cache, then the rules that need no model (a segment that is
one locked term, a segment without Chinese); the rest are pending, for the locking loop — here or on
Ray actors (``pipeline/ray_backend.py`` plans with the same ``plan`` and ``Plan.settle``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from pipeline.chinese import has_han
from pipeline.document import Document, Segment, Translation
from pipeline.translate.methods import Method
from pipeline.translate.repairs import REPAIRS
from pipeline.translate.verdicts import (audited, copy_through, finalize, from_memory, has_chinese_left, of_model,
                                         replaced_in, source_key, tags_in, whole_term)

InDocument = tuple[str, Segment]  # a segment with its document's text


def from_cache(segment: Segment, entry: dict) -> Translation:
    """A cached decision, judged again from the same English as the run that stored it judged it, with
    its substitutions' audit as stored: a rerun from the cache writes what the first run wrote."""
    tags = tags_in(segment, entry["tgt"])
    verdict = of_model(segment, entry["tgt"], entry["method"], tags)
    verdict.attempts, verdict.logprob = entry["attempts"], entry.get("logprob")
    verdict.outcomes = audited(verdict.outcomes, entry.get("replaced") or {})
    if has_chinese_left(verdict):  # an entry stored by a policy that did not fill Chinese in
        verdict = REPAIRS[Method.FILL_IN].run(segment, verdict, tags, {}) or verdict
    verdict.reused = "cache"
    return verdict


def store(cache, key: tuple, verdict: Translation) -> None:
    cache.put(key, verdict.tagged, verdict.method, verdict.attempts, verdict.degenerate, replaced_in(verdict),
              verdict.logprob)


@dataclass
class Plan:
    """What a batch of segments needs: each unique source once, and which of them a model must
    translate (the rest come from the translation memory, the cache, or need no model)."""

    unique: dict[tuple, Segment]
    best: dict[tuple, Translation]
    pending: list[tuple]
    copies: Counter

    def sources(self) -> list[Segment]:
        """The segments the locking loop must translate, in order."""
        return [self.unique[key] for key in self.pending]

    def settle(self, verdicts: Sequence[Translation], cache=None, seen: dict | None = None) -> None:
        """The loop's verdicts for the pending sources: kept, stored in the cache, and remembered for
        later batches of the run (``seen``)."""
        for key, verdict in zip(self.pending, verdicts):
            self.best[key] = verdict
            if seen is not None:
                seen[key] = verdict
            if cache is not None:
                store(cache, key, verdict)


def plan(items: Sequence[InDocument], memory=None, cache=None, seen: dict | None = None) -> Plan:
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
        reused = from_cache(segment, cached) if cached is not None else None
        if entry is not None:
            best[key] = from_memory(segment, entry.tgt)
        elif reused is not None and not reused.unusable:  # broken English (an older policy's) is redone
            best[key] = reused
        elif (term := whole_term(segment)) is not None:
            best[key] = term
        elif has_han(segment.norm):
            pending.append(key)
        else:
            best[key] = copy_through(segment)
    return Plan(unique, best, pending, Counter(source_key(segment) for _text, segment in items))


def finish(items: Sequence[InDocument], best: dict[tuple, Translation]) -> None:
    for text, segment in items:
        segment.translation = finalize(text, segment, best[source_key(segment)])


def share_engine_time(docs: Sequence[Document], seconds: float) -> None:
    """The engine time of a batch of documents shared out among them by their segments (one request
    may serve sentences of several documents, so no closer split exists)."""
    total = sum(1 for doc in docs for _ in doc.segments)
    for doc in docs:
        doc.seconds = seconds * sum(1 for _ in doc.segments) / max(1, total)
