"""The review editor's state without a browser: versions and conflicts, one transaction with the
memory row, a reviewer's tags read back from the memory."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main

from pipeline.review.memory import Entry, TranslationMemory
from pipeline.stages import analyze_text
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.verdicts import foreign_tags, from_memory, own_tags_only

pytest.importorskip("starlette")

from tests.fakes import FAKE  # noqa: E402

from pipeline.serve.state import CONFIRMED, DRAFT, Conflict, ReviewState  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
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


ARTICLE = "王明回国。博古说话。\n\n共产国际开会。张闻天写信。\n\n王明与博古见面。博古回国。\n"
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n")


class _Server:
    """`zhen review serve` as a process, as a reviewer starts it."""

    def __init__(self, root: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.process = subprocess.Popen([sys.executable, "-m", "pipeline", "review", "serve", str(root / "outputs"),
                                         "--port", "0", "--tm", str(root / "tm.sqlite")], cwd=root, env=env,
                                        stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        self.address = re.search(r"http://(127\.0\.0\.1:\d+)/", line).group(1)
        self.token = re.search(r'name="zhen-token" content="([^"]+)"', self.get("/a/a")[1]).group(1)

    def get(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection(self.address, timeout=30)
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read().decode("utf-8")

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        connection = http.client.HTTPConnection(self.address, timeout=30)
        connection.request("POST", path, body=json.dumps(body), headers={
            "Content-Type": "application/json", "X-Zhen-Token": self.token, "Origin": f"http://{self.address}"})
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())


def test_a_kill_during_saves_leaves_memory_and_files_readable_and_a_restart_catches_up(tmp_path):
    pytest.importorskip("uvicorn")
    (tmp_path / "a.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    assert main(["translate", str(tmp_path / "a.md"), "--glossary", str(tmp_path / "g.csv"), "--out",
                 str(tmp_path / "outputs"), "--no-tm", "--no-cache", *FAKE]) == 0
    server = _Server(tmp_path)
    versions: dict[int, int] = {}
    stop = threading.Event()

    def confirm_in_a_loop() -> None:
        for i in range(10_000):
            if stop.is_set():
                return
            seg = i % 6
            try:
                status, data = server.post(f"/api/a/a/seg/{seg}/confirm",
                                           {"text": f"Pass {i}.", "version": versions.get(seg, 0), "force": True})
            except OSError:  # the server is gone
                return
            versions[seg] = data.get("version", versions.get(seg, 0))

    saver = threading.Thread(target=confirm_in_a_loop)
    saver.start()
    time.sleep(2.0)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    stop.set()
    saver.join(30)
    with sqlite3.connect(tmp_path / "tm.sqlite") as db:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        confirmed = dict(db.execute("SELECT seg, text FROM review_segments WHERE status = 'confirmed'"))
    assert confirmed, "no confirm went through before the kill"
    folder = tmp_path / "outputs" / "a"
    [json.loads(x) for x in (folder / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]
    json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    ET.parse(folder / "a.xlf")
    openpyxl.load_workbook(folder / "aligned.xlsx")
    again = _Server(tmp_path)  # the page's first open writes what the killed server had not
    try:
        for _ in range(100):
            status, body = again.get("/api/a/a/rendered")
            records = [json.loads(x) for x in (folder / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]
            if all(records[seg]["tgt"] == text for seg, text in confirmed.items()):
                break
            time.sleep(0.2)
        assert {seg: records[seg]["tgt"] for seg in confirmed} == confirmed
    finally:
        again.process.send_signal(signal.SIGINT)
        assert again.process.wait(30) == 0
    assert not [p for p in (tmp_path / "outputs").iterdir() if p.name.startswith(".")]  # nothing half written left


def test_low_confidence_is_a_finding_or_a_score_under_the_threshold_and_unknown_is_neither():
    from pipeline.qa.confidence import THRESHOLD
    from pipeline.serve.articles import LOW_CONFIDENCE_CHECK, confidence, low_confidence

    assert low_confidence({"qa": [], "confidence": THRESHOLD - 0.01})
    assert not low_confidence({"qa": [], "confidence": THRESHOLD})
    assert low_confidence({"qa": [{"check": LOW_CONFIDENCE_CHECK, "severity": "warning", "message": ""}]})
    assert not low_confidence({"qa": []}) and confidence({"qa": []}) is None
