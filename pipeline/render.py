"""Render: the translated document — the original structure with English in each segment.

The engine returns each segment's inline markup as tags around the English (``pipeline/markup.py``);
render puts the original markup back where the tags are, and a pair anchored on a locked term
(``[王明](…)``) around that term's verified English. A tag the engine did not return well is
placed by a fallback, recorded on the segment (``fallbacks``) for QA, never silently: a link or bold
run wraps the English of a locked term inside it, else (a link) the English its target is known by
where the English has it, else all the English where it held all the text; a footnote mark or
inline code goes after the clause it followed; what cannot be placed is ``lost``. Points at a
segment's edges keep their side.
"""
from __future__ import annotations

import re

from pipeline.components import Context, component
from pipeline.document import Block, Document, Fallback, Segment, SpanKind, TermOutcome
from pipeline.markup import Tag, inner, parse, to_markdown
from pipeline.verify import occurrences

CLAUSE_MARKS = "，、；：。！？,;:!?"
_ENGLISH_CLAUSE_END = re.compile(r"[,;:.!?](?=\s|$)")

Place = tuple[int, int]


def _nests(s: int, e: int, places: dict[str, Place], tags: dict[str, Tag], tag: Tag | None = None) -> bool:
    """A pair at (s, e) would nest with every placed pair (inside, around or beside each); a link
    only beside another link (Markdown links do not nest: "[[Beijing](…) Normal College](…)")."""
    def fits(name: str, ps: int, pe: int) -> bool:
        if e <= ps or pe <= s:
            return True
        if tag is not None and tag.kind == tags[name].kind == SpanKind.LINK:
            return False
        return (ps <= s and e <= pe) or (s <= ps and pe <= e)
    return all(fits(name, ps, pe) for name, (ps, pe) in places.items() if not tags[name].point)


def _held(span: Place, tag: Tag, places: dict[str, Place], tags: dict[str, Tag]) -> bool:
    """A tag of ``tag``'s kind already sits exactly on ``span``."""
    return any(place == span and tags[name].kind == tag.kind for name, place in places.items())


def _free(outcome: TermOutcome, tag: Tag, places: dict[str, Place], tags: dict[str, Tag]) -> bool:
    """A locked term's English can hold ``tag``: its own occurrence, or one it shares with a repeat
    of the term (王明…[王明](…) rendered once) that no tag of the same kind holds yet."""
    if outcome.status != "locked":
        return False
    return not outcome.shared or not _held((outcome.tgt_start, outcome.tgt_end), tag, places, tags)


def _term_in(outcomes: list[TermOutcome], tag: Tag, taken: set[int], places, tags) -> TermOutcome | None:
    for outcome in outcomes:
        m = outcome.match
        if _free(outcome, tag, places, tags) and id(outcome) not in taken \
                and m.norm_start < tag.end and tag.start < m.norm_end:
            return outcome
    return None


def _after_clause(segment: Segment, tag: Tag, english: str) -> int:
    """Where a point goes in the English: after the clause it followed in the Chinese (counted by
    clause marks), or at the end where the English has fewer clauses."""
    before = segment.norm[:tag.start]
    clause = sum(c in CLAUSE_MARKS for c in before) + (0 if before[-1:] in tuple(CLAUSE_MARKS) else 1)
    ends = [m.end() for m in _ENGLISH_CLAUSE_END.finditer(english)]
    return ends[clause - 1] if 0 < clause <= len(ends) else len(english.rstrip())


def _anchors(segment: Segment, places: dict[str, Place]) -> set[int]:
    """Pairs anchored on a locked term go around that term's English (bold and a link may share
    it; a repeat the English rendered once cannot hold a second link); ``places`` receives them.
    Returns the outcomes taken."""
    tags = {t.name: t for t in segment.tags}
    taken: set[int] = set()
    for tag in segment.tags:
        if not tag.anchor:
            continue
        for outcome in segment.translation.outcomes:
            m = outcome.match
            if (m.norm_start, m.norm_end) == (tag.start, tag.end) and _free(outcome, tag, places, tags) \
                    and _nests(outcome.tgt_start, outcome.tgt_end, places, tags, tag):
                places[tag.name] = (outcome.tgt_start, outcome.tgt_end)
                taken.add(id(outcome))
                break
    return taken


def _fallbacks(segment: Segment, english: str, places: dict[str, Place], taken: set[int]) -> list[Fallback]:
    """Places for the tags neither the engine nor a term placed; ``places`` receives them."""
    tags = {t.name: t for t in segment.tags}
    found = []
    for tag in segment.tags:
        if tag.name in places or tag.edge:
            continue
        if tag.point:
            at = _after_clause(segment, tag, english)
            places[tag.name] = (at, at)
            found.append(Fallback(tag, "clause", english[max(0, at - 30):at]))
            continue
        outcome = _term_in(segment.translation.outcomes, tag, taken, places, tags)
        if outcome and _nests(outcome.tgt_start, outcome.tgt_end, places, tags, tag):
            taken.add(id(outcome))
            places[tag.name], how = (outcome.tgt_start, outcome.tgt_end), "term"
        else:
            span, how = _named(tag, english, places, tags), "name"
            if span is None:
                span, how = _whole(segment, tag, english, places, tags), "whole"
            if span is None:
                found.append(Fallback(tag, "lost"))
                continue
            places[tag.name] = span
        found.append(Fallback(tag, how, english[slice(*places[tag.name])]))
    return found


