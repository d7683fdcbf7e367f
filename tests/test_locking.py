"""Verification, the audit, clean-up and QA checks on crafted outputs (no model involved)."""
from __future__ import annotations

import pytest

from pipeline.document import Segment
from pipeline.qa.checks import run_checks
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatch
from pipeline.translate.cleanup import clean
from pipeline.translate.verdicts import judge
from pipeline.verify import degenerate, locate, occurrences, repair_case


def _match(zh, en, start=0, **kw):
    return TermMatch(Term(zh, en, **kw), start, start + len(zh), start, start + len(zh))


def _segment(norm, matches):
    offsets = tuple(range(len(norm)))
    return Segment(0, 0, "paragraph", 0, len(norm), [], norm, offsets, norm=norm, norm_offsets=offsets,
                   terms=matches)


def evaluate(segment, raw, method):
    segment.translation = judge(segment, raw, method)
    return segment.translation


def checks_of(segment):
    return run_checks(segment.norm, segment)


def test_longer_rendering_claims_its_characters_first():
    a = _match("中共中央临时政治局扩大会议", "Enlarged Meeting of the Provisional Politburo")
    b = _match("临时政治局", "Provisional Politburo", 20)
    out = "The Enlarged Meeting of the Provisional Politburo elected a new Provisional Politburo."
    first, second = locate(out, [a, b], [a.term.en, b.term.en], "prompt")
    assert (first.tgt_start, second.tgt_start) == (4, out.rindex("Provisional Politburo"))


def test_missing_term_is_reported_not_silently_accepted():
    (outcome,) = locate("The Communist International met.", [_match("共产国际", "Comintern")], ["Comintern"], "prompt")
    assert outcome.status == "missing" and outcome.tgt_start == -1


def test_word_boundaries_and_sentence_initial_capital():
    assert occurrences("leftist line; the Leftist line", "leftist line") == [0, 18]
    assert occurrences("Comintern's envoy", "Comintern") == [0]
    assert occurrences("Cominterns", "Comintern") == [0]  # a plural holds the term
    assert occurrences("Cominternal", "Comintern") == []


def test_case_only_differences_are_repaired_to_the_approved_form():
    fixed = repair_case("He adopted the resolution on the current situation.", ["Resolution on the Current Situation"])
    assert "Resolution on the Current Situation" in fixed


def test_forbidden_rendering_and_chinese_left_are_problems():
    match = _match("毛泽东", "Mao Zedong", forbidden=("Mao Tse-tung",))
    segment = _segment("毛泽东说。", [match])
    result = evaluate(segment, "Mao Tse-tung said 好.", "prompt")
    checks = {f.check for f in checks_of(segment)}
    assert {"term-missing", "forbidden-rendering", "untranslated"} <= checks
    assert result.problems == 3


def test_approved_form_containing_a_forbidden_one_is_fine():
    match = _match("中国共产党", "Communist Party of China", forbidden=("Communist Party",))
    result = evaluate(_segment("中国共产党。", [match]), "The Communist Party of China.", "prompt")
    assert result.outcomes[0].status == "locked"
    assert not [f for f in result.defects if f.check == "forbidden-rendering"]


def test_number_and_month_checks():
    segment = _segment("1927年8月7日，会议召开，1500人。", [])
    evaluate(segment, "On August 7, 1927, the meeting convened with 1,500 people.", "prompt")
    assert not [f for f in checks_of(segment) if f.check == "number-mismatch"]
    evaluate(segment, "On August 7, 1937, the meeting convened.", "prompt")
    messages = [f.message for f in checks_of(segment) if f.check == "number-mismatch"]
    assert any("1927" in m for m in messages) and any("1937" in m for m in messages) and any("1500" in m for m in messages)


@pytest.mark.parametrize("raw, expected", [
    ("English: The CCP was founded.", "The CCP was founded."),
    ("Chinese: 中共成立。\nEnglish: The CCP was founded.", "The CCP was founded."),
    ('"The CCP was founded."', "The CCP was founded."),
    ("The CCP was founded.\n\nNote: 中共 is the CCP.", "The CCP was founded."),
    ("```\nthe CCP ( founded ) in 1921 , grew .\n```", "The CCP (founded) in 1921, grew."),
    ("The CCP was founded “in 1921”，and grew。", 'The CCP was founded "in 1921," and grew.'),
    # an opening single quote keeps its space (Moses alone glued it: "by'Chronicle …'", seed 003 #8)
    ("Edited by 'Chronicle of Major Events in CCP History', CCP History Publishing House",
     "Edited by 'Chronicle of Major Events in CCP History', CCP History Publishing House"),
    ("'Left' errors , Mao's and O'Brien's 'Red Star' .", "'Left' errors, Mao's and O'Brien's 'Red Star'."),
])
def test_cleanup(raw, expected):
    assert clean(raw, "中共成立。") == expected


