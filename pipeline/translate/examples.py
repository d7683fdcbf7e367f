"""Example pairs for the prompt: the translated sentences most like the one at hand (BM25 over
character bigrams of the Chinese), from the translation memory (reviewed segments) and the
project's own example set (``pipeline/data/examples.tsv``, written for this project).
"""
from __future__ import annotations

from importlib import resources
from typing import Iterable

from pipeline.chinese import HAN

Pair = tuple[str, str]


def bigrams(text: str) -> list[str]:
    """The Chinese characters of ``text`` as overlapping pairs (single characters where alone)."""
    runs, run = [], ""
    for char in text:
        if HAN.match(char):
            run += char
        elif run:
            runs.append(run)
            run = ""
    runs += [run] if run else []
    return [r[i:i + 2] for r in runs for i in range(max(1, len(r) - 1))]


def shipped() -> list[Pair]:
    """The project's example set: ``zh⇥en`` lines; ``#`` starts a comment line."""
    text = resources.files("pipeline").joinpath("data/examples.tsv").read_text(encoding="utf-8")
    pairs = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            zh, _, en = line.partition("\t")
            pairs.append((zh.strip(), en.strip()))
    return pairs


class ExampleIndex:
    """Pairs searchable by similarity to a Chinese sentence."""

    def __init__(self, pairs: Iterable[Pair]):
        from rank_bm25 import BM25Okapi

        self.pairs = [p for p in dict.fromkeys(pairs) if p[0] and p[1] and bigrams(p[0])]
        self._grams = [set(bigrams(zh)) for zh, _en in self.pairs]
        self._bm25 = BM25Okapi([bigrams(zh) for zh, _en in self.pairs]) if self.pairs else None

    def similar(self, source: str, k: int) -> tuple[Pair, ...]:
        """Up to ``k`` pairs sharing words with ``source``, the most similar last: it stands nearest
        the sentence in the prompt. Ranked by BM25, then by the bigrams shared (BM25's weight of a
        bigram in half the pairs is nil)."""
        query = bigrams(source)
        if self._bm25 is None or not query or k <= 0:
            return ()
        scores, wanted = self._bm25.get_scores(query), set(query)
        shared = [len(wanted & grams) for grams in self._grams]
        ranked = sorted((i for i in range(len(self.pairs)) if shared[i]),
                        key=lambda i: (-scores[i], -shared[i], i))[:k]
        return tuple(self.pairs[i] for i in reversed(ranked))


def example_index(memory=None) -> ExampleIndex:
    """The shipped examples and, where a translation memory is open, its reviewed segments."""
    reviewed = [(e.norm, e.tgt) for e in memory.all()] if memory is not None else []
    return ExampleIndex([*shipped(), *reviewed])
