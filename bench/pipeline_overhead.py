"""Benchmark 4 — the pipeline without the model: parse, normalize, match, align, render, QA, write.

The whole corpus ×10 (each copy its own document) runs through every stage with a pass-through
engine that returns its input at once — a benchmark device only, never used by the product — so
only the pipeline's own work is timed. With --model-seconds-per-segment (from throughput.py) it
prints the share of a real run spent outside the model.
Usage: python bench/pipeline_overhead.py [--copies 10] [--model-seconds-per-segment 5.0]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import CORPUS, machine

from pipeline.components import Context, Pipeline
from pipeline.provenance import Provenance
from pipeline.stages import ANALYZED, MATCH_INPUTS, READ, TRANSLATED, TRANSLATION, WRITE, blank
from pipeline.terms.glossary import load_glossary
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.engines.base import Engine, Request




class PassThrough(Engine):
    """Benchmark only: answers instantly with the request's source, so no model time is counted."""

    name = "pass-through"
    methods = ("prompt",)

    def translate(self, requests: list[Request]) -> list[str]:
        return [r.source for r in requests]

    def describe(self) -> dict:
        return {"engine": self.name, "model": "none", "sha256": None, "settings": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--model-seconds-per-segment", type=float, default=None)
    args = parser.parse_args()
    glossary = load_glossary()
    matcher = TermMatcher(glossary.terms)
    engine = PassThrough()
    provenance = Provenance(engine.describe(), (), glossary.signature(), "t2s")
    context = Context(matcher=matcher, engine=engine, provenance=provenance)
    steps = [Pipeline(READ, context, given=("doc.path",)), Pipeline(["match", "tag"], context, given=MATCH_INPUTS),
             Pipeline(TRANSLATION, context, given=ANALYZED), Pipeline(WRITE, context, given=TRANSLATED)]
    paths = sorted(CORPUS.glob("*.md"))
    stages = {"read+segment+normalize": 0.0, "match+tag": 0.0, "translate loop+render+QA": 0.0, "write": 0.0}
    segments = 0
    with tempfile.TemporaryDirectory() as tmp:
        context.out_dir = Path(tmp)
        started = time.perf_counter()
        for copy in range(args.copies):
            for path in paths:
                doc = blank(path, f"{path.stem}-{copy}")
                for name, step in zip(stages, steps):
                    t0 = time.perf_counter()
                    doc = step(doc)
                    stages[name] += time.perf_counter() - t0
                segments += sum(1 for _ in doc.segments)
        total = time.perf_counter() - started
    documents = args.copies * len(paths)
    print(f"machine            {machine()}")
    print(f"documents          {documents} ({len(paths)} corpus articles × {args.copies})")
    print(f"segments           {segments:,}")
    print(f"total              {total:8.1f} s   {documents / total:.1f} documents/s   "
          f"{segments / total:.0f} segments/s   {1000 * total / segments:.2f} ms/segment")
    for name, seconds in stages.items():
        print(f"  {name:<24} {seconds:8.1f} s  ({seconds / total:.0%})")
    if args.model_seconds_per_segment:
        per_segment = total / segments
        share = per_segment / (per_segment + args.model_seconds_per_segment)
        print(f"share outside the model in a real run: {share:.2%} "
              f"(model {args.model_seconds_per_segment:.2f} s/segment)")


if __name__ == "__main__":
    main()