def test_degenerate_output_detected():
    assert degenerate("edmedmedmedmedm and so on", "会议")
    assert degenerate("word " * 200, "短句")
    assert not degenerate("On August 7, 1927, the Comintern sent Besso Lominadze.", "1927年8月7日，共产国际派罗明那兹。")
    forced = ("Wang Yuncheng was sentenced by the Ministry of Pu-Kang Sheng and the Minister of Pu-Kang Sheng, "
              "Xie Fuzhi, on November 11, 1969, after he had People's Republic of China Ministry and the Minister "
              "of Pu-Kang Sheng, Xie Fuzhi, on November 11, 1969, after he had confessed in the 1930s.")
    assert degenerate(forced, "王云程由康生、公安部部长谢富治签署命令，于1969年11月被处决。")  # ten words written twice


def test_truncated_or_echoing_output_is_degenerate():
    source = "会议上斥责陈独秀等人为“右倾机会主义”，对陈独秀等人进行清算。"
    assert degenerate("At the meeting, Chen Duxiu and other", source)
    assert degenerate("The Soviet Union (Soviet Union) and the Comintern (Comintern) met.", "苏联和共产国际开会。")
    assert not degenerate("He (Wang Ming) returned.", "他（王明）回国。")
    listing = "Kang Sheng signed the order. (Ministry of Public Security, Kang Sheng, Xie Fuzhi)"
    assert degenerate(listing, "由康生、公安部部长谢富治签署命令。", ("Kang Sheng", "Xie Fuzhi"))
    assert not degenerate("Kang Sheng (then Xie Fuzhi's deputy) signed.", "由康生签署。", ("Kang Sheng",))


def test_forced_terms_are_flagged_for_review():
    segment = _segment("王明回国。", [_match("王明", "Wang Ming")])
    evaluate(segment, "Wang Ming returned.", "constrained")
    assert "forced-terms" in {f.check for f in checks_of(segment)}
    evaluate(segment, "Wang Ming returned.", "prompt")
    assert "forced-terms" not in {f.check for f in checks_of(segment)}


def test_an_approved_rendering_that_clean_up_would_change_is_kept_as_approved():
    segment = _segment("高饶事件爆发。", [_match("高饶事件", "Gao–Rao affair"), ])
    verdict = evaluate(segment, "The Gao–Rao affair broke out.", "prompt")
    assert verdict.tgt == "The Gao–Rao affair broke out." and verdict.count("locked") == 1
    assert clean("The Gao–Rao affair") == "The Gao-Rao affair"  # what Moses does to other text


def test_a_usable_answer_missing_a_term_beats_a_broken_one_with_every_term():
    from tests.fakes import ScriptedEngine
    from pipeline.translate.locking import lock
    source = "康生和谢富治签署命令。"
    segment = _segment(source, [_match("康生", "Kang Sheng"), _match("谢富治", "Xie Fuzhi", start=3)])
    looped = "Kang Sheng and Xie Fuzhi signed and signed and signed and signed and signed the order."
    ScriptedEngine.answers = {(source, "prompt"): "Xie Fuzhi signed the order.", (source, "constrained"): looped}
    verdict = lock(ScriptedEngine(), [segment])[0]
    assert verdict.tgt == "Xie Fuzhi signed the order." and verdict.count("missing") == 1 and not verdict.unusable
    ScriptedEngine.answers[(source, "prompt")] = "Xie Fuzhi signed and signed and signed and signed and signed it."
    verdict = lock(ScriptedEngine(), [segment])[0]
    assert verdict.tgt == looped  # both broken: the one with every term (an error for review)


def test_an_empty_answer_loses_to_a_broken_one_that_says_something():
    from tests.fakes import ScriptedEngine
    from pipeline.translate.locking import lock
    source = "在华盛顿队以5-3的比分战胜亚特兰大鸫鸟队的比赛中，他贡献了2个进球和2次助攻。"
    segment = _segment(source, [])
    cut = "In Washington's 5-3 win over the Atlanta Thrashers, he scored 2 goals and"  # cut off, a finding
    ScriptedEngine.answers = {source: cut, (source, "prompt"): ""}
    verdict = lock(ScriptedEngine(), [segment])[0]  # seen on FLORES line 25: the empty answer shipped
    assert verdict.tgt == cut and verdict.unusable
    ScriptedEngine.answers = {source: ""}
    assert lock(ScriptedEngine(), [segment])[0].tgt == ""  # nothing else: empty, an empty-output error


