from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ZHEN_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"
SEEDS = ROOT / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))
CORPUS_FILES = sorted(CORPUS.glob("*.md"))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ZHEN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set ZHEN_SLOW=1 to run the real default model")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def corpus_files() -> list[Path]:
    assert len(CORPUS_FILES) == 40, f"expected the 40 corpus articles under {CORPUS}"
    return CORPUS_FILES
