"""Engine registry: ``--engine NAME`` picks one; all share the interface in ``base``.

A built-in name (``llama``, ``marian``, ``openai``) or ``package.module:Class`` for an engine of your own: a new
engine is one module with a class implementing ``Engine``.
"""
from __future__ import annotations

import importlib
import inspect

from pipeline.errors import UsageError, ZhenError
from pipeline.translate.engines.base import Engine, Request, TermPair

BUILTIN = {"llama": "pipeline.translate.engines.llama:LlamaEngine",
           "marian": "pipeline.translate.engines.marian:MarianEngine",
           "openai": "pipeline.translate.engines.openai:OpenAIEngine"}
ENGINES = tuple(BUILTIN)
DEFAULT_ENGINE = "llama"


def engine_class(name: str) -> type[Engine]:
    spec = BUILTIN.get(name, name)
    module_name, sep, class_name = spec.partition(":")
    if not sep:
        raise UsageError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)} or give module:Class")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ZhenError(f"engine {name!r} cannot be loaded: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise ZhenError(f"engine {name!r} is not an Engine class")
    return cls


def load_engine(name: str = DEFAULT_ENGINE, model: str | None = None, log=print, **options) -> Engine:
    cls = engine_class(name)
    accepted = inspect.signature(cls.__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        unknown = [key for key in options if key not in accepted]
        if unknown:
            raise UsageError(f"the {name} engine has no setting {', '.join(unknown)}")
    return cls(model, log=log, **options)


__all__ = ["ENGINES", "DEFAULT_ENGINE", "Engine", "Request", "TermPair", "engine_class", "load_engine"]
