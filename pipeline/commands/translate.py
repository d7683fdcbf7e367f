"""`zhen translate`: glossary-locked translation of articles into outputs/<doc>/."""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from pipeline import console
from pipeline.errors import ZhenError
from pipeline.formats import aligned, html_review, jsonl, review_sheets, tmx
from pipeline.io import atomic_write, discover, doc_ids
from pipeline.provenance import signature, text_sha256, versions
from pipeline.qa.checks import inconsistent_terms
from pipeline.review.memory import open_memory
from pipeline.stages import Settings, analyze
from pipeline.terms.glossary import Glossary, GlossaryError, load_glossary
from pipeline.terms.lint import ERROR, lint
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.engines import load_engine
from pipeline.translate.run import TranslatedDocument, translate_document


def _checked_glossary(paths: list[Path]) -> Glossary:
    glossary = load_glossary(paths)
    errors = [f for f in lint(glossary) if f.severity == ERROR]
    if errors:
        shown = "\n".join(f"  {f}" for f in errors[:10])
        raise GlossaryError(f"the glossary has {len(errors)} error(s); fix them first "
                            f"(`zhen glossary lint`):\n{shown}")
    return glossary


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def qa_report(translated: TranslatedDocument) -> dict:
    segments = [{"seg": i, "findings": f} for i, f in translated.qa.items() if f]
    by_check: dict[str, int] = {}
    for found in translated.findings():
        by_check[found["check"]] = by_check.get(found["check"], 0) + 1
    return {"doc": translated.doc.doc_id,
            "summary": {"segments": len(translated.results), "terms_locked": translated.count("locked"),
                        "terms_missing": translated.count("missing"),
                        "errors": len(translated.findings("error")),
                        "warnings": len(translated.findings("warning")), "by_check": by_check},
            "segments": segments}


def manifest(translated: TranslatedDocument, engine: dict, glossary: Glossary, settings: Settings) -> dict:
    doc = translated.doc
    return {"doc": doc.doc_id, "input": {"path": doc.path, "sha256": text_sha256(doc.text),
                                         "characters": len(doc.text)},
            "signature": signature(engine, glossary.signature(), settings.opencc),
            "engine": engine,
            "glossary": {"files": [{"path": f, "sha256": glossary.hashes[f]} for f in glossary.files],
                         "signature": glossary.signature()},
            "opencc": settings.opencc, "versions": versions(),
            "seconds": round(translated.seconds, 3),
            "segments": len(translated.results)}


def write_outputs(out_dir: Path, translated: TranslatedDocument, engine: dict, glossary: Glossary,
                  settings: Settings) -> Path:
    """Every output format, each written from the same aligned records (atomic writes)."""
    doc_id = translated.doc.doc_id
    folder = out_dir / doc_id
    records = aligned.records(translated)
    aligned_text = jsonl.dumps(records)
    run_id = text_sha256(aligned_text)[:16]
    meta = manifest(translated, engine, glossary, settings)
    meta["run_id"] = run_id
    atomic_write(folder / "aligned.jsonl", aligned_text)
    atomic_write(folder / f"{doc_id}.en.md", translated.markdown)
    review_sheets.write(folder, records, run_id, {"doc": doc_id, "run_id": run_id,
                                                  "signature": meta["signature"], "input": translated.doc.path})
    atomic_write(folder / f"{doc_id}.tmx", tmx.tmx_bytes(tmx.units_from_records(records)))
    atomic_write(folder / "review.html", html_review.html_text(records, doc_id, meta["signature"]))
    atomic_write(folder / "qa.json", _json(qa_report(translated)))
    atomic_write(folder / "manifest.json", _json(meta))
    return folder


def write_run_summary(out_dir: Path, all_records: list[dict], rows: list[list]) -> dict:
    """outputs/qa-summary.json: findings per check and document, run-level checks included."""
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
    summary = {"documents": len(per_doc), "segments": len(all_records), "by_check": totals,
               "by_document": per_doc, "run_level": run_level,
               "terms": {"locked": sum(r[2] for r in rows), "missing": sum(r[3] for r in rows)}}
    atomic_write(out_dir / "qa-summary.json", _json(summary))
    return summary


def run(paths: list[str], out_dir: Path, glossaries: list[Path], engine_name: str, model: str | None,
        settings: Settings, batch_size: int = 8, strict: bool = False, memory_path: Path | None = None) -> int:
    files, failures = discover(paths)
    for failure in failures:
        console.error(failure)
    if not files:
        raise ZhenError("no input articles found", hint="give .md/.txt files or folders")
    glossary = _checked_glossary(glossaries)
    matcher = TermMatcher(glossary.terms, settings.opencc)
    engine = load_engine(engine_name, model, log=lambda m: console.err.print(m, markup=False))
    described = engine.describe()
    console.err.print(f"engine {described['engine']} · model {described['model']} · glossary "
                      f"{len(glossary.locking_terms)} locked terms ({glossary.signature()})", markup=False)
    rows, all_records = [], []
    memory = open_memory(memory_path)
    if memory is not None:
        console.err.print(f"translation memory {memory_path}: {len(memory)} reviewed segment(s)", markup=False)
    try:
        for path, doc_id in zip(files, doc_ids(files)):
            try:
                doc = analyze(path, doc_id, settings)
            except ZhenError as exc:
                console.error(exc)
                failures.append(exc)
                continue
            total = sum(1 for _ in doc.segments)
            with tqdm(total=total, desc=doc_id[:30], unit="seg", leave=True) as bar:
                translated = translate_document(doc, matcher, engine, batch_size, bar.update, memory)
            folder = write_outputs(out_dir, translated, described, glossary, settings)
            all_records += aligned.records(translated)
            rows.append([doc_id, total, translated.count("locked"), translated.count("missing"),
                         len(translated.findings("error")), len(translated.findings("warning")),
                         f"{translated.seconds:.1f}", str(folder)])
    finally:
        engine.close()
        if memory is not None:
            memory.close()
    console.table("translate", ["document", "segments", "locked", "missing", "QA errors", "warnings",
                                "seconds", "output"], rows)
    if all_records:
        summary = write_run_summary(out_dir, all_records, rows)
        checks = sorted(summary["by_check"])
        console.table(f"QA findings per check ({out_dir / 'qa-summary.json'})", ["document", *checks],
                      [[doc, *(counts.get(c, 0) for c in checks)] for doc, counts in summary["by_document"].items()])
    if failures:
        console.error(f"{len(failures)} input(s) failed; the others were written")
    qa_errors = sum(r[4] for r in rows)
    return 1 if failures or (strict and qa_errors) else 0
