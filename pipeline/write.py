"""Write: every per-document output, each from the same aligned records, swapped in whole."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pipeline.components import Context, component
from pipeline.document import Document
from pipeline.formats import Output, writers
from pipeline.formats.jsonl import dumps
from pipeline.io import atomic_write
from pipeline.provenance import Provenance, text_sha256, versions

SCRATCH_SUFFIX = ".partial"


def manifest(doc: Document, provenance: Provenance, run_id: str) -> dict:
    """Per-document provenance. No timings: an unchanged rerun must write identical files."""
    return {"doc": doc.doc_id, "run_id": run_id, "signature": provenance.signature,
            "input": {"path": doc.path, "sha256": text_sha256(doc.text), "characters": len(doc.text)},
            "engine": provenance.engine, "glossary": provenance.glossary(),
            "opencc": provenance.opencc, "versions": versions(), "segments": sum(1 for _ in doc.segments)}


def output_for(doc: Document, provenance: Provenance) -> Output:
    records = doc.records()
    run_id = text_sha256(dumps(records))[:16]
    return Output(doc, records, run_id, manifest(doc, provenance, run_id))


def write_document(out_dir: Path, doc: Document, provenance: Provenance) -> Path:
    """All of a document's files, or none: they are written to a scratch folder, then swapped in.

    An older run's folder is replaced whole, so old and new files are never mixed, and a failure
    (a full disk, a read-only folder) leaves the previous folder as it was.
    """
    folder = out_dir / doc.doc_id
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{doc.doc_id}.", suffix=SCRATCH_SUFFIX, dir=out_dir))
    try:
        os.chmod(scratch, 0o777 & ~_umask())
        output = output_for(doc, provenance)
        for item in writers().values():
            atomic_write(scratch / item.path_for(doc.doc_id), item.render(output))
        _swap_in(scratch, folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_scratch(out_dir: Path) -> None:
    """Scratch folders a killed run left behind (never a finished document's folder)."""
    for stale in out_dir.glob(f".*{SCRATCH_SUFFIX}") if out_dir.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)


def _swap_in(scratch: Path, folder: Path) -> None:
    old = None
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
        os.replace(folder, old)
    try:
        os.replace(scratch, folder)
    except BaseException:
        if old is not None:
            os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@component("write", requires=("segment.findings", "doc.markdown"))
def make_writer(context: Context):
    """Every registered output format of the document into ``context.out_dir/<doc>/``, swapped in whole."""
    def write(doc: Document) -> Document:
        write_document(context.out_dir, doc, context.provenance)
        return doc
    return write
