"""Stage 2a — sentence segmentation."""
from __future__ import annotations

from pipeline.components import Context, component
from pipeline.document import Document
from pipeline.segment.sentences import segment_block


def segment_document(doc: Document) -> Document:
    count = 0
    for block in doc.blocks:
        block.segments = segment_block(block, doc.text, count)
        count += len(block.segments)
    return doc


@component("segment", requires=("doc.blocks",),
           assigns=("block.segments", "segment.spans", "segment.plain", "segment.plain_offsets"))
def make_segmenter(context: Context):
    """Splits each translatable block into sentences (cells, headings, list entries)."""
    return segment_document
