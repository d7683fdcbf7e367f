"""A rerun from the segment cache writes every output file byte for byte as the first run wrote it
(README: "unchanged files are rewritten byte for byte") — repairs and their audit included."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tests.fakes import ScriptedEngine, write_project

ARTICLE = ("中国共产党成立后，他加入中国共产党。姜雪晴是学员。1931年王明回国。毛泽东来了。\n")
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "ccp,中国共产党,,Chinese Communist Party,organization,translate,,,test,approved\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "mz,毛泽东,,Mao Zedong,person,transliterate,,,test,approved\n")
ANSWERS = {
    # substitution: CC-CEDICT's sense of the term is the draft's words
    "中国共产党成立后，他加入中国共产党。": "After the Communist Party of China was founded, he joined the "
                                           "Communist Party of China.",
    "姜雪晴是学员。": "Then 姜雪晴 was a学员.",  # Chinese left: filled in
    "1931年王明回国。": "Wang Ming returned home.",  # the year the source opens with, put back in front
    "毛泽东来了。": "He came.",  # in every method: a term-missing error
}


@pytest.fixture
def scripted():
    ScriptedEngine.answers = dict(ANSWERS)
    yield
    ScriptedEngine.answers = {}


def _run(tmp_path) -> dict[str, bytes]:
    code = main(["translate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--glossary",
                 str(tmp_path / "g.csv"), "--engine", "tests.fakes:ScriptedEngine", "--no-tm",
                 "--cache", str(tmp_path / "cache.sqlite")])
    assert code == 0
    return {str(p.relative_to(tmp_path)): p.read_bytes() for p in sorted((tmp_path / "out").rglob("*")) if p.is_file()}


def test_a_rerun_from_the_cache_writes_every_file_byte_for_byte(tmp_path, scripted):
    write_project(tmp_path, {"a.md": ARTICLE}, GLOSSARY)
    first = _run(tmp_path)
    records = [json.loads(line) for line in first["out/a/aligned.jsonl"].decode().splitlines()]
    methods = {r["norm"]: r["method"] for r in records}
    # the fixture holds each kind of decision a cache must bring back
    assert methods["中国共产党成立后，他加入中国共产党。"] == "substitute"
    assert methods["姜雪晴是学员。"] == "fill-in"
    assert next(r["tgt"] for r in records if r["norm"] == "1931年王明回国。").startswith("In 1931")
    checks = {f["check"] for r in records for f in r["qa"]}
    assert {"substituted", "filled-in", "term-missing"} <= checks
    second = _run(tmp_path)
    assert json.loads(second["out/run.json"])["documents"][0]["reused"] == 4  # all from the cache
    assert sorted(second) == sorted(first)
    # run.json is the record of each run (its times, what it reused); every other file is the same
    assert [name for name in first if first[name] != second[name]] == ["out/run.json"]


def test_a_cache_made_before_entries_kept_their_audit_still_reads(tmp_path):
    import sqlite3

    from pipeline.cache import SegmentCache

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE segments (key TEXT PRIMARY KEY, tgt TEXT NOT NULL, method TEXT NOT NULL, "
               "attempts INTEGER NOT NULL, degenerate INTEGER NOT NULL)")
    db.commit()
    db.close()
    cache = SegmentCache(path, {"engine": "fake"})
    cache.put(("a", ()), "A.", "prompt", 1, False, {"Comintern": "Communist International"})
    assert cache.get(("a", ()))["replaced"] == {"Comintern": "Communist International"}
    cache.put(("b", ()), "B.", "prompt", 1, False)
    assert cache.get(("b", ()))["replaced"] == {}
    cache.close()
