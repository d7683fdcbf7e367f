"""Fuzz the review page: random articles full of links (every URL scheme, spelled every way a browser
forgives), link titles and nested markup, rendered as review.html; the HTML must hold no
``javascript:``/``data:``/``vbscript:`` URL, no event-handler attribute and no ``<script>`` element but
zhen's own.

Usage: python tests/fuzz/fuzz_html.py [--articles 100000] [--seed 0]   (prints articles, seconds, failures)
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SCHEMES = ["javascript:", "JavaScript:", "JAVASCRIPT:", " javascript:", "java\tscript:", "java\nscript:",
           "\x01javascript:", "data:", "DATA:", "vbscript:", "VbScript:", "javascript&#58;", "jav&#x61;script:",
           "http://", "https://", "mailto:", "", "../Page/", "//", "#", "file:", "ftp:"]
PAYLOADS = ["alert(1)", "alert(document.cookie)", "text/html,<script>alert(1)</script>", "王明.md", "x\" onclick=\"alert(1)",
            "x' onmouseover='alert(1)", "<img src=x onerror=alert(1)>", "%6A%61vascript:alert(1)", ")", "(", " "]
TITLES = ["", ' "wikilink"', ' "javascript:alert(1)"', " \"x\" onclick=\"alert(1)\"", " 'data:text/html,x'",
          ' "<script>alert(1)</script>"']
TEXT = ["王明", "回国", "共产国际", "。", "，", "**", "''", "<b>", "</b>", "<script>alert(1)</script>", "\\[1\\]",
        "<a href=\"javascript:alert(1)\">x</a>", "{{t|javascript:alert(1)}}", "[", "]", "(", ")", "\n", "\n\n", " "]
UNSAFE = re.compile(r"^\s*(?:javascript|data|vbscript)\s*:", re.IGNORECASE)
_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]")


def article(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.5:
            label = "".join(rng.choice(TEXT[:4]) for _ in range(rng.randint(0, 3)))
            if rng.random() < 0.3:
                label = f"**{label}**"
            url = rng.choice(SCHEMES) + rng.choice(PAYLOADS)
            pieces.append(f"[{label}]({url}{rng.choice(TITLES)})")
        else:
            pieces.append(rng.choice(TEXT))
    return "".join(pieces) + "。\n"


class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value is not None \
                    and UNSAFE.match(_IGNORED.sub("", value)):
                self.problems.append(f"unsafe {name}={value!r} on <{tag}>")


def page(text: str) -> str:
    from pipeline.formats import Output
    from pipeline.formats.html_review import review_html
    from pipeline.render import render_document
    from pipeline.stages import analyze_text
    from pipeline.verify import verify
    from pipeline.markup import inner, segment_tags, tagged_text

    doc = analyze_text(text)
    for segment in doc.segments:
        segment.tags = segment_tags(segment, narrow=False, anchor=False)
        identity = tagged_text(segment.plain, segment.plain_offsets, inner(segment.tags))
        segment.translation = verify(identity, [], [], "identity", tags=inner(segment.tags))
    render_document(doc)
    for segment in doc.segments:
        segment.findings = []
    return review_html(Output(doc, doc.records(), "", "0" * 16, {"signature": "fuzz"}))


def problems(text: str) -> list[str]:
    audit = Audit()
    audit.feed(page(text))
    if audit.scripts != 1:
        audit.problems.append(f"{audit.scripts} <script> elements (zhen's own is one)")
    return audit.problems


def run(articles: int, seed: int = 0) -> tuple[int, list[tuple[str, list[str]]]]:
    rng = random.Random(seed)
    failures = []
    for _ in range(articles):
        text = article(rng)
        found = problems(text)
        if found:
            failures.append((text, found))
    return articles, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    done, failures = run(args.articles, args.seed)
    print(f"{done} articles, {time.perf_counter() - started:.1f} s, {len(failures)} with problems")
    for text, found in failures[:10]:
        print(repr(text), found)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
