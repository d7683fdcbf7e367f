"""Block parser for the wiki-dump Markdown: lines → typed blocks made of inline spans.

Blocks tile the document exactly; every block's spans tile the block, so rendering the untouched
model gives back the input character for character.
"""
from __future__ import annotations

import re

from pipeline.document import Block, Span, SpanKind
from pipeline.read.inline import tokenize

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # LF, CRLF and classic-Mac CR endings
_CONVERTER_HEADER = re.compile(r"> 本文内容由.*转换而来")
_HEADING = re.compile(r"(#{1,6})([ \t]+)")
_LIST_ITEM = re.compile(r"([ \t]*)([-*+]|\d{1,4}\.)([ \t]+|(?=\r?$))")
_CONTINUATION = re.compile(r"[ \t]{2,}\S")
_QUOTE = re.compile(r">[ \t]?")
_HTML_LINE = re.compile(r"[ \t]*<(?:!--|/?[A-Za-z])")
_TABLE_OPEN = re.compile(r"[ \t]*<table\b", re.I)
_TABLE_CLOSE = re.compile(r"</table>", re.I)
_REFERENCES = re.compile(r"<references\b", re.I)

# Blocks kept exactly as written in every output.
FIXED_KINDS = frozenset({"bom", "blank", "converter_header", "category", "template"})


def _lines(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _LINE.finditer(text)]


def _content_end(text: str, start: int, end: int) -> int:
    """End of a line's content, before its line break."""
    if end > start and text[end - 1] == "\n":
        end -= 1
    if end > start and text[end - 1] == "\r":
        end -= 1
    return end


def _markup(text: str, start: int, end: int, kind: SpanKind = SpanKind.MARKUP) -> list[Span]:
    return [Span(kind, start, end, text[start:end])] if end > start else []


def _only(spans: list[Span], kind: SpanKind) -> bool:
    """True when a line holds nothing but spans of ``kind`` (and spaces)."""
    kinds = {s.kind for s in spans if not (s.kind in (SpanKind.TEXT, SpanKind.NEWLINE) and not s.raw.strip())}
    return kinds == {kind}


def _line_spans(text: str, start: int, end: int, prefix_len: int = 0) -> list[Span]:
    """A line's spans: optional markup prefix, inline content, line break."""
    content_end = _content_end(text, start, end)
    return (_markup(text, start, start + prefix_len)
            + tokenize(text, start + prefix_len, content_end)
            + _markup(text, content_end, end, SpanKind.NEWLINE))


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.lines = _lines(text)
        self.blocks: list[Block] = []
        self.in_back_matter = False  # after categories or <references>: ordered items are references

    def add(self, kind: str, start: int, end: int, spans: list[Span]) -> None:
        self.blocks.append(Block(kind, len(self.blocks), start, end, spans,
                                 translatable=kind not in FIXED_KINDS))

    def line(self, i: int) -> str:
        start, end = self.lines[i]
        return self.text[start:_content_end(self.text, start, end)]

    def read(self) -> list[Block]:
        i = 0
        if self.text.startswith("\ufeff"):  # a byte-order mark is kept, but is not content
            self.add("bom", 0, 1, _markup(self.text, 0, 1))
            self.lines[0] = (1, self.lines[0][1])
            if self.lines[0][0] == self.lines[0][1]:
                self.lines.pop(0)
        while i < len(self.lines):
            i = self.read_block(i)
        return self.blocks

    def read_block(self, i: int) -> int:
        start, end = self.lines[i]
        line = self.line(i)
        if not line.strip():
            return self.read_blank(i)
        if _TABLE_OPEN.match(line):
            return self.read_table(i)
        if _CONVERTER_HEADER.match(line):
            self.add("converter_header", start, end, _markup(self.text, start, end))
            return i + 1
        spans = _line_spans(self.text, start, end)
        for kind in (SpanKind.CATEGORY, SpanKind.TEMPLATE):
            if _only(spans, kind):
                self.in_back_matter |= kind is SpanKind.CATEGORY
                self.add(kind.value, start, end, spans)
                return i + 1
        if m := _HEADING.match(line):
            self.add("heading", start, end, _line_spans(self.text, start, end, m.end()))
            return i + 1
        if m := _LIST_ITEM.match(line):
            return self.read_list_item(i, m)
        if _HTML_LINE.match(line):
            if _REFERENCES.search(line):
                self.in_back_matter = True
            self.add("html", start, end, spans)
            return i + 1
        if m := _QUOTE.match(line):
            self.add("quote", start, end, _line_spans(self.text, start, end, m.end()))
            return i + 1
        self.add("paragraph", start, end, spans)
        return i + 1

    def read_blank(self, i: int) -> int:
        start = self.lines[i][0]
        while i < len(self.lines) and not self.line(i).strip():
            i += 1
        end = self.lines[i - 1][1]
        self.add("blank", start, end, _markup(self.text, start, end, SpanKind.NEWLINE))
        return i

    def read_list_item(self, i: int, marker: re.Match) -> int:
        start, end = self.lines[i]
        spans = _line_spans(self.text, start, end, marker.end())
        i += 1
        while i < len(self.lines) and _CONTINUATION.match(self.line(i)) \
                and not _LIST_ITEM.match(self.line(i)):
            line_start, line_end = self.lines[i]
            indent = len(self.line(i)) - len(self.line(i).lstrip(" \t"))
            spans += _line_spans(self.text, line_start, line_end, indent)
            end = line_end
            i += 1
        ordered = marker.group(2)[0].isdigit()
        kind = "reference" if ordered and self.in_back_matter else "list_item"
        self.add(kind, start, end, spans)
        return i

    def read_table(self, i: int) -> int:
        start = self.lines[i][0]
        spans: list[Span] = []
        while i < len(self.lines):
            line_start, line_end = self.lines[i]
            spans += _line_spans(self.text, line_start, line_end)
            i += 1
            if _TABLE_CLOSE.search(self.text, line_start, line_end):
                break
        self.add("table", start, self.lines[i - 1][1], spans)
        return i


def parse_blocks(text: str) -> list[Block]:
    return _Reader(text).read()
