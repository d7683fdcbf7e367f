"""Which glossary entries occur in a set of articles, and which linked or prominent names lack one."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.chinese import has_han
from pipeline.document import Document, SpanKind
from pipeline.terms.matcher import HEADING, TermMatcher, match_document, page_title

_BOOK_TITLE = re.compile(r"《([^《》\n]{2,40})》")


@dataclass
class Coverage:
    documents: int = 0
    segments: int = 0
    term_segments: Counter = field(default_factory=Counter)     # term key → segments it occurs in
    term_counts: Counter = field(default_factory=Counter)       # term key → occurrences
    term_documents: Counter = field(default_factory=Counter)    # term key → documents
    linked_pages: Counter = field(default_factory=Counter)      # page title → links
    uncovered_pages: Counter = field(default_factory=Counter)
    uncovered_bold: Counter = field(default_factory=Counter)    # bold names (article subjects)
    uncovered_titles: Counter = field(default_factory=Counter)  # 《book titles》
    docs: list = field(default_factory=list)                    # the documents, analyzed and tagged

    def everywhere(self, share: float = 1 / 3, minimum: int = 10) -> list[tuple[str, int]]:
        """Entries found in more than ``share`` of all segments: likely a key too common to lock."""
        return [(k, n) for k, n in self.term_segments.most_common()
                if n >= minimum and n > share * self.segments]

    @property
    def page_share(self) -> float:
        return 1 - len(self.uncovered_pages) / len(self.linked_pages) if self.linked_pages else 1.0

    @property
    def link_share(self) -> float:
        total = sum(self.linked_pages.values())
        return 1 - sum(self.uncovered_pages.values()) / total if total else 1.0


def _bold_texts(spans) -> list[str]:
    texts, current, is_open = [], [], False
    for span in spans:
        if span.kind is SpanKind.EMPHASIS and span.raw in ("**", "'''"):
            if is_open:
                texts.append("".join(current))
            is_open, current = not is_open, []
        elif is_open:
            current.append(span.text)
    return texts


def _han(names: list[str]) -> list[str]:
    return [n.strip() for n in names if has_han(n)]


def add_document(cov: Coverage, doc: Document, matcher: TermMatcher) -> None:
    match_document(doc, matcher)
    cov.documents += 1
    seen = set()
    for segment in doc.segments:
        cov.segments += 1
        matches = [m for m in segment.terms if m.via != HEADING]  # the shipped headings are not the term base's
        cov.term_segments.update({m.term.key for m in matches})
        for match in matches:
            cov.term_counts[match.term.key] += 1
            seen.add(match.term.key)
        for span in segment.spans:
            title = page_title(span.target) if span.kind is SpanKind.LINK and span.target else None
            if title and has_han(title) and not title.startswith(("Category:", "File:", "s:")):
                cov.linked_pages[title] += 1
                if matcher.lookup(title) is None:
                    cov.uncovered_pages[title] += 1
    cov.term_documents.update(seen)
    for segment in doc.segments:
        for counter, names in ((cov.uncovered_titles, _BOOK_TITLE.findall(segment.norm)),
                               (cov.uncovered_bold, _bold_texts(segment.spans))):
            counter.update(n for n in _han(names) if matcher.lookup(n) is None)
