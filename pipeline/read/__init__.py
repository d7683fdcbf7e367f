"""Stage 1 — read wiki-Markdown losslessly into the document model."""
from __future__ import annotations

from pathlib import Path

from pipeline.components import Context, component
from pipeline.document import Document
from pipeline.io import read_article
from pipeline.read.blocks import parse_blocks


def parse(text: str, doc_id: str = "document", path: str = "") -> Document:
    return Document(doc_id=doc_id, path=path, text=text, blocks=parse_blocks(text))


def load(path: Path, doc_id: str | None = None) -> Document:
    return parse(read_article(path), doc_id or path.stem, str(path))


@component("read", requires=("doc.path",), assigns=("doc.text", "doc.blocks"))
def make_reader(context: Context):
    """Reads the file at ``doc.path`` (checked: encoding, size, binary) into blocks of inline spans."""
    def read(doc: Document) -> Document:
        doc.text = read_article(Path(doc.path))
        doc.blocks = parse_blocks(doc.text)
        return doc
    return read
