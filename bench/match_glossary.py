"""Benchmark: term matching with a 100,000-row glossary over the whole corpus.

Prints rows, keys, characters, automaton build time and matching time (median of repeats).
Usage: python bench/match_glossary.py [--rows 100000] [--repeats 5]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.stages import analyze  # noqa: E402
from pipeline.terms.glossary import Term, load_glossary  # noqa: E402
from pipeline.terms.matcher import TermMatcher  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"


def synthetic_terms(real: list[Term], rows: int, seed: int = 7) -> list[Term]:
    """The curated rows plus random 2–6 character keys drawn from the corpus's own characters."""
    rng = random.Random(seed)
    alphabet = sorted({c for p in CORPUS.glob("*.md") for c in p.read_text(encoding="utf-8")
                       if "\u4e00" <= c <= "\u9fff"})
    terms = list(real)
    while len(terms) < rows:
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 6)))
        terms.append(Term(zh=key, en=f"synthetic {len(terms)}", id=f"syn-{len(terms)}"))
    return terms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    docs = [analyze(p, p.stem) for p in sorted(CORPUS.glob("*.md"))]
    segments = [s for d in docs for s in d.segments]
    chars = sum(len(d.text) for d in docs)
    terms = synthetic_terms(load_glossary().terms, args.rows)

    builds, matches, found = [], [], 0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        matcher = TermMatcher(terms)
        t1 = time.perf_counter()
        found = sum(len(matcher.match_segment(s)) for s in segments)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        matches.append(t2 - t1)
    print(f"glossary rows      {len(terms):>10,}")
    print(f"keys               {len(matcher.by_key):>10,}")
    print(f"documents          {len(docs):>10,}")
    print(f"characters         {chars:>10,}")
    print(f"segments           {len(segments):>10,}")
    print(f"matches            {found:>10,}")
    print(f"build (median s)   {statistics.median(builds):>10.3f}")
    print(f"match (median s)   {statistics.median(matches):>10.3f}   ({args.repeats} repeats, "
          f"min {min(matches):.3f}, max {max(matches):.3f})")
    print(f"match throughput   {chars / statistics.median(matches):>10,.0f} chars/s")


if __name__ == "__main__":
    main()
