"""Benchmark — markup kept: links, bold and footnote marks in the source and in the English Markdown.

For each article of a finished run: Chinese-labelled links in the source (images and categories
aside), links in the `.en.md` with the same target, those whose label is English (no Han left),
`lost-link` / `moved-link` / `moved-footnote` findings, bold runs and footnote marks in each.
Counts only: run `zhen translate` first (any engine, any code version), then point this at it.
Usage: python bench/markup_counts.py INPUT_FOLDER OUTPUT_FOLDER
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from pipeline.chinese import has_han
from pipeline.document import SpanKind
from pipeline.read import parse


def _spans(text: str):
    doc = parse(text, "d")
    return [span for block in doc.blocks for span in block.spans]


def _links(text: str) -> Counter:
    """(target, English label?) of every text-labelled link."""
    return Counter((s.target, not has_han(s.text)) for s in _spans(text) if s.kind is SpanKind.LINK and s.text)


def _count(text: str, kind: SpanKind) -> int:
    return sum(1 for s in _spans(text) if s.kind is kind)


def _findings(folder: Path) -> Counter:
    qa = folder / "aligned.jsonl"
    found = Counter()
    for line in qa.read_text(encoding="utf-8").splitlines():
        for f in json.loads(line)["qa"]:
            found[f["check"]] += 1
    return found


def article(source: Path, folder: Path) -> dict:
    src = source.read_text(encoding="utf-8")
    english = (folder / f"{folder.name}.en.md").read_text(encoding="utf-8")
    wanted = Counter(s.target for s in _spans(src) if s.kind is SpanKind.LINK and s.text and has_han(s.text))
    got = _links(english)
    same_target = sum(min(n, got[(t, True)] + got[(t, False)]) for t, n in wanted.items())
    english_label = sum(min(n, got[(t, True)]) for t, n in wanted.items())
    found = _findings(folder)
    return {"article": folder.name, "links": sum(wanted.values()), "kept": same_target, "english": english_label,
            "lost-link": found["lost-link"], "moved-link": found["moved-link"],
            "moved-footnote": found["moved-footnote"], "bold": _count(src, SpanKind.EMPHASIS) // 2,
            "bold-en": _count(english, SpanKind.EMPHASIS) // 2, "notes": _count(src, SpanKind.FOOTNOTE),
            "notes-en": _count(english, SpanKind.FOOTNOTE)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inputs", type=Path)
    parser.add_argument("outputs", type=Path)
    args = parser.parse_args()
    rows = []
    for source in sorted(p for p in args.inputs.iterdir() if p.suffix in (".md", ".txt")):
        folder = args.outputs / source.stem
        if folder.is_dir():
            rows.append(article(source, folder))
    columns = list(rows[0])
    print("  ".join(f"{c:>14}" if i else f"{c:<28}" for i, c in enumerate(columns)))
    for row in rows:
        print("  ".join(f"{row[c]:>14}" if i else f"{row[c]:<28}" for i, c in enumerate(columns)))
    total = {c: sum(r[c] for r in rows) for c in columns[1:]}
    print("  ".join([f"{'total':<28}"] + [f"{total[c]:>14}" for c in columns[1:]]))
    print(f"links kept: {total['kept']}/{total['links']} ({total['kept'] / max(1, total['links']):.1%}); "
          f"English label: {total['english']}/{total['links']}; lost-link findings: {total['lost-link']}")


if __name__ == "__main__":
    main()
