from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
    engine = LlamaEngine(str(tiny_gguf), force_terms=True, log=lambda m: None)  # the whole ladder, grammar included
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tiny_gguf, tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with the tiny model, on a free local port."""
    pytest.importorskip("httpx")
    pytest.importorskip("uvicorn", reason="llama-cpp-python's [server] extra")
    port = _free_port()
    # The server's log goes to a file: an unread pipe fills after a few hundred requests and the
    # server blocks on its next log line (every later request then waits forever).
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(tiny_gguf),
                                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
                                "--model_alias", "tiny-gguf"],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    import httpx
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server did not start: {log_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the server did not answer in 120 s")
    yield url
    process.terminate()
    process.wait(timeout=30)
    log.close()
