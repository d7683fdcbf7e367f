"""Benchmark — the limit: how close a finished run came to what the model's arithmetic allows here.

Measures on this machine, with the run's engine settings: prompt reading (one sequence, a 256-token
prompt read in one call) and batched decoding (``--parallel`` sequences at 200 tokens of context,
one token each per call), tokens/s, best of three. Then, for the segments a run translated, the
lower bound: one request per segment holding its own prompt (all but the prefix every request
shares) and the English it shipped, read and decoded at those rates — no drafts, no second
request. Prints the run's seconds per
segment, the bound's, and their ratio; and the prompt tokens per segment by part (what to cut).

Usage: python bench/limit.py OUT [--parallel 16] [--model M]    (OUT: a `zhen translate --out` folder)
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from _common import machine

from pipeline.chinese import has_han
from pipeline.facts import hints
from pipeline.markup import TAG
from pipeline.translate import prompts
from pipeline.translate.engines import load_engine
from pipeline.translate.engines.base import Request, TermPair
from pipeline.translate.methods import NO_MODEL

SKIPPED = ("memory", *NO_MODEL)  # methods of segments no model translated (copied, one locked term)


def rates(engine, parallel: int) -> tuple[float, float]:
    """(prompt-reading tokens/s, batched decoding tokens/s) on this machine, best of three."""
    import llama_cpp

    decoder = engine._batch_decoder()

    def best(entries_of, tokens: int) -> float:
        fastest = float("inf")
        for _ in range(3):
            entries, timed = entries_of()
            llama_cpp.llama_memory_clear(decoder.memory, True)
            if entries:
                decoder._decode(entries)
            started = time.perf_counter()
            decoder._decode(timed)
            fastest = min(fastest, time.perf_counter() - started)
        return tokens / fastest

    prompt = best(lambda: ([], [(100 + k, k, 0, k == 255) for k in range(256)]), 256)
    history = [(100 + k, k, s, False) for s in range(parallel) for k in range(200)]
    step = [(5, 200, s, True) for s in range(parallel)]
    return prompt, best(lambda: (history, step), parallel)


def requests(out: Path, context: int) -> list[tuple[Request, str]]:
    """Each translated segment's request as the locking loop builds it (the English shipped for the
    sentences before it standing for their drafts) and the English it shipped."""
    found = []
    for aligned in sorted(out.glob("*/aligned.jsonl")):
        before: list[tuple[str, str]] = []
        for line in aligned.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if has_han(record["norm"]) and record["method"] not in SKIPPED:
                terms = tuple(dict.fromkeys(TermPair(t["src"], t["tgt"], t["action"]) for t in record["terms"]))
                found.append((Request(record["src_tagged"] or record["norm"], terms,
                                      context=tuple(before[-context:]) if context else ()),
                              record["tgt_tagged"] or record["tgt"]))
            if has_han(record["norm"]):
                before.append((record["norm"], record["tgt"]))
    return found


def parts(engine, request: Request) -> Counter:
    """Prompt tokens of each part of a request's user message (the template's own tokens aside)."""
    count = Counter()
    for name, text in (("tag instructions", prompts.TAGS if TAG.search(request.source) else ""),
                       ("context", "".join(zh + en for zh, en in request.context)),
                       ("glossary", prompts._glossary_lines(request.terms)),
                       ("number hints", "; ".join(hints(request.source))), ("source", request.source)):
        if text:
            count[name] += len(engine.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--parallel", type=int, default=None, help="default: the run's")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    run = json.loads((args.out / "run.json").read_text(encoding="utf-8"))
    settings = run["engine"].get("settings", {})
    parallel = args.parallel or settings.get("parallel", 16)
    engine = load_engine("llama", args.model, log=lambda m: None, parallel=parallel,
                         threads=settings.get("threads"))
    prompt_rate, decode_rate = rates(engine, engine.settings["parallel"])
    shared = engine._shared_prefixes()
    prompt_tokens = completion_tokens = 0
    by_part = Counter()
    found = requests(args.out, run["settings"].get("context", 0))
    for request, english in found:
        tokens = engine.prompt(request)
        prompt_tokens += len(tokens) - max((len(p) for p in shared if tokens[:len(p)] == p), default=0)
        completion_tokens += len(engine.llm.tokenize(english.encode("utf-8"), add_bos=False, special=False)) + 1
        by_part += parts(engine, request)
    engine.close()
    n = max(1, len(found))
    bound = prompt_tokens / prompt_rate + completion_tokens / decode_rate
    measured = run["timings"]["translation"]
    stats = run.get("engine_stats", {})
    print(f"machine   {machine()}; {engine.settings['threads']} threads; {engine.settings['parallel']} sequences")
    print(f"rates     prompt reading {prompt_rate:.1f} tokens/s; batched decoding {decode_rate:.1f} tokens/s")
    print(f"segments  {len(found)} translated by the model ({args.out})")
    print(f"bound     one request each: {prompt_tokens / n:.1f} own prompt tokens + {completion_tokens / n:.1f} "
          f"English tokens per segment -> {bound / n:.2f} s/segment")
    if stats:
        print(f"run       {stats.get('requests', 0) / n:.2f} requests, {stats.get('prompt_tokens', 0) / n:.1f} prompt "
              f"tokens, {stats.get('completion_tokens', 0) / n:.1f} generated tokens per segment; "
              f"by method {stats.get('by_method', {})}")
    print("prompt    tokens per segment by part: " + ", ".join(f"{k} {v / n:.1f}" for k, v in by_part.most_common()))
    print(f"measured  {measured / n:.2f} s/segment (translation {measured:.1f} s; run terms "
          f"{run['timings'].get('run_terms', 0):.1f} s)")
    print(f"ratio to the bound: {measured / max(bound, 1e-9):.2f}")


if __name__ == "__main__":
    main()
