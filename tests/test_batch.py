"""Batch runs: cache, incremental re-translation, resume after a kill, atomic writes, --jobs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.io import atomic_write
from tests.fakes import FAKE, write_project

GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")
ARTICLES = {"a.md": "王明回国。博古说话。\n\n## 回国以后\n\n共产国际开会。\n",
            "b.md": "张闻天写信。王明回信。\n"}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, ARTICLES, GLOSSARY)
    return tmp_path


def _translate(*extra) -> dict:
    assert main(["translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", *extra]) == 0
    return json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))


def _snapshot() -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(Path("outputs").rglob("*"))
            if p.is_file() and p.name not in ("run.json",)}


def test_rerun_with_nothing_changed_translates_nothing_and_writes_identical_files(project):
    first = _translate()
    before = _snapshot()
    second = _translate()
    assert first["totals"]["translated"] == 6 and second["totals"]["translated"] == 0
    assert second["totals"]["reused"] == 6
    assert _snapshot() == before  # every per-document file byte for byte; run.json records the new timings


def test_glossary_edit_retranslates_only_affected_segments(project, capsys):
    _translate("--context", "0")
    Path("g.csv").write_text(GLOSSARY + "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n", encoding="utf-8")
    run = _translate("--context", "0")
    assert run["totals"]["translated"] == 1 and run["totals"]["reused"] == 5
    assert "5 segment(s) reused (cache or memory), 1 translated" in capsys.readouterr().out
    Path("g.csv").write_text(GLOSSARY.replace("Wang Ming", "WANG Ming") +
                             "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n", encoding="utf-8")
    run = _translate("--context", "0")
    assert run["totals"]["translated"] == 2  # the two segments that hold 王明


def test_with_context_an_edited_sentence_also_retranslates_the_two_that_saw_it(project):
    """A sentence's Chinese and draft are part of its next two sentences' prompts (``--context 2``),
    so an edit of its text translates them again. A glossary edit changes no Chinese; the sentences
    after one holding the term are translated again only where its draft changed (the fake's draft
    of a sentence with a term is always "It was said.")."""
    _translate("--context", "2")
    Path("g.csv").write_text(GLOSSARY + "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n", encoding="utf-8")
    assert _translate("--context", "2")["totals"]["translated"] == 1  # 博古说话 alone
    Path("in/a.md").write_text(ARTICLES["a.md"].replace("王明回国。", "王明回国了。"), encoding="utf-8")
    run = _translate("--context", "2")
    # 王明回国了, then 博古说话 and the heading 回国以后 that see it; 共产国际开会 sees neither
    assert run["totals"]["translated"] == 3


KILLER = """
import os, signal, sys
from tests.fakes import FakeEngine
calls = {"n": 0}
original = FakeEngine.translate
def dying(self, requests):
    calls["n"] += 1
    if calls["n"] > int(os.environ["DIE_AFTER"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, requests)
FakeEngine.translate = dying
from pipeline.cli import main
from tests.fakes import FAKE, write_project
sys.exit(main(sys.argv[1:]))
"""


def test_resume_after_kill_9(project):
    env = {**os.environ, "DIE_AFTER": "5", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    args = ["translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--batch-size", "1"]
    killed = subprocess.run([sys.executable, "-c", KILLER, *args], env=env, capture_output=True, text=True)
    assert killed.returncode == -9
    assert not list(Path(".").rglob("*.tmp"))  # no half-written file anywhere
    run = _translate("--batch-size", "1")
    assert run["totals"]["reused"] >= 1 and run["totals"]["translated"] + run["totals"]["reused"] == 6
    assert sorted(p.name for p in Path("outputs/a").iterdir())[0] == "a.en.md"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        atomic_write(target, "new content")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_jobs_2_gives_the_same_outputs(project):
    _translate("--no-cache")
    one = _snapshot()
    _translate("--no-cache", "--jobs", "2")
    assert _snapshot() == one


def test_run_json_counts_the_requests_of_each_locking_method(project):
    """The fake's first answer drops every term, so each segment holding 王明 is asked twice."""
    stats = _translate("--context", "0")["engine_stats"]
    # a.md: 王明回国, 博古说话, 回国以后, 共产国际开会; b.md: 张闻天写信, 王明回信 — two hold a locked term
    assert stats["by_method"] == {"prompt": 6, "constrained": 2}
