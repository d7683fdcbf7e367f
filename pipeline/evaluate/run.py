"""`zhen eval`: translate a parallel test set line by line through the pipeline and score it."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ZhenError
from pipeline.facts import last_year
from pipeline.evaluate.metrics import METRICS, sentence_chrf, term_found
from pipeline.qa import confidence as estimator
from pipeline.qa.checks import run_checks
from pipeline.evaluate.testset import TermLines, read_lines, read_terms
from pipeline.io import atomic_write
from pipeline.normalize import normalize
from pipeline.terms.glossary import Term, load_glossary
from pipeline.terms.matcher import TermMatch, TermMatcher
from pipeline.document import Segment
from pipeline.translate.engines import load_engine
from pipeline.translate.examples import example_index
from pipeline.translate.prompting import Prompting, translate_segments


@dataclass
class EvalOptions:
    src: Path
    ref: Path
    terms: Path | None = None
    glossaries: list[Path] | None = None
    engine: str = "llama"
    model: str | None = None
    limit: int | None = None
    lock: bool = True
    opencc: str = "t2s"
    cache_path: Path | None = None
    engine_options: dict | None = None
    first: int = 1          # the first line used (1-based)
    documents: int = 8      # with context: the lines read as this many documents of consecutive lines
    context: int = 0
    examples: int = 0
    subject: bool = False
    memory: Path | None = None  # a translation memory: its reviewed segments join the example pool


def _line_matches(line: str, norm, glossary: TermMatcher | None, given: list[dict], lock: bool,
                  base: int = 0) -> list[TermMatch]:
    """Glossary matches, with the line's required terms locked on top (they win where they overlap);
    source offsets are ``base`` on in the document's text."""
    index = [base + i for i in norm.source_index]
    spans: dict[tuple[int, int], Term] = {}
    if glossary is not None:
        spans.update({(s, e): t for s, e, t in glossary.find(norm.text)})
    if lock:
        for item in given:
            key = normalize(item["zh"]).text
            start = norm.text.find(key)
            while key and start >= 0:
                end = start + len(key)
                for other in [k for k in spans if k[0] < end and start < k[1]]:
                    del spans[other]
                spans[(start, end)] = Term(item["zh"], item["en"], id=f"term:{item['zh']}")
                start = norm.text.find(key, end)
    return [TermMatch(term, s, e, index[s], index[e - 1] + 1) for (s, e), term in sorted(spans.items())]


