"""The real default model on a seed article. Slow (minutes): run with ZHEN_SLOW=1."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from tests.conftest import SEED_FILES


@pytest.mark.slow
def test_default_model_locks_every_term_in_a_seed(tmp_path):
    seed = SEED_FILES[1]
    assert main(["translate", str(seed), "--out", str(tmp_path), "--no-cache", "--no-tm"]) == 0
    qa = json.loads((tmp_path / seed.stem / "qa.json").read_text(encoding="utf-8"))
    assert qa["summary"]["terms_locked"] > 30 and qa["summary"]["terms_missing"] == 0
    records = [json.loads(x) for x in (tmp_path / seed.stem / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(r["tgt"] and r["tgt"].isascii() or r["script"] == "none" for r in records[:5])


@pytest.mark.slow
def test_review_score_reading_a_runs_english_back_gives_the_runs_own_confidence(tmp_path):
    """One estimator whether the English was written or read: the default model reads a run's English
    back by teacher forcing, and each segment it wrote at first asking gets the confidence the run
    gave it, within 0.02."""
    from tests.fakes import write_project

    glossary = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
                "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
                "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n")
    text = ("王明于1931年离开上海前往莫斯科，任中共驻共产国际代表团团长。"
            "博古在[王明](../Page/王明.md \"wikilink\")离开后担任中共临时中央负责人。\n\n"
            "1935年1月，遵义会议后博古不再担任总负责人。\n")
    write_project(tmp_path, {"a.md": text}, glossary)
    args = ["--glossary", str(tmp_path / "g.csv")]
    assert main(["translate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *args, "--no-tm", "--no-cache"]) == 0
    aligned = tmp_path / "out" / "a" / "aligned.jsonl"
    run = [json.loads(line) for line in aligned.read_text(encoding="utf-8").splitlines()]
    assert len(run) >= 3 and all(r.get("logprob") for r in run)
    assert main(["review", "score", str(aligned), *args, "--read-every"]) == 0
    scored = [json.loads(line) for line in (aligned.parent / "aligned.scored.jsonl").read_text(
        encoding="utf-8").splitlines()]
    # English the model wrote at first asking; a re-prompted or mended one was recorded under its last request
    first = [k for k, r in enumerate(run) if r["method"] == "prompt" and r["attempts"] == 1]
    assert len(first) >= 2
    assert [float(scored[k]["confidence"]) for k in first] == pytest.approx([run[k]["confidence"] for k in first],
                                                                             abs=0.02)
