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

from pipeline.outputs import Provenance, write_document
from pipeline.stages import analyze
from pipeline.terms.glossary import load_glossary
from pipeline.terms.matcher import TermMatcher, match_document
from pipeline.translate.engines.base import Engine, Request
from pipeline.translate.run import translate_document


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
    paths = sorted(CORPUS.glob("*.md"))
    stages = {"read+segment+normalize": 0.0, "match": 0.0, "translate loop+render+QA": 0.0, "write": 0.0}
    segments = 0
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for copy in range(args.copies):
            for path in paths:
                t0 = time.perf_counter()
                doc = analyze(path, f"{path.stem}-{copy}")
                t1 = time.perf_counter()
                match_document(doc, matcher)
                t2 = time.perf_counter()
                translated = translate_document(doc, None, engine)
                t3 = time.perf_counter()
                write_document(Path(tmp), translated, provenance)
                t4 = time.perf_counter()
                for name, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    stages[name] += dt
                segments += len(translated.results)
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
