"""Numbers and years (``pipeline/facts.py``): read from the source in every form, resolved from the
document, verified in the English, escalated by the locking loop and shown to the model."""
from __future__ import annotations

import pytest

from pipeline.document import Segment
from pipeline.facts import chinese_number, last_year, problems, source_numbers, stated_years
from pipeline.stages import analyze_text
from pipeline.translate.engines.base import Request
from pipeline.translate.verdicts import judge
from pipeline.translate.prompting import translate_segments
from pipeline.translate.prompts import user_message
from tests.fakes import FakeEngine, ScriptedEngine


class _Engine(ScriptedEngine):
    """The llama engine's methods; a re-prompt (``revise``) is its rewording method."""

    methods = ("prompt", "inject", "revise", "constrained")
    reword = ("revise",)
    answers: dict = {}


@pytest.fixture(autouse=True)
def _fresh_calls():
    FakeEngine.calls.clear()
    yield


def _segment(norm: str, year: int | None = None) -> Segment:
    offsets = tuple(range(len(norm)))
    return Segment(0, 0, "paragraph", 0, len(norm), [], norm, offsets, norm=norm, norm_offsets=offsets, year=year)


@pytest.mark.parametrize("text, value", [("十一", 11), ("二十三", 23), ("十", 10), ("一九二七", 1927), ("二〇〇八", 2008),
                                         ("三", 3), ("百", None)])
def test_chinese_numerals(text, value):
    assert chinese_number(text) == value


@pytest.mark.parametrize("source, years", [
    ("1927年", {1927}), ("一九二七年秋", {1927}), ("民国十六年", {1927}), ("二十年代", {1920}), ("１９３１年", {1931}),
    ("他有1500人", {1500}), ("会议召开", set()),
])
def test_years_the_source_states(source, years):
    assert stated_years(source) == years


@pytest.mark.parametrize("source, before, after", [
    ("1927年，他去了上海。", None, 1927), ("次年他回国。", 1927, 1928), ("同年11月，会议召开。", 1927, 1927),
    ("1927年入党，次年被捕。", None, 1928), ("他回国。", 1930, 1930), ("前一年", 1930, 1929),
])
def test_the_year_a_document_is_at(source, before, after):
    assert last_year(source, before) == after


@pytest.mark.parametrize("english, source, year, expected", [
    # the seed 003 case: 同年 is 1927, so 1937 is invented
    ("On November 9-10, 1937, the meeting was held.", "同年11月9日-10日，会议召开。", 1927, ["the year 1937"]),
    ("On November 9-10, 1927, the meeting was held.", "同年11月9日-10日，会议召开。", 1927, []),
    ("He was born in 1904 and died in 1938.", "他生于1904年。", None, ["the year 1938"]),
    ("Vitaly (1781-1849) was a Georgian.", "格鲁吉亚人。", None, ["the year 1781", "the year 1849"]),
    ("About 30,000 people, or 1.5 million in all, with three leaders.", "约3万人，共150万，三名领导人。", None, []),
    ("In November 1931 he went.", "一九三一年十一月九日他去了。", None, ["the number 九"]),
    ("In the 1920s, in the first year.", "二十年代，第1年。", None, []),
    ("In May 1927 they met 8 times.", "1927年5月他们见了8次。", None, []),
    ("They met.", "1927年5月他们见了8次。", None, ["the number 1927", "the number 5", "the number 8"]),
    ("He went home the next year, 1928.", "次年他回家。", 1927, []),
    # spaced FLORES-style numbers, thousands separators, 万 multiples, centuries and decades
    ("About 10 million files, leaked in April.", "约 1,000 万份文件，在 4 月泄露。", None, []),
    ("About 1 million files.", "约 1,000 万份文件。", None, ["the number 1,000"]),
    ("It has been key since the 1970s, in the 20th century.", "自 20 世纪 70 年代以来一直是关键。", None, []),
    ("He finished with 22,432 points.", "以 2243 分排名第二。", None, ["the number 2243"]),
    # a date in numbers whose month the source does not state (俞秀松 #9 in a run)
    ("1933-03-01 to 1933-03-31: Soviet Union, Far East.", "1933年去苏联远东地区。", None,
     ["the date 1933-03-01", "the date 1933-03-31"]),
    ("On 1927-04-12 the purge began.", "1927年4月12日清党开始。", None, []),
    ("It can hold 55,000 barrels (2.3 million gallons).", "可容纳 55000 桶（230 万加仑）。", None, []),
])
def test_number_problems(english, source, year, expected):
    found = problems(english, source, year)
    assert len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected)), found


