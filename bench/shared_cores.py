"""Benchmark 7 — the engine beside another CPU-bound process.

llama.cpp's waiting threads spin; with a thread on a core another process needs, both slow down far
more than in proportion. The engine's default thread count is the number of cores free when it
starts. Prints the time for the same segments alone, beside one busy process with the default
threads, and beside it with as many threads as cores (the old default), and the slowdowns.
Usage: python bench/shared_cores.py [--segments 8]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from _common import CORPUS, first_segments, machine, matched_docs

from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def timed_run(docs, limit: int, **options) -> tuple[float, int]:
    engine = load_engine("llama", None, log=lambda m: None, **options)
    threads = engine.settings["threads"]
    items = [(d.text, s) for d, s in first_segments(docs, limit)]
    started = time.perf_counter()
    translate_segments(engine, items, batch_size=engine.batch_size)
    seconds = time.perf_counter() - started
    engine.close()
    return seconds, threads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=8)
    args = parser.parse_args()
    docs = matched_docs(sorted(CORPUS.glob("*.md"))[:6])
    print(f"machine   {machine()}; {args.segments} segments; cache off")
    timed_run(docs, 2)  # warm-up: the model's pages in memory
    alone, threads_alone = timed_run(docs, args.segments)
    print(f"alone                          {alone:7.1f} s  ({threads_alone} threads)")
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1.0)
        shared, threads_shared = timed_run(docs, args.segments)
        forced, threads_forced = timed_run(docs, args.segments, threads=os.cpu_count())
    finally:
        busy.kill()
    print(f"beside a busy process, default {shared:7.1f} s  ({threads_shared} threads)  ×{shared / alone:.2f}")
    print(f"beside a busy process, forced  {forced:7.1f} s  ({threads_forced} threads)  ×{forced / alone:.2f}")


if __name__ == "__main__":
    main()
