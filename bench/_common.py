"""Shared helpers for the benchmark scripts (not part of the package)."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"
SEEDS = ROOT / "seeds"

from pipeline.chinese import has_han  # noqa: E402
from pipeline.components import Context, Pipeline  # noqa: E402
from pipeline.stages import MATCH_INPUTS, analyze  # noqa: E402
from pipeline.terms.glossary import load_glossary  # noqa: E402
from pipeline.terms.matcher import TermMatcher  # noqa: E402


def matched_docs(paths: list[Path], terms=None):
    """Analyzed documents: read, segmented, normalized, terms matched, markup tagged."""
    matcher = TermMatcher(load_glossary().terms if terms is None else terms)
    steps = Pipeline(("match", "tag"), Context(matcher=matcher), given=MATCH_INPUTS)
    return [steps(analyze(p, p.stem)) for p in paths]


def first_segments(docs, limit: int):
    """A fixed subset: the first ``limit`` segments (in document order) that hold Chinese."""
    picked = []
    for doc in docs:
        for segment in doc.segments:
            if has_han(segment.norm):
                picked.append((doc, segment))
                if len(picked) == limit:
                    return picked
    return picked


def timed(fn, repeats: int = 1) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def machine() -> str:
    import os
    import platform
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def warm_up(engine) -> None:
    """One untimed call, so the first timed pass does not pay for paging the model in."""
    from pipeline.translate.engines.base import Request
    engine.translate([Request("预热。")])
    if hasattr(engine, "stats"):
        engine.stats.update(requests=0, prompt_tokens=0, completion_tokens=0, seconds=0.0)
