"""The one data model every component shares: document → blocks → segments → spans.

All offsets are character offsets into ``Document.text`` (the decoded input file), so any element can
be traced back to the exact original characters. Components fill the declared fields of
``Segment`` (see ``pipeline/components.py`` for who assigns what); nothing travels beside the
Document. ``Segment.to_record`` defines the aligned record, the one source of every output format.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # type names only: the document model imports no other part of the pipeline
    from pipeline.markup import Tag
    from pipeline.terms.matcher import TermMatch


class SpanKind(str, Enum):
    """What a run of inline content is. Its behaviour lives in ``TRAITS``, one row per kind."""

    TEXT = "text"
    LINK = "link"
    IMAGE = "image"
    CATEGORY = "category"
    FOOTNOTE = "footnote"
    EMPHASIS = "emphasis"
    TEMPLATE = "template"
    CONVERSION = "conversion"
    HTML = "html"
    COMMENT = "comment"
    URL = "url"
    ESCAPE = "escape"
    MARKUP = "markup"      # a line's prefix: heading #, list marker, quote >
    NEWLINE = "newline"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class KindTraits:
    """How the segmenter, the matcher and the renderer treat a span kind.

    ``text``: it may carry translatable text. ``cuttable``: a sentence may end inside it.
    ``boundary``: it always ends a segment. ``in_segment``: it belongs to the segment it sits in
    (prefix markup and line breaks stay with the block). ``placement``: how the English gets it
    back — ``translated`` (its text is the sentence), ``wrap`` (around the English of what it
    labels), ``pair`` (opening/closing marks around a term), ``after`` (after the sentence),
    ``aside`` (before or after the English, on the side it stood), ``block`` (stays with the
    block, outside every segment). ``tag``: the letter of the inline tag the engine sees for it
    (``pipeline/markup.py``): ``a`` wraps a link's label, ``b`` a bold/italic run, ``f`` marks a
    footnote, ``x`` any other inline code; "" for text and for what stays with the block.
    """

    text: bool = False
    cuttable: bool = False
    boundary: bool = False
    in_segment: bool = True
    placement: str = "aside"
    tag: str = "x"


TRAITS: dict[SpanKind, KindTraits] = {
    SpanKind.TEXT: KindTraits(text=True, cuttable=True, placement="translated", tag=""),
    SpanKind.LINK: KindTraits(text=True, placement="wrap", tag="a"),
    SpanKind.ESCAPE: KindTraits(text=True, placement="translated", tag=""),
    SpanKind.CONVERSION: KindTraits(text=True, placement="translated"),  # a tag only when it holds no text
    SpanKind.EMPHASIS: KindTraits(placement="pair", tag="b"),
    SpanKind.FOOTNOTE: KindTraits(placement="after", tag="f"),
    SpanKind.IMAGE: KindTraits(),
    SpanKind.CATEGORY: KindTraits(),
    SpanKind.TEMPLATE: KindTraits(),
    SpanKind.HTML: KindTraits(),  # block-level tags are boundaries too (the segmenter asks the tag)
    SpanKind.COMMENT: KindTraits(),
    SpanKind.URL: KindTraits(),
    SpanKind.MARKUP: KindTraits(in_segment=False, placement="block", tag=""),
    SpanKind.NEWLINE: KindTraits(boundary=True, in_segment=False, placement="block", tag=""),
}


@dataclass
class Span:
    """A run of inline content.

    ``text`` is the translatable text the span contributes (a link's label, an escaped character,
    the body of a plain ``-{…}-`` mark); ``text_offsets`` holds, for each character of ``text``, its
    offset in the file. Markup, footnote marks, templates and HTML contribute no text.
    """

    kind: SpanKind
    start: int
    end: int
    raw: str
    text: str = ""
    text_offsets: tuple[int, ...] = ()
    target: str | None = None
    title: str | None = None

    @property
    def traits(self) -> KindTraits:
        return TRAITS[self.kind]

    def render(self) -> str:
        return self.raw

    def to_json(self) -> dict:
        out = {"kind": self.kind.value, "start": self.start, "end": self.end}
        if self.text:
            out["text"] = self.text
        if self.target is not None:
            out["target"] = self.target
        if self.title is not None:
            out["title"] = self.title
        return out


ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    """One QA finding on a segment (or, at run level, on a document)."""

    check: str
    severity: str  # error | warning | info
    message: str
    # What the finding does to the translation decision (``pipeline/verify.py``'s rule roles);
    # not part of what a finding says, so left out of comparisons and files.
    roles: frozenset = field(default=frozenset(), compare=False, repr=False)

    def to_json(self) -> dict:
        return {"check": self.check, "severity": self.severity, "message": self.message}


@dataclass
class TermOutcome:
    """The audit of one locked term: where its English is in the output, or that it is missing."""

    match: "TermMatch"
    expected: str               # what had to appear: the approved English, or the Chinese for `keep`
    status: str                 # locked | missing
    method: str = ""
    tgt_start: int = -1
    tgt_end: int = -1
    shared: bool = False        # a repeat of the term in the source, rendered once in English
    replaced: str = ""          # method `substitute`: the draft's words the approved English replaced

    def to_json(self, text: str, english: str) -> dict:
        """``tgt`` is the text actually at the span; ``approved`` follows where it differs (case)."""
        found = english[self.tgt_start:self.tgt_end] if self.status == "locked" else self.expected
        out = {"id": self.match.term.key, "src": text[self.match.src_start:self.match.src_end],
               "src_start": self.match.src_start, "src_end": self.match.src_end,
               "tgt": found, "tgt_start": self.tgt_start, "tgt_end": self.tgt_end,
               "status": self.status, "method": self.method, "action": self.match.term.action,
               "via": self.match.via}
        if found != self.expected:
            out["approved"] = self.expected
        if self.shared:
            out["shared"] = True
        if self.replaced:
            out["replaced"] = self.replaced
        return out


# The role of a verification rule (``pipeline/verify.py``) whose findings make English unusable.
UNUSABLE = "unusable"


@dataclass
class Translation:
    """The verdict on one English output: the text, how it was made, and what verification found.

    ``defects`` are the findings of the verification rules (``pipeline/verify.py``); a missing
    term is an outcome with status ``missing``; ``tag_problems`` say which inline tags did not come
    back well. Any of them makes the locking loop try again; a tag problem weighs less than a term
    or text problem (render has a fallback for a tag, none for a wrong sentence).

    ``tgt`` is the English without tags; ``marked`` the English with the inline tags the engine
    returned (``pipeline/markup.py``), None when it was sent none; ``places`` where the well-formed
    tags are in ``tgt``.
    """

    tgt: str
    method: str
    outcomes: list[TermOutcome] = field(default_factory=list)
    defects: list[Finding] = field(default_factory=list)
    attempts: int = 1
    reused: str = ""  # "memory" or "cache" when no model ran for it in this run
    marked: str | None = None
    places: dict[str, tuple[int, int]] = field(default_factory=dict)
    tag_problems: list[str] = field(default_factory=list)
    # The model's token log-probabilities of the answer this English came from ({"min", "mean",
    # "tokens"}), where the engine gives them: a signal of the confidence (``pipeline/qa/confidence.py``).
    logprob: dict | None = None

    @property
    def tagged(self) -> str:
        return self.tgt if self.marked is None else self.marked

    @property
    def text_problems(self) -> int:
        return self.count("missing") + len(self.defects)

    @property
    def problems(self) -> int:
        return self.text_problems + len(self.tag_problems)

    @property
    def degenerate(self) -> bool:
        return any(f.check == "degenerate-output" for f in self.defects)

    @property
    def unusable(self) -> bool:
        """English no reader can use: broken (``degenerate-output``) or empty."""
        return any(UNUSABLE in f.roles for f in self.defects)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


@dataclass(frozen=True)
class Fallback:
    """An inline tag the engine did not return well, and how render placed its markup instead:
    ``term`` (around a locked term's English), ``name`` (around the English its link target is
    known by), ``whole`` (around all the English: it held all the text), ``clause`` (after the
    clause it followed), ``lost``."""

    tag: "Tag"
    how: str
    where: str = ""  # the English it was put around or after


@dataclass
class Segment:
    """A sentence (or heading, cell, list entry) — the unit sent to the translation engine."""

    index: int
    block: int
    kind: str
    start: int
    end: int
    spans: list[Span]
    plain: str = ""                         # segment: the translatable text
    plain_offsets: tuple[int, ...] = ()
    script: str = "none"                    # normalize
    norm: str = ""
    norm_offsets: tuple[int, ...] = ()
    terms: list["TermMatch"] = field(default_factory=list)      # match
    tags: list["Tag"] = field(default_factory=list)             # tag
    src_tagged: str = ""                                        # tag: the plain text with every tag
    year: int | None = None                                     # years: the year its document is at
    context: tuple[tuple[str, str], ...] = ()                   # translate: pairs the engine saw before it
    translation: Translation | None = None                      # translate
    subject: str = ""                                           # translate: whom its article is about, as the model is told
    about: str = ""                                             # translate: whom its article is about, for the rules
    tgt_tagged: str = ""                                        # render: the English with every tag
    markdown: str = ""                                          # render
    fallbacks: list[Fallback] = field(default_factory=list)     # render
    findings: list[Finding] = field(default_factory=list)       # qa
    confidence: float | None = None                             # qa: the chance its English is right

    def src(self, text: str) -> str:
        return text[self.start:self.end]

    def original(self, text: str, match: "TermMatch") -> str:
        """A matched term as written in the source, without markup inside it (七一五-{}-事变 → 七一五事变)."""
        return "".join(text[o] for o in self.norm_offsets[match.norm_start:match.norm_end])

    def _tag_audit(self) -> list[dict]:
        fallen = {f.tag.name: f.how for f in self.fallbacks}
        return [{"tag": t.name, "kind": t.kind.value, "open": t.opening, "close": t.closing,
                 "target": t.target, "placed": fallen.get(t.name) or ("edge" if t.edge else "anchor" if t.anchor
                                                                      else "engine")}
                for t in self.tags]

    def _where_and_what(self, doc: "Document") -> dict:
        """The fields both records open with: where the segment is and the text the engine sees."""
        return {"doc": doc.doc_id, "seg": self.index, "block": self.block, "kind": self.kind,
                "src": self.src(doc.text), "src_start": self.start, "src_end": self.end,
                "script": self.script, "plain": self.plain, "norm": self.norm}

    def to_json(self, doc: "Document") -> dict:
        """The analysis record (`zhen inspect`): structure and normalization, no translation."""
        return {**self._where_and_what(doc), "norm_offsets": list(self.norm_offsets),
                "spans": [span.to_json() for span in self.spans]}

    def to_record(self, doc: "Document") -> dict:
        """The aligned record (`aligned.jsonl`), written once here for every output format.

        doc, seg, block, kind: where the segment is. src, src_start, src_end: the original
        characters. script, plain, norm: the text the engine saw. tgt: the English; tgt_md: the
        English with the segment's markup. src_tagged, tgt_tagged: the plain source and the English
        with inline tags (``<a1>…</a1>``) where the markup is; tags: each tag's markup (open,
        close) and who placed it (engine; edge; anchor: on its locked term; or the fallback: term,
        clause, lost). method, attempts: how it was made. terms: the audit
        of each locked term. qa: the findings. confidence: how likely the English is right (0–1,
        ``pipeline/qa/confidence.py``). logprob: the model's token log-probabilities, where known.
        subject: whom its article is about, as the model was told. about: whom its article is about
        (a biography's subject), as the adequacy rules know it, told to the model or not.
        """
        translation = self.translation or Translation("", "none")
        return {
            **self._where_and_what(doc),
            "tgt": translation.tgt,
            "tgt_md": self.markdown,
            "src_tagged": self.src_tagged,
            "tgt_tagged": self.tgt_tagged,
            "tags": self._tag_audit(),
            "method": translation.method,
            "attempts": translation.attempts,
            "terms": [o.to_json(doc.text, translation.tgt) for o in translation.outcomes],
            "qa": [f.to_json() for f in self.findings],
            "confidence": self.confidence,
            **({"logprob": translation.logprob} if translation.logprob else {}),
            **({"subject": self.subject} if self.subject else {}),
            **({"about": self.about} if self.about else {}),
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
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    meta: dict = field(default_factory=dict)   # settings the components ran with (opencc)
    markdown: str = ""                          # render: the English document
    seconds: float = 0.0                        # translate: engine time spent on it

    def render(self) -> str:
        return "".join(block.render() for block in self.blocks)

    @property
    def segments(self) -> Iterator[Segment]:
        for block in self.blocks:
            yield from block.segments

    def records(self) -> list[dict]:
        return [segment.to_record(self) for segment in self.segments]

    def findings(self, severity: str | None = None) -> list[Finding]:
        return [f for s in self.segments for f in s.findings if severity is None or f.severity == severity]

    def count_terms(self, status: str) -> int:
        return sum(s.translation.count(status) for s in self.segments if s.translation)
