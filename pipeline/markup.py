"""Inline markup through the engine as numbered tags (DeepL's tag handling, a CAT tool's inline codes).

Each segment's inline markup becomes tags in the text the engine translates: a link ``<a1>…</a1>``
around its label, bold or italic ``<b1>…</b1>``, a footnote mark ``<f1/>`` and any other inline
code (template, HTML tag, image, unpaired bold mark) ``<x1/>`` where it stands. The tag letter of a
span kind is its ``tag`` trait (``pipeline/document.py``). A point at the very start or end of the
segment stays outside the engine's text (``Tag.edge``): nothing is gained by asking a model to copy it.

``parse`` reads an engine's answer back: which tags came back exactly once, well nested and around
some English (``Parsed.places``), and what is wrong with the others (``Parsed.problems``).
``to_markdown`` turns tagged English into Markdown by putting each tag's original markup back, so
link targets, titles, footnote text and templates are never altered.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace

from pipeline.components import Context, component
from pipeline.document import Document, Segment, Span, SpanKind

TAG = re.compile(r"<(/?)([a-z])(\d{1,3})(/?)>")
# What models write for a tag: spaces, capitals, a space before the slash.
_LOOSE_TAG = re.compile(r"<\s*(/?)\s*([abfxABFX])\s*(\d{1,3})\s*(/?)\s*>")
_LETTERS = "abfx"
EMPTY_CONVERSION = "-{}-"  # a wiki no-op (it only stops script conversion): nothing for the English
_PROTECT_BASE = 0xF0000  # Supplementary Private Use Area-A: never in a model's English
_PROTECTED = re.compile("[\U000f0000-\U000f2fff]")


@dataclass(frozen=True)
class Tag:
    """One inline markup element of a segment, as the engine sees it.

    ``opening``/``closing``: the original markup the tag stands for (``[`` and ``](../Page/X.md
    "wikilink")``; ``**`` and ``**``; a point's whole mark and ""). ``at``/``until``: file offsets of
    the opening and closing markup (a tag's place among the text; ``until`` == ``at`` for a point).
    ``start``/``end``: the normalized-text offsets it wraps. ``edge``: ``before``/``after`` for a point
    at the segment's start or end, kept outside the engine's text. ``anchor``: a pair around exactly
    a locked term (``[王明](…)``, ``**王明**``): the term's verified English is where it goes, so the
    engine is not asked to carry it.
    """

    name: str
    kind: SpanKind
    opening: str
    closing: str
    at: int
    until: int
    start: int
    end: int
    point: bool
    label: str = ""              # a link's whole label text (its normalized form), for messages
    target: str | None = None
    edge: str = ""
    anchor: bool = False         # wraps exactly a locked term: placed on that term's English, not sent
    english: str = ""            # the English its link target is known by (``TermMatcher.english_for``)

    @property
    def opener(self) -> str:
        return f"<{self.name}/>" if self.point else f"<{self.name}>"

    @property
    def closer(self) -> str:
        return "" if self.point else f"</{self.name}>"


def _norm_range(segment: Segment, lo: int, hi: int) -> tuple[int, int]:
    """Normalized-text offsets of the characters whose file offsets are in [lo, hi)."""
    offsets = segment.norm_offsets
    return bisect_left(offsets, lo), bisect_left(offsets, hi)


def _link_parts(span: Span) -> tuple[str, str]:
    """The markup before and after a link's label: ``[`` and ``](target "title")``, or <a …> and </a>."""
    first, last = span.text_offsets[0], span.text_offsets[-1] + 1
    return span.raw[:first - span.start], span.raw[last - span.start:]


_QUOTE = "[“”‘’\"']?"


def _quoted(title: str) -> re.Pattern:
    """The title as a label may write it, with quotation marks around or inside (“左”倾 for 左倾)."""
    return re.compile(_QUOTE + _QUOTE.join(map(re.escape, title)) + _QUOTE)


def _narrowed(segment: Segment, span: Span, start: int, end: int, titles) -> tuple[int, int]:
    """A glued label (``[张闻天等人为代表人物](../Page/张闻天.md)``) narrowed to the part naming the target:
    a term the link's target chose or whose entry has the page's title as a form (政治局常务委员 in
    a label of …/政治局常委), else the page title found in the label (quotation marks in it
    kept: [“左”倾思想指导下](…/左倾.md) → “左”倾), else the longest part
    of the title (two characters at least) that opens the label (中国共产党 → 共产党 in 共产党争夺…);
    the rest stays plain text."""
    title = titles(span.target) if span.target else ""
    for match in segment.terms:
        names_target = match.via == "link" or (title and title in match.term.keys)
        if names_target and start <= match.norm_start and match.norm_end <= end:
            return match.norm_start, match.norm_end
    found = _quoted(title).search(segment.norm, start, end) if title else None
    if found:
        return found.span()
    for length in range(min(len(title), end - start), 1, -1):
        if segment.norm[start:start + length] in title:
            return start, start + length
    return start, end


def _pairs(spans: list[Span]) -> tuple[list[tuple[Span, Span]], list[Span]]:
    """Opening/closing marks of the ``pair`` kinds (bold, italic), and the marks left unpaired."""
    pairs, opened, unpaired = [], None, []
    for span in spans:
        if span.traits.placement != "pair":
            continue
        if opened is None:
            opened = span
        elif opened.raw == span.raw:
            pairs.append((opened, span))
            opened = None
        else:
            unpaired.append(span)
    return pairs, unpaired + ([opened] if opened is not None else [])


def _drafts(segment: Segment, titles, narrow: bool, names) -> list[Tag]:
    """The segment's tags before numbering: each ``name`` is only its letter yet."""
    drafts = []
    pairs, unpaired = _pairs(segment.spans)
    paired = {id(s) for pair in pairs for s in pair}
    for opening, closing in pairs:
        start, end = _norm_range(segment, opening.end, closing.start)
        if segment.norm[start:end].strip():  # a pair around nothing (or spaces) is two marks
            drafts.append(Tag(opening.traits.tag, opening.kind, opening.raw, closing.raw, opening.start,
                                 closing.start, start, end, False))
        else:
            unpaired += [opening, closing]
    unpaired_ids = {id(s) for s in unpaired}
    for span in segment.spans:
        if (span.text and span.traits.placement == "translated") or not span.traits.tag or span.raw == EMPTY_CONVERSION \
                or (id(span) in paired and id(span) not in unpaired_ids):
            continue
        if span.kind is SpanKind.LINK and span.text:
            start, end = _norm_range(segment, span.text_offsets[0], span.text_offsets[-1] + 1)
            if segment.norm[start:end].strip():
                drafts.append(_link_draft(segment, span, start, end, titles, narrow, names))
                continue
        letter = span.traits.tag if span.traits.placement in ("after", "aside") else "x"
        point = _norm_range(segment, span.start, span.start)[0]
        drafts.append(Tag(letter, span.kind, span.raw, "", span.start, span.start, point, point, True,
                             target=span.target))
    return sorted(drafts, key=lambda d: (d.at, -d.until))


def _link_draft(segment: Segment, span: Span, start: int, end: int, titles, narrow: bool, names) -> Tag:
    label = segment.norm[start:end]
    whole = start
    if narrow:
        start, end = _narrowed(segment, span, start, end, titles)
    opening, closing = _link_parts(span)
    at = span.start if start == whole else segment.norm_offsets[start]
    until = segment.norm_offsets[end - 1] + 1
    return Tag(span.traits.tag, span.kind, opening, closing, at, until, start, end, False, label, span.target,
               english=names(span.target) if span.target else "")


def _crossing(drafts: list[Tag]) -> list[Tag]:
    """Pairs that cross another pair (possible in hand-made Markdown) become two points each."""
    kept: list[Tag] = []
    for d in drafts:
        crosses = not d.point and any(not k.point and k.start < d.start < k.end < d.end for k in kept)
        if crosses:
            kept.append(Tag("x", d.kind, d.opening, "", d.at, d.at, d.start, d.start, True))
            kept.append(Tag("x", d.kind, d.closing, "", d.until, d.until, d.end, d.end, True))
        else:
            kept.append(d)
    return sorted(kept, key=lambda d: (d.at, -d.until))


def segment_tags(segment: Segment, titles=lambda target: "", narrow: bool = True, anchor: bool = True,
                 names=lambda target: "") -> list[Tag]:
    """The segment's inline markup as tags, numbered per letter in the order they open.

    ``titles(target)``: the normalized page title a link target names ("" when none), used to narrow
    glued labels; ``narrow=False`` keeps every label whole; ``anchor=False`` sends every pair;
    ``names(target)``: the English the target's page is known by ("" when none), for render.
    """
    terms = {(m.norm_start, m.norm_end) for m in segment.terms} if anchor else set()
    counts: dict[str, int] = {}
    tags = []
    drafts = _crossing(_drafts(segment, titles, narrow, names))
    for d in drafts:
        counts[d.name] = counts.get(d.name, 0) + 1
        edge = ""
        if d.point and d.start == 0 and all(k.at >= d.at for k in drafts if not k.point):
            edge = "before"
        elif d.point and d.start == len(segment.norm) and all(k.until <= d.at for k in drafts if not k.point):
            edge = "after"
        tags.append(replace(d, name=f"{d.name}{counts[d.name]}", edge=edge,
                            anchor=not d.point and (d.start, d.end) in terms))
    return tags


def inner(tags: list[Tag]) -> list[Tag]:
    """The tags the engine sees: not the points at the edges, not the pairs anchored on a term."""
    return [t for t in tags if not t.edge and not t.anchor]


def _events(tags: list[Tag]) -> list[tuple[int, int, str]]:
    """(file offset, order, tag text) for every opening, closing and point, in source order."""
    events = []
    for t in tags:
        events.append((t.at, 0 if t.point else 1, t.opener))
        if not t.point:
            events.append((t.until, 0, t.closer))
    return sorted(events, key=lambda e: (e[0], e[1]))


def tagged_text(text: str, offsets: tuple[int, ...], tags: list[Tag]) -> str:
    """``text`` (whose characters sit at file ``offsets``) with each tag where its markup stood."""
    out, events, i = [], _events(tags), 0
    for char, offset in zip(text, offsets):
        while i < len(events) and events[i][0] <= offset:
            out.append(events[i][2])
            i += 1
        out.append(char)
    out += [e[2] for e in events[i:]]
    return "".join(out)


def strip_tags(text: str) -> str:
    return TAG.sub("", text)


def protect(text: str) -> str:
    """Tags (also as models misspell them) → one private-use character each, so English clean-up
    (sacremoses) treats them as letters of the word they touch and never splits them."""
    def one(m: re.Match) -> str:
        form = 2 if m.group(1) else 1 if m.group(4) else 0
        return chr(_PROTECT_BASE + (form * 4 + _LETTERS.index(m.group(2).lower())) * 1000 + int(m.group(3)))
    return _LOOSE_TAG.sub(one, text)


def restore(text: str) -> str:
    """The inverse of ``protect``: canonical tags, spaces moved outside a pair's English."""
    def one(m: re.Match) -> str:
        code, number = divmod(ord(m.group(0)) - _PROTECT_BASE, 1000)
        form, letter = divmod(code, 4)
        name = f"{_LETTERS[letter]}{number}"
        return f"</{name}>" if form == 2 else f"<{name}/>" if form == 1 else f"<{name}>"
    text = _PROTECTED.sub(one, text)
    text = re.sub(r"(<[a-z]\d+>)\s+", r" \1", text)       # spaces inside a pair go outside it
    text = re.sub(r"\s+(</[a-z]\d+>)", r"\1 ", text)
    text = re.sub(r"\s+(<[a-z]\d+/>)", r"\1", text)       # a point (footnote mark) touches what it follows
    text = re.sub(r"\s+([.,;:!?])(?=<)", r"\1", text)     # "1927 .<f1/>" (clean-up cannot see past a tag)
    text = re.sub(r"(</[a-z]\d+>)\s+(?=[.,;:!?])", r"\1", text)
    return re.sub(r"  +", " ", text).strip()


@dataclass
class Parsed:
    """An engine's tagged English read back against the tags it was sent.

    ``text``: the English without tags. ``places``: name → (start, end) in ``text`` for each tag that
    came back well. ``events``: (offset in text, tag text) for those tags, in the English's order.
    ``problems``: what is wrong with the others (missing, repeated, unknown, badly nested, empty).
    """

    text: str
    places: dict[str, tuple[int, int]] = field(default_factory=dict)
    events: list[tuple[int, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def names_as_text(marked: str, tags: list[Tag]) -> tuple[str, list[str]]:
    """``marked`` without the names of ``tags`` the engine wrote as words instead of tags ("the French
    Communist Party (a2) at that time", shipped once), and a problem for each."""
    problems = []
    for tag in tags:
        marked, count = re.subn(rf"\s*\(\s*{tag.name}\s*\)|\s*(?<![<\w/]){tag.name}(?![\w>/])", "", marked)
        if count:
            problems.append(f"{tag.opener} is written as text")
    return marked, problems


def parse(marked: str, tags: list[Tag]) -> Parsed:
    expected = {t.name: t for t in tags}
    found = [(m, m.group(2) + m.group(3)) for m in TAG.finditer(marked)]
    counts: dict[tuple[str, str], int] = {}
    for m, name in found:
        role = "close" if m.group(1) else "point" if m.group(4) else "open"
        counts[(name, role)] = counts.get((name, role), 0) + 1
    problems, good = [], set()
    for name in dict.fromkeys(n for _m, n in found):
        if name not in expected:
            problems.append(f"<{name}> is not in the source")
    for name, tag in expected.items():
        roles = ("point",) if tag.point else ("open", "close")
        wrong = [r for r in ("open", "close", "point") if counts.get((name, r), 0) != (r in roles)]
        if not wrong:
            good.add(name)
        elif all(counts.get((name, r), 0) == 0 for r in ("open", "close", "point")):
            problems.append(f"{tag.opener} is missing")
        else:
            problems.append(f"{tag.opener} is not there exactly once")
    return _placed(marked, found, good, expected, problems)


def _links_inside_links(places: dict[str, tuple[int, int]], expected: dict[str, "Tag"]) -> set[str]:
    links = [n for n in places if expected[n].kind == SpanKind.LINK]
    return {n for n in links for o in links if o != n and places[o][0] <= places[n][0]
            and places[n][1] <= places[o][1] and places[o] != places[n]}


def _placed(marked: str, found, good: set[str], expected: dict[str, Tag], problems: list[str]) -> Parsed:
    """Offsets in the tag-free English of the well-formed tags; nesting and emptiness checked."""
    text, events, stack, opened_at, pos = [], [], [], {}, 0
    places: dict[str, tuple[int, int]] = {}
    length = 0
    for m, name in found:
        piece = marked[pos:m.start()]
        text.append(piece)
        length += len(piece)
        pos = m.end()
        if name not in good:
            continue
        if m.group(4):
            places[name] = (length, length)
            events.append((length, name, "point"))
        elif not m.group(1):
            stack.append(name)
            opened_at[name] = length
            events.append((length, name, "open"))
        elif stack and stack[-1] == name:
            stack.pop()
            places[name] = (opened_at[name], length)
            events.append((length, name, "close"))
        else:
            good.discard(name)
            if name in stack:
                stack.remove(name)
            problems.append(f"{expected[name].opener} is not nested with the tags around it")
    text.append(marked[pos:])
    plain = "".join(text)
    bad = set(stack) | {n for n, (s, e) in places.items() if not expected[n].point and not plain[s:e].strip()}
    for name in sorted(bad - set(stack)):
        problems.append(f"{expected[name].opener} wraps no English")
    for name in sorted(_links_inside_links(places, expected)):
        bad.add(name)
        problems.append(f"{expected[name].opener} is a link inside a link (Markdown links do not nest)")
    for name in stack:
        problems.append(f"{expected[name].opener} is not closed")
    places = {n: p for n, p in places.items() if n not in bad}
    ordered = [(at, _tag_text(expected[n], role)) for at, n, role in events if n in places]
    return Parsed(plain, places, ordered, problems)


def _tag_text(tag: Tag, role: str) -> str:
    return tag.closer if role == "close" else tag.opener


# The English comes from a model or a glossary: where Markdown is rendered as HTML it must stay text.
_MARKDOWN_TEXT = {"<": "&lt;", "&": "&amp;"}


def escape_text(text: str) -> str:
    return "".join(_MARKDOWN_TEXT.get(c, c) for c in text)


def to_markdown(tagged: str, tags: list[Tag], escape=escape_text) -> str:
    """Tagged English → Markdown: each tag replaced by the markup it stands for, the text escaped."""
    markup = {}
    for t in tags:
        markup[t.opener] = t.opening
        if not t.point:
            markup[t.closer] = t.closing
    out, pos = [], 0
    for m in TAG.finditer(tagged):
        out.append(escape(tagged[pos:m.start()]))
        out.append(markup.get(m.group(0), ""))
        pos = m.end()
    out.append(escape(tagged[pos:]))
    return "".join(out)


def tag_document(doc: Document, titles, names=lambda target: "") -> Document:
    for segment in doc.segments:
        segment.tags = segment_tags(segment, titles, names=names)
        segment.src_tagged = tagged_text(segment.plain, segment.plain_offsets, segment.tags)
    return doc


def page_titles(opencc: str):
    """target → the normalized title of the page it names ("" for none), cached."""
    from functools import lru_cache

    from pipeline.normalize import normalize
    from pipeline.terms.matcher import page_title

    @lru_cache(maxsize=4096)
    def titles(target: str) -> str:
        title = page_title(target)
        return normalize(title, opencc).text if title else ""
    return titles


@component("tag", requires=("segment.spans", "segment.norm_offsets", "segment.terms"),
           assigns=("segment.tags", "segment.src_tagged"))
def make_tagger(context: Context):
    """Inline markup (links, bold, footnote marks, inline codes) as numbered tags for the engine;
    glued link labels narrowed to the part that names the link's target."""
    titles = page_titles(context.opencc)
    matcher = context.matcher

    def names(target: str) -> str:
        title = titles(target)
        return matcher.english_for(title) if title and matcher is not None else ""
    return lambda doc: tag_document(doc, titles, names)