def _named(tag: Tag, english: str, places: dict[str, Place], tags: dict[str, Tag]) -> Place | None:
    """The English its link target is known by, where the English has it and no tag of its kind holds it."""
    if not tag.english:
        return None
    for start in occurrences(english, tag.english, ignore_case=True):
        span = (start, start + len(tag.english))
        if not _held(span, tag, places, tags) and _nests(*span, places, tags, tag):
            return span
    return None


def _whole(segment: Segment, tag: Tag, english: str, places: dict[str, Place], tags: dict[str, Tag]) -> Place | None:
    """All of the English (less its final stop), where the pair held all of the segment's text."""
    outside = segment.norm[:tag.start] + segment.norm[tag.end:]
    if any(c.isalnum() for c in outside):
        return None
    span = (len(english) - len(english.lstrip()), len(english.rstrip().rstrip(".!?")))
    return span if span[0] < span[1] and _nests(*span, places, tags, tag) else None


def _depth(name: str, places: dict[str, Place], tags: dict[str, Tag], rank: dict[str, int]) -> int:
    """How many placed pairs hold this one (of two on the same English, the earlier holds the later)."""
    s, e = places[name]
    return sum(1 for other, (os_, oe) in places.items() if other != name and not tags[other].point
               and os_ <= s and e <= oe and ((os_, oe) != (s, e) or rank[other] < rank[name]))


def _point_key(name: str, p: int, places, tags, rank, inside: dict[str, set[str]]) -> tuple:
    holders = [o for o, (s, e) in places.items() if not tags[o].point
               and (s < p < e or (p in (s, e) and o in inside.get(name, ())))]
    depth = len(holders)
    if any(places[o][1] == p for o in holders):
        return (p, 0, -depth, 1)
    if any(places[o][0] == p for o in holders):
        return (p, 1, depth, -1)
    return (p, 1, -1, 0)


def tagged_english(english: str, places: dict[str, Place], tags: dict[str, Tag], rank: dict[str, int],
                   inside: dict[str, set[str]]) -> str:
    """The English with every placed tag, nested: at one place closes go inner first, opens outer
    first, and a point stays inside the pairs it was inside (``inside``: pair names, from the engine)."""
    events = []
    for name, (s, e) in places.items():
        tag = tags[name]
        if tag.point:
            events.append((_point_key(name, s, places, tags, rank, inside), rank[name], tag.opener))
            continue
        depth = _depth(name, places, tags, rank)
        events.append(((s, 1, depth, 0), rank[name], tag.opener))
        events.append(((e, 0, -depth, 0), -rank[name], tag.closer))
    out, pos = [], 0
    for key, _rank, text in sorted(events):
        out += [english[pos:key[0]], text]
        pos = key[0]
    out.append(english[pos:])
    return "".join(out)


def _engine_places(segment: Segment) -> tuple[str, dict[str, Place], dict[str, int], dict[str, set[str]]]:
    """The engine's English, its well-formed tags' places, their order, and the pairs each point sat in."""
    translation = segment.translation
    if translation.marked is None:
        return translation.tgt, {}, {}, {}
    parsed = parse(translation.marked, inner(segment.tags))
    rank, inside, open_now = {}, {}, []
    for at, text in parsed.events:
        name = text.strip("</>")
        rank.setdefault(name, len(rank))
        if text.startswith("</"):
            open_now.remove(name)
        elif text.endswith("/>"):
            inside[name] = set(open_now)
        else:
            open_now.append(name)
    return parsed.text, dict(parsed.places), rank, inside


def render_segment(segment: Segment) -> None:
    """Assigns ``tgt_tagged``, ``markdown`` and ``fallbacks``."""
    english, places, rank, inside = _engine_places(segment)
    taken = _anchors(segment, places)
    segment.fallbacks = _fallbacks(segment, english, places, taken)
    tags = {t.name: t for t in segment.tags}
    for name in places:
        rank.setdefault(name, len(rank))
    tagged = tagged_english(english, places, tags, rank, inside)
    before = "".join(t.opener for t in segment.tags if t.edge == "before")
    after = "".join(t.opener for t in segment.tags if t.edge == "after")
    segment.tgt_tagged = before + tagged + after
    segment.markdown = to_markdown(segment.tgt_tagged, segment.tags)


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
    doc.markdown = document_markdown(doc)
    return doc


def document_markdown(doc: Document) -> str:
    """The English document from each segment's Markdown, in the source's structure."""
    return "".join(_render_block(block, doc) for block in doc.blocks)


@component("render", requires=("segment.translation", "segment.tags"),
           assigns=("segment.tgt_tagged", "segment.markdown", "segment.fallbacks", "doc.markdown"))
def make_renderer(context: Context):
    """The English Markdown: each segment's English with its markup put back where the engine's tags
    are (or by a recorded fallback), in the source's structure."""
    return render_document
