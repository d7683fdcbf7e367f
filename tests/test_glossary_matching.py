"""Term matching: script-blind, variants, leftmost-longest, link labels and targets."""
from __future__ import annotations

import pytest

from pipeline.stages import analyze, analyze_text
from pipeline.terms.glossary import Term, load_glossary
from pipeline.terms.matcher import TermMatcher, match_document, page_title
from tests.conftest import CORPUS, SEED_FILES


@pytest.fixture(scope="module")
def matcher():
    return TermMatcher(load_glossary().terms)


def _matches(text, matcher):
    doc = analyze_text(text, matcher=matcher)
    return [(doc.text[m.src_start:m.src_end], m.term.en, m.via)
            for s in doc.segments for m in s.terms]


def test_script_blind_one_row_matches_both_scripts(matcher):
    found = _matches("共产国际与共產國際。", matcher)
    assert found == [("共产国际", "Comintern", "text"), ("共產國際", "Comintern", "text")]


def test_seed_traditional_passage(matcher):
    doc = match_document(analyze(SEED_FILES[0], "seed"), matcher)
    segment = next(s for s in doc.segments if "朝鮮" in s.plain)
    assert [(doc.text[m.src_start:m.src_end], m.term.en) for m in segment.terms] == \
        [("朝鮮勞動黨", "Workers' Party of Korea"), ("蘇聯派", "Soviet faction")]


def test_variants_are_one_person(matcher):
    found = _matches("罗明那兹、罗明纳兹和罗米那兹。", matcher)
    assert {en for _, en, _ in found} == {"Besso Lominadze"} and len(found) == 3
    assert len({matcher.lookup(k).key for k in ("罗明那兹", "罗明纳兹", "罗米那兹", "羅明那茲")}) == 1


def test_leftmost_longest(matcher):
    found = _matches("中共中央政治局开会，中共派人。", matcher)
    assert [(s, en) for s, en, _ in found] == [("中共中央政治局", "Politburo"), ("中共", "CCP")]


def test_shorter_term_inside_longer_match_does_not_match_separately():
    terms = [Term("共产国际", "Comintern"), Term("国际派", "Internationalist faction"),
             Term("共产国际执行委员会", "ECCI")]
    m = TermMatcher(terms)
    assert [(s, e, t.en) for s, e, t in m.find("共产国际执行委员会和国际派")] == \
        [(0, 9, "ECCI"), (10, 13, "Internationalist faction")]
    # leftmost wins over longer-but-later: 共产国际|派 , not 共产|国际派
    assert [t.en for _, _, t in m.find("共产国际派")] == ["Comintern"]


def test_match_inside_a_longer_link_label(matcher):
    found = _matches('[罗明纳兹主持](https://zh.wikipedia.org/wiki/罗明纳兹 "wikilink")。', matcher)
    assert found == [("罗明纳兹", "Besso Lominadze", "link")]


def test_link_target_chooses_the_entry_meant(matcher):
    # 共产国际派王明: "the Comintern sent Wang Ming"; the link target names the Comintern.
    found = _matches('[共产国际派](../Page/共产国际.md "wikilink")[王明回国](../Page/王明.md "wikilink")。', matcher)
    assert found == [("共产国际", "Comintern", "link"), ("王明", "Wang Ming", "link")]


def test_link_target_overrides_a_longer_text_match():
    terms = [Term("国际派", "Internationalist faction"), Term("共产国际", "Comintern"),
             Term("共产国际派", "Comintern faction")]
    found = _matches('[共产国际派](../Page/共产国际.md "wikilink")人。', TermMatcher(terms))
    assert found == [("共产国际", "Comintern", "link")]


def test_spans_are_reported_in_the_original_text(matcher):
    text = "**七一五-{}-事变**后，共產國際派人。"
    doc = analyze_text(text, matcher=matcher)
    (match_1, match_2) = next(doc.segments).terms
    assert text[match_1.src_start:match_1.src_end] == "七一五-{}-事变"
    assert text[match_2.src_start:match_2.src_end] == "共產國際"


def test_proposed_rows_never_lock():
    m = TermMatcher([Term("澎湃", "Peng Pai", status="proposed")])
    assert m.find("心潮澎湃") == []


def test_later_glossary_wins():
    m = TermMatcher([Term("王明", "Wang Ming"), Term("王明", "WANG Ming")])
    assert m.find("王明")[0][2].en == "WANG Ming"


@pytest.mark.parametrize("target, title", [
    ("../Page/王明.md", "王明"), ("https://zh.wikipedia.org/wiki/罗明纳兹", "罗明纳兹"),
    ("../Page/刘晓_\\(大使\\).md", "刘晓"), ("https://zh.wikipedia.org/wiki/國民政府#南京", "國民政府"),
    ("http://example.com/x", None)])
def test_page_title(target, title):
    assert page_title(target) == title


def test_corpus_traditional_article_matches(matcher):
    doc = match_document(analyze(CORPUS / "马日事变.md", "x"), matcher)
    ens = {m.term.en for s in doc.segments for m in s.terms}
    assert {"Horse Day Incident", "Changsha", "Xu Kexiang", "Chinese Communist Party"} <= ens


def test_standard_headings_lock_only_as_whole_headings(matcher):
    """参见 as a heading is "See also" (locked, audited via: heading); in a sentence it is not."""
    found = _matches("## 参见\n\n## 參考文獻\n\n## 发展历史\n\n详细参考了当时的资料。\n", matcher)
    assert found == [("参见", "See also", "heading"), ("參考文獻", "References", "heading")]


def test_a_curated_entry_wins_over_a_standard_heading():
    mine = Term("参见", "Cross-references", id="mine")
    doc = analyze_text("## 参见\n", matcher=TermMatcher([mine]))
    assert [(m.term.en, m.via) for s in doc.segments for m in s.terms] == [("Cross-references", "text")]
