"""Benchmark 6 — batched decoding: the same corpus segments with the one-at-a-time engine and the
batched engine, in one run (one warm-up each, cache off), through the whole locking loop.

Prints, for each: segments/s, generated tokens/s, prompt tokens/s; the sequences used; chrF between
the two outputs; and a last line ``speedup: X.XX`` (batched ÷ one-at-a-time segments/s).
``--sweep 1,2,4,8`` adds a line per sequence count.
Usage: python bench/batched.py [--segments 32] [--parallel 4] [--sweep 1,2,4,8] [--model M]
"""
from __future__ import annotations

import argparse
import time

import sacrebleu
from _common import CORPUS, first_segments, machine, matched_docs, warm_up

from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def run(engine, docs, limit: int) -> tuple[float, list[str], dict]:
    items = [(d.text, s) for d, s in first_segments(docs, limit)]
    engine.stats.update(requests=0, prompt_tokens=0, completion_tokens=0, seconds=0.0)
    started = time.perf_counter()
    translate_segments(engine, items, batch_size=engine.batch_size)
    seconds = time.perf_counter() - started
    return seconds, [s.translation.tgt for _t, s in items], dict(engine.stats)


def line(label: str, segments: int, seconds: float, stats: dict) -> str:
    return (f"{label:<22} {seconds:7.1f} s  {segments / seconds:6.3f} segments/s  "
            f"{stats['completion_tokens'] / seconds:6.1f} generated tokens/s  "
            f"{stats['prompt_tokens'] / seconds:7.1f} prompt tokens/s  ({stats['requests']} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=32)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--sweep", default="")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    # Articles the seeds do not cover, in corpus order.
    docs = matched_docs(sorted(CORPUS.glob("*.md"))[:6])
    print(f"machine   {machine()}")
    one = load_engine("llama", args.model, log=lambda m: None, parallel=1)
    warm_up(one)
    seconds_one, out_one, stats_one = run(one, docs, args.segments)
    threads = one.settings["threads"]
    one.close()
    batched = load_engine("llama", args.model, log=lambda m: None, parallel=args.parallel)
    batched.translate([*([batched_warm_request()] * 2)])
    seconds_b, out_b, stats_b = run(batched, docs, args.segments)
    batched.close()
    n = len(out_one)
    print(f"model     {one.model_name}; {threads} threads; {n} segments (first Chinese segments of "
          f"{len(docs)} corpus articles); cache off; escalation included")
    print(line("one at a time", n, seconds_one, stats_one))
    print(line(f"batched, {args.parallel} sequences", n, seconds_b, stats_b))
    chrf = sacrebleu.metrics.CHRF().corpus_score(out_b, [out_one]).score
    same = sum(a == b for a, b in zip(out_one, out_b))
    print(f"outputs   chrF(batched vs one at a time) = {chrf:.2f}; identical {same}/{n}")
    for count in [int(c) for c in args.sweep.split(",") if c]:
        engine = load_engine("llama", args.model, log=lambda m: None, parallel=count)
        engine.translate([batched_warm_request()] * 2)
        seconds, _out, stats = run(engine, docs, args.segments)
        engine.close()
        print(line(f"sweep: {count} sequences", n, seconds, stats))
    print(f"speedup: {seconds_one / seconds_b:.2f}")


def batched_warm_request():
    from pipeline.translate.engines.base import Request
    return Request("预热。")


if __name__ == "__main__":
    main()
