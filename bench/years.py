"""Years in the English that the source neither states nor implies, per article of a run's outputs.

Reads every OUT/<doc>/aligned.jsonl; a segment's implied years (同年, 次年 …, a date without a year)
are resolved from the sentences before it, as ``pipeline/facts.py`` does in a run. Prints a table,
every case, and the share of translated segments with an invented year.
Usage: python bench/years.py OUT [OUT ...]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.chinese import has_han  # noqa: E402
from pipeline.facts import invented_years, last_year  # noqa: E402


def invented(records: list[dict]) -> tuple[int, list[tuple[dict, list[str]]]]:
    year, segments, cases = None, 0, []
    for record in records:
        if has_han(record["norm"]):
            segments += 1
            extra = invented_years(record["tgt"], record["norm"], year)
            if extra:
                cases.append((record, extra))
        year = last_year(record["norm"], year)
    return segments, cases


def main() -> None:
    total_segments, total_cases = 0, []
    print("| article | segments | with an invented year |")
    print("| --- | ---: | ---: |")
    for out in sys.argv[1:]:
        for aligned in sorted(Path(out).glob("*/aligned.jsonl")):
            records = [json.loads(line) for line in aligned.read_text(encoding="utf-8").splitlines() if line]
            segments, cases = invented(records)
            total_segments += segments
            total_cases += cases
            print(f"| {aligned.parent.name} | {segments} | {len(cases)} |")
    share = len(total_cases) / max(1, total_segments)
    print(f"| **total** | **{total_segments}** | **{len(total_cases)} ({share:.1%})** |")
    for record, extra in total_cases:
        print(f"\n{record['doc']}#{record['seg']} invented {', '.join(extra)}\n  zh: {record['src'][:200]}\n"
              f"  en: {record['tgt'][:300]}")


if __name__ == "__main__":
    main()
