"""`zhen glossary lint|coverage|suggest|export|import`."""
from __future__ import annotations

import sys
from pathlib import Path

from pipeline import console
from pipeline.errors import UsageError, ZhenError
from pipeline.tables import csv_text
from pipeline.io import atomic_write, discover, doc_ids
from pipeline.stages import Settings, analyze
from pipeline.terms import coverage as cov
from pipeline.markup import page_titles, tag_document
from pipeline.terms import editing, exchange, run_terms, suggest
from pipeline.terms.glossary import COLUMNS, PACKAGED_GLOSSARY, load_glossary
from pipeline.terms.lint import ERROR, lint
from pipeline.terms.matcher import TermMatcher


def run_lint(paths: list[Path]) -> int:
    glossary = load_glossary(paths)
    for table in glossary.tables:
        for note in table.notes:
            console.warn(f"{table.path}: {note}")
    findings = lint(glossary)
    for finding in findings:
        (console.err.print if finding.severity == ERROR else console.out.print)(str(finding), markup=False)
    errors = sum(f.severity == ERROR for f in findings)
    approved = sum(t.status == "approved" for t in glossary.terms)
    console.out.print(f"{', '.join(glossary.files)}: {len(glossary.terms)} rows ({approved} approved): {errors} error(s), "
                      f"{len(findings) - errors} warning(s)", markup=False)
    return 1 if errors else 0


def _coverage(inputs: list[str], glossaries: list[Path],
              settings: Settings) -> tuple[cov.Coverage, TermMatcher, int]:
    files, failures = discover(inputs)
    for failure in failures:
        console.error(failure)
    matcher = TermMatcher(load_glossary(glossaries).terms, settings.opencc)
    report = cov.Coverage()
    titles = page_titles(settings.opencc)
    for path, doc_id in zip(files, doc_ids(files)):
        try:
            doc = analyze(path, doc_id, settings)
            cov.add_document(report, doc, matcher)
            report.docs.append(tag_document(doc, titles))
        except ZhenError as exc:
            console.error(exc)
            failures.append(exc)
    return report, matcher, len(failures)


def run_coverage(inputs: list[str], glossaries: list[Path], settings: Settings, top: int) -> int:
    report, matcher, failed = _coverage(inputs, glossaries, settings)
    console.table(f"entries found in {report.documents} document(s)", ["entry", "occurrences", "documents"],
                  [[k, n, report.term_documents[k]] for k, n in report.term_counts.most_common(top)])
    console.table("linked pages without an entry", ["page", "links"],
                  [[k, n] for k, n in report.uncovered_pages.most_common(top)])
    console.table("bold names without an entry", ["name", "occurrences"],
                  [[k, n] for k, n in report.uncovered_bold.most_common(top)])
    console.table("《titles》 without an entry", ["title", "occurrences"],
                  [[k, n] for k, n in report.uncovered_titles.most_common(top)])
    for key, n in report.everywhere():
        console.warn(f"entry {key!r} matches in {n} of {report.segments} segments: a key this common "
                     "is probably a word, not a term")
    console.out.print(
        f"entries used: {len(report.term_counts)}; linked pages covered: "
        f"{len(report.linked_pages) - len(report.uncovered_pages)}/{len(report.linked_pages)} "
        f"({report.page_share:.1%}); links covered: {report.link_share:.1%}", markup=False)
    entries = run_terms.collect(report.docs, matcher)
    run_terms.count(entries, report.docs)
    console.out.print("a translation run would add (without --no-run-terms) " + run_terms.summary(entries, rendered=False),
                      markup=False)
    return 1 if failed else 0


def run_suggest(inputs: list[str], glossaries: list[Path], settings: Settings, out: Path | None,
                min_count: int) -> int:
    report, matcher, failed = _coverage(inputs, glossaries, settings)
    rows, seen = [], set()
    for counter, origin in ((report.uncovered_pages, "wikilinked page"),
                            (report.uncovered_bold, "bold name"), (report.uncovered_titles, "book title")):
        for name, n in counter.most_common():
            if n >= min_count and name not in seen:
                seen.add(name)
                rows.append(suggest.draft_row(name, n, origin, matcher, is_title=origin == "book title"))
    text = csv_text(list(COLUMNS), rows, excel=out is not None)
    if out:
        atomic_write(out, text)
        console.err.print(f"{len(rows)} proposed row(s) written to {out}", markup=False)
    else:
        sys.stdout.write(text)
    return 1 if failed else 0


def run_export(glossaries: list[Path], xlsx: Path | None, csv: Path | None, tbx: Path | None = None,
               pairs_csv: Path | None = None, pairs_tsv: Path | None = None) -> int:
    if not any((xlsx, csv, tbx, pairs_csv, pairs_tsv)):
        raise UsageError("say where to export: --xlsx, --csv, --tbx, --pairs-csv and/or --pairs-tsv OUT")
    glossary = load_glossary(glossaries)
    for out, writer in ((xlsx, editing.export_xlsx), (csv, editing.export_csv)):
        if out:
            console.out.print(f"{writer(glossary, out)} rows written to {out}", markup=False)
    if tbx:
        atomic_write(tbx, exchange.tbx_bytes(glossary.terms))
        console.out.print(f"{len(glossary.terms)} concept entries written to {tbx}", markup=False)
    for out, delimiter in ((pairs_csv, ","), (pairs_tsv, "\t")):
        if out:
            text = exchange.pairs_text(glossary.terms, delimiter)
            atomic_write(out, text)
            console.out.print(f"{text.count(chr(10))} approved pairs written to {out}", markup=False)
    return 0


def run_import(source: Path, into: Path, replace: bool = False) -> int:
    result = editing.import_table(source, into, replace=replace, base=PACKAGED_GLOSSARY)
    for warning in result.warnings:
        console.out.print(str(warning), markup=False)
    if result.old_warnings:
        console.out.print(f"({result.old_warnings} lint warning(s) the term base already had: "
                          "`zhen glossary lint` lists them)", markup=False)
    say = lambda label, keys: f"{len(keys)} {label}" + (f" ({_some(keys)})" if keys else "")  # noqa: E731
    parts = [say("added", result.added), say("changed", result.changed)]
    parts.append(say("removed", result.removed) if replace else
                 f"{len(result.unlisted)} not in the import, kept (--replace to drop them)")
    console.out.print(f"{into}: {'; '.join(parts)}; {result.rows} rows now"
                      + (f"; the previous file is kept as {result.backup}" if result.backup else ""), markup=False)
    return 0


def _some(keys: list[str], shown: int = 5) -> str:
    return ", ".join(keys[:shown]) + (f", … {len(keys) - shown} more" if len(keys) > shown else "")
