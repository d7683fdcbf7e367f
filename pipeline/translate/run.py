"""Translate whole documents: match terms, lock-translate segments, render, run QA."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from pipeline.document import Document, Segment
from pipeline.qa.checks import SegmentQA, run_checks
from pipeline.terms.matcher import TermMatch, TermMatcher, match_document
from pipeline.translate.engines.base import Engine
from pipeline.translate.locking_loop import Job, Result, translate_jobs
from pipeline.translate.render import Rendered, render_document, render_segment


@dataclass
class TranslatedDocument:
    doc: Document
    results: dict[int, Result] = field(default_factory=dict)      # by segment index
    rendered: dict[int, Rendered] = field(default_factory=dict)
    qa: dict[int, list[dict]] = field(default_factory=dict)
    markdown: str = ""
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for r in self.results.values() for o in r.outcomes)

    def findings(self, severity: str | None = None) -> list[dict]:
        return [f for fs in self.qa.values() for f in fs if severity is None or f["severity"] == severity]


def _original(doc: Document, segment: Segment, match: TermMatch) -> str:
    """The term as written in the source, without markup inside it (七一五-{}-事变 → 七一五事变)."""
    return "".join(doc.text[o] for o in segment.norm_offsets[match.norm_start:match.norm_end])


def jobs_for(doc: Document) -> list[Job]:
    return [Job(s.norm, s.annotations["terms"], [_original(doc, s, m) for m in s.annotations["terms"]])
            for s in doc.segments]


def translate_document(doc: Document, matcher: TermMatcher | None, engine: Engine, batch_size: int = 8,
                       on_done=None, memory=None, cache=None) -> TranslatedDocument:
    """``matcher`` None: the document's segments already carry their term matches."""
    started = time.perf_counter()
    if matcher is not None:
        match_document(doc, matcher)
    segments = list(doc.segments)
    results = translate_jobs(engine, jobs_for(doc), batch_size, on_done, memory, cache)
    out = TranslatedDocument(doc)
    for segment, result in zip(segments, results):
        out.results[segment.index] = result
        rendered = render_segment(segment, result)
        out.rendered[segment.index] = rendered
        out.qa[segment.index] = run_checks(SegmentQA(segment.src(doc.text), segment.norm, result,
                                                     rendered.lost_links, rendered.lost_emphasis))
    out.markdown = render_document(doc, out.rendered)
    out.seconds = time.perf_counter() - started
    return out
