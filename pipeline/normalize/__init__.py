"""Stage 2b — script detection and OpenCC normalization per segment."""
from __future__ import annotations

from pipeline.components import Context, component
from pipeline.document import Document
from pipeline.normalize.script import CONFIGS, DEFAULT_CONFIG, detect_script, normalize


def normalize_document(doc: Document, config: str = DEFAULT_CONFIG) -> Document:
    for segment in doc.segments:
        segment.script = detect_script(segment.plain)
        result = normalize(segment.plain, config)
        segment.norm = result.text
        segment.norm_offsets = tuple(segment.plain_offsets[i] for i in result.source_index)
    doc.meta["opencc"] = config
    return doc


@component("normalize", requires=("segment.plain", "segment.plain_offsets"),
           assigns=("segment.script", "segment.norm", "segment.norm_offsets", "doc.meta.opencc"))
def make_normalizer(context: Context):
    """NFC, half-width alphanumerics and OpenCC (``context.opencc``), keeping each character's offset."""
    return lambda doc: normalize_document(doc, context.opencc)


__all__ = ["CONFIGS", "DEFAULT_CONFIG", "detect_script", "normalize", "normalize_document"]
