"""Translate segments so that every locked term appears: verify, escalate, audit.

Each unique source (normalized text + its locked terms) is translated once. All pending sources go
to the engine in batches with its weakest locking method; those with a missing term, a forbidden
rendering or Chinese left in the English go again with the next method. The best attempt is kept,
and each term's outcome records the method that produced it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from pipeline.terms.matcher import TermMatch
from pipeline.translate.cleanup import clean
from pipeline.translate.engines.base import Engine, Request, TermPair
from pipeline.translate.locking import (HAN, TermOutcome, degenerate, forbidden_used, occurrences,
                                        repair_case, term_pair, untranslated_chinese, verify)


@dataclass
class Job:
    """One segment to translate: its normalized text, term matches and their original forms."""

    norm: str
    matches: list[TermMatch]
    originals: list[str]

    @property
    def pairs(self) -> tuple[TermPair, ...]:
        return tuple(term_pair(m, self.norm) for m in self.matches)

    @property
    def key(self) -> tuple:
        return (self.norm, tuple((p.zh, p.en, p.action) for p in self.pairs))


@dataclass
class Result:
    tgt: str
    method: str
    outcomes: list[TermOutcome]
    forbidden: list[tuple[TermMatch, str]] = field(default_factory=list)
    chinese_left: str = ""
    attempts: int = 1
    degenerate: bool = False
    reused: str = ""  # "memory" or "cache" when no model ran for it in this run

    @property
    def problems(self) -> int:
        missing = sum(o.status == "missing" for o in self.outcomes)
        return missing + len(self.forbidden) + bool(self.chinese_left) + (not self.tgt) + self.degenerate


def _unique_pairs(pairs: tuple[TermPair, ...]) -> tuple[TermPair, ...]:
    return tuple(dict.fromkeys(pairs))


def evaluate(job: Job, raw: str, method: str) -> Result:
    expected = [p.target for p in job.pairs]
    text = repair_case(clean(raw, job.norm), expected)
    outcomes = verify(text, job.matches, expected, method)
    return Result(text, method, outcomes, forbidden_used(text, job.matches),
                  untranslated_chinese(text, outcomes), degenerate=degenerate(text, job.norm))


def finalize(job: Job, result: Result, gloss_kept: bool = True) -> Result:
    """Put `keep` terms back in their original script (and gloss them once), then re-verify."""
    if result.method == "memory":
        return from_memory(job, result.tgt)  # a reviewer's English is used exactly as written
    text = result.tgt
    for match, original in zip(job.matches, job.originals):
        if match.term.action != "keep":
            continue
        norm_form = job.norm[match.norm_start:match.norm_end]
        starts = occurrences(text, norm_form)
        if not starts:
            continue
        at = starts[0]
        gloss = f" ({match.term.en})" if gloss_kept and match.term.en and match.term.en != original \
            and not text[at + len(norm_form):].lstrip().startswith(f"({match.term.en})") else ""
        text = text[:at] + original + gloss + text[at + len(norm_form):]
    expected = [orig if m.term.action == "keep" else m.term.en for m, orig in zip(job.matches, job.originals)]
    outcomes = verify(text, job.matches, expected, result.method)
    # Identical segments share one translation: re-verifying binds it to this segment's matches.
    forbidden = forbidden_used(text, job.matches)
    return Result(text, result.method, outcomes, forbidden, untranslated_chinese(text, outcomes),
                  result.attempts, result.degenerate)


def copy_through(job: Job) -> Result:
    """Text without Chinese (dates in digits, Latin names) needs no model."""
    return Result(job.norm, "copy", verify(job.norm, job.matches, [p.target for p in job.pairs], "copy"))


def from_memory(job: Job, english: str) -> Result:
    """Reviewed English from the translation memory; its locked terms are verified like any output."""
    expected = [p.target for p in job.pairs]
    outcomes = verify(english, job.matches, expected, "memory")
    return Result(english, "memory", outcomes, forbidden_used(english, job.matches),
                  untranslated_chinese(english, outcomes), attempts=0)


def from_cache(job: Job, cached: tuple[str, str, int, bool]) -> Result:
    tgt, method, attempts, is_degenerate = cached
    expected = [p.target for p in job.pairs]
    outcomes = verify(tgt, job.matches, expected, method)
    return Result(tgt, method, outcomes, forbidden_used(tgt, job.matches), untranslated_chinese(tgt, outcomes),
                  attempts, is_degenerate, reused="cache")


def translate_jobs(engine: Engine, jobs: list[Job], batch_size: int = 8,
                   on_done: Callable[[int], None] | None = None, memory=None, cache=None) -> list[Result]:
    """Results for ``jobs`` (same order); identical jobs are translated once.

    ``memory`` (a TranslationMemory) supplies reviewed English for exact normalized-source matches;
    ``cache`` (a SegmentCache) supplies and stores finished translations.
    """
    unique: dict[tuple, Job] = {}
    for job in jobs:
        unique.setdefault(job.key, job)
    best: dict[tuple, Result] = {}
    pending = []
    for key, job in unique.items():
        entry = memory.get(job.norm) if memory is not None else None
        cached = cache.get(key) if cache is not None and entry is None else None
        if entry is not None:
            best[key] = from_memory(job, entry.tgt)
            best[key].reused = "memory"
        elif cached is not None:
            best[key] = from_cache(job, cached)
        elif HAN.search(job.norm):
            pending.append(key)
        else:
            best[key] = copy_through(job)
    copies = Counter(job.key for job in jobs)  # identical segments finish together
    if on_done:
        on_done(sum(n for key, n in copies.items() if key in best))

    def finished(key: tuple) -> None:
        if cache is not None:
            result = best[key]
            cache.put(key, result.tgt, result.method, result.attempts, result.degenerate)
        if on_done:
            on_done(copies[key])

    for level, method in enumerate(engine.methods):
        if not pending:
            break
        still = []
        for i in range(0, len(pending), batch_size):
            keys = pending[i:i + batch_size]
            requests = [Request(unique[k].norm, _unique_pairs(unique[k].pairs), method,
                                best[k].tgt if k in best else "") for k in keys]
            for key, raw in zip(keys, engine.translate(requests)):
                result = evaluate(unique[key], raw, method)
                result.attempts = level + 1
                if key not in best or result.problems < best[key].problems:
                    best[key] = result
                best[key].attempts = level + 1
                if best[key].problems and level + 1 < len(engine.methods):
                    still.append(key)
                else:
                    finished(key)
            if cache is not None:
                cache.commit()
        pending = still
    results = []
    for job in jobs:
        result = finalize(job, best[job.key])
        result.reused = best[job.key].reused
        results.append(result)
    return results
