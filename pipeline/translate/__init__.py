"""Stage 4 — glossary-locked translation with real neural models."""
from __future__ import annotations

import time

from pipeline.components import Context, component
from pipeline.document import Document


@component("translate", requires=("segment.norm", "segment.terms"),
           assigns=("segment.translation", "doc.seconds"))
def make_translator(context: Context):
    """English for every segment from ``context.engine``, each locked term verified and audited,
    escalating through the engine's methods; the cache and translation memory answer first."""
    from pipeline.translate.locking import translate_segments

    def translate(doc: Document) -> Document:
        started = time.perf_counter()
        translate_segments(context.engine, [(doc.text, s) for s in doc.segments], context.batch_size,
                           context.on_done, context.memory, context.cache)
        doc.seconds = time.perf_counter() - started
        return doc
    return translate
