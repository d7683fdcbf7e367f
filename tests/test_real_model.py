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
