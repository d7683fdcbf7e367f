"""Benchmark 2 — the cost of locking: the same segments with and without the glossary.

Usage: python bench/locking_cost.py [--segments 12] [--model M]
"""
from __future__ import annotations

import argparse
from collections import Counter

from _common import warm_up, SEEDS, first_segments, machine, matched_docs, timed

from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def _jobs(docs, limit):
    return [(d.text, s) for d, s in first_segments(docs, limit)]


def _translate(engine, items):
    translate_segments(engine, items)
    return [s.translation for _text, s in items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=12)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    seeds = sorted(SEEDS.glob("*.txt"))
    locked_jobs = _jobs(matched_docs(seeds), args.segments)
    plain_jobs = _jobs(matched_docs(seeds, terms=[]), args.segments)
    engine = load_engine("llama", args.model, log=lambda m: None)
    warm_up(engine)
    results = {}
    with_time, _ = timed(lambda: results.__setitem__("locked", _translate(engine, locked_jobs)))
    calls_locked = engine.stats["requests"]
    without_time, _ = timed(lambda: results.__setitem__("plain", _translate(engine, plain_jobs)))
    calls_plain = engine.stats["requests"] - calls_locked
    terms = sum(len(s.terms) for _text, s in locked_jobs)
    methods = Counter(r.method for r in results["locked"])
    missing = sum(o.status == "missing" for r in results["locked"] for o in r.outcomes)
    print(f"machine              {machine()}")
    print(f"segments             {len(locked_jobs)}, locked terms {terms}")
    print(f"with glossary        {with_time:8.1f} s  ({calls_locked} engine calls; final methods {dict(methods)}; "
          f"{missing} missing)")
    print(f"without glossary     {without_time:8.1f} s  ({calls_plain} engine calls)")
    print(f"cost of locking      ×{with_time / without_time:.2f} time, ×{calls_locked / calls_plain:.2f} engine calls")


if __name__ == "__main__":
    main()
