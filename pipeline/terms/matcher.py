"""Script-blind, leftmost-longest term matching with pyahocorasick.

Keys and text are compared after the same normalization (NFC, half-width, OpenCC), so one row
matches 共产国际 and 共產國際. Within a link label, the link's target can name the entry meant.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import ahocorasick

from pipeline.components import Context, component
from pipeline.document import Document, Segment
from pipeline.normalize import DEFAULT_CONFIG, normalize
from pipeline.terms.glossary import Term, load_glossary

_PAGE = re.compile(r"(?:\.\./Page/(?P<page>.+?)\.md|https?://zh\.wikipedia\.org/wiki/(?P<wiki>.+))$")
_DISAMBIGUATION = re.compile(r"_\([^)]*\)$")
HEADING = "heading"  # the ``via`` of a standard section heading's match (not an entry of the term base)


@dataclass(frozen=True)
class TermMatch:
    term: Term
    norm_start: int
    norm_end: int
    src_start: int  # character offsets into the document
    src_end: int
    via: str = "text"  # "link" when a link target confirmed or chose the entry

    def to_json(self, text: str) -> dict:
        return {"id": self.term.key, "src": text[self.src_start:self.src_end],
                "src_start": self.src_start, "src_end": self.src_end, "en": self.term.en,
                "action": self.term.action, "type": self.term.type, "via": self.via}


def page_title(target: str) -> str | None:
    """The wiki page a link points to (``../Page/王明.md`` → 王明), without a disambiguator."""
    match = _PAGE.match(target)
    if not match:
        return None
    title = unquote(match.group("page") or match.group("wiki")).replace("\\", "").split("#")[0]
    return _DISAMBIGUATION.sub("", title) or None


@lru_cache(maxsize=1)
def heading_terms() -> tuple[Term, ...]:
    """Wikipedia's standard section headings in English (参见 → See also), from the shipped
    ``pipeline/data/headings.csv``. They match a heading that is nothing else, never running text
    (参考 in a sentence is "consult", not "References")."""
    return tuple(load_glossary([Path(str(resources.files("pipeline").joinpath("data/headings.csv")))]).terms)


class TermMatcher:
    """``renderings``: English for names that do not lock (a run term not rendered cleanly enough
    to lock), which render may still look for to place a link on (``english_for``)."""

    def __init__(self, terms: list[Term], config: str = DEFAULT_CONFIG, renderings: dict[str, str] | None = None):
        self.config = config
        self.renderings = {normalize(k, config).text: v for k, v in (renderings or {}).items()}
        self.by_key: dict[str, Term] = {}
        self._norm_keys: dict[int, list[str]] = {}  # id(term) → normalized keys, longest first (on demand)
        for term in terms:
            if not term.locks:
                continue
            for key in term.keys:
                norm = normalize(key, config).text
                if norm:
                    self.by_key[norm] = term  # later files win
        self.automaton = ahocorasick.Automaton()
        for norm in self.by_key:
            self.automaton.add_word(norm, norm)
        if self.by_key:
            self.automaton.make_automaton()
        self.headings = {normalize(key, config).text: term for term in heading_terms() for key in term.keys}

    def find(self, norm: str) -> list[tuple[int, int, Term]]:
        """Leftmost-longest, non-overlapping matches in normalized text: (start, end, term)."""
        if not self.by_key:
            return []
        return [(end + 1 - len(key), end + 1, self.by_key[key])
                for end, key in self.automaton.iter_long(norm)]

    def norm_keys(self, term: Term) -> list[str]:
        if id(term) not in self._norm_keys:
            norms = {normalize(k, self.config).text for k in term.keys}
            self._norm_keys[id(term)] = sorted(filter(None, norms), key=len, reverse=True)
        return self._norm_keys[id(term)]

    def lookup(self, text: str) -> Term | None:
        return self.by_key.get(normalize(text, self.config).text)

    def english_for(self, title: str) -> str:
        """The English a page is known by: its entry's, else a rendering that does not lock; ""."""
        term = self.lookup(title)
        if term is not None:
            return term.en if term.action != "keep" else ""
        return self.renderings.get(normalize(title, self.config).text, "")

    def match_segment(self, segment: Segment) -> list[TermMatch]:
        found = {(s, e): (term, "text") for s, e, term in self.find(segment.norm)}
        found = found or self._standard_heading(segment)
        for (s, e), term in self._link_choices(segment).items():
            for other in [k for k in found if k[0] < e and s < k[1]]:
                del found[other]
            found[(s, e)] = (term, "link")
        offsets = segment.norm_offsets
        return [TermMatch(term, s, e, offsets[s], offsets[e - 1] + 1, "run-terms" if term.status == "run" else via)
                for (s, e), (term, via) in sorted(found.items())]

    def _standard_heading(self, segment: Segment) -> dict:
        """A heading that is one of Wikipedia's standard ones, as a whole."""
        label = segment.norm.strip()
        term = self.headings.get(label) if segment.kind == "heading" and label else None
        if term is None:
            return {}
        start = segment.norm.find(label)
        return {(start, start + len(label)): (term, HEADING)}

    def _link_choices(self, segment: Segment) -> dict[tuple[int, int], Term]:
        """Entries named by link targets, placed where their key occurs inside the link's label."""
        choices = {}
        for span in segment.spans:
            if span.kind != "link" or not span.target or not span.text:
                continue
            title = page_title(span.target)
            term = self.lookup(title) if title else None
            if term is None:
                continue
            label = [i for i, o in enumerate(segment.norm_offsets) if span.start <= o < span.end]
            if not label:
                continue
            lo, hi = label[0], label[-1] + 1
            for key in self.norm_keys(term):
                at = segment.norm.find(key, lo, hi)
                if at >= 0:
                    choices[(at, at + len(key))] = term
                    break
            else:
                whole = _short_form(segment.norm, lo, hi, self.norm_keys(term))
                if whole:
                    choices[whole] = term
        return choices


def _short_form(norm: str, lo: int, hi: int, keys: list[str]) -> tuple[int, int] | None:
    """The label as a whole, where it is a short form of the page's name (中央政治局 linking to
    中国共产党中央政治局, 字 to 表字): the link says which entity it names, so its English is the entry's."""
    label = norm[lo:hi].strip()
    lo = norm.find(label, lo, hi)
    return (lo, lo + len(label)) if label and any(label in key for key in keys) else None


def match_document(doc: Document, matcher: TermMatcher) -> Document:
    for segment in doc.segments:
        segment.terms = matcher.match_segment(segment)
    return doc


@component("match", requires=("segment.norm", "segment.norm_offsets", "segment.spans"),
           assigns=("segment.terms",))
def make_matcher(context: Context):
    """Approved term-base entries in each segment: script-blind, leftmost-longest, link targets as hints."""
    if context.matcher is None:
        context.matcher = TermMatcher(load_glossary(context.glossaries).terms, context.opencc)
    matcher = context.matcher
    return lambda doc: match_document(doc, matcher)
