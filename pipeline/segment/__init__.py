"""Sentence segmentation stage."""
from __future__ import annotations

from pipeline.document import Document
from pipeline.segment.sentences import segment_block


def segment_document(doc: Document) -> Document:
    count = 0
    for block in doc.blocks:
        block.segments = segment_block(block, doc.text, count)
        count += len(block.segments)
    return doc
