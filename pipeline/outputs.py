"""Stage 5 — align and write: every per-document output, each from the same aligned records."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.formats import aligned, html_review, jsonl, review_sheets, tmx
from pipeline.io import atomic_write
from pipeline.provenance import signature, text_sha256, versions
from pipeline.qa.checks import inconsistent_terms
from pipeline.translate.run import TranslatedDocument



@dataclass(frozen=True)
class Provenance:
    """What every output records about the run that produced it (picklable, for worker processes)."""

    engine: dict
    glossary_files: tuple[tuple[str, str], ...]   # (path, sha256)
    glossary_signature: str
    opencc: str

    @property
    def signature(self) -> str:
        return signature(self.engine, self.glossary_signature, self.opencc)


def to_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def qa_report(translated: TranslatedDocument) -> dict:
    by_check: dict[str, int] = {}
    for found in translated.findings():
        by_check[found["check"]] = by_check.get(found["check"], 0) + 1
    return {"doc": translated.doc.doc_id,
            "summary": {"segments": len(translated.results), "terms_locked": translated.count("locked"),
                        "terms_missing": translated.count("missing"),
                        "errors": len(translated.findings("error")),
                        "warnings": len(translated.findings("warning")), "by_check": by_check},
            "segments": [{"seg": i, "findings": f} for i, f in translated.qa.items() if f]}


def manifest(translated: TranslatedDocument, provenance: Provenance, run_id: str) -> dict:
    """Per-document provenance. No timings: an unchanged rerun must write identical files."""
    doc = translated.doc
    return {"doc": doc.doc_id, "run_id": run_id, "signature": provenance.signature,
            "input": {"path": doc.path, "sha256": text_sha256(doc.text), "characters": len(doc.text)},
            "engine": provenance.engine,
            "glossary": {"files": [{"path": p, "sha256": h} for p, h in provenance.glossary_files],
                         "signature": provenance.glossary_signature},
            "opencc": provenance.opencc, "versions": versions(), "segments": len(translated.results)}


def write_document(out_dir: Path, translated: TranslatedDocument, provenance: Provenance,
                   records: list[dict] | None = None) -> Path:
    """All of a document's files, or none: they are written to a scratch folder, then swapped in.

    An older run's folder is replaced whole, so old and new files are never mixed, and a failure
    (a full disk, a read-only folder) leaves the previous folder as it was.
    """
    folder = out_dir / translated.doc.doc_id
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{translated.doc.doc_id}.", suffix=SCRATCH_SUFFIX, dir=out_dir))
    try:
        os.chmod(scratch, 0o777 & ~_umask())
        _write_files(scratch, translated, provenance, records or aligned.records(translated))
        _swap_in(scratch, folder)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return folder


SCRATCH_SUFFIX = ".partial"


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


def _write_files(folder: Path, translated: TranslatedDocument, provenance: Provenance,
                 records: list[dict]) -> None:
    doc_id = translated.doc.doc_id
    aligned_text = jsonl.dumps(records)
    run_id = text_sha256(aligned_text)[:16]
    meta = manifest(translated, provenance, run_id)
    atomic_write(folder / "aligned.jsonl", aligned_text)
    atomic_write(folder / f"{doc_id}.en.md", translated.markdown)
    review_sheets.write(folder, records, run_id, {"doc": doc_id, "run_id": run_id, "signature": meta["signature"],
                                                  "input": translated.doc.path})
    atomic_write(folder / f"{doc_id}.tmx", tmx.tmx_bytes(tmx.units_from_records(records)))
    atomic_write(folder / "review.html", html_review.html_text(records, doc_id, meta["signature"]))
    atomic_write(folder / "qa.json", to_json(qa_report(translated)))
    atomic_write(folder / "manifest.json", to_json(meta))


def qa_summary(all_records: list[dict]) -> dict:
    """Findings per check and document for the whole run, run-level checks included."""
    per_doc: dict[str, dict[str, int]] = {}
    for record in all_records:
        counts = per_doc.setdefault(record["doc"], {})
        for found in record["qa"]:
            counts[found["check"]] = counts.get(found["check"], 0) + 1
    run_level = [{"doc": d, "seg": s, **f} for d, s, f in inconsistent_terms(all_records)]
    for item in run_level:
        counts = per_doc.setdefault(item["doc"], {})
        counts[item["check"]] = counts.get(item["check"], 0) + 1
    totals: dict[str, int] = {}
    for counts in per_doc.values():
        for check, n in counts.items():
            totals[check] = totals.get(check, 0) + n
    return {"documents": len(per_doc), "segments": len(all_records), "by_check": totals,
            "by_document": per_doc, "run_level": run_level}
