"""Engine registry: ``--engine NAME`` picks one; all share the interface in ``base``."""
from __future__ import annotations

from pipeline.errors import ZhenError
from pipeline.translate.engines.base import Engine, Request, TermPair

ENGINES = ("llama", "marian")
DEFAULT_ENGINE = "llama"


def load_engine(name: str = DEFAULT_ENGINE, model: str | None = None, log=print, **options) -> Engine:
    if name == "llama":
        from pipeline.translate.engines.llama import LlamaEngine
        return LlamaEngine(model, log=log, **options)
    if name == "marian":
        from pipeline.translate.engines.marian import MarianEngine
        return MarianEngine(model, log=log, **options)
    raise ZhenError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "DEFAULT_ENGINE", "Engine", "Request", "TermPair", "load_engine"]
