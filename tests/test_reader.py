"""Stage 1: the lossless wiki-Markdown reader."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.read import load, parse
from tests.conftest import CORPUS_FILES, SEED_FILES, SHARED


def _assert_tiles(doc):
    """Blocks tile the text, spans tile each block, and every text character maps to itself."""
    pos = 0
    for block in doc.blocks:
        assert block.start == pos
        span_pos = block.start
        for span in block.spans:
            assert span.start == span_pos and doc.text[span.start:span.end] == span.raw
            assert len(span.text) == len(span.text_offsets)
            for char, offset in zip(span.text, span.text_offsets):
                assert doc.text[offset] == char
            span_pos = span.end
        assert span_pos == block.end
        pos = block.end
    assert pos == len(doc.text)


@pytest.mark.parametrize("path", SEED_FILES + CORPUS_FILES, ids=lambda p: p.name)
def test_round_trip_is_byte_identical(path: Path):
    doc = load(path)
    assert doc.render().encode("utf-8") == path.read_bytes()
    _assert_tiles(doc)


def test_every_corpus_file_and_both_seeds_are_covered(corpus_files):
    assert len(SEED_FILES) == 2
    assert [p.read_bytes() for p in SEED_FILES] == \
        [(SHARED / "seeds" / p.name).read_bytes() for p in SEED_FILES]


def _kinds(doc):
    return [b.kind for b in doc.blocks if b.kind != "blank"]


def test_block_kinds():
    text = ("> 本文内容由[X](https://zh.wikipedia.org/wiki/X)转换而来。\n\n**甲**是人。\n\n## 生平\n\n"
            "  - [乙](../Page/乙.md \"wikilink\")\n\n{{-}}\n\n"
            "[Category:人物](https://zh.wikipedia.org/wiki/Category:人物 \"wikilink\")\n\n1.  某书。\n2.\n")
    doc = parse(text)
    assert _kinds(doc) == ["converter_header", "paragraph", "heading", "list_item", "template",
                           "category", "reference", "reference"]
    assert [b.translatable for b in doc.blocks if b.kind in ("category", "template")] == [False, False]
    assert doc.render() == text


def test_ordered_list_in_body_is_a_list_item_not_a_reference():
    doc = parse("1.  [中国共产党中央局](../Page/中国共产党中央局.md \"wikilink\")（1921-1922）\n")
    assert _kinds(doc) == ["list_item"]


def test_list_item_continuation_line_belongs_to_the_item():
    text = "1.  書名，ISBN\n    957-13-0962-1，第213頁\n2.  下一條\n"
    doc = parse(text)
    assert [d for d in _kinds(doc)] == ["list_item", "list_item"]
    assert doc.blocks[0].end == text.index("2.")


def _spans(text):
    return [(s.kind, s.raw) for s in parse(text).blocks[0].spans if s.kind not in ("newline",)]


def test_inline_span_kinds():
    text = ('[王明](../Page/王明.md "wikilink")参加\\[1\\]。七一五-{}-事变{{-}}<!-- c -->'
            '<br />[a.jpg](https://zh.wikipedia.org/wiki/File:a.jpg "fig:a.jpg")'
            '**粗**\\(注\\)见http://example.com/x')
    kinds = [k for k, _ in _spans(text)]
    assert kinds == ["link", "text", "footnote", "text", "conversion", "text", "template", "comment",
                     "html", "image", "emphasis", "text", "emphasis", "escape", "text", "escape",
                     "text", "url"]


def test_link_target_with_escaped_parentheses_is_one_link():
    text = '[南京事件 (1927年)](../Page/南京事件_\\(1927年\\).md "wikilink")后'
    span = parse(text).blocks[0].spans[0]
    assert span.kind == "link" and span.text == "南京事件 (1927年)"
    assert span.target == "../Page/南京事件_\\(1927年\\).md" and span.title == "wikilink"


def test_link_kinds_and_untranslatable_parts():
    doc = parse('[罗明纳兹主持](https://zh.wikipedia.org/wiki/罗明纳兹 "wikilink")'
                '[Category:X](https://zh.wikipedia.org/wiki/Category:X "wikilink")')
    link, category = doc.blocks[0].spans[:2]
    assert (link.kind, link.text, link.target) == ("link", "罗明纳兹主持", "https://zh.wikipedia.org/wiki/罗明纳兹")
    assert category.kind == "category" and category.text == ""


def test_html_table_is_one_block_with_linked_cells():
    text = (CORPUS_FILES[0].parent / "中共中央主要负责人.md").read_text(encoding="utf-8")
    doc = parse(text)
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert len(tables) == 1
    html_links = [s for s in tables[0].spans if s.kind == "link" and s.raw.startswith("<a ")]
    assert html_links and [s.text for s in html_links[:2]] == ["陈独秀", "中共一大选举产生"]


def test_crlf_and_bom_survive():
    text = "\ufeff## 标题\r\n\r\n正文。第二句。\r\n"
    doc = parse(text)
    assert doc.render() == text
    assert _kinds(doc) == ["bom", "heading", "paragraph"]
    assert doc.blocks[-1].spans[-1].raw == "\r\n"
