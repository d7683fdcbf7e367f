"""Benchmark — the price of inline tags: the same corpus segments that carry inline markup, translated
with the tags sent to the engine (today) and without them (the markup then placed by fallbacks, as
before tags existed), in one run, one warm-up first, cache off.

Prints for each: engine requests, seconds, seconds per segment, requests per segment, segments whose
tags did not all come back (after every method), and fallbacks render had to use (moved / lost).
Usage: python bench/markup_cost.py [--segments 30] [--parallel 1] [--model M]
"""
from __future__ import annotations

import argparse
import time
from collections import Counter

from _common import CORPUS, machine, matched_docs, warm_up

from pipeline.markup import inner
from pipeline.render import render_segment
from pipeline.translate.engines import load_engine
from pipeline.translate.prompting import translate_segments


def tagged_segments(docs, limit: int):
    picked = []
    for doc in docs:
        for segment in doc.segments:
            if inner(segment.tags):
                picked.append((doc.text, segment))
                if len(picked) == limit:
                    return picked
    return picked


def run(engine, items, markup: bool) -> dict:
    engine.markup = markup
    engine.stats.update(requests=0, prompt_tokens=0, completion_tokens=0, seconds=0.0)
    started = time.perf_counter()
    translate_segments(engine, items, batch_size=engine.batch_size)
    seconds = time.perf_counter() - started
    fallbacks = Counter()
    for _text, segment in items:
        render_segment(segment)
        fallbacks.update(f.how for f in segment.fallbacks)
    return {"seconds": seconds, "requests": engine.stats["requests"], "fallbacks": fallbacks,
            "tag_problems": sum(bool(s.translation.tag_problems) for _t, s in items)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--segments", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--model", default=None)
    parser.add_argument("--tags-only", action="store_true", help="skip the run without tags")
    args = parser.parse_args()
    docs = matched_docs(sorted(CORPUS.glob("*.md")))
    items = tagged_segments(docs, args.segments)
    tags = sum(len(inner(s.tags)) for _t, s in items)
    engine = load_engine("llama", args.model, log=lambda m: None, parallel=args.parallel)
    warm_up(engine)
    print(f"machine {machine()}; {len(items)} segments holding {tags} inline tags; parallel {args.parallel}")
    results = {}
    runs = (("with tags", True),) if args.tags_only else (("without tags (fallbacks)", False), ("with tags", True))
    for label, markup in runs:
        r = results[label] = run(engine, items, markup)
        n = len(items)
        print(f"{label:<26} {r['requests']:4d} requests  {r['seconds']:7.1f} s  {r['seconds'] / n:5.2f} s/segment  "
              f"{r['requests'] / n:4.2f} requests/segment  tags not all back: {r['tag_problems']:3d}  "
              f"fallbacks: {dict(r['fallbacks']) or 0}")
    if args.tags_only:
        return engine.close()
    before, after = results["without tags (fallbacks)"], results["with tags"]
    print(f"price of tags: ×{after['seconds'] / before['seconds']:.2f} seconds, "
          f"×{after['requests'] / max(1, before['requests']):.2f} requests")
    engine.close()


if __name__ == "__main__":
    main()
