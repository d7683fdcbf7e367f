"""The one small interface every translation engine implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class TermPair:
    """A locked term as the engine sees it: the normalized Chinese and the English it must produce."""

    zh: str
    en: str
    action: str = "translate"

    @property
    def target(self) -> str:
        """What must appear in the English: the approved English, or the Chinese itself for `keep`."""
        return self.zh if self.action == "keep" else self.en


@dataclass(frozen=True)
class Request:
    source: str                       # normalized (simplified) Chinese
    terms: tuple[TermPair, ...] = ()  # in order of first occurrence in the source
    method: str = ""                  # one of the engine's methods; "" = its first
    draft: str = ""                   # the best English so far, for methods that revise it


class Engine(ABC):
    """Translates batches of requests; ``methods`` are its term-locking methods, weakest first."""

    name: str = ""
    methods: tuple[str, ...] = ()

    @abstractmethod
    def translate(self, requests: list[Request]) -> list[str]:
        """One English string per request, in order."""

    @abstractmethod
    def describe(self) -> dict:
        """Provenance: engine, model name, file, sha256, generation settings."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def inject(source: str, terms: tuple[TermPair, ...]) -> str:
    """Source-side injection: each locked term's Chinese replaced by its English (longest first)."""
    for term in sorted(terms, key=lambda t: len(t.zh), reverse=True):
        if term.action != "keep":
            source = source.replace(term.zh, f" {term.en} ")
    return " ".join(source.split()) if any(t.action != "keep" for t in terms) else source
