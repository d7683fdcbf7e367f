"""A run's article folders as the review editor sees them, and an article re-rendered after a correction.

A correction is rendered the way a later `zhen translate` renders it from the translation memory:
the article is analysed again with the run's matcher (its term base and run terms), the corrected
segment gets ``from_memory``'s verdict, ``render_segment`` and the QA checks, and every writer
writes the folder again, swapped in whole. Every other segment keeps its record as the run wrote it.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline.document import Document, Segment, Translation
from pipeline.errors import ZhenError
from pipeline.formats import Output, jsonl
from pipeline.formats.report import qa_report
from pipeline.markup import TAG
from pipeline.provenance import text_sha256
from pipeline.qa.confidence import is_low
from pipeline.translate.methods import Method

# Below this confidence a segment is "low confidence" (read first); the confidence estimator's own
# `low-confidence` QA warning counts too. Records without a confidence sort after every scored one.
LOW_CONFIDENCE_CHECK = "low-confidence"
UNPLACED_TAGS = ("edge", "anchor")  # tags render puts back by itself: not in the English a reviewer edits
RUN_FILE = "run.json"
RUN_TERMS_FILE = "run-terms.csv"


def confidence(record: dict) -> float | None:
    value = record.get("confidence")
    return float(value) if isinstance(value, (int, float)) else None


def low_confidence(record: dict) -> bool:
    score = confidence(record)
    return any(f["check"] == LOW_CONFIDENCE_CHECK for f in record["qa"]) or is_low(score)


def editable(record: dict) -> str:
    """The English with the inline tags a reviewer places (``<a1>…</a1>``, ``<f1/>``), as the engine
    saw them: the tags render places by itself (at the edges, on a locked term) left out."""
    own = {t["tag"] for t in record.get("tags", []) if t.get("placed") in UNPLACED_TAGS}
    tagged = record.get("tgt_tagged") or record["tgt"]
    return TAG.sub(lambda m: "" if m.group(2) + m.group(3) in own else m.group(0), tagged)


def is_article(folder: Path) -> bool:
    return (folder / "aligned.jsonl").is_file() and (folder / "manifest.json").is_file()


def article_folders(outputs: Path) -> list[Path]:
    return sorted(p for p in outputs.iterdir() if p.is_dir() and not p.name.startswith(".") and is_article(p))


@dataclass
class Article:
    folder: Path
    records: list[dict]
    manifest: dict
    stamp: tuple = ()  # aligned.jsonl's (mtime, size) when read: a run writing it again is noticed

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def title(self) -> str:
        """The article's first heading, if it opens with one."""
        first = self.records[0] if self.records else None
        return (first.get("plain") or first["src"]) if first and first["kind"].startswith(("heading", "title")) else ""

    def qa(self) -> dict:
        return qa_report(self.name, self.records)

    def counts(self, confirmed: int) -> dict[str, int]:
        return {"segments": len(self.records), "confirmed": confirmed,
                "findings": sum(bool(r["qa"]) for r in self.records),
                "low": sum(low_confidence(r) for r in self.records)}


def _stamp(path: Path) -> tuple:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def read_article(folder: Path) -> Article:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        stamp = _stamp(folder / "aligned.jsonl")
        return Article(folder, jsonl.read(folder / "aligned.jsonl"), manifest, stamp)
    except (OSError, ValueError) as exc:
        raise ZhenError(f"is not a readable article folder ({exc})", path=str(folder)) from None


class RenderError(ZhenError):
    """An article whose files cannot be rendered again here (its input moved or changed)."""


@dataclass
class Rebuilt:
    """An article's Document as the run analysed it, its segments in record order."""

    doc: Document
    segments: list[Segment]
    lock: threading.Lock = field(default_factory=threading.Lock)


