"""`zhen translate --backend ray`: the same components on a Ray cluster (a laptop or many machines).

- Analysis (read, segment, normalize, match) is a Ray dataset: each document is a row, mapped by
  a pool of actors that each build the term matcher once.
- The driver makes the run-level decisions once, exactly as the local backend does: documents are
  grouped into engine batches; each source is translated once a run (later groups reuse it); the
  translation memory and the segment cache answer first, so what they hold never reaches an actor.
- Translation runs in a pool of ``--workers`` actors, each loading the engine once (llama.cpp maps
  the model file, so actors on one node share its pages). An actor that dies is restarted and its
  batch tried again; finished batches are stored in the cache as they arrive, so a killed run
  resumes like a local one.
- Rendering, QA and writing are tasks placed on the driver's node: outputs land in ``--out`` on
  the machine that started the run, so no shared folder is needed; the cache and memory are the
  driver's too.

The local backend never imports this module (nor Ray).
"""
from __future__ import annotations

import logging
import os
import pickle
import time
from contextlib import contextmanager
from pathlib import Path

from pipeline import console
from pipeline.components import Context, Pipeline
from pipeline.document import Document
from pipeline.errors import UsageError, ZhenError
from pipeline.io import doc_ids, read_article
from pipeline.read import parse
from pipeline.runner import RunReport, Runner, _progress
from pipeline.stages import ANALYSIS, TRANSLATED
from pipeline.terms.glossary import load_glossary
from pipeline.terms.matcher import TermMatcher
from pipeline.translate import groups
from pipeline.translate.locking import lock
from pipeline.translate.planning import finish, plan, share_engine_time
from pipeline.translate.prompting import Prompting, tell_subjects, translate_segments

FINISH = ("render", "qa", "write")
AFTER_TRANSLATION = tuple(a for a in TRANSLATED if a not in ("segment.tgt_tagged", "segment.markdown",
                                                           "segment.fallbacks", "doc.markdown",
                                                           "segment.findings"))


def _ray():
    try:
        import ray
    except ImportError:
        raise UsageError("--backend ray needs Ray: pip install -e '.[ray]'") from None
    return ray


class _Analyzer:
    """A Ray Data actor: segment, normalize and match, built once per actor (the matcher comes
    pickled from the driver, so no node needs the term base's files)."""

    def __init__(self, context: Context):
        import pipeline.stages  # noqa: F401 - registers the components in this process
        self.pipeline = Pipeline(ANALYSIS[1:], context, given=("doc.path", "doc.text", "doc.blocks"))

    def __call__(self, row: dict) -> dict:
        doc = self.pipeline(parse(row["text"], row["doc_id"], row["path"]))
        return {"index": row["index"], "doc": pickle.dumps(doc)}


class _Translator:
    """A Ray actor holding one engine; ``lock`` runs the locking loop over a batch of sources."""

    def __init__(self, engine: str, model: str | None, options: dict):
        import pipeline.stages  # noqa: F401
        from pipeline.translate.engines import load_engine
        try:
            self._engine, self._failed = load_engine(engine, model, log=lambda m: None, **options), None
        except ZhenError as exc:
            # Raised by each call instead: an error in an actor's constructor reaches the driver only
            # as the text of its traceback, a method's as the error itself (its one line).
            self._engine, self._failed = None, exc

    @property
    def engine(self):
        if self._failed is not None:
            raise self._failed
        return self._engine

    def describe(self) -> dict:
        return self.engine.describe()

    def batch_size(self) -> int:
        return self.engine.batch_size

    def policy(self):
        return self.engine.policy

    def fits(self, request) -> bool:
        return self.engine.fits(request)

    def lock(self, sources: list, batch_size: int, examples=None, first_only: bool = False,
             listed: bool = False) -> tuple[list, float]:
        started = time.perf_counter()
        verdicts = lock(self.engine, sources, batch_size, examples=examples or (lambda segment: ()),
                        first_only=first_only, listed=listed)
        return verdicts, time.perf_counter() - started


def _finish_documents(docs: list[Document], context: Context) -> list[tuple[Document, list[dict]]]:
    """Render, QA and write documents (a Ray task on the driver's node)."""
    import pipeline.stages  # noqa: F401
    finisher = Pipeline(FINISH, context, given=AFTER_TRANSLATION)
    done = []
    for doc in docs:
        finisher(doc)
        done.append((doc, doc.records()))
    return done


