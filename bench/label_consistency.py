"""Benchmark — one name, one rendering: link labels across a finished run.

For every link target that occurs two or more times in the run's `.en.md` files, are all its English
labels the same? Prints the share of such targets with one rendering, the exceptions, and from the
audits (`aligned.jsonl`) how many occurrences of run terms are locked.
Usage: python bench/label_consistency.py OUTPUT_FOLDER
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.document import SpanKind
from pipeline.read import parse


def labels(outputs: Path) -> dict[str, Counter]:
    found: dict[str, Counter] = defaultdict(Counter)
    for english in sorted(outputs.glob("*/*.en.md")):
        doc = parse(english.read_text(encoding="utf-8"), english.stem)
        for block in doc.blocks:
            for span in block.spans:
                if span.kind is SpanKind.LINK and span.text and span.target:
                    found[span.target.split("#")[0]][span.text.strip()] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outputs", type=Path)
    args = parser.parse_args()
    found = {t: c for t, c in labels(args.outputs).items() if sum(c.values()) >= 2}
    same = [t for t, c in found.items() if len(c) == 1]
    print(f"link targets occurring 2+ times: {len(found)}; one rendering: {len(same)} "
          f"({len(same) / max(1, len(found)):.1%})")
    for target, c in sorted(found.items(), key=lambda item: -sum(item[1].values())):
        if len(c) > 1:
            print(f"  {target}: " + " | ".join(f"{label!r}×{n}" for label, n in c.most_common()))
    statuses = Counter()
    for aligned in args.outputs.glob("*/aligned.jsonl"):
        for line in aligned.read_text(encoding="utf-8").splitlines():
            for term in json.loads(line)["terms"]:
                if term.get("via") == "run-terms":
                    statuses[term["status"]] += 1
    print(f"run-term occurrences: {dict(statuses) or 'none'}")


if __name__ == "__main__":
    main()