class Renderer:
    """Rebuilds articles of one output folder with the run's matcher, once each, and re-renders them."""

    def __init__(self, outputs: Path, on_written: Callable[[Article], None] | None = None):
        self.outputs = outputs
        self.on_written = on_written  # told of each article written again
        self.run = self._run_settings()
        self._matcher = None
        self._rebuilt: dict[str, Rebuilt] = {}
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._idle = threading.Condition()
        self._pending: dict[str, dict[int, tuple[str, object]]] = {}
        self._workers: dict[str, threading.Thread] = {}
        self.errors: dict[str, str] = {}  # the last failure to write an article, by name

    def _run_settings(self) -> dict:
        try:
            return json.loads((self.outputs / RUN_FILE).read_text(encoding="utf-8")).get("settings", {})
        except (OSError, ValueError):
            return {}

    @property
    def opencc(self) -> str:
        from pipeline.normalize import DEFAULT_CONFIG
        return self.run.get("opencc") or DEFAULT_CONFIG

    def _glossary_paths(self, manifest: dict) -> list[Path]:
        """The run's term-base files, as written in the manifest (relative to where the run started,
        which is tried as the output folder's parent too)."""
        paths = []
        for entry in manifest.get("glossary", {}).get("files", []):
            path = Path(entry["path"])
            if not path.exists() and (self.outputs.parent / path).exists():
                path = self.outputs.parent / path
            paths.append(path)
        return paths

    def matcher(self, manifest: dict):
        with self._lock:
            if self._matcher is None:
                self._matcher = self._run_matcher(manifest)
            return self._matcher

    def _run_matcher(self, manifest: dict):
        from pipeline.tables import read_csv
        from pipeline.terms import run_terms
        from pipeline.terms.glossary import load_glossary

        glossary = load_glossary(self._glossary_paths(manifest) or None)
        entries = []
        if self.run.get("run_terms", True) and (self.outputs / RUN_TERMS_FILE).is_file():
            entries = [run_terms.RunTerm.from_row(cells) for _n, cells in read_csv(self.outputs / RUN_TERMS_FILE).rows]
        return run_terms.run_matcher(glossary.locking_terms, entries, self.opencc)

    def rebuilt(self, article: Article) -> Rebuilt:
        key = article.name
        with self._lock:
            found = self._rebuilt.get(key)
        if found is None:
            with self._building:  # one analysis at a time: a second caller waits for the first's
                found = self._rebuilt.get(key)
                if found is None:
                    found = self._rebuild(article)
                    with self._lock:
                        self._rebuilt[key] = found
        return found

    def _rebuild(self, article: Article) -> Rebuilt:
        from pipeline.components import Context, Pipeline
        from pipeline.stages import ANALYSIS, blank

        source = article.manifest.get("input", {})
        path = Path(source.get("path", ""))
        if not path.is_absolute() and not path.exists():
            path = self.outputs.parent / path
        if not path.is_file():
            raise RenderError(f"its input {source.get('path')!r} is not here: the files cannot be rendered again "
                              "(the correction is in the memory; `zhen translate` renders it)", path=str(article.folder))
        context = Context(opencc=self.opencc, matcher=self.matcher(article.manifest))
        doc = Pipeline(ANALYSIS, context, given=("doc.path",))(blank(path, article.name))
        if text_sha256(doc.text) != source.get("sha256"):
            raise RenderError(f"its input {path} changed since the run: translate it again first", path=str(article.folder))
        segments = list(doc.segments)
        if len(segments) != len(article.records):
            raise RenderError("the input no longer segments as the run did: translate it again first",
                              path=str(article.folder))
        for segment, record in zip(segments, article.records):
            segment.markdown = record["tgt_md"]
            # whom the article is about, as the run's rules knew it and its model was told
            segment.about, segment.subject = record.get("about", ""), record.get("subject", "")
        return Rebuilt(doc, segments)

    def segment(self, article: Article, seg: int) -> tuple[Document, Segment]:
        rebuilt = self.rebuilt(article)
        segment = rebuilt.segments[seg]
        record = article.records[seg]
        if segment.src(rebuilt.doc.text) != record["src"] or \
                [m.term.key for m in segment.terms] != [t["id"] for t in record["terms"]]:
            raise RenderError(f"segment {seg} no longer matches the run's record (the term base or run terms "
                              "changed): translate it again first", path=str(article.folder))
        return rebuilt.doc, segment

    def check(self, article: Article, seg: int, english: str) -> Translation:
        """The run's verification of a reviewer's English before it is confirmed: its terms, its
        numbers against the source, and every inline tag the segment has (one left out is a problem
        here, where rendering from the memory would put it back by a fallback)."""
        from pipeline.markup import inner
        from pipeline.translate.verdicts import foreign_tags, own_tags_only, term_pairs
        from pipeline.verify import verify

        _doc, segment = self.segment(article, seg)
        verdict = verify(own_tags_only(segment, english), segment.terms, [p.target for p in term_pairs(segment)],
                         Method.MEMORY, source=segment.norm, tags=inner(segment.tags), year=segment.year)
        verdict.tag_problems += [f"{tag} is not one to place here (zhen puts it back by itself): it is left out"
                                 for tag in foreign_tags(segment, english)]
        return verdict

    # A correction's files are written by one worker thread per article, after the confirm has
    # answered: the writers take about a second for a 200-segment article on 2 busy cores (the XLSX
    # most of it), and confirms that arrive meanwhile are rendered together, in one write.

    def schedule(self, article: Article, seg: int, change: tuple[str, object]) -> None:
        """Render ``change`` to segment ``seg`` soon: ``("reviewed", english)`` renders the memory's
        English, ``("restore", record)`` puts back the run's record. A later change to the same
        segment replaces one not yet written."""
        with self._idle:
            self._pending.setdefault(article.name, {})[seg] = change
            if article.name not in self._workers:
                worker = threading.Thread(target=self._work, args=(article.folder,), daemon=True,
                                          name=f"render {article.name}")
                self._workers[article.name] = worker
                worker.start()

    def wait(self, name: str, timeout: float) -> bool:
        """True once nothing of ``name`` is waiting to be written (False after ``timeout`` seconds)."""
        with self._idle:
            return self._idle.wait_for(lambda: name not in self._workers, timeout)

    def wait_all(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: not self._workers, timeout)

    def _work(self, folder: Path) -> None:
        name = folder.name
        while True:
            with self._idle:
                changes = self._pending.pop(name, None)
                if not changes:
                    del self._workers[name]
                    self._idle.notify_all()
                    return
            try:
                written = self.apply(read_article(folder), changes)
                self.errors.pop(name, None)
                if self.on_written is not None:
                    self.on_written(written)
            except (ZhenError, OSError) as exc:  # the memory holds the corrections; `zhen translate` renders them
                self.errors[name] = str(exc)

    def apply(self, article: Article, changes: dict[int, tuple[str, object]]) -> Article:
        """``article`` with each change rendered (see ``schedule``), written to its folder once."""
        from pipeline.qa.checks import run_checks
        from pipeline.render import render_segment
        from pipeline.translate.verdicts import from_memory

        rebuilt = self.rebuilt(article)
        with rebuilt.lock:
            records = list(article.records)
            for seg, (kind, value) in sorted(changes.items()):
                doc, segment = self.segment(article, seg)
                if kind == "restore":
                    records[seg] = value
                    segment.markdown = value["tgt_md"]
                    continue
                segment.translation = from_memory(segment, value)
                render_segment(segment)
                segment.findings = run_checks(doc.text, segment)
                records[seg] = segment.to_record(doc)
            return self._write(article, rebuilt, records)

    def render(self, article: Article, seg: int, english: str) -> Article:
        """``article`` with segment ``seg`` as the memory gives ``english``, written now."""
        return self.apply(article, {seg: ("reviewed", english)})

    def _write(self, article: Article, rebuilt: Rebuilt, records: list[dict]) -> Article:
        from pipeline.render import document_markdown
        from pipeline.write import write_output

        rebuilt.doc.markdown = document_markdown(rebuilt.doc)
        aligned = jsonl.dumps(records)
        run_id = text_sha256(aligned)[:16]
        manifest = {**article.manifest, "run_id": run_id}
        write_output(self.outputs, Output(rebuilt.doc, records, aligned, run_id, manifest))
        return read_article(article.folder)
