"""High-volume fuzzing without hypothesis's overhead: random wiki-Markdown through the reader and the
analysis components, random spreadsheets through the table readers, in parallel processes.

Per reader example: parse → render gives back the text; blocks tile it; every segment's spans,
plain text, normalized offsets and term matches lie on the segment; the English renderer runs on an
identity translation. Per table example: a random CSV/TSV (BOM, separators, quotes, line breaks,
formulas, Chinese, long cells) either loads as a term base and as a review table, or is refused
with a ZhenError — never another exception. Failing inputs are written to --failures.

Usage: python tests/fuzz/fuzz_fast.py [--reader 1000000] [--tables 100000] [--processes 2] [--seed 0]
"""
from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PIECES = [
    "王明", "共产国际", "共產國際", "罗明那兹", "國際派", "会议", "。", "，", "；", "！", "？", "《", "》", "（", "）",
    "“", "”", "、", "：", "1927年", "８月", "ＡＢ", "abc", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r",
    "[", "]", "(", ")", "**", "***", "'''", "''", "\\[1\\]", "\\[", "\\]", "\\", "{{", "}}", "{{cite|a=b}}",
    "-{", "}-", "-{zh-hans:甲;zh-hant:乙}-", "-{王明}-", "<br>", "<br/>", "<table>", "</table>", "<tr><td>",
    "</td></tr>", "<ref>", "</ref>", "<references />", "<!--", "-->", "<a href=\"x\">王明</a>", "#", "## ",
    "  - ", "1.  ", "> ", "http://example.org/a_(b)", "<https://x.y>",
    '[王明](../Page/王明.md "wikilink")', "[共产国际派](../Page/共产国际.md)", '[罗明纳兹](https://zh.wikipedia.org/wiki/罗明纳兹 "wikilink")',
    '[Category:人物](https://zh.wikipedia.org/wiki/Category:人物 "wikilink")', '[File:a.png](../File/a.png "fig:x")',
    '[a](b "t\\"q")', "\u0301", "e\u0301", "\u3000", "\ufeff", "\ufffe", "\uffff", "\u2028", "\u0085", "\x0b",
    "\x0c", "\x1f", "🀄", "𠀀", "ㄅ", "ア", "é", "&", "<", ">", '"', "'", "`", "|", "=", "~",
]


def wiki_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, rng.choice((8, 40, 160)))))


CELLS = ["zh", "en", "id", "variants", "status", "王明", "Wang Ming", "approved", "proposed", "", " ", '"', '""',
         ",", ";", "\t", "\n", "\r\n", "\r", "\ufeff", "=1+1", "+x", "-y", "@z", "a#1", "a#²", "approve", "fix",
         "x" * 300, "共產國際", "|", "'=x"]


def table_bytes(rng: random.Random) -> bytes:
    if rng.random() < 0.1:
        return rng.randbytes(rng.randint(0, 300))
    separator = rng.choice([",", ";", "\t"])
    rows = []
    for _ in range(rng.randint(0, 8)):
        rows.append(separator.join(rng.choice(CELLS) for _ in range(rng.randint(0, 7))))
    text = rng.choice(["\n", "\r\n"]).join(rows)
    if rng.random() < 0.3:
        text = "id,zh,en,status\n" + text
    encoding = rng.choice(["utf-8", "utf-8", "utf-8-sig", "utf-16", "gbk"])
    return text.encode(encoding, errors="replace")


def decoded_markdown(segment) -> str:
    """The segment's Markdown as render writes text it was given back unchanged: escapes and
    ``-{…}-`` marks read as their text, ``<`` and ``&`` escaped."""
    from pipeline.document import SpanKind
    from pipeline.markup import EMPTY_CONVERSION, _link_parts, escape_text

    out = []
    for span in segment.spans:
        if span.kind is SpanKind.LINK and span.text:
            opening, closing = _link_parts(span)
            out.append(opening + escape_text(span.text) + closing)
        elif span.text and span.traits.placement == "translated" or span.raw == EMPTY_CONVERSION:
            out.append(escape_text(span.text))
        else:
            out.append(span.raw)
    return "".join(out)


