"""Stage 5a — the translated document: the original structure with English in each segment.

Markup a segment carried is put back: a link whose label holds a locked term wraps that term's
English; bold around a term stays on it; footnote marks follow the sentence; images, templates and
HTML keep their side of the text. What cannot be placed is reported, never silently dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.document import Block, Document, Segment, Span
from pipeline.translate.locking import TermOutcome
from pipeline.translate.locking_loop import Result

_MOVABLE = ("image", "template", "comment", "html", "url", "category")
_BOLD = ("**", "'''", "***")


@dataclass
class Rendered:
    markdown: str
    lost_links: list[Span] = field(default_factory=list)
    lost_emphasis: int = 0


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def _link_parts(span: Span) -> tuple[str, str]:
    """The markup before and after a link's label: ``[`` and ``](target "title")``, or <a …> and </a>."""
    first, last = span.text_offsets[0], span.text_offsets[-1] + 1
    return span.raw[:first - span.start], span.raw[last - span.start:]


def _term_in(outcomes: list[TermOutcome], lo: int, hi: int, taken: set[int]) -> TermOutcome | None:
    for outcome in outcomes:
        if outcome.status == "locked" and not outcome.shared and id(outcome) not in taken \
                and _overlaps(outcome.match.src_start, outcome.match.src_end, lo, hi):
            return outcome
    return None


def _bold_pairs(spans: list[Span]) -> tuple[list[tuple[Span, Span]], int]:
    pairs, opened, unpaired = [], None, 0
    for span in spans:
        if span.kind == "emphasis":
            if opened is None:
                opened = span
            elif opened.raw == span.raw:
                pairs.append((opened, span))
                opened = None
            else:
                unpaired += 1
    return pairs, unpaired + (opened is not None)


def render_segment(segment: Segment, result: Result) -> Rendered:
    english, outcomes = result.tgt, result.outcomes
    wraps: list[tuple[int, int, str, str, int]] = []  # start, end, open, close, nesting rank
    rendered = Rendered("")
    taken: set[int] = set()

    pairs, rendered.lost_emphasis = _bold_pairs(segment.spans)
    for opening, closing in pairs:
        outcome = _term_in(outcomes, opening.end, closing.start, set())
        if outcome:
            wraps.append((outcome.tgt_start, outcome.tgt_end, opening.raw, closing.raw, 0))
        else:
            rendered.lost_emphasis += 1

    first_text = segment.plain_offsets[0] if segment.plain_offsets else segment.start
    before, after = [], []
    for span in segment.spans:
        if span.kind == "link" and span.text:
            outcome = _term_in(outcomes, span.text_offsets[0], span.text_offsets[-1] + 1, taken)
            if outcome:
                taken.add(id(outcome))
                opening, closing = _link_parts(span)
                wraps.append((outcome.tgt_start, outcome.tgt_end, opening, closing, 1))
            else:
                rendered.lost_links.append(span)
        elif span.kind == "footnote":
            after.append(span.raw)
        elif span.kind in _MOVABLE:
            (before if span.end <= first_text else after).append(span.raw)

    rendered.markdown = "".join(before) + _apply(english, wraps) + "".join(after)
    return rendered


def _apply(text: str, wraps: list[tuple[int, int, str, str, int]]) -> str:
    opens: dict[int, list[tuple[int, str]]] = {}
    closes: dict[int, list[tuple[int, str]]] = {}
    for start, end, opening, closing, rank in wraps:
        opens.setdefault(start, []).append((rank, opening))
        closes.setdefault(end, []).append((rank, closing))
    out = []
    for i in range(len(text) + 1):
        out += [c for _, c in sorted(closes.get(i, []), reverse=True)]  # inner closes first
        out += [o for _, o in sorted(opens.get(i, []))]                 # outer opens first
        if i < len(text):
            out.append(text[i])
    return "".join(out)


def render_block(block: Block, doc: Document, rendered: dict[int, Rendered]) -> str:
    if not block.segments:
        return block.render()
    out, pos, previous = [], block.start, None
    for segment in block.segments:
        gap = doc.text[pos:segment.start]
        if previous is not None and gap == "":
            gap = " "  # Chinese sentences abut; English ones need a space
        out += [gap, rendered[segment.index].markdown]
        pos, previous = segment.end, segment
    out.append(doc.text[pos:block.end])
    return "".join(out)


def render_document(doc: Document, rendered: dict[int, Rendered]) -> str:
    return "".join(render_block(block, doc, rendered) for block in doc.blocks)
