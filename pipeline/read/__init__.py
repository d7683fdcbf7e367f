"""Stage 1 — read wiki-Markdown losslessly into the document model."""
from __future__ import annotations

from pathlib import Path

from pipeline.document import Document
from pipeline.io import read_article
from pipeline.read.blocks import parse_blocks


def parse(text: str, doc_id: str = "document", path: str = "") -> Document:
    return Document(doc_id=doc_id, path=path, text=text, blocks=parse_blocks(text))


def load(path: Path, doc_id: str | None = None) -> Document:
    return parse(read_article(path), doc_id or path.stem, str(path))