def test_a_year_range_is_not_read_as_a_date():
    from pipeline.facts import invented_months
    assert invented_months("In 1910-11 and 1926-1927 he studied.", []) == []
    assert invented_months("On 1933-03-01 he left.", []) == ["1933-03-01"]


def test_an_invented_numeric_date_is_cut_to_its_year():
    from pipeline.facts import mended_years
    source = "1933年去苏联远东地区任《工人之路报》副总编。"  # seen in a run, after every method
    english = "1933-01-01 to 1933-06-30, Soviet Union, Deputy Editor of Labor Path Report."
    assert mended_years(english, source) == "1933, Soviet Union, Deputy Editor of Labor Path Report."
    assert not problems(mended_years(english, source), source)
    doubled = "1933-01-01-03-31 to 1933-01-01-03-31, Soviet Union, Deputy Editor."  # the same, another run
    assert mended_years(doubled, source) == "1933, Soviet Union, Deputy Editor."
    kept = "On 1927-04-12 the purge began."
    assert mended_years(kept, "1927年4月12日清党开始。") == kept  # the month is the source's


def test_the_years_component_resolves_relative_years_across_segments():
    doc = analyze_text("1927年8月，会议召开。同年11月，又召开了会议。次年他去了苏联。\n", "d")
    years = [s.year for s in doc.segments]
    assert years == [None, 1927, 1927]


def test_an_invented_year_is_an_error_and_is_mended_by_rule_before_any_re_prompt():
    segment = _segment("同年11月9日，会议召开。", 1927)
    verdict = judge(segment, "On November 9, 1937, the meeting convened.", "prompt")
    assert [(f.check, f.severity) for f in verdict.defects] == [("number-mismatch", "error")]
    _Engine.answers = {("同年11月9日，会议召开。", "prompt"): "On November 9, 1937, the meeting convened."}
    translate_segments(_Engine(), [("x", segment)])
    assert segment.translation.tgt == "On November 9, 1927, the meeting convened."
    assert [r.method for r in FakeEngine.calls] == ["prompt"]  # the rule mended it: no re-prompt


def test_a_dropped_year_no_rule_can_place_escalates_to_a_rewording():
    source = "1930年2月至1931年3月，任中央军委委员。"
    _Engine.answers = {(source, "prompt"): "From February to March 1930, he was a member of the Military Commission.",
                       (source, "revise"): "From February 1930 to March 1931, he was a member of the Military Commission."}
    segment = _segment(source)
    translate_segments(_Engine(), [("x", segment)])
    assert segment.translation.tgt == "From February 1930 to March 1931, he was a member of the Military Commission."
    assert [r.method for r in FakeEngine.calls] == ["prompt", "revise"]  # no injection, no grammar for a year
    assert "1931" in FakeEngine.calls[1].notes[0]


def test_the_rewording_prompt_names_the_problem():
    request = Request("同年11月9日，会议召开。", (), "revise", "In 1937 …", notes=("the year 1937 is not in the source",))
    message = user_message(request)
    assert "Mend these problems of the draft" in message and "the year 1937 is not in the source" in message


def test_a_year_still_wrong_after_every_method_is_an_error_finding():
    segment = _segment("1927年会议召开。")
    _Engine.answers = {"1927年会议召开。": "In 1937 the meeting convened."}
    translate_segments(_Engine(), [("x", segment)])
    assert segment.translation.attempts == 3  # up to the third method (revise); the first answer is kept on a tie
    assert [f.check for f in segment.translation.defects] == ["number-mismatch", "number-mismatch"]
    assert [r.method for r in FakeEngine.calls] == ["prompt", "revise"]
    assert source_numbers("1927年")[0].value == 1927


def test_wan_and_yi_multiples_are_said_outright_in_the_prompt_and_in_the_problem():
    from pipeline.facts import hints, in_english

    assert hints("约 1,000 万份文件，120 万个签名，3亿人，5千人") == \
        ["1,000万 (= 10 million)", "120万 (= 1.2 million)", "3亿 (= 300 million)"]
    assert (in_english(30_000), in_english(2_300_000), in_english(1.5)) == ("30,000", "2.3 million", "1.5")
    assert "Numbers in it, as English writes them: 120万 (= 1.2 million)" in user_message(Request("收集 120 万个签名。"))
    assert "Numbers in it" not in user_message(Request("收集 120 个签名。"))
    assert problems("They collected 120,000 signatures.", "收集 120 万个签名。") == \
        ["the number 120万 (= 1.2 million) is not in the English"]
