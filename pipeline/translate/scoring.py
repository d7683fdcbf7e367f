"""The one scorer of candidate English: every choice between answers for a sentence goes through it.

As sacrebleu puts each metric behind one interface, a candidate's statistics (``Stats``) come from
one place and are compared in one way (``Stats``, in field order): the ladder's keep-if-better, a repair's
keep-if-better, the choice among several first answers (``best_of``) and whether a list line needs
nothing more (``finished``). ``SCORER.signature`` goes into every run's provenance.

The order, most important first, and why:
1. usable before unusable, whatever terms either holds — a reviewer adds a missing term in seconds;
   a broken sentence must be translated again;
2. of unusable ones, an empty answer last — a broken sentence still gives the reviewer words;
3. fewer term and text problems (a term missing at two places counts once);
4. of as many problems, fewer missing terms — the answer with every term;
5. fewer tag problems — render has a fallback for a tag, none for a wrong sentence.
Among several first answers equal on all of that, the one most like the others (minimum Bayes risk
with chrF as the utility, Freitag et al. 2022): what most samples agree on is least likely invented.
"""
from __future__ import annotations

from dataclasses import dataclass

from sacrebleu.metrics import CHRF

from pipeline.document import Translation

_CHRF = CHRF()


@dataclass(frozen=True, order=True)
class Stats:
    """What the scorer knows of one candidate, in the order it weighs them (lower is better)."""

    unusable: int
    empty: int
    problems: int
    missing: int
    tags: int


class Scorer:
    signature = "scorer:unusable>empty>problems>missing>tags|ties:earlier|sampled:mbr-chrf"

    @staticmethod
    def stats(verdict: Translation) -> Stats:
        missing = len({o.expected for o in verdict.outcomes if o.status == "missing"})
        return Stats(int(verdict.unusable), int(not verdict.tgt.strip()), missing + len(verdict.defects), missing,
                     len(verdict.tag_problems))

    def better(self, candidate: Translation, incumbent: Translation, *, tie_goes_to_candidate: bool = False) -> bool:
        """Whether ``candidate`` replaces ``incumbent``. A tie keeps the incumbent (the earlier
        answer, the model's own words), unless the caller says why the candidate wins one."""
        new, old = self.stats(candidate), self.stats(incumbent)
        return new < old or (tie_goes_to_candidate and new == old)

    def best_of(self, verdicts: list[Translation]) -> int:
        """The index of the answer to keep among several for one sentence: the best key, then the
        highest mean chrF against the others; ties go to the earliest (the greedy answer first)."""
        keys = [self.stats(v) for v in verdicts]
        eligible = [i for i, key in enumerate(keys) if key == min(keys)]
        texts = [v.tgt for v in verdicts]

        def agreement(i: int) -> float:
            others = [t for j, t in enumerate(texts) if j != i]
            return sum(_CHRF.sentence_score(texts[i], [other]).score for other in others) / max(1, len(others))

        return max(eligible, key=lambda i: (agreement(i), -i))

    @staticmethod
    def finished(verdict: Translation) -> bool:
        """Needs nothing more: every term locked and no problem found (empty or broken is a problem)."""
        return not verdict.problems


SCORER = Scorer()
