"""How an English came to be: every method name the translation decision writes, defined once.

A method travels in requests, verdicts, the cache, ``aligned.jsonl`` and the review files as its
plain value ("prompt", "fill-in"): members compare, hash, format and serialize as those strings, so
a value read back from a file or a cache is the member it was written from.
"""
from __future__ import annotations

from enum import Enum


class Method(str, Enum):
    # The model, asked for one sentence (the locking ladder, weakest first).
    PROMPT = "prompt"            # the sentence, its locked terms listed in the instructions
    INJECT = "inject"            # the terms' English put into the Chinese itself
    REVISE = "revise"            # the draft shown back with what is wrong with it
    CONSTRAINED = "constrained"  # a grammar that forces the terms (and admits no Chinese)
    # The model, asked for something else.
    LIST = "list"                # several short sources (names), a numbered line each
    LOOKUP = "lookup"            # Chinese alone (a run the draft left, a term), to fill it in
    # No further request: the draft mended by a rule.
    SUBSTITUTE = "substitute"    # the draft's words for a missing term replaced by its approved English
    FILL_IN = "fill-in"          # Chinese the draft left replaced by English for it
    # No model at all.
    TERM = "term"                # the segment is one locked term: its approved English
    COPY = "copy"                # no Chinese in the segment: its text as it is
    MEMORY = "memory"            # a reviewer's English from the translation memory

    # Plain strings in every respect, so files and caches written before the enum still read.
    __str__ = str.__str__
    __format__ = str.__format__
    __hash__ = str.__hash__


NO_MODEL = (Method.COPY, Method.TERM)  # segments that never reach an engine
SHOWS_DRAFT = (Method.REVISE, Method.CONSTRAINED)  # requests that carry the best English so far
