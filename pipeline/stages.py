"""The pipeline: one document flows through named stages, each adding its annotations (spaCy style).

Batching across documents is the runner's job; each stage sees one document.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.document import Document
from pipeline.normalize import DEFAULT_CONFIG, normalize_document
from pipeline.read import load
from pipeline.segment import segment_document


@dataclass(frozen=True)
class Settings:
    opencc: str = DEFAULT_CONFIG


Stage = Callable[[Document, Settings], Document]

ANALYSIS_STAGES: list[tuple[str, Stage]] = [
    ("segment", lambda doc, settings: segment_document(doc)),
    ("normalize", lambda doc, settings: normalize_document(doc, settings.opencc)),
]


def run_stages(doc: Document, settings: Settings, stages: list[tuple[str, Stage]]) -> Document:
    for _name, stage in stages:
        doc = stage(doc, settings)
    return doc


def analyze(path: Path, doc_id: str, settings: Settings = Settings()) -> Document:
    """Read, segment and normalize one input file."""
    return run_stages(load(path, doc_id), settings, ANALYSIS_STAGES)