def markup_round_trip_failures(doc) -> list[tuple[str, str]]:
    """Segments whose Markdown does not come back when an identity engine returns the tagged text
    (labels not narrowed): tagging then untagging must be exact."""
    from pipeline.markup import inner, segment_tags, tagged_text
    from pipeline.render import render_segment
    from pipeline.verify import verify

    failures = []
    for segment in doc.segments:
        segment.tags = segment_tags(segment, narrow=False, anchor=False)
        identity = tagged_text(segment.plain, segment.plain_offsets, inner(segment.tags))
        segment.translation = verify(identity, [], [], "identity", tags=inner(segment.tags))
        render_segment(segment)
        if segment.markdown != decoded_markdown(segment) or segment.translation.tag_problems:
            failures.append((segment.markdown, decoded_markdown(segment)))
    return failures


def reader_case(text: str, matcher) -> None:
    from pipeline.document import Translation
    from pipeline.render import render_document
    from pipeline.stages import analyze_text

    doc = analyze_text(text, matcher=matcher)
    assert doc.render() == text, "round trip differs"
    position = 0
    for block in doc.blocks:
        assert block.start == position and block.end >= block.start, "blocks do not tile"
        position = block.end
    assert position == len(text), "blocks do not cover the text"
    for segment in doc.segments:
        assert doc.text[segment.start:segment.end] == segment.src(doc.text)
        assert segment.plain == "".join(s.text for s in segment.spans), "plain is not its spans' text"
        assert all(segment.start <= o < segment.end for o in segment.norm_offsets), "offset off its segment"
        assert len(segment.norm_offsets) == len(segment.norm)
        for match in segment.terms:
            assert segment.start <= match.src_start < match.src_end <= segment.end, "match off its segment"
        segment.translation = Translation(segment.norm, "copy")
    render_document(doc)
    assert not markup_round_trip_failures(doc), "tagging then untagging an identity answer differs"


def table_case(path: Path, data: bytes) -> None:
    from pipeline.errors import ZhenError
    from pipeline.review.importer import read_review_table
    from pipeline.terms.glossary import load_glossary

    path.write_bytes(data)
    for load in (lambda: load_glossary([path]), lambda: read_review_table(path)):
        try:
            load()
        except ZhenError:
            pass


def worker(args: tuple[int, int, int, str]) -> tuple[int, int, list[str]]:
    seed, readers, tables, failures_dir = args
    from pipeline.terms.glossary import load_glossary
    from pipeline.terms.matcher import TermMatcher

    rng = random.Random(seed)
    matcher = TermMatcher(load_glossary().terms)
    failures: list[str] = []
    done_readers = done_tables = 0
    for _ in range(readers):
        text = wiki_text(rng)
        try:
            reader_case(text, matcher)
        except Exception:  # noqa: BLE001 - every failure is recorded with its input
            failures.append(f"reader {text!r}\n{traceback.format_exc(limit=4)}")
        done_readers += 1
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(tables):
            data = table_bytes(rng)
            path = Path(tmp) / rng.choice(["t.csv", "t.tsv", "t.txt"])
            try:
                table_case(path, data)
            except Exception:  # noqa: BLE001
                failures.append(f"table {data!r}\n{traceback.format_exc(limit=4)}")
            done_tables += 1
    if failures:
        Path(failures_dir, f"failures-{seed}.txt").write_text("\n\n".join(failures[:50]), encoding="utf-8")
    return done_readers, done_tables, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reader", type=int, default=1_000_000)
    parser.add_argument("--tables", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chunks", type=int, default=40, help="work units (progress is printed per unit)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--failures", default=".")
    args = parser.parse_args()
    started = time.time()
    units = [(args.seed * 1000 + i, args.reader // args.chunks, args.tables // args.chunks, args.failures)
             for i in range(args.chunks)]
    totals = [0, 0, 0]
    with multiprocessing.Pool(args.processes) as pool:
        for readers, tables, failures in pool.imap_unordered(worker, units):
            totals[0] += readers
            totals[1] += tables
            totals[2] += len(failures)
            print(f"{time.time() - started:7.0f} s  reader {totals[0]:,}  tables {totals[1]:,}  failures {totals[2]}",
                  flush=True)
    print(f"reader examples   {totals[0]:,}")
    print(f"table examples    {totals[1]:,}")
    print(f"processes         {args.processes}")
    print(f"time              {time.time() - started:.1f} s")
    print(f"failures          {totals[2]}")


if __name__ == "__main__":
    main()
