"""The review editor's state without a browser: versions and conflicts, one transaction with the
memory row, a reviewer's tags read back from the memory."""
from __future__ import annotations

from dataclasses import replace

import pytest

from pipeline.review.memory import Entry, TranslationMemory
from pipeline.stages import analyze_text
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.locking import foreign_tags, from_memory, own_tags_only

pytest.importorskip("starlette")

from pipeline.serve.state import CONFIRMED, DRAFT, Conflict, ReviewState  # noqa: E402

RECORD = {"seg": 0, "norm": "王明回国。", "src": "王明回国。", "tgt": "Wang Ming said it.", "tgt_tagged": "Wang Ming said it.",
          "method": "prompt", "tags": []}


def test_a_save_over_an_older_version_is_a_conflict_and_changes_nothing(tmp_path):
    state = ReviewState(TranslationMemory(tmp_path / "tm.sqlite", shared=True))
    assert state.save("a", RECORD, 0, DRAFT, "Wang Ming returned.", "one").version == 1
    with pytest.raises(Conflict) as raised:
        state.save("a", RECORD, 0, DRAFT, "Wang Ming came back.", "two")
    assert raised.value.current.text == "Wang Ming returned." and raised.value.current.who == "one"
    assert state.state("a", RECORD).text == "Wang Ming returned."


def test_a_confirm_writes_memory_status_and_history_together(tmp_path):
    memory = TranslationMemory(tmp_path / "tm.sqlite", shared=True)
    state = ReviewState(memory)
    entry = Entry(RECORD["norm"], RECORD["src"], "Wang Ming returned.", "fix", "a#0", "run", "zhen review serve")
    state.save("a", RECORD, 0, CONFIRMED, "Wang Ming returned.", "me", entry=entry)
    assert memory.get(RECORD["norm"]).tgt == "Wang Ming returned."
    assert [(v["version"], v["status"], v["text"]) for v in state.history("a", 0)] == [
        (0, "machine", "Wang Ming said it."), (1, "confirmed", "Wang Ming returned.")]
    assert state.machine_record("a", 0, RECORD["norm"])["tgt"] == "Wang Ming said it."
    with pytest.raises(Conflict):  # a failed save leaves the memory as it was
        state.save("a", RECORD, 0, CONFIRMED, "Other.", "you", entry=replace(entry, tgt="Other."))
    assert memory.get(RECORD["norm"]).tgt == "Wang Ming returned."


def test_memory_english_keeps_the_segments_own_tags_and_drops_others():
    segment = next(analyze_text('王明到[上海](../Page/上海.md "wikilink")开会\\[1\\]。', matcher=TermMatcher([])).segments)
    names = [t.name for t in segment.tags]
    assert "a1" in names
    english = "Wang Ming went to a meeting in <a1>Shanghai</a1> <b9>now</b9>."
    assert foreign_tags(segment, english) == ["<b9>", "</b9>"]
    assert own_tags_only(segment, english) == "Wang Ming went to a meeting in <a1>Shanghai</a1> now."
    verdict = from_memory(segment, english)
    assert verdict.tgt == "Wang Ming went to a meeting in Shanghai now." and "a1" in verdict.places
