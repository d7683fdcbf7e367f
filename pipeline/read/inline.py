"""Inline tokenizer for wiki-Markdown: turns a run of characters into contiguous spans.

Spans tile the run exactly (no gap, no overlap), so joining their ``raw`` gives back the input.
"""
from __future__ import annotations

import re

from pipeline.document import Span, SpanKind

_LABEL = r"(?:\\.|[^\[\]\\\n]|\[(?:\\.|[^\[\]\\\n])*\])*"
_TARGET = r"(?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))+"

_PATTERNS = [
    ("comment", r"<!--.*?-->"),
    ("footnote", r"\\\[[^\[\]\\\n]{1,24}\\\]"),
    ("link", rf"\[(?P<label>{_LABEL})\]\((?P<target>{_TARGET})(?:(?P<tsep>[ \t]+)\"(?P<title>(?:\\.|[^\"\\\n])*)\")?\)"),
    ("html_link", r"<a\s[^<>]*>(?P<alabel>[^<>\n]*)</a>"),
    ("html", r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>"),
    ("template", r"\{\{(?:[^{}\n]|\{[^{}\n]*\})*\}\}"),
    ("conversion", r"-\{(?P<conv>[^{}\n]*)\}-"),
    ("url", r"<https?://[^\s<>]+>|https?://[^\s<>\[\]()（）\"“”]+"),
    ("escape", r"\\[\\`*_{}\[\]()#+\-.!~|<>\"']"),
    ("emphasis", r"\*\*\*|\*\*|'''|''"),
]
_TOKEN = re.compile("|".join(f"(?P<{name}>{pat})" for name, pat in _PATTERNS), re.DOTALL)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_ESCAPED = re.compile(r"\\(.)")
_CONVERSION_VARIANT = re.compile(r"(?:^|;)\s*zh(?:-[a-z]+)?\s*:")

# Block-level HTML tags: a segment never runs across one of these.
BLOCK_TAGS = frozenset({
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "p", "div", "br", "h1", "h2", "h3", "h4",
    "h5", "h6", "ul", "ol", "li", "references", "small", "blockquote", "hr", "caption",
})


def tag_name(raw: str) -> str:
    match = re.match(r"</?([A-Za-z][A-Za-z0-9]*)", raw)
    return match.group(1).lower() if match else ""


def _unescape(raw: str, base: int) -> tuple[str, tuple[int, ...]]:
    """Text of ``raw`` with backslash escapes removed, and each character's file offset."""
    chars, offsets = [], []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            i += 1
        chars.append(raw[i])
        offsets.append(base + i)
        i += 1
    return "".join(chars), tuple(offsets)


def _text_span(raw: str, start: int) -> Span:
    return Span(SpanKind.TEXT, start, start + len(raw), raw, raw, tuple(range(start, start + len(raw))))


def _link_span(match: re.Match, start: int) -> Span:
    raw = match.group(0)
    label, target, title = match.group("label"), match.group("target"), match.group("title")
    if (title or "").startswith("fig:") or re.search(r"/(?:File|Image):", target):
        return Span(SpanKind.IMAGE, start, start + len(raw), raw, target=target, title=title)
    if label.startswith("Category:"):
        return Span(SpanKind.CATEGORY, start, start + len(raw), raw, target=target, title=title)
    text, offsets = _unescape(label, start + 1)
    return Span(SpanKind.LINK, start, start + len(raw), raw, text, offsets, target=target, title=title)


def _html_link_span(match: re.Match, start: int) -> Span:
    raw = match.group(0)
    attrs = dict(_ATTR.findall(raw[: raw.index(">")]))
    label = match.group("alabel")
    label_at = start + match.start("alabel") - match.start()
    title = attrs.get("title")
    kind = SpanKind.IMAGE if (title or "").startswith("fig:") else SpanKind.LINK
    if kind is SpanKind.IMAGE:
        return Span(kind, start, start + len(raw), raw, target=attrs.get("href"), title=title)
    return Span(kind, start, start + len(raw), raw, label, tuple(range(label_at, label_at + len(label))),
                target=attrs.get("href"), title=title)


def _conversion_span(match: re.Match, start: int) -> Span:
    raw, body = match.group(0), match.group("conv")
    if _CONVERSION_VARIANT.search(body):
        return Span(SpanKind.CONVERSION, start, start + len(raw), raw)
    return Span(SpanKind.CONVERSION, start, start + len(raw), raw, body,
                tuple(range(start + 2, start + 2 + len(body))))


def _token_span(match: re.Match, start: int) -> Span:
    kind, raw = match.lastgroup, match.group(0)
    if kind == "link":
        return _link_span(match, start)
    if kind == "html_link":
        return _html_link_span(match, start)
    if kind == "conversion":
        return _conversion_span(match, start)
    if kind == "escape":
        return Span(SpanKind.ESCAPE, start, start + 2, raw, raw[1], (start + 1,))
    return Span(SpanKind(kind), start, start + len(raw), raw)


def tokenize(text: str, start: int, end: int) -> list[Span]:
    """Spans covering ``text[start:end]`` exactly."""
    spans: list[Span] = []
    pos = start
    for match in _TOKEN.finditer(text, start, end):
        if match.start() > pos:
            spans.append(_text_span(text[pos:match.start()], pos))
        spans.append(_token_span(match, match.start()))
        pos = match.end()
    if pos < end:
        spans.append(_text_span(text[pos:end], pos))
    return spans
