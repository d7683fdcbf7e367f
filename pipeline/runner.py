"""Batch runs over many articles: batching is the pipeline's job, not each stage's.

Reading, segmenting, normalizing and matching run in ``jobs`` worker processes; the engine runs in
this process with its own threads; each finished document is written by a worker while the next one
is translated. Finished segments go to the persistent cache as they finish, so a killed run
resumes where it stopped. Every run leaves ``run.json`` (inputs, settings, versions, totals,
timings) and ``qa-summary.json`` in the output folder.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from rich.text import Text

from pipeline import console
from pipeline.cache import SegmentCache
from pipeline.components import Context, Pipeline
from pipeline.document import Document
from pipeline.errors import ZhenError
from pipeline.formats.report import to_json
from pipeline.io import atomic_write, discover, doc_ids
from pipeline.provenance import Provenance, text_sha256, versions
from pipeline.qa.summary import qa_summary
from pipeline.review.memory import open_memory
from pipeline.normalize import normalize
from pipeline.stages import ANALYSIS, ANALYZED, MATCH_INPUTS, TRANSLATED, TRANSLATION, WRITE, Settings, blank
from pipeline.tables import csv_text
from pipeline.tables.xlsx import Sheet, workbook_bytes
from pipeline.terms import run_terms
from pipeline.terms.editing import WIDTHS
from pipeline.terms.glossary import COLUMNS, Glossary, GlossaryError, load_glossary
from pipeline.terms.lint import ERROR, lint
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.engines import load_engine
from pipeline.translate.examples import example_index
from pipeline.translate.prompting import DEFAULT_CONTEXT, DEFAULT_EXAMPLES, Prompting
from pipeline.translate.methods import NO_MODEL
from pipeline.write import recover


@dataclass
class RunOptions:
    inputs: list[str]
    out_dir: Path
    glossaries: list[Path]
    engine: str = "llama"
    model: str | None = None
    settings: Settings = field(default_factory=Settings)
    batch_size: int = 8
    jobs: int = 1
    memory_path: Path | None = None
    cache_path: Path | None = None
    engine_options: dict = field(default_factory=dict)  # e.g. threads, parallel
    run_terms: bool = True  # one rendering per name the term base lacks, locked for the run
    context: int = DEFAULT_CONTEXT    # sentences before each one shown with their drafts
    examples: int = DEFAULT_EXAMPLES  # similar translated pairs shown (shipped examples, the memory)
    subject: bool = False  # tell the model whom a biography is about


@dataclass
class DocumentSummary:
    doc: str
    path: str
    sha256: str
    characters: int
    segments: int
    reused: int
    translated: int
    locked: int
    missing: int
    errors: int
    warnings: int
    seconds: float
    folder: str = ""


@dataclass
class RunReport:
    documents: list[DocumentSummary] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    qa: dict = field(default_factory=dict)
    seconds: float = 0.0
    run_terms: dict = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(getattr(d, name) for d in self.documents)


def checked_glossary(paths: list[Path]) -> Glossary:
    glossary = load_glossary(paths)
    errors = [f for f in lint(glossary) if f.severity == ERROR]
    if errors:
        shown = "\n".join(f"  {f}" for f in errors[:10])
        raise GlossaryError(f"the glossary has {len(errors)} error(s); fix them first "
                            f"(`zhen glossary lint`):\n{shown}")
    return glossary


# Worker processes: each builds its analysis and writing pipelines (and so its matcher) once.
_WORKER: dict = {}


def _watch_parent(parent: int) -> None:
    """A worker whose parent died (kill -9) ends too, instead of waiting for work forever."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init_worker(context: Context, parent: int | None = None) -> None:
    if parent is not None:  # a worker process: Ctrl-C is the parent's to handle, once
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _WORKER["analysis"] = Pipeline(ANALYSIS, context, given=("doc.path",))
    _WORKER["write"] = Pipeline(WRITE, context, given=TRANSLATED)


def _analyze(path: Path, doc_id: str) -> Document | ZhenError:
    try:
        return _WORKER["analysis"](blank(path, doc_id))
    except ZhenError as exc:
        return exc


def _write(doc: Document) -> float:
    started = time.perf_counter()
    _WORKER["write"](doc)
    return time.perf_counter() - started


class _Inline:
    """The executor for --jobs 1: runs each task at once in this process."""

    def __init__(self, initializer, initargs):
        initializer(*initargs)

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, as a pool would
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


class _Rate(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"{task.speed:.2f}/s" if task.speed else "–/s")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), _Rate(),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console.err)


RUN_TERM_COLUMNS = [*COLUMNS, "count", "documents"]