class _RemoteEngine:
    """What the runner needs of an engine, answered by the actors."""

    def __init__(self, ray, actors):
        self.ray, self.actors = ray, actors
        self._described = ray.get(actors[0].describe.remote())
        self.batch_size = ray.get(actors[0].batch_size.remote())
        self.policy = ray.get(actors[0].policy.remote())

    def fits(self, request) -> bool:
        return self.ray.get(self.actors[0].fits.remote(request))

    def lock(self, _engine, sources: list, batch_size: int, finished=lambda i, verdict: None,
             checkpoint=lambda: None, examples=None, first_only: bool = False, listed: bool = False) -> list:
        """``locking.lock`` on the actors: the sources shared out among them, verdicts in order."""
        from ray.util import ActorPool

        if not sources:
            return []
        share = -(-len(sources) // len(self.actors))
        chunks = [sources[i:i + share] for i in range(0, len(sources), share)]
        results = ActorPool(self.actors).map(lambda actor, chunk: actor.lock.remote(chunk, batch_size, None, first_only,
                                                                                    listed),
                                             chunks)
        verdicts = [verdict for result in results for verdict in result[0]]
        for i, verdict in enumerate(verdicts):
            finished(i, verdict)
        checkpoint()
        return verdicts

    def describe(self) -> dict:
        return self._described

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)


@contextmanager
def _errors_from_actors(ray):
    """An error the user can act on, raised on an actor (a served engine's server lost or answering
    nonsense), raised here as itself: Ray wraps it in a task error whose text is a traceback."""
    try:
        yield
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, ZhenError):
            raise exc.cause from None
        raise


