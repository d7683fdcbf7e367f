"""Glossary-locked translation with tiny real models: the locking guarantee and the audit."""
from __future__ import annotations


import pytest

from pipeline.read import parse
from pipeline.stages import ANALYSIS_STAGES, Settings, run_stages
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.run import translate_document

TERMS = [Term("王明", "Wang Ming", id="wm"), Term("共产国际", "Comintern", id="ci"),
         Term("罗明那兹", "Besso Lominadze", id="bl", variants=("罗明纳兹", "罗米那兹")),
         Term("毛泽东", "Mao Zedong", id="mz"), Term("苏联派", "Soviet faction", id="sf")]


def _translate(text, engine, terms=TERMS):
    doc = run_stages(parse(text, "t"), Settings(), ANALYSIS_STAGES)
    return translate_document(doc, TermMatcher(terms), engine)


def _audit(translated):
    return [(o.match.term.key, o.status, o.method, translated.results[i].tgt[o.tgt_start:o.tgt_end])
            for i, r in translated.results.items() for o in r.outcomes]


@pytest.fixture(params=["llama", "marian"])
def engine(request, llama_engine, marian_engine):
    return {"llama": llama_engine, "marian": marian_engine}[request.param]


def test_every_term_is_locked_even_when_the_model_drops_it(engine):
    # The tiny models emit noise, so every term is first dropped, then forced by the strongest method.
    translated = _translate("1927年，共产国际派罗明那兹来到汉口。王明回国。", engine)
    audit = _audit(translated)
    assert [(k, s, text) for k, s, _m, text in audit] == [
        ("ci", "locked", "Comintern"), ("bl", "locked", "Besso Lominadze"), ("wm", "locked", "Wang Ming")]
    assert {m for *_, m, _t in audit} == {"constrained"}
    assert all(r.attempts == len(engine.methods) for r in translated.results.values())


def test_traditional_input_is_matched_and_recorded_as_written(llama_engine):
    translated = _translate("共產國際派羅明那茲前往漢口。", llama_engine)
    (segment,) = translated.doc.segments
    assert segment.script == "hant" and segment.norm.startswith("共产国际派罗明那兹")
    outcomes = translated.results[0].outcomes
    assert [translated.doc.text[o.match.src_start:o.match.src_end] for o in outcomes] == ["共產國際", "羅明那茲"]
    assert [o.status for o in outcomes] == ["locked", "locked"]


def test_link_label_holding_a_term_keeps_its_link(llama_engine):
    text = '由[罗明纳兹主持](https://zh.wikipedia.org/wiki/罗明纳兹 "wikilink")。'
    translated = _translate(text, llama_engine)
    assert '[Besso Lominadze](https://zh.wikipedia.org/wiki/罗明纳兹 "wikilink")' in translated.markdown
    assert not translated.rendered[0].lost_links


def test_link_without_a_term_is_reported_not_dropped(llama_engine):
    translated = _translate('他[回国了](../Page/回国.md "wikilink")。', llama_engine)
    assert [f["check"] for f in translated.qa[0]].count("lost-link") == 1


def test_repeated_terms_in_one_sentence_are_each_audited(llama_engine):
    translated = _translate("毛泽东批评王明，毛泽东又批评王明。", llama_engine)
    outcomes = translated.results[0].outcomes
    tgt = translated.results[0].tgt
    assert [o.match.term.key for o in outcomes] == ["mz", "wm", "mz", "wm"]
    assert all(o.status == "locked" and tgt[o.tgt_start:o.tgt_end] == o.expected for o in outcomes)


def test_keep_action_keeps_the_chinese_as_written_with_the_english_after(llama_engine):
    terms = [Term("蘇聯派", "Soviet faction", action="keep", id="keep")]
    translated = _translate("朝鲜的蘇聯派。", llama_engine, terms)
    (outcome,) = translated.results[0].outcomes
    tgt = translated.results[0].tgt
    assert outcome.status == "locked" and tgt[outcome.tgt_start:outcome.tgt_end] == "蘇聯派"
    assert "蘇聯派 (Soviet faction)" in tgt
    assert not translated.results[0].chinese_left  # the kept term is not "untranslated Chinese"


def test_structure_is_kept(llama_engine):
    text = ("**王明**是人物\\[1\\]。\n\n## 生平\n\n  - [王明](../Page/王明.md \"wikilink\")\n\n{{-}}\n\n"
            "[Category:人物](https://zh.wikipedia.org/wiki/Category:人物 \"wikilink\")\n\n1.  某书。\n")
    md = _translate(text, llama_engine).markdown
    lines = md.split("\n")
    assert "**Wang Ming**" in lines[0] and lines[0].endswith("\\[1\\]")
    assert lines[2].startswith("## ") and lines[4].startswith("  - ")
    assert '[Wang Ming](../Page/王明.md "wikilink")' in lines[4]
    assert "{{-}}" in lines and '[Category:人物](https://zh.wikipedia.org/wiki/Category:人物 "wikilink")' in lines
    assert lines[-2].startswith("1.  ")


def test_identical_segments_are_translated_once(llama_engine, monkeypatch):
    calls = []
    original = llama_engine.translate

    def counting(requests):
        calls.extend(r.source for r in requests)
        return original(requests)

    monkeypatch.setattr(llama_engine, "translate", counting)
    _translate("王明回国。\n\n王明回国。\n", llama_engine)
    assert calls.count("王明回国。") == len(llama_engine.methods)  # once per method, not per segment
