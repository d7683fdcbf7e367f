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


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    from tests.tiny_models import build_tiny_gguf
    return build_tiny_gguf(tmp_path_factory.mktemp("models") / "tiny.gguf")


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory) -> Path:
    from tests.tiny_models import build_tiny_marian
    return build_tiny_marian(tmp_path_factory.mktemp("models") / "tiny-marian")


@pytest.fixture(scope="session")
def llama_engine(tiny_gguf):
    from pipeline.translate.engines.llama import LlamaEngine
    engine = LlamaEngine(str(tiny_gguf), log=lambda m: None)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def marian_engine(tiny_marian):
    from pipeline.translate.engines.marian import MarianEngine
    return MarianEngine(str(tiny_marian), log=lambda m: None)


@pytest.fixture(autouse=True)
def _isolated_cache(request, tmp_path, monkeypatch):
    """Each test gets its own segment cache; the slow test uses the real installed model."""
    if "slow" not in request.keywords:
        monkeypatch.setenv("ZHEN_CACHE", str(tmp_path / "zhen-cache"))
