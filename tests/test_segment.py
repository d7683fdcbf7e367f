"""Sentence segmentation over the document model."""
from __future__ import annotations

from pipeline.read import load, parse
from pipeline.segment import segment_document
from tests.conftest import SEED_FILES


def _srcs(text):
    doc = segment_document(parse(text))
    return [s.src(doc.text) for s in doc.segments]


def test_splits_on_chinese_terminators():
    assert _srcs("第一句。第二句！第三句？第四句") == ["第一句。", "第二句！", "第三句？", "第四句"]


def test_closing_quote_stays_with_its_sentence():
    assert _srcs("他说：“走吧。”然后走了。") == ["他说：“走吧。”", "然后走了。"]


def test_never_splits_inside_a_book_title_or_brackets():
    text = "通过了《决议。草案》等文件（14日修改。审定）。下一句。"
    assert _srcs(text) == ["通过了《决议。草案》等文件（14日修改。审定）。", "下一句。"]


def test_never_splits_inside_a_link_label():
    text = '他[说完。再走](../Page/X.md "wikilink")了。下一句。'
    assert _srcs(text) == ['他[说完。再走](../Page/X.md "wikilink")了。', "下一句。"]


def test_footnote_mark_after_the_full_stop_stays_with_the_sentence():
    assert _srcs("提供200万援助。\\[8\\]其后不满。\\[9\\]") == ["提供200万援助。\\[8\\]", "其后不满。\\[9\\]"]


def test_semicolon_splits_only_long_clauses():
    short = "甲；乙。"
    long = "这是一个相当长的分句，讲述了很多很多的事情；这也是一个相当长的分句，讲了别的事情。"
    assert _srcs(short) == [short]
    assert len(_srcs(long)) == 2


def test_heading_list_and_table_cells_are_segments():
    text = "## 生平\n\n  - 第一项。\n\n<table>\n<tr><td><p>甲</p></td><td><p>乙<br />\n丙</p></td></tr>\n</table>\n"
    doc = segment_document(parse(text))
    assert [(s.kind, s.src(doc.text)) for s in doc.segments] == [
        ("heading", "生平"), ("list_item", "第一项。"),
        ("table_cell", "甲"), ("table_cell", "乙"), ("table_cell", "丙")]


def test_fixed_blocks_have_no_segments():
    text = '{{-}}\n[Category:中共](https://zh.wikipedia.org/wiki/Category:中共 "wikilink")\n'
    assert _srcs(text) == []


def test_segments_do_not_overlap_and_cover_all_translatable_text(corpus_files):
    for path in SEED_FILES + corpus_files:
        doc = segment_document(load(path))
        covered = set()
        previous_end = 0
        for seg in doc.segments:
            assert previous_end <= seg.start < seg.end
            previous_end = seg.end
            covered.update(seg.plain_offsets)
        for block in doc.blocks:
            if not block.translatable:
                continue
            for span in block.spans:
                for char, offset in zip(span.text, span.text_offsets):
                    assert char.isspace() or offset in covered, (path.name, span)


def test_seed_segment_counts_are_stable():
    counts = [len(list(segment_document(load(p)).segments)) for p in SEED_FILES]
    assert counts == [27, 18]
