"""The translation decision, top to bottom: what is asked, what is repaired, what is asked next.

For each source (``pipeline/translate/locking.py`` runs it):
1. Short sources (the run's names) are first asked several to a request (``Engine.lists``); a clean
   line is final, a line lacking a term or a number is the source's first answer.
2. The first answer: the engine's first method (``Policy.candidates`` answers, the best kept by
   ``SCORER.best_of``).
3. After each answer: the repairs of stage ``BEFORE_ASKING`` (``pipeline/translate/repairs.py``);
   then, where the draft left Chinese, one request for the runs the dictionary cannot render
   (``Method.LOOKUP``) and the repairs of stage ``CHINESE_LEFT``.
4. While a problem is left: the next method of the ladder (``Ladder.next_level``); its answer
   replaces the best only where it scores better (``pipeline/translate/scoring.py``).
5. When nothing more is asked: the repairs of stage ``LAST``; that verdict ships.
What the engine can do (its methods, which of them force the terms, which reword a draft, its
rescue grammar, whether it renders lists or tags) the engine declares; what is worth a request is
its ``Policy``.
"""
from __future__ import annotations

from dataclasses import dataclass

from pipeline.document import Segment, Translation
from pipeline.translate.methods import Method
from pipeline.verify import REWORDING_RULES


@dataclass(frozen=True)
class Policy:
    """What the decision spends requests on, beyond one answer a method."""

    candidates: int = 1  # first answers per sentence (one greedy, the rest sampled)
    lookups: bool = True  # ask for a run of Chinese a draft left, alone, to fill it in
    # Also for a missing term's Chinese alone, to find the words of the draft that render it. Off:
    # measured on the 12 articles it cost a tenth of the requests and locked no more terms
    # (bench/RESULTS.md, "Names several to a request"); WMT23 terminology dev places 2 more terms with it.
    term_lookups: bool = False


@dataclass(frozen=True)
class Ladder:
    """An engine's locking methods, weakest first, then its rescue methods, and when each is asked."""

    methods: tuple[Method, ...]
    own: int  # how many of ``methods`` are the engine's own (the rest: rescue only)
    forcing: tuple[Method, ...]
    reword: tuple[Method, ...]

    @classmethod
    def of(cls, engine) -> "Ladder":
        rescue = tuple(m for m in engine.rescue if m not in engine.methods)
        return cls((*engine.methods, *rescue), len(engine.methods), tuple(engine.forcing), tuple(engine.reword))

    def next_level(self, best: Translation, level: int) -> int | None:
        """The next method to ask from ``level`` on, if any.
        - A term or text problem: the next method — but not a rewording re-prompt where a forcing
          method follows (asked to force terms, that call placed 1 of 5 missing terms).
        - Only numbers wrong: only a rewording method (a re-prompt that shows the draft and what is
          wrong with it); a grammar cannot mend a year.
        - Tags alone: nothing — render places their markup (a re-prompt mended 1 of 22 such
          segments; a forcing grammar wrecks the sentence around them).
        - A rescue method only where no attempt gave any English (the model echoed the Chinese in
          every method): a grammar that admits no Chinese is the one request that ends the echo."""
        usable = self.own if best.tgt.strip() else len(self.methods)
        if best.text_problems and not _rewording_only(best):
            return next((i for i in range(level, usable) if not self._reword_before_forcing(i)), None)
        if best.text_problems:
            return next((i for i in range(level, len(self.methods)) if self.methods[i] in self.reword), None)
        return None

    def _reword_before_forcing(self, i: int) -> bool:
        method = self.methods[i]
        return method in self.reword and method not in self.forcing \
            and any(m in self.forcing for m in self.methods[i + 1:])


def _rewording_only(best: Translation) -> bool:
    """Only numbers are wrong (tags may be too): a re-prompt that shows the draft can mend them."""
    return not best.count("missing") and all(f.check in REWORDING_RULES for f in best.defects)


def notes(verdict: Translation | None, segment: Segment) -> tuple[str, ...]:
    """What the draft got wrong, for a re-prompt: each term it left out (with the Chinese it renders),
    and the problems a rewording can mend."""
    if verdict is None:
        return ()
    left_out = dict.fromkeys(f"it leaves out {segment.norm[o.match.norm_start:o.match.norm_end]} = {o.expected}: "
                             "add it where the Chinese has it" for o in verdict.outcomes if o.status == "missing")
    return (*left_out, *(f.message for f in verdict.defects if f.check in REWORDING_RULES))
