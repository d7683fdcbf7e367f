"""Stage 4 — glossary-locked translation with real neural models."""
from __future__ import annotations

import time
from typing import Iterable, Iterator

from pipeline.components import Context, component
from pipeline.document import Document


@component("translate", requires=("segment.norm", "segment.terms"),
           assigns=("segment.translation", "doc.seconds"))
def make_translator(context: Context):
    """English for every segment from ``context.engine``, each locked term verified and audited,
    escalating through the engine's methods; the cache and translation memory answer first."""
    from pipeline.translate.locking import translate_segments

    seen: dict = {}  # verdicts of this run so far: a source is translated once a run

    def translate_group(docs: list[Document]) -> list[Document]:
        """One locking loop over several documents, so the engine's batches are full."""
        started = time.perf_counter()
        items = [(doc.text, s) for doc in docs for s in doc.segments]
        translate_segments(context.engine, items, context.batch_size, context.on_done, context.memory, context.cache,
                           seen)
        seconds = time.perf_counter() - started
        for doc in docs:  # the engine time shared out by segments
            doc.seconds = seconds * sum(1 for _ in doc.segments) / max(1, len(items))
        return docs

    def pipe(docs: Iterable[Document]) -> Iterator[Document]:
        for group in groups(docs, context.batch_size):
            yield from translate_group(group)

    translate = _Translator(lambda doc: translate_group([doc])[0], pipe)
    return translate


def groups(docs: Iterable[Document], batch_size: int) -> Iterator[list[Document]]:
    """Consecutive documents gathered until they hold ``batch_size`` segments (one engine batch)."""
    group: list[Document] = []
    for doc in docs:
        group.append(doc)
        if sum(1 for d in group for _ in d.segments) >= batch_size:
            yield group
            group = []
    if group:
        yield group


class _Translator:
    """Callable on one document; ``pipe`` groups small documents into one engine batch."""

    def __init__(self, one, pipe):
        self._one, self.pipe = one, pipe

    def __call__(self, doc: Document) -> Document:
        return self._one(doc)
