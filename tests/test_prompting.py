"""What the prompt shows beside a sentence — the sentences before it, similar examples — and the
choice among several candidates (fake engines; no model)."""
from __future__ import annotations

import pytest

from pipeline.document import Translation
from pipeline.stages import analyze_text
from pipeline.translate.policy import Policy
from pipeline.translate.scoring import SCORER
from pipeline.translate.engines.base import Request
from pipeline.translate.examples import ExampleIndex, bigrams, example_index, shipped
from pipeline.translate.prompting import Prompting, documents, translate_segments
from pipeline.translate.verdicts import source_key
from pipeline.translate.prompts import messages
from tests.fakes import FakeEngine


@pytest.fixture(autouse=True)
def _fresh_calls():
    FakeEngine.calls.clear()
    yield


def _items(*texts: str) -> list:
    docs = [analyze_text(text, f"d{i}") for i, text in enumerate(texts)]
    return [(doc.text, s) for doc in docs for s in doc.segments]


class _Drafting(FakeEngine):
    """Says which pass wrote an answer: a draft (no context) or the translation that saw the drafts."""

    drafts = {"会议召开。": "The meeting opened.", "他发言。": "He spoke.", "他回国。": "He came home."}

    def english(self, request: Request) -> str:
        return self.drafts.get(request.source, "It was said.") if not request.context else "Seen."


def test_context_shows_the_drafts_of_the_sentences_before_and_no_sentence_waits_for_another():
    items = _items("会议召开。他发言。大家同意。\n", "他回国。她留下。\n")
    translate_segments(_Drafting(), items, prompting=Prompting(context=2))
    sources = [r.source for r in FakeEngine.calls]
    # one batch of drafts (every sentence a later one shows), then one batch of translations
    assert sources == ["会议召开。", "他发言。", "他回国。"] + ["会议召开。", "他发言。", "大家同意。", "他回国。", "她留下。"]
    asked = {r.source: r for r in FakeEngine.calls[3:]}
    assert asked["会议召开。"].context == () and asked["他回国。"].context == ()
    assert asked["他发言。"].context == (("会议召开。", "The meeting opened."),)
    assert asked["大家同意。"].context == (("会议召开。", "The meeting opened."), ("他发言。", "He spoke."))
    assert asked["她留下。"].context == (("他回国。", "He came home."),)  # never across documents
    assert [s.translation.tgt for _t, s in items] == ["The meeting opened.", "Seen.", "Seen.", "He came home.", "Seen."]


def test_drafts_are_cached_so_a_rerun_asks_the_model_nothing(tmp_path):
    from pipeline.cache import SegmentCache

    cache = SegmentCache(tmp_path / "c.sqlite", {"engine": "fake"})
    translate_segments(_Drafting(), _items("会议召开。他发言。\n"), cache=cache, prompting=Prompting(context=1))
    cache.commit()
    FakeEngine.calls.clear()
    items = _items("会议召开。他发言。\n")
    translate_segments(_Drafting(), items, cache=cache, prompting=Prompting(context=1))
    cache.close()
    assert FakeEngine.calls == [] and items[1][1].context == (("会议召开。", "The meeting opened."),)


def test_without_context_every_sentence_goes_in_one_batch_as_before():
    items = _items("会议召开。他发言。\n")
    translate_segments(FakeEngine(), items)
    assert all(r.context == () for r in FakeEngine.calls)
    assert [s.context for _t, s in items] == [(), ()]


def test_context_is_part_of_what_decides_the_english():
    items = _items("会议召开。他发言。\n", "他发言。\n")
    translate_segments(FakeEngine(), items, prompting=Prompting(context=1))
    first, alone = items[1][1], items[2][1]
    assert first.norm == alone.norm and source_key(first) != source_key(alone)


