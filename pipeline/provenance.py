"""What produced an output: versions, settings and hashes, recorded with every run (sacrebleu style)."""
from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from importlib import metadata

from pipeline import __version__

PACKAGES = ("opencc", "pyahocorasick", "sacremoses", "llama-cpp-python", "transformers", "torch",
            "sentencepiece", "openpyxl", "pandas", "sacrebleu")


def versions() -> dict[str, str | None]:
    found = {"zhen": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


# Engine settings that do not change what greedy decoding produces: kept out of the cache key and
# of the per-document files (run.json records them), so a rerun on a busier machine writes the same bytes.
VOLATILE_SETTINGS = ("threads", "concurrent", "timeout", "retries")


def stable_engine(described: dict) -> dict:
    """The engine description without its volatile settings."""
    settings = {k: v for k, v in described.get("settings", {}).items() if k not in VOLATILE_SETTINGS}
    return {**described, "settings": settings} if "settings" in described else dict(described)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def signature(engine: dict, glossary_signature: str, opencc: str, prompting: str = "") -> str:
    """A short, readable run signature: engine|model|glossary|opencc|prompt|version."""
    model_hash = (engine.get("sha256") or "none")[:12]
    prompt = f"|prompt:{prompting}" if prompting else ""
    return (f"engine:{engine.get('engine')}|model:{engine.get('model')}@{model_hash}|"
            f"glossary:{glossary_signature}|opencc:{opencc}{prompt}|zhen:{__version__}")


@dataclass(frozen=True)
class Provenance:
    """What every output records about the run that produced it (picklable, for worker processes)."""

    engine: dict
    glossary_files: tuple[tuple[str, str], ...]   # (path, sha256)
    glossary_signature: str
    opencc: str
    prompting: str = ""  # what the prompt shows beside each sentence: context=N,examples=K

    @property
    def signature(self) -> str:
        return signature(self.engine, self.glossary_signature, self.opencc, self.prompting)

    def glossary(self) -> dict:
        return {"files": [{"path": p, "sha256": h} for p, h in self.glossary_files],
                "signature": self.glossary_signature}
