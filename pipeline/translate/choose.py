"""Choosing among several answers for one sentence: verified first, then consensus.

Minimum Bayes risk decoding (Freitag et al. 2022) with chrF as the utility: among the candidates
with the fewest problems (missing terms, defects, tags), keep the one most like all the others —
what most samples agree on is least likely to be a model's invention.
"""
from __future__ import annotations

from sacrebleu.metrics import CHRF

from pipeline.document import Translation

_CHRF = CHRF()


def consensus(verdicts: list[Translation]) -> int:
    """The index of the verdict to keep: the lowest ``rank``, then the highest mean chrF against
    every other candidate; ties go to the earliest (the greedy answer comes first)."""
    best_rank = min(v.rank for v in verdicts)
    texts = [v.tgt for v in verdicts]

    def utility(i: int) -> float:
        others = [t for j, t in enumerate(texts) if j != i]
        return sum(_CHRF.sentence_score(texts[i], [other]).score for other in others) / max(1, len(others))

    eligible = [i for i, v in enumerate(verdicts) if v.rank == best_rank]
    return max(eligible, key=lambda i: (utility(i), -i))