def test_examples_are_retrieved_by_similarity_most_similar_last():
    index = ExampleIndex([("他出生于湖南省。", "He was born in Hunan."), ("会议在上海召开。", "The meeting met in Shanghai."),
                          ("天气很好。", "The weather is fine."), ("会议召开。", "The meeting convened.")])
    found = index.similar("同年会议在上海召开。", 2)
    assert found == (("会议召开。", "The meeting convened."), ("会议在上海召开。", "The meeting met in Shanghai."))
    assert index.similar("完全无关", 2) == () and index.similar("会议", 0) == ()
    items = _items("会议在北京召开。\n")
    translate_segments(FakeEngine(), items, prompting=Prompting(examples=1, index=index))
    assert FakeEngine.calls[0].context == (("会议在上海召开。", "The meeting met in Shanghai."),)


def test_the_shipped_examples_are_well_formed_and_found():
    pairs = shipped()
    assert len(pairs) >= 30 and all(zh and en and "\t" not in en for zh, en in pairs)
    assert example_index().similar("参见", 1) == (("参见", "See also"),)
    assert bigrams("中共，1927年") == ["中共", "年"]


def test_context_pairs_become_earlier_chat_turns():
    chat = messages(Request("他发言。", context=(("会议召开。", "The meeting convened."),)))
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    assert chat[1]["content"] == "Chinese: 会议召开。" and chat[2]["content"] == "The meeting convened."
    assert chat[3]["content"].endswith("Chinese: 他发言。")


def test_documents_are_the_items_that_share_a_text():
    items = _items("甲。乙。\n", "丙。\n")
    assert [[s.norm for _t, s in doc] for doc in documents(items)] == [["甲。", "乙。"], ["丙。"]]


class _Sampling(FakeEngine):
    """Four first answers: the greedy one, and three samples (two agree with each other)."""

    policy = Policy(candidates=4, lookups=False)
    answers = {0: "A meeting happened in Shanghai.", 1: "The meeting was held at Shanghai.",
               2: "A gathering happened somewhere.", 3: "The meeting was held at Shanghai."}

    def english(self, request: Request) -> str:
        return self.answers[request.sample] if request.method == "prompt" else "The meeting met."


def test_candidates_keep_the_consensus_answer_and_pay_for_it_once():
    items = _items("会议在上海召开。\n")
    translate_segments(_Sampling(), items)
    assert sorted(r.sample for r in FakeEngine.calls) == [0, 1, 2, 3]
    assert items[0][1].translation.tgt == "The meeting was held at Shanghai."  # what most answers say


def test_a_verified_candidate_beats_the_consensus():
    verdicts = [Translation("Wang said.", "prompt", defects=[]), Translation("Wang said it.", "prompt"),
                Translation("Wang Ming said.", "prompt")]
    assert SCORER.best_of(verdicts) in (0, 1)  # the two alike
    from pipeline.document import ERROR, Finding
    verdicts[0].defects.append(Finding("number-mismatch", ERROR, "the number 1927 is not in the English"))
    verdicts[1].defects.append(Finding("empty-output", ERROR, "the English is empty"))
    assert SCORER.best_of(verdicts) == 2  # the only one without a problem


def test_a_translation_group_holds_a_batch_of_segments_whatever_the_context():
    from pipeline.translate import groups

    docs = [analyze_text("甲。乙。丙。\n" * 4, f"d{i}") for i in range(5)]  # 12 segments each
    assert [len(g) for g in groups(docs, 8)] == [1, 1, 1, 1, 1]
    assert [len(g) for g in groups(docs, 24)] == [2, 2, 1]




def test_the_llm_ladder_puts_english_into_the_chinese_only_in_its_re_prompt():
    """The first request shows the glossary lines and the Chinese as it is: English put into the
    first request made the model drop the words around it (measured: prompts.METHODS)."""
    from pipeline.translate.engines.base import TermPair
    from pipeline.translate.prompts import METHODS, user_message
    terms = (TermPair("王明", "Wang Ming"), TermPair("共产国际", "Comintern"))
    first = user_message(Request("王明和共产国际。", terms, METHODS[0]))
    assert "Chinese: 王明和共产国际。" in first and "共产国际 = Comintern" in first
    again = user_message(Request("王明和共产国际。", terms, METHODS[1]))
    assert "Chinese: Wang Ming 和 Comintern 。" in again
