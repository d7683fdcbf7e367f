"""Render: the translated document — the original structure with English in each segment.

Markup a segment carried is put back, each span kind as its ``placement`` trait says: a link whose
label holds a locked term wraps that term's English; bold around a term stays on it; footnote marks
follow the sentence; images, templates and HTML keep their side of the text. What cannot be placed
is recorded on the segment (``lost_links``, ``lost_emphasis``) for QA, never silently dropped.
"""
from __future__ import annotations

from pipeline.components import Context, component
from pipeline.document import Block, Document, Segment, Span, TermOutcome

Wrap = tuple[int, int, str, str, int]  # start, end, opening, closing, nesting rank


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


def _pairs(spans: list[Span]) -> tuple[list[tuple[Span, Span]], int]:
    """Opening/closing marks of the ``pair`` kinds (bold, italic), and how many are unpaired."""
    pairs, opened, unpaired = [], None, 0
    for span in spans:
        if span.traits.placement == "pair":
            if opened is None:
                opened = span
            elif opened.raw == span.raw:
                pairs.append((opened, span))
                opened = None
            else:
                unpaired += 1
    return pairs, unpaired + (opened is not None)


def render_segment(segment: Segment) -> None:
    """Assigns ``markdown``, ``lost_links`` and ``lost_emphasis``."""
    english, outcomes = segment.translation.tgt, segment.translation.outcomes
    wraps: list[Wrap] = []
    taken: set[int] = set()
    segment.lost_links = []

    pairs, segment.lost_emphasis = _pairs(segment.spans)
    for opening, closing in pairs:
        outcome = _term_in(outcomes, opening.end, closing.start, set())
        if outcome:
            wraps.append((outcome.tgt_start, outcome.tgt_end, opening.raw, closing.raw, 0))
        else:
            segment.lost_emphasis += 1

    first_text = segment.plain_offsets[0] if segment.plain_offsets else segment.start
    before, after = [], []
    for span in segment.spans:
        placement = span.traits.placement
        if placement == "wrap" and span.text:
            outcome = _term_in(outcomes, span.text_offsets[0], span.text_offsets[-1] + 1, taken)
            if outcome:
                taken.add(id(outcome))
                opening, closing = _link_parts(span)
                wraps.append((outcome.tgt_start, outcome.tgt_end, opening, closing, 1))
            else:
                segment.lost_links.append(span)
        elif placement == "after":
            after.append(span.raw)
        elif placement == "aside":
            (before if span.end <= first_text else after).append(span.raw)

    segment.markdown = "".join(before) + _apply(english, wraps) + "".join(after)


# The English comes from a model or a glossary: where Markdown is rendered as HTML it must stay text.
_MARKDOWN_TEXT = {"<": "&lt;", "&": "&amp;"}


def _apply(text: str, wraps: list[Wrap]) -> str:
    """The English with the source's markup around the spans it wraps; the English itself escaped."""
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
            out.append(_MARKDOWN_TEXT.get(text[i], text[i]))
    return "".join(out)


def _render_block(block: Block, doc: Document) -> str:
    if not block.segments:
        return block.render()
    out, pos, previous = [], block.start, None
    for segment in block.segments:
        gap = doc.text[pos:segment.start]
        if previous is not None and gap == "":
            gap = " "  # Chinese sentences abut; English ones need a space
        out += [gap, segment.markdown]
        pos, previous = segment.end, segment
    out.append(doc.text[pos:block.end])
    return "".join(out)


def render_document(doc: Document) -> Document:
    """Assigns each segment's Markdown and ``doc.markdown``, the English document."""
    for segment in doc.segments:
        render_segment(segment)
    doc.markdown = "".join(_render_block(block, doc) for block in doc.blocks)
    return doc


@component("render", requires=("segment.translation",),
           assigns=("segment.markdown", "segment.lost_links", "segment.lost_emphasis", "doc.markdown"))
def make_renderer(context: Context):
    """The English Markdown: each segment's English with its markup put back, in the source's structure."""
    return render_document