class Runner:
    def __init__(self, options: RunOptions):
        self.options = options
        self.timings = {"analysis": 0.0, "run_terms": 0.0, "translation": 0.0, "writing": 0.0}

    def _executor(self, provenance: Provenance):
        context = Context(opencc=self.options.settings.opencc, glossaries=self.options.glossaries,
                          out_dir=self.options.out_dir, provenance=provenance)
        if self.options.jobs > 1:
            return ProcessPoolExecutor(self.options.jobs, initializer=_init_worker,
                                       initargs=(context, os.getpid()))
        return _Inline(_init_worker, (context,))

    def run(self) -> RunReport:
        started = time.time()
        options = self.options
        report = RunReport()
        files, failures = discover(options.inputs)
        report.failures += [str(f) for f in failures]
        if not files:
            raise ZhenError("no input articles found", hint="give .md/.txt files or folders")
        glossary = checked_glossary(options.glossaries)
        memory = open_memory(options.memory_path)  # before the model loads: a damaged memory stops at once
        engine = self._engine = self._start_engine()
        described = engine.describe()
        prompting = Prompting(options.context, options.examples, example_index(memory) if options.examples else None,
                              options.subject)
        provenance = Provenance(described, tuple((f, glossary.hashes[f]) for f in glossary.files),
                                glossary.signature(), options.settings.opencc, prompting.describe())
        self._provenance = provenance
        cache = SegmentCache(options.cache_path, described, console.warn) if options.cache_path else None
        console.err.print(f"engine {described['engine']} · model {described['model']} · "
                          f"{len(glossary.locking_terms)} locked terms · cache "
                          f"{options.cache_path or 'off'} · memory {len(memory) if memory else 0} entries",
                          markup=False)
        recover(options.out_dir)
        executor = self._executor(provenance)
        all_records: list[dict] = []
        batch_size = options.batch_size or engine.batch_size
        context = Context(opencc=options.settings.opencc, engine=engine, batch_size=batch_size,
                          cache=cache, memory=memory, prompting=prompting)
        try:
            docs = self._analyze_all(executor, files, report)
            if options.run_terms:
                docs = self._with_run_terms(docs, glossary, context, report)
            self._translate_all(executor, docs, context, report, all_records)
        except KeyboardInterrupt:
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            executor.shutdown(wait=True)
            engine.close()
            if cache is not None:
                cache.close()
            if memory is not None:
                memory.close()
            report.seconds = time.time() - started
            if all_records:
                report.qa = qa_summary(all_records)
                atomic_write(options.out_dir / "qa-summary.json", to_json(report.qa))
            self._write_run_json(report, provenance, started)
        return report

    def _with_run_terms(self, docs: list[Document], glossary: Glossary, context: Context,
                        report: RunReport) -> list[Document]:
        """The run-level pass: names the term base lacks, rendered once, locked in every document."""
        t0 = time.perf_counter()
        opencc = self.options.settings.opencc
        curated = TermMatcher(glossary.locking_terms, opencc)
        entries = run_terms.collect(docs, curated)
        run_terms.count(entries, docs)
        proposed = {normalize(t.zh, opencc).text: t for t in glossary.terms if t.status == "proposed" and t.en}
        run_terms.render(entries, proposed, lambda names: self._translate_names(names, curated, context), curated)
        matcher = run_terms.run_matcher(glossary.locking_terms, entries, opencc)
        rematch = Pipeline(("match", "tag"), Context(opencc=opencc, matcher=matcher), given=MATCH_INPUTS)
        docs = [rematch(doc) for doc in docs]
        out = self.options.out_dir
        out.mkdir(parents=True, exist_ok=True)
        rows = [e.row() for e in sorted(entries, key=lambda e: (-e.count, e.zh))]
        atomic_write(out / "run-terms.csv", csv_text(RUN_TERM_COLUMNS, rows, excel=True))
        atomic_write(out / "run-terms.xlsx", workbook_bytes([Sheet("terms", RUN_TERM_COLUMNS,
                                                                   [[r[c] for c in RUN_TERM_COLUMNS] for r in rows],
                                                                   {**WIDTHS, "documents": 40})]))
        report.run_terms = {"entities": len(entries), "locked": sum(e.locked for e in entries),
                            "occurrences": sum(e.count for e in entries)}
        console.err.print(run_terms.summary(entries) + f" → {out / 'run-terms.csv'}", markup=False)
        self.timings["run_terms"] += time.perf_counter() - t0
        return docs

    def _translate_names(self, names: list[str], curated: TermMatcher, context: Context) -> list[str]:
        """Each name translated alone (approved entries inside it locked), through the cache."""
        from pipeline.stages import analyze_text

        from pipeline.translate.engines.base import TermPair

        docs = [analyze_text(name, f"name-{i}", Settings(curated.config), curated) for i, name in enumerate(names)]
        approved = list({id(t): t for t in curated.by_key.values()}.values())

        def examples(segment) -> tuple:
            return tuple(TermPair(t.zh, t.en) for t in run_terms.related(segment.norm, approved))
        self._translate_items([(doc.text, s) for doc in docs for s in doc.segments], context, examples)
        return [" ".join(s.translation.tgt for s in doc.segments) for doc in docs]

    @staticmethod
    def _translate_items(items: list, context: Context, examples) -> None:
        from pipeline.translate.prompting import translate_segments

        translate_segments(context.engine, items, context.batch_size, cache=context.cache, examples=examples,
                           listed=True)

    def _engine_stats(self) -> dict:
        """The engine's counters (requests, tokens, seconds) and the locking loop's requests by method."""
        engine = getattr(self, "_engine", None)
        stats = dict(getattr(engine, "stats", {}) or {})
        by_method = getattr(engine, "requests_by_method", None)  # a Ray run's engines count on the actors
        if by_method:
            stats["by_method"] = dict(by_method)
        return stats

    def _start_engine(self):
        options = self.options
        return load_engine(options.engine, options.model, log=lambda m: console.err.print(m, markup=False),
                           **options.engine_options)

    def _analyze_all(self, executor, files: list[Path], report: RunReport) -> list[Document]:
        t0 = time.perf_counter()
        futures = [executor.submit(_analyze, path, doc_id) for path, doc_id in zip(files, doc_ids(files))]
        docs = []
        for future in futures:
            result = future.result()
            if isinstance(result, ZhenError):
                console.error(result)
                report.failures.append(str(result))
                continue
            docs.append(self._analyzed(result))
        self.timings["analysis"] += time.perf_counter() - t0
        return docs

    @staticmethod
    def _analyzed(doc: Document) -> Document:
        if not any(True for _ in doc.segments):
            console.warn(f"{doc.path}: no translatable text (empty, whitespace or markup only); "
                         "its outputs hold the document unchanged")
        return doc

    def _translate_all(self, executor, docs, context: Context, report, all_records) -> None:
        total_segments = sum(1 for d in docs for _ in d.segments)
        writes: list[tuple[Future, DocumentSummary]] = []
        with _progress() as progress:
            doc_task = progress.add_task("documents", total=len(docs))
            seg_task = progress.add_task("segments", total=total_segments)
            context.on_done = lambda n: progress.advance(seg_task, n)
            translation = Pipeline(TRANSLATION, context, given=ANALYZED)
            t0 = time.perf_counter()
            for doc in translation.pipe(docs):  # small documents share engine batches
                self.timings["translation"] += time.perf_counter() - t0
                summary = self._finished(doc, report, all_records)
                writes.append((executor.submit(_write, doc), summary))
                progress.advance(doc_task)
                t0 = time.perf_counter()
            for future, summary in writes:
                try:
                    self.timings["writing"] += future.result()  # in the workers: may overlap translation
                except OSError as exc:
                    summary.folder = ""
                    message = f"{self.options.out_dir / summary.doc}: cannot write outputs: {exc.strerror or exc}"
                    console.error(message)
                    report.failures.append(message)

    def _finished(self, doc: Document, report: RunReport, all_records: list[dict]) -> DocumentSummary:
        summary = self._summarize(doc)
        report.documents.append(summary)
        all_records += doc.records()
        summary.folder = str(self.options.out_dir / doc.doc_id)
        return summary

    @staticmethod
    def _summarize(doc: Document) -> DocumentSummary:
        verdicts = [s.translation for s in doc.segments]
        return DocumentSummary(
            doc=doc.doc_id, path=doc.path, sha256=text_sha256(doc.text), characters=len(doc.text),
            segments=len(verdicts), reused=sum(bool(v.reused) for v in verdicts),
            translated=sum(v.method not in NO_MODEL and not v.reused for v in verdicts),
            locked=doc.count_terms("locked"), missing=doc.count_terms("missing"),
            errors=len(doc.findings("error")), warnings=len(doc.findings("warning")),
            seconds=round(doc.seconds, 3))

    def _write_run_json(self, report: RunReport, provenance: Provenance, started: float) -> None:
        options = self.options
        data = {
            "zhen_run": 1,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(report.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "signature": provenance.signature,
            "engine": provenance.engine,
            "glossary": provenance.glossary(),
            "settings": {"opencc": options.settings.opencc, "batch_size": options.batch_size, "jobs": options.jobs,
                         "run_terms": options.run_terms, "context": options.context, "examples": options.examples, "subject": options.subject,
                         "cache": str(options.cache_path) if options.cache_path else None,
                         "memory": str(options.memory_path) if options.memory_path else None},
            "versions": versions(),
            "engine_stats": self._engine_stats(),
            "inputs": [{"path": d.path, "doc": d.doc, "sha256": d.sha256, "characters": d.characters,
                        "segments": d.segments} for d in report.documents],
            "documents": [asdict(d) for d in report.documents],
            "totals": {name: report.total(name) for name in
                       ("segments", "reused", "translated", "locked", "missing", "errors", "warnings")},
            "run_terms": report.run_terms,
            "failures": report.failures,
        }
        atomic_write(options.out_dir / "run.json", to_json(data))
