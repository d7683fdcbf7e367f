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
    from pipeline.translate.planning import share_engine_time
    from pipeline.translate.prompting import Prompting, translate_segments

    seen: dict = {}  # verdicts of this run so far: a source is translated once a run
    prompting = context.prompting if context.prompting is not None else Prompting()

    def translate_group(docs: list[Document]) -> list[Document]:
        """One locking loop over several documents, so the engine's batches are full."""
        started = time.perf_counter()
        items = [(doc.text, s) for doc in docs for s in doc.segments]
        translate_segments(context.engine, items, context.batch_size, context.on_done, context.memory, context.cache,
                           seen, prompting=prompting)
        share_engine_time(docs, time.perf_counter() - started)
        return docs

    def pipe(docs: Iterable[Document]) -> Iterator[Document]:
        for group in groups(docs, context.batch_size):
            yield from translate_group(group)

    def translate(doc: Document) -> Document:
        return translate_group([doc])[0]

    translate.pipe = pipe  # the pipeline streams documents through it: small ones share a batch
    return translate


def groups(docs: Iterable[Document], batch_size: int) -> Iterator[list[Document]]:
    """Consecutive documents gathered until they hold ``batch_size`` segments (one engine batch)."""
    group: list[Document] = []
    segments = 0
    for doc in docs:
        group.append(doc)
        segments += sum(1 for _ in doc.segments)
        if segments >= batch_size:
            yield group
            group, segments = [], 0
    if group:
        yield group