def test_an_echo_of_the_chinese_in_every_method_gets_the_rescue_grammar_and_nothing_else_does():
    from tests.fakes import ScriptedEngine
    from pipeline.translate.locking import lock

    class Rescuing(ScriptedEngine):
        methods = ("prompt", "inject", "revise")
        rescue = ("constrained",)

    source = "在华盛顿队以5-3的比分战胜亚特兰大鸫鸟队的比赛中，他贡献了2个进球和2次助攻。"
    english = "In Washington's 5-3 win over the Atlanta Thrashers, he scored 2 goals and 2 assists."
    Rescuing.answers = {source: source, (source, "constrained"): english}  # FLORES dev line 25: echoed thrice
    ScriptedEngine.calls.clear()
    verdict = lock(Rescuing(), [_segment(source, [])])[0]
    assert verdict.tgt == english and verdict.method == "constrained"
    assert [r.method for r in ScriptedEngine.calls] == ["prompt", "inject", "revise", "constrained"]
    source = "康生和谢富治签署命令。"
    Rescuing.answers = {source: "Xie Fuzhi signed the order."}  # English, a term missing: no rescue
    ScriptedEngine.calls.clear()
    segment = _segment(source, [_match("康生", "Kang Sheng"), _match("谢富治", "Xie Fuzhi", start=3)])
    assert lock(Rescuing(), [segment])[0].count("missing") == 1
    assert "constrained" not in [r.method for r in ScriptedEngine.calls]


def test_an_answer_narrating_the_task_is_degenerate():
    assert degenerate("Politburo. The corrected English version is: August 7 Emergency Conference.", "八七会议。")
    assert degenerate("The Chinese left in the draft remains unchanged.", "会议。")
    assert not degenerate("The English translation of the Manifesto appeared in 1888.", "宣言的英译本于1888年出版。")


def test_chinese_left_after_every_method_is_filled_in_and_flagged():
    from tests.fakes import ScriptedEngine
    from pipeline.translate.locking import lock
    from pipeline.translate.methods import Method
    source = "姜雪晴是学员，来自酉阳县。"
    segment = _segment(source, [_match("酉阳县", "酉阳县", action="keep", start=9)])
    ScriptedEngine.answers = {source: "姜雪晴 was a学员 from 酉阳县."}
    verdict = lock(ScriptedEngine(), [segment])[0]
    assert verdict.method == Method.FILL_IN and verdict.attempts == 2
    assert verdict.tgt == "Jiang Xueqing was a student from 酉阳县."  # the `keep` term stays as it is
    assert not verdict.defects and verdict.count("locked") == 1
    segment.translation = verdict
    assert "filled-in" in {f.check for f in checks_of(segment)}


def test_a_re_prompt_names_the_terms_the_draft_left_out():
    from tests.fakes import FakeEngine, ScriptedEngine
    from pipeline.translate.locking import lock
    source = "由康生、谢富治签署命令。"
    segment = _segment(source, [_match("康生", "Kang Sheng", start=1), _match("谢富治", "Xie Fuzhi", start=4)])
    ScriptedEngine.answers = {(source, "prompt"): "Xie Fuzhi signed the order."}
    FakeEngine.calls = []
    lock(ScriptedEngine(), [segment])
    assert FakeEngine.calls[1].notes == ("it leaves out 康生 = Kang Sheng: add it where the Chinese has it",)


def test_what_fills_in_for_chinese_left():
    from pipeline.terms.suggest import leftover_english
    assert leftover_english("姜雪晴") == "Jiang Xueqing"  # a name: pinyin, family name first
    assert leftover_english("酉阳县") == "Youyang County"  # a place by its unit
    assert leftover_english("太原") == "Taiyuan"  # CC-CEDICT's proper noun, without its explanation
    assert leftover_english("学员") == "student"  # a word: its first dictionary sense
    assert leftover_english("武宗学府") == "Wuzongxuefu"  # unknown: one word in pinyin
    assert leftover_english("号") == "Hao"  # one character: its first sense ("ordinal number") is a guess


def test_a_cached_answer_with_chinese_left_is_filled_in_too():
    from pipeline.translate.planning import from_cache
    from pipeline.translate.methods import Method
    segment = _segment("姜雪晴是学员。", [])
    verdict = from_cache(segment, {"tgt": "姜雪晴 was a学员.", "method": "prompt", "attempts": 4})  # stored unfilled
    assert verdict.tgt == "Jiang Xueqing was a student." and verdict.method == Method.FILL_IN
    assert verdict.reused == "cache" and verdict.attempts == 4 and not verdict.defects

