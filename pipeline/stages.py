"""The standard pipeline: which registered components run, in which order.

Importing this module registers every component. ``ANALYSIS`` needs no model and runs in worker
processes; ``TRANSLATION`` runs where the engine lives; ``WRITE`` runs in workers again.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pipeline.facts  # noqa: F401 - each import registers its component
import pipeline.markup  # noqa: F401
import pipeline.normalize  # noqa: F401
import pipeline.qa.checks  # noqa: F401
import pipeline.read  # noqa: F401
import pipeline.render  # noqa: F401
import pipeline.segment  # noqa: F401
import pipeline.terms.matcher  # noqa: F401
import pipeline.translate  # noqa: F401
import pipeline.write  # noqa: F401
from pipeline.components import Context, Pipeline
from pipeline.document import Document
from pipeline.normalize import DEFAULT_CONFIG

READ = ("read", "segment", "normalize")
ANALYSIS = (*READ, "years", "match", "tag")
TRANSLATION = ("translate", "render", "qa")
WRITE = ("write",)
STANDARD = (*ANALYSIS, *TRANSLATION, *WRITE)
ANALYZED = ("doc.path", "doc.text", "doc.blocks", "block.segments", "segment.spans", "segment.plain",
            "segment.plain_offsets", "segment.script", "segment.norm", "segment.norm_offsets",
            "doc.meta.opencc", "segment.year", "segment.terms", "segment.tags", "segment.src_tagged")
MATCH_INPUTS = tuple(a for a in ANALYZED if a not in ("segment.terms", "segment.tags", "segment.src_tagged"))
TRANSLATED = (*ANALYZED, "segment.translation", "doc.seconds", "segment.tgt_tagged", "segment.markdown",
              "segment.fallbacks", "doc.markdown", "segment.findings")


@dataclass(frozen=True)
class Settings:
    opencc: str = DEFAULT_CONFIG


def blank(path: Path, doc_id: str | None = None) -> Document:
    """A Document that only knows its file: what the read component starts from."""
    return Document(doc_id=doc_id or path.stem, path=str(path))


def analyze(path: Path, doc_id: str, settings: Settings = Settings()) -> Document:
    """Read, segment and normalize one input file (no term matching)."""
    return Pipeline(READ, Context(opencc=settings.opencc), given=("doc.path",))(blank(path, doc_id))




def analyze_text(text: str, doc_id: str = "document", settings: Settings = Settings(),
                 matcher=None) -> Document:
    """Segment and normalize text already in memory; with a ``matcher``, match terms too."""
    from pipeline.read import parse

    names = ("segment", "normalize", "years", "match", "tag") if matcher is not None else ("segment", "normalize", "years")
    context = Context(opencc=settings.opencc, matcher=matcher)
    return Pipeline(names, context, given=("doc.text", "doc.blocks"))(parse(text, doc_id))
