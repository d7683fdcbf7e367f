"""Output formats, one module per format (translate-toolkit style), behind one registry.

Each module registers its writers with ``@writer(name, filename)``: a function from ``Output`` (the
document, its aligned records, the run id and the manifest) to the file's text or bytes. Every
module in this package is imported by ``writers()``, so adding a format is adding one file.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from pipeline.document import Document


@dataclass(frozen=True)
class Output:
    """What every writer gets: all of it derived from the translated Document."""

    doc: Document
    records: list[dict]  # Segment.to_record() for each segment
    aligned: str         # the records as JSON lines (aligned.jsonl), serialized once
    run_id: str          # sha256 of aligned.jsonl, first 16 hex digits: ties review files to this run
    manifest: dict


@dataclass(frozen=True)
class Writer:
    name: str
    filename: str        # may hold {doc}: the document id
    render: Callable[[Output], str | bytes]

    def path_for(self, doc_id: str) -> str:
        return self.filename.format(doc=doc_id)


_WRITERS: dict[str, Writer] = {}


def writer(name: str, filename: str):
    def register(render: Callable[[Output], str | bytes]) -> Callable[[Output], str | bytes]:
        _WRITERS[name] = Writer(name, filename, render)
        return render
    return register


def writers() -> dict[str, Writer]:
    """Every registered format (importing each module of this package once)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_WRITERS.items()))
