"""A deterministic fake engine for tests that are not about an engine (cache, batch, runner, QA).

It answers instantly and predictably: the locked English in order, then a fixed sentence. Its
first method drops every term and inline tag, so the locking loop's escalation is exercised; the
second keeps them: each tag of the source around the English of the terms it wraps (or "it"), in
source order. ``--engine tests.fakes:FakeEngine`` uses it from the command line.
"""
from __future__ import annotations

import os
import time

from pipeline.markup import TAG
from pipeline.translate.engines.base import Engine, Request, required
from pipeline.translate.policy import Policy


class FakeEngine(Engine):
    name = "fake"
    methods = ("prompt", "constrained")
    markup = True
    reword = ("constrained",)  # not a grammar here: the fake's re-prompt method
    policy = Policy(lookups=False)  # its answer for a term alone would be "It was said."
    calls: list[Request] = []  # every request any instance saw (tests reset it)

    def __init__(self, model: str | None = None, *, log=print, **settings):
        self.model = model or "fake-1"
        self.settings = {"variant": os.environ.get("ZHEN_FAKE_VARIANT", "")} | settings

    def english(self, request: Request) -> str:
        if request.method == self.methods[0] and request.terms:
            return "It was said."  # drops the terms (and tags): the loop must escalate
        if TAG.search(request.source):
            return self.tagged(request) + self.settings["variant"]
        terms = ", ".join(dict.fromkeys(t.target for t in request.terms))
        sentence = f"{terms} said it." if terms else "It was said."
        return sentence[:1].upper() + sentence[1:] + self.settings["variant"]

    @staticmethod
    def tagged(request: Request) -> str:
        """The source's tags and terms in source order, the text between them dropped."""
        words, previous = [], ""
        for kind, literal in required(request):
            if kind == "close" and previous == "open":
                words.append("it")
            words.append(literal if kind != "term" else f" {literal} ")
            previous = kind
        return ("It says " + "".join(words) + ".").replace("  ", " ").replace(" .", ".")

    def translate(self, requests: list[Request]) -> list[str]:
        FakeEngine.calls.extend(requests)
        time.sleep(float(os.environ.get("ZHEN_FAKE_DELAY", "0")) * len(requests))  # a slow model, for signal tests
        return [self.english(r) for r in requests]

    def describe(self) -> dict:
        return {"engine": self.name, "model": self.model, "file": "", "sha256": "0" * 64,
                "settings": self.settings, "methods": list(self.methods)}


class ScriptedEngine(FakeEngine):
    """Answers from a dict source → English (per method with ``(source, method)`` keys)."""

    name = "scripted"
    answers: dict = {}

    def english(self, request: Request) -> str:
        for key in ((request.source, request.method), request.source):
            if key in self.answers:
                return self.answers[key]
        return super().english(request)


class ListingEngine(ScriptedEngine):
    """A scripted engine that also answers a numbered list of names a line each
    (``pipeline/translate/lists.py``): a name's line is its ``(name, "list")`` answer, else its
    answer alone; "" leaves the line out."""

    name = "listing"
    lists = True

    def english(self, request: Request) -> str:
        from pipeline.translate.lists import lines_of
        from pipeline.translate.methods import Method

        if request.method != Method.LIST:
            return super().english(request)
        names = lines_of(request.source, len(request.source.splitlines()))
        answers = [self.answers.get((name, Method.LIST), self.answers.get(name, "It")) for name in names]
        return "\n".join(f"{k}. {english}" for k, english in enumerate(answers, 1) if english)


FAKE = ("--engine", "tests.fakes:FakeEngine")  # command-line arguments that pick the fake engine


class CrashOnceEngine(FakeEngine):
    """Kills its own process the first time it is asked (a Ray actor dying mid-batch); the file named
    by ZHEN_CRASH_MARKER records that it did."""

    def translate(self, requests: list[Request]) -> list[str]:
        marker = os.environ.get("ZHEN_CRASH_MARKER", "")
        if marker and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return super().translate(requests)


def write_project(folder, articles: dict[str, str], glossary: str) -> None:
    """Articles under ``folder/in`` and the term base ``folder/g.csv``, as the run tests use them."""
    from pathlib import Path

    (Path(folder) / "in").mkdir()
    for name, text in articles.items():
        (Path(folder) / "in" / name).write_text(text, encoding="utf-8")
    (Path(folder) / "g.csv").write_text(glossary, encoding="utf-8")
