"""Verification, the audit, clean-up and QA checks on crafted outputs (no model involved)."""
from __future__ import annotations

import pytest

from pipeline.qa.checks import SegmentQA, run_checks
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatch
from pipeline.translate.cleanup import clean
from pipeline.translate.locking import degenerate, occurrences, repair_case, verify
from pipeline.translate.locking_loop import Job, evaluate


def _match(zh, en, start=0, **kw):
    return TermMatch(Term(zh, en, **kw), start, start + len(zh), start, start + len(zh))


def test_longer_rendering_claims_its_characters_first():
    a = _match("中共中央临时政治局扩大会议", "Enlarged Meeting of the Provisional Politburo")
    b = _match("临时政治局", "Provisional Politburo", 20)
    out = "The Enlarged Meeting of the Provisional Politburo elected a new Provisional Politburo."
    first, second = verify(out, [a, b], [a.term.en, b.term.en], "prompt")
    assert (first.tgt_start, second.tgt_start) == (4, out.rindex("Provisional Politburo"))


def test_missing_term_is_reported_not_silently_accepted():
    (outcome,) = verify("The Communist International met.", [_match("共产国际", "Comintern")], ["Comintern"], "prompt")
    assert outcome.status == "missing" and outcome.tgt_start == -1


def test_word_boundaries_and_sentence_initial_capital():
    assert occurrences("leftist line; the Leftist line", "leftist line") == [0, 18]
    assert occurrences("Comintern's envoy", "Comintern") == [0]
    assert occurrences("Cominterns", "Comintern") == []


def test_case_only_differences_are_repaired_to_the_approved_form():
    fixed = repair_case("He adopted the resolution on the current situation.", ["Resolution on the Current Situation"])
    assert "Resolution on the Current Situation" in fixed


def test_forbidden_rendering_and_chinese_left_are_problems():
    match = _match("毛泽东", "Mao Zedong", forbidden=("Mao Tse-tung",))
    job = Job("毛泽东说。", [match], ["毛泽东"])
    result = evaluate(job, "Mao Tse-tung said 好.", "prompt")
    checks = {f["check"] for f in run_checks(SegmentQA("毛泽东说。", job.norm, result))}
    assert {"term-missing", "forbidden-rendering", "untranslated"} <= checks
    assert result.problems == 3


def test_approved_form_containing_a_forbidden_one_is_fine():
    match = _match("中国共产党", "Communist Party of China", forbidden=("Communist Party",))
    result = evaluate(Job("中国共产党。", [match], ["中国共产党"]), "The Communist Party of China.", "prompt")
    assert not result.forbidden


def test_number_and_month_checks():
    job = Job("1927年8月7日，会议召开，1500人。", [], [])
    ok = evaluate(job, "On August 7, 1927, the meeting convened with 1,500 people.", "prompt")
    assert not [f for f in run_checks(SegmentQA("", job.norm, ok)) if f["check"] == "number-mismatch"]
    bad = evaluate(job, "On August 7, 1937, the meeting convened.", "prompt")
    messages = [f["message"] for f in run_checks(SegmentQA("", job.norm, bad)) if f["check"] == "number-mismatch"]
    assert any("1927" in m for m in messages) and any("1937" in m for m in messages) and any("1500" in m for m in messages)


@pytest.mark.parametrize("raw, expected", [
    ("English: The CCP was founded.", "The CCP was founded."),
    ("Chinese: 中共成立。\nEnglish: The CCP was founded.", "The CCP was founded."),
    ('"The CCP was founded."', "The CCP was founded."),
    ("The CCP was founded.\n\nNote: 中共 is the CCP.", "The CCP was founded."),
    ("```\nthe CCP ( founded ) in 1921 , grew .\n```", "The CCP (founded) in 1921, grew."),
    ("The CCP was founded “in 1921”，and grew。", 'The CCP was founded "in 1921," and grew.'),
])
def test_cleanup(raw, expected):
    assert clean(raw, "中共成立。") == expected


def test_degenerate_output_detected():
    assert degenerate("edmedmedmedmedm and so on", "会议")
    assert degenerate("word " * 200, "短句")
    assert not degenerate("On August 7, 1927, the Comintern sent Besso Lominadze.", "1927年8月7日，共产国际派罗明那兹。")


def test_truncated_or_echoing_output_is_degenerate():
    source = "会议上斥责陈独秀等人为“右倾机会主义”，对陈独秀等人进行清算。"
    assert degenerate("At the meeting, Chen Duxiu and other", source)
    assert degenerate("The Soviet Union (Soviet Union) and the Comintern (Comintern) met.", "苏联和共产国际开会。")
    assert not degenerate("He (Wang Ming) returned.", "他（王明）回国。")


def test_forced_terms_are_flagged_for_review():
    match = _match("王明", "Wang Ming")
    result = evaluate(Job("王明回国。", [match], ["王明"]), "Wang Ming returned.", "constrained")
    assert "forced-terms" in {f["check"] for f in run_checks(SegmentQA("", "王明回国。", result))}
