"""Benchmark 1 — throughput of the default engine on a fixed subset: cold cache vs warm cache.

Prints segments/s and generated tokens/s, and the warm/cold ratio, measured in one run.
Usage: python bench/throughput.py [--segments 12] [--model M]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import warm_up, SEEDS, first_segments, machine, matched_docs, timed

from pipeline.cache import SegmentCache
from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=12)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    docs = matched_docs(sorted(SEEDS.glob("*.txt")))
    subset = first_segments(docs, args.segments)
    jobs = [(d.text, s) for d, s in subset]
    engine = load_engine("llama", args.model, log=lambda m: None)
    warm_up(engine)
    with tempfile.TemporaryDirectory() as tmp:
        cache = SegmentCache(Path(tmp) / "c.sqlite", engine.describe())
        cold, _ = timed(lambda: translate_segments(engine, jobs, cache=cache))
        stats = dict(engine.stats)
        warm, warm_runs = timed(lambda: translate_segments(engine, jobs, cache=cache), repeats=5)
        cache.close()
    print(f"machine            {machine()}")
    print(f"model              {engine.describe()['model']}")
    print(f"segments           {len(jobs)} (first {len(jobs)} Chinese segments of the seeds)")
    print(f"cold cache         {cold:8.2f} s   {len(jobs) / cold:7.3f} segments/s")
    print(f"  engine calls     {stats['requests']} (escalations included)")
    print(f"  tokens generated {stats['completion_tokens']}   {stats['completion_tokens'] / stats['seconds']:.1f} tokens/s "
          f"in the engine; prompt tokens {stats['prompt_tokens']}")
    print(f"warm cache         {warm:8.4f} s   {len(jobs) / warm:7.1f} segments/s (median of 5)")
    print(f"warm/cold ratio    {warm / cold:.5f}  (×{cold / warm:,.0f} faster)")


if __name__ == "__main__":
    main()
