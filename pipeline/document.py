"""The one data model every stage shares: document → blocks → segments → spans.

All offsets are character offsets into ``Document.text`` (the decoded input file), so any element can
be traced back to the exact original characters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

@dataclass
class Span:
    """A run of inline content.

    ``text`` is the translatable text the span contributes (a link's label, an escaped character,
    the body of a plain ``-{…}-`` mark); ``text_offsets`` holds, for each character of ``text``, its
    offset in the file. Markup, footnote marks, templates and HTML contribute no text.
    """

    kind: str
    start: int
    end: int
    raw: str
    text: str = ""
    text_offsets: tuple[int, ...] = ()
    target: str | None = None
    title: str | None = None

    def render(self) -> str:
        return self.raw

    def to_json(self) -> dict:
        out = {"kind": self.kind, "start": self.start, "end": self.end}
        if self.text:
            out["text"] = self.text
        if self.target is not None:
            out["target"] = self.target
        if self.title is not None:
            out["title"] = self.title
        return out


@dataclass
class Segment:
    """A sentence (or heading, cell, list entry) — the unit sent to the translation engine."""

    index: int
    block: int
    kind: str
    start: int
    end: int
    spans: list[Span]
    plain: str = ""
    plain_offsets: tuple[int, ...] = ()
    script: str = "none"
    norm: str = ""
    norm_offsets: tuple[int, ...] = ()
    annotations: dict = field(default_factory=dict)

    def src(self, text: str) -> str:
        return text[self.start:self.end]

    def to_json(self, doc: "Document") -> dict:
        return {
            "doc": doc.doc_id,
            "seg": self.index,
            "block": self.block,
            "kind": self.kind,
            "src": self.src(doc.text),
            "src_start": self.start,
            "src_end": self.end,
            "script": self.script,
            "plain": self.plain,
            "norm": self.norm,
            "norm_offsets": list(self.norm_offsets),
            "spans": [span.to_json() for span in self.spans],
        }


@dataclass
class Block:
    kind: str
    index: int
    start: int
    end: int
    spans: list[Span]
    translatable: bool = True
    segments: list[Segment] = field(default_factory=list)

    def render(self) -> str:
        return "".join(span.render() for span in self.spans)


@dataclass
class Document:
    doc_id: str
    path: str
    text: str
    blocks: list[Block] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def render(self) -> str:
        return "".join(block.render() for block in self.blocks)

    @property
    def segments(self) -> Iterator[Segment]:
        for block in self.blocks:
            yield from block.segments
