"""Chinese sentence segmentation over a block's spans.

Splits after 。！？ (and ； between long clauses), keeps closing quotes and brackets with their
sentence, never cuts inside a link, an escape, a 《title》 or a bracket pair, and keeps footnote
marks with the sentence they follow. Block-level HTML tags and line breaks are hard boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.document import Block, Segment, Span, SpanKind
from pipeline.read.inline import BLOCK_TAGS, tag_name

TERMINATORS = set("。！？!?")
SOFT_TERMINATORS = set("；")
CLOSERS = set("”’」』）)》〉】〕\"'")
OPENING = {"（": "）", "(": ")", "《": "》", "【": "】", "〔": "〕", "〈": "〉"}
MIN_CLAUSE = 15  # a ； splits only when both sides have at least this many characters


@dataclass
class _Char:
    char: str
    offset: int
    span: int  # index into the run's spans
    in_text: bool  # the span is plain text, so a cut inside it is safe


def _is_hard_boundary(span: Span) -> bool:
    return span.traits.boundary or (span.kind is SpanKind.HTML and tag_name(span.raw) in BLOCK_TAGS)


def _runs(spans: list[Span]) -> list[list[Span]]:
    """Content spans split at hard boundaries (prefix markup and line breaks excluded)."""
    runs, current = [], []
    for span in spans:
        if not span.traits.in_segment or _is_hard_boundary(span):
            if current:
                runs.append(current)
            current = []
        else:
            current.append(span)
    if current:
        runs.append(current)
    return runs


def _chars(run: list[Span]) -> list[_Char]:
    return [_Char(c, off, i, span.traits.cuttable)
            for i, span in enumerate(run) for c, off in zip(span.text, span.text_offsets)]


def _cut_points(chars: list[_Char]) -> list[int]:
    """Indices into ``chars`` before which a new sentence starts."""
    cuts, depth_stack, last_cut = [], [], 0
    i, n = 0, len(chars)
    while i < n:
        c = chars[i].char
        if c in OPENING:
            depth_stack.append(OPENING[c])
        elif depth_stack and c == depth_stack[-1]:
            depth_stack.pop()
        if not depth_stack and (c in TERMINATORS or c in SOFT_TERMINATORS):
            j = i + 1
            while j < n and (chars[j].char in TERMINATORS or chars[j].char in CLOSERS):
                j += 1
            soft = c in SOFT_TERMINATORS
            if j < n and _cuttable(chars, j) and (
                    not soft or (i - last_cut >= MIN_CLAUSE and n - j >= MIN_CLAUSE)):
                cuts.append(j)
                last_cut = j
            i = j
            continue
        i += 1
    return cuts


def _cuttable(chars: list[_Char], j: int) -> bool:
    """A cut must not fall inside a link label, an escape or a conversion mark."""
    return chars[j].span != chars[j - 1].span or chars[j].in_text


def _split_run(run: list[Span]) -> list[tuple[int, int]]:
    chars = _chars(run)
    if not chars:
        return []
    bounds = [run[0].start]
    for cut in _cut_points(chars):
        span = run[chars[cut].span]
        bounds.append(chars[cut].offset if span.traits.cuttable else span.start)
    bounds.append(run[-1].end)
    return list(zip(bounds, bounds[1:]))


def _clip(span: Span, start: int, end: int) -> Span | None:
    if span.end <= start or span.start >= end:
        return None
    if not span.traits.cuttable or (span.start >= start and span.end <= end):
        return span
    lo, hi = max(span.start, start), min(span.end, end)
    raw = span.raw[lo - span.start:hi - span.start]
    return Span(SpanKind.TEXT, lo, hi, raw, raw, tuple(range(lo, hi)))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def segment_block(block: Block, text: str, first_index: int) -> list[Segment]:
    """Sentences of one block; ``first_index`` numbers them within the document."""
    if not block.translatable:
        return []
    segments: list[Segment] = []
    for run in _runs(block.spans):
        for start, end in _split_run(run):
            start, end = _trim(text, start, end)
            spans = [c for s in run if (c := _clip(s, start, end)) is not None]
            plain = "".join(s.text for s in spans)
            if not plain.strip():
                continue
            offsets = tuple(o for s in spans for o in s.text_offsets)
            kind = "table_cell" if block.kind == "table" else block.kind
            segments.append(Segment(first_index + len(segments), block.index, kind, start, end,
                                    spans, plain, offsets))
    return segments
