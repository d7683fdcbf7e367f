"""Short names rendered several to a request, a numbered line each (fake engines only)."""
from __future__ import annotations

from pipeline.document import Segment
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatch
from pipeline.translate.lists import chunks, lines_of, numbered
from pipeline.translate.methods import Method
from pipeline.translate.locking import lock
from tests.fakes import FakeEngine, ListingEngine


def test_each_numbered_line_is_read_back_by_its_number():
    answer = "Here they are:\n2) Spark\n1. CCP Jiangsu Provincial Committee\n3、 Zhuji\n\n"
    assert lines_of(answer, 3) == ["CCP Jiangsu Provincial Committee", "Spark", "Zhuji"]
    assert lines_of("1. A\n1. B\n3. C", 3) == ["", "", "C"]  # a number twice or left out: no line
    assert lines_of("Spark", 1) == [""]  # not numbered: not read as a line
    assert numbered(["星火", "诸暨"]) == "1. 星火\n2. 诸暨"


def test_lists_are_as_even_as_their_size_allows():
    assert [len(r) for r in chunks(25, 10)] == [8, 8, 9] and chunks(0) == []
    assert [list(r) for r in chunks(3, 10)] == [[0, 1, 2]]


def _segment(norm: str, terms=()) -> Segment:
    offsets = tuple(range(len(norm)))
    matches = [TermMatch(Term(zh, en), norm.index(zh), norm.index(zh) + len(zh), norm.index(zh),
                         norm.index(zh) + len(zh)) for zh, en in terms]
    return Segment(0, 0, "paragraph", 0, len(norm), [], norm, offsets, norm=norm, norm_offsets=offsets, terms=matches)


def test_a_line_lacking_a_locked_part_is_its_first_answer_and_goes_on_up_the_ladder():
    names = [_segment("中共江苏省委", [("中共", "CCP")]), _segment("星火"), _segment("诸暨")]
    ListingEngine.answers = {("中共江苏省委", Method.LIST): "Jiangsu Provincial Committee", "星火": "Spark", "诸暨": "Zhuji"}
    FakeEngine.calls = []
    verdicts = lock(ListingEngine(), names, listed=True)
    assert [v.tgt for v in verdicts[1:]] == ["Spark", "Zhuji"] and verdicts[1].method == Method.LIST
    assert verdicts[0].tgt == "CCP said it." and not verdicts[0].count("missing")  # the fake's ladder
    assert [r.method for r in FakeEngine.calls] == [Method.LIST, "constrained"]  # the line counts as the first method's


def test_a_line_the_draft_repair_mends_needs_no_further_request():
    names = [_segment("中共江苏省委", [("中共", "CCP")]), _segment("星火")]
    ListingEngine.answers = {("中共江苏省委", Method.LIST): "Communist Party of China Jiangsu Provincial Committee",
                             "星火": "Spark"}
    FakeEngine.calls = []
    verdicts = lock(ListingEngine(), names, listed=True)
    assert verdicts[0].tgt == "CCP Jiangsu Provincial Committee" and verdicts[0].count("missing") == 0
    assert [r.method for r in FakeEngine.calls] == [Method.LIST]


def test_an_empty_line_starts_the_ladder_from_its_first_method():
    names = [_segment("中共江苏省委", [("中共", "CCP")]), _segment("星火")]
    ListingEngine.answers = {("中共江苏省委", Method.LIST): "", "星火": "Spark"}
    FakeEngine.calls = []
    lock(ListingEngine(), names, listed=True)
    assert [r.method for r in FakeEngine.calls][:2] == [Method.LIST, "prompt"]
    FakeEngine.calls = []
    lock(ListingEngine(), names)  # sentences (not listed): each alone
    assert Method.LIST not in [r.method for r in FakeEngine.calls]


def test_the_prompt_asks_for_numbered_lines():
    from pipeline.translate.engines.base import Request, TermPair
    from pipeline.translate.prompts import user_message

    message = user_message(Request("1. 中共江苏省委\n2. 星火", (TermPair("中共", "CCP"),), Method.LIST))
    assert "one a line" in message and message.endswith("Chinese:\n1. 中共江苏省委\n2. 星火")
    assert "中共 = CCP" in message


def test_a_line_with_chinese_left_is_asked_alone_not_filled_in():
    # a name's line "Hubei General Labour Union致 Nationalist Government…" filled in shipped "Union zhi Nationalist"
    names = [_segment("总工会致国民政府函"), _segment("星火")]
    ListingEngine.answers = {("总工会致国民政府函", Method.LIST): "General Union致 Nationalist Government letter",
                             "总工会致国民政府函": "A letter of the General Union to the Nationalist Government", "星火": "Spark"}
    FakeEngine.calls = []
    verdicts = lock(ListingEngine(), names, listed=True)
    assert [r.method for r in FakeEngine.calls] == [Method.LIST, "prompt"]
    assert verdicts[0].tgt == "A letter of the General Union to the Nationalist Government"
