"""Benchmark 3 — scaling: time for 1×, 2×, 4× the same material, cache off. Should grow linearly.

The material is copied as separate documents, so nothing is shared between copies.
Usage: python bench/scaling.py [--segments 4] [--engine llama] [--model M]
"""
from __future__ import annotations

import argparse

from _common import warm_up, SEEDS, first_segments, machine, matched_docs, timed

from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--engine", default="llama")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    base = [(d.text, s) for d, s in first_segments(matched_docs(sorted(SEEDS.glob("*.txt"))), args.segments)]
    engine = load_engine(args.engine, args.model, log=lambda m: None)
    warm_up(engine)
    print(f"machine   {machine()}; engine {args.engine}; {len(base)} segments per copy; cache off")
    times = {}
    for copies in (1, 2, 4):
        # Each copy is its own document: dedupe works within a document only.
        times[copies], _ = timed(lambda: [translate_segments(engine, base) for _ in range(copies)])
        print(f"{copies}×        {times[copies]:8.1f} s   {copies * len(base) / times[copies]:.3f} segments/s")
    print(f"ratios    2×/1× = {times[2] / times[1]:.2f}, 4×/1× = {times[4] / times[1]:.2f} (linear: 2.00, 4.00)")


if __name__ == "__main__":
    main()