def _items(sources: list[str], given: list[list[dict]], glossary, options: EvalOptions) -> list:
    """A segment per line. Each line is a document of its own; with context, the lines are cut into
    ``options.documents`` runs of consecutive lines, each one document (one text: the lines joined)."""
    runs = options.documents if options.context else len(sources)
    size = max(1, -(-len(sources) // max(1, runs)))
    items = []
    for first in range(0, len(sources), size):
        lines = sources[first:first + size]
        text = "\n".join(lines)
        base, year = 0, None
        for number, line in enumerate(lines, start=first):
            norm = normalize(line, options.opencc)
            index = tuple(base + i for i in norm.source_index)
            segment = Segment(number, 0, "line", base, base + len(line), [], line,
                              tuple(range(base, base + len(line))), norm=norm.text, norm_offsets=index,
                              terms=_line_matches(line, norm, glossary, given[number], options.lock, base),
                              year=year)
            year = last_year(norm.text, year) if options.context else None
            items.append((text, segment))
            base += len(line) + 1
    return items


def _examples(options: EvalOptions):
    """The example pool of ``--examples``: the shipped set and the memory's reviewed segments."""
    if not options.examples:
        return None
    if options.memory is None:
        return example_index()
    if not options.memory.is_file():
        raise ZhenError("no such translation memory", path=str(options.memory))
    from pipeline.review.memory import TranslationMemory

    with TranslationMemory(options.memory) as memory:
        return example_index(memory)


def run_eval(options: EvalOptions) -> tuple[dict, list[str]]:
    started = time.perf_counter()
    sources, references = read_lines(options.src), read_lines(options.ref)
    if len(sources) != len(references):
        raise ZhenError(f"has {len(references)} lines but the source {options.src} has {len(sources)}",
                        path=str(options.ref))
    skip = max(0, options.first - 1)
    limit = options.limit or len(sources) - skip
    terms = read_terms(options.terms, sources) if options.terms else TermLines([[] for _ in sources])
    sources, references = sources[skip:skip + limit], references[skip:skip + limit]
    terms.lines = terms.lines[skip:skip + limit]
    for line, given in zip(sources, terms.lines):
        text = normalize(line, options.opencc).text
        for term in given:
            term["in_source"] = bool(term["zh"]) and normalize(term["zh"], options.opencc).text in text
    glossary = TermMatcher(load_glossary(options.glossaries).terms, options.opencc) if options.glossaries else None
    items = _items(sources, terms.lines, glossary, options)
    engine = load_engine(options.engine, options.model, log=lambda m: None, **(options.engine_options or {}))
    described = engine.describe()
    cache = None
    if options.cache_path:
        from pipeline.cache import SegmentCache
        cache = SegmentCache(options.cache_path, described)
    try:
        prompting = Prompting(options.context, options.examples, _examples(options), options.subject)
        translate_segments(engine, items, engine.batch_size, cache=cache, prompting=prompting)
    finally:
        engine.close()
        if cache is not None:
            cache.close()
    results = [segment.translation for _line, segment in items]
    hypotheses = [r.tgt for r in results]
    confidences = [_confidence(text, segment) for text, segment in items]
    chrfs = [sentence_chrf(h, r) for h, r in zip(hypotheses, references)]
    scores = [METRICS["chrf"].score(hypotheses, references), METRICS["bleu"].score(hypotheses, references)]
    if options.terms:
        scores += [METRICS[n].score(hypotheses, references, terms.lines) for n in ("term_success", "term_consistency")]
    report = {"lines": len(sources), "first_line": skip + 1, "last_line": skip + len(sources)}
    report.update({s.name: s.value for s in scores})
    report["signatures"] = {s.name: s.signature for s in scores}
    report["details"] = {s.name: s.detail for s in scores if s.detail}
    report["settings"] = {"src": str(options.src), "ref": str(options.ref),
                          "terms": str(options.terms) if options.terms else None,
                          "glossaries": [str(g) for g in options.glossaries or []], "lock": options.lock,
                          "limit": options.limit, "first": options.first, "opencc": options.opencc,
                          "context": options.context, "examples": options.examples,
                          "memory": str(options.memory) if options.memory else None,
                          "documents": options.documents if options.context else len(sources), "engine": described}
    report["invalid_term_lines"] = [{"line": n, "problem": p} for n, p in terms.invalid if skip < n <= skip + limit]
    report["cleaned_terms"] = terms.cleaned
    report["confidence"] = confidence_against_chrf(confidences, chrfs)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["per_line"] = [
        {"line": skip + i + 1, "method": r.method, "attempts": r.attempts, "confidence": confidences[i],
         "chrf": chrfs[i],
         "terms": [{"zh": t["zh"], "en": t["en"], "in_source": t["in_source"],
                    "found": term_found(t["en"], r.tgt) is not None} for t in given],
         "locked": [o.to_json(line, r.tgt) for o in r.outcomes]}
        for i, (line, given, r) in enumerate(zip(sources, terms.lines, results))]
    return report, hypotheses


def _confidence(text: str, segment: Segment) -> float | None:
    """The line's confidence, as a run gives it (``pipeline/qa/confidence.py``, after every check)."""
    run_checks(text, segment)
    return segment.confidence


def confidence_against_chrf(confidences: list[float | None], chrfs: list[float]) -> dict:
    """How well the confidence ranks the lines by their sentence chrF (``metrics.sentence_chrf``):
    Spearman's rho (the Pearson correlation of the ranks, ties averaged), over every line."""
    import pandas as pd

    kept = [(c, chrf) for c, chrf in zip(confidences, chrfs) if c is not None]
    frame = pd.DataFrame(kept, columns=["confidence", "chrf"])
    rho = frame["confidence"].rank().corr(frame["chrf"].rank()) if len(frame) > 2 else float("nan")
    return {"spearman_vs_sentence_chrf": None if pd.isna(rho) else round(float(rho), 3), "lines": len(frame),
            "signature": estimator.SIGNATURE}


def write_report(out: Path, report: dict, hypotheses: list[str]) -> None:
    atomic_write(out / "hyp.txt", "".join(h.replace("\n", " ") + "\n" for h in hypotheses))
    atomic_write(out / "report.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")


def load_report(path: Path) -> dict:
    file = path / "report.json" if path.is_dir() else path
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ZhenError(f"cannot be read: {exc.strerror}", path=str(file)) from None
    except ValueError:
        raise ZhenError("is not a report.json written by `zhen eval`", path=str(file)) from None