class RayRunner(Runner):
    def __init__(self, options, address: str | None = None, workers: int = 1):
        super().__init__(options)
        if workers < 1:
            raise UsageError("--workers must be at least 1")
        self.address, self.workers = address, workers
        self.ray = _ray()

    def run(self) -> RunReport:
        with _errors_from_actors(self.ray):
            return super().run()

    def _connect(self) -> None:
        if self.ray.is_initialized():
            return
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        try:
            self.ray.init(address=address, log_to_driver=False, include_dashboard=False, ignore_reinit_error=True)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise ZhenError(f"cannot join the Ray cluster at {address}: {exc}",
                            hint="start one with `ray start --head`, or leave --ray-address out for a "
                                 "local one") from None

    def _start_engine(self):
        self._connect()
        options = dict(self.options.engine_options)
        cores = int(self.ray.cluster_resources().get("CPU", os.cpu_count() or 1))
        if self.options.engine == "llama" and "threads" not in options:
            options["threads"] = max(1, cores // self.workers)  # actors on one node share its cores
        # num_cpus=0: the actors must not starve the analysis of CPUs (they run their own threads);
        # SPREAD: on a cluster, one actor per node before two on any.
        cls = self.ray.remote(_Translator).options(max_restarts=-1, max_task_retries=-1, num_cpus=0,
                                                   num_gpus=1 if options.get("gpu_layers") else 0,
                                                   scheduling_strategy="SPREAD")
        actors = [cls.remote(self.options.engine, self.options.model, options) for _ in range(self.workers)]
        return _RemoteEngine(self.ray, actors)

    def _analyze_all(self, executor, files: list[Path], report: RunReport) -> list[Document]:
        """The driver reads the articles (the inputs need not be on the other nodes); the dataset
        segments, normalizes and matches them."""
        t0 = time.perf_counter()
        rows = []
        for index, (path, doc_id) in enumerate(zip(files, doc_ids(files))):
            try:
                rows.append({"index": index, "path": str(path), "doc_id": doc_id, "text": read_article(path)})
            except ZhenError as exc:
                console.error(exc)
                report.failures.append(str(exc))
        matcher = TermMatcher(load_glossary(self.options.glossaries).terms, self.options.settings.opencc)
        context = Context(opencc=self.options.settings.opencc, matcher=matcher)
        data = self.ray.data.DataContext.get_current()
        data.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        dataset = self.ray.data.from_items(rows).map(_Analyzer, fn_constructor_kwargs={"context": context},
                                                     concurrency=max(1, self.options.jobs)) if rows else None
        docs = []
        for row in sorted(dataset.take_all() if dataset else [], key=lambda r: r["index"]):
            docs.append(self._analyzed(pickle.loads(row["doc"])))
        self.timings["analysis"] += time.perf_counter() - t0
        return docs

    def _translate_items(self, items: list, context: Context, examples) -> None:
        """Segments translated on one actor (the run terms' names: few and short)."""
        work = plan(items, None, context.cache)
        if work.pending:
            verdicts, _seconds = self.ray.get(context.engine.actors[0].lock.remote(work.sources(), context.batch_size,
                                                                                   examples, listed=True))
            work.settle(verdicts, context.cache)
        finish(items, work.best)

    def _translate_all(self, executor, docs, context: Context, report, all_records) -> None:
        """Plan every group on the driver, lock the pending sources on the actors, finish as tasks."""
        from ray.util import ActorPool
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        engine: _RemoteEngine = context.engine
        finish_context = Context(out_dir=self.options.out_dir.resolve(), provenance=self._provenance)
        here = NodeAffinitySchedulingStrategy(self.ray.get_runtime_context().get_node_id(), soft=False)
        finisher = self.ray.remote(_finish_documents).options(scheduling_strategy=here, num_cpus=0)
        if context.prompting:
            return self._translate_with_prompting(docs, context, report, all_records, finisher, finish_context)
        seen: dict = {}           # key → verdict, as the local backend's run-level memory
        claimed: dict = {}        # key → None once a group translates it (plan() reuses it in later groups)
        plans = []
        for group in groups(docs, context.batch_size):
            items = [(doc.text, s) for doc in group for s in doc.segments]
            tell_subjects(items, context.prompting if context.prompting is not None else Prompting())
            work = plan(items, context.memory, context.cache, claimed)
            for key in [k for k, v in work.best.items() if v is None]:
                del work.best[key]  # translated by an earlier group: filled in when it arrives
            claimed.update(dict.fromkeys(work.pending))
            plans.append((group, items, work))
        total = sum(1 for d in docs for _ in d.segments)
        t0 = time.perf_counter()
        with _progress() as progress:
            doc_task = progress.add_task("documents", total=len(docs))
            seg_task = progress.add_task("segments", total=total)
            pool = ActorPool(engine.actors)
            for _group, _items, work in plans:
                pool.submit(lambda actor, w: actor.lock.remote(w.sources(), context.batch_size), work)
            finishing = []
            try:
                for group, items, work in plans:
                    # in submission order: groups finish in document order
                    self._finish_group(group, items, work, pool.get_next(), seen, context.cache)
                    progress.advance(seg_task, len(items))
                    finishing.append(finisher.remote(group, finish_context))
            finally:  # a group that failed (its server lost) stops the run after the documents before it are written
                self.timings["translation"] += time.perf_counter() - t0
                self._collect(finishing, report, all_records, lambda: progress.advance(doc_task))

    @staticmethod
    def _finish_group(group, items: list, work, result: tuple[list, float], seen: dict, cache) -> None:
        """A group's verdicts stored in the cache (committed) and given to its segments."""
        verdicts, seconds = result
        work.settle(verdicts, cache, seen)
        if cache is not None:
            cache.commit()
        for key in work.unique:
            work.best.setdefault(key, seen.get(key))
        finish(items, work.best)
        share_engine_time(group, seconds)

    def _collect(self, finishing: list, report: RunReport, all_records: list, advance) -> None:
        """The finished documents' summaries and records, as their tasks complete."""
        t1 = time.perf_counter()
        for ref in finishing:
            for doc, records in self.ray.get(ref):
                summary = self._summarize(doc)
                summary.folder = str(self.options.out_dir / doc.doc_id)
                report.documents.append(summary)
                all_records += records
                advance()
        self.timings["writing"] += time.perf_counter() - t1

    def _translate_with_prompting(self, docs, context: Context, report, all_records, finisher, finish_context) -> None:
        """With context or examples in the prompt: the drafts, then the translation, each shared out
        among the actors, planned on the driver as the local backend does; then finished."""
        items = [(doc.text, s) for doc in docs for s in doc.segments]
        t0 = time.perf_counter()
        with _progress() as progress:
            doc_task = progress.add_task("documents", total=len(docs))
            seg_task = progress.add_task("segments", total=len(items))
            translate_segments(context.engine, items, context.batch_size, lambda n: progress.advance(seg_task, n),
                               context.memory, context.cache, {}, prompting=context.prompting,
                               locker=context.engine.lock)
            seconds = time.perf_counter() - t0
            self.timings["translation"] += seconds
            share_engine_time(docs, seconds)
            finishing = [finisher.remote(group, finish_context) for group in groups(docs, context.batch_size)]
            self._collect(finishing, report, all_records, lambda: progress.advance(doc_task))
