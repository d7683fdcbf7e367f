"""The locking loop: translate sources so that every locked term appears — ask, judge, repair, ask again.

The decision it carries out is read top to bottom in ``pipeline/translate/policy.py``; candidates
are compared by ``pipeline/translate/scoring.py`` and mended by ``pipeline/translate/repairs.py``.
This is all that needs the engine, so it runs where the engine is (a worker process or a Ray actor).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from pipeline.document import Segment, Translation
from pipeline.markup import inner
from pipeline.terms.suggest import dictionary_word, name_rendering
from pipeline.translate import lists
from pipeline.translate.cleanup import strip_wrappers
from pipeline.translate.engines.base import Engine, Request, TermPair
from pipeline.translate.methods import Method
from pipeline.translate.policy import Ladder, notes
from pipeline.translate.repairs import BEFORE_ASKING, CHINESE_LEFT, LAST, chinese_runs, mended, missing_chinese
from pipeline.translate.scoring import SCORER
from pipeline.translate.substitution import as_name, worth_looking_up
from pipeline.translate.verdicts import has_chinese_left, judge, matched, tagged_source, term_pairs, unique_pairs

Examples = Callable[[Segment], tuple[TermPair, ...]]


def _tags_to_send(engine: Engine, segment: Segment) -> list:
    """The segment's inline tags, where the engine translates tags and the tagged request fits it whole."""
    tags = inner(segment.tags) if engine.markup else []
    if tags and not engine.fits(Request(tagged_source(segment), unique_pairs(term_pairs(segment)))):
        return []
    return tags


def in_lists(engine: Engine, sources: list[Segment], examples: Examples) -> dict[int, Translation]:
    """The verdict on each source's line of a list request (``pipeline/translate/lists.py``), by
    index, where the answer has its line; the rest are left to the locking loop."""
    groups = lists.chunks(len(sources))
    requests = [lists.list_request([sources[i] for i in group], term_pairs, examples) for group in groups]
    engine.requests_by_method[Method.LIST] += len(requests)
    judged = {}
    for group, answer in zip(groups, engine.translate(requests)):
        for i, line in zip(group, lists.lines_of(answer, len(group))):
            if line:
                judged[i] = judge(sources[i], line, Method.LIST)
    return judged


class Lock:
    """The loop's state for one batch of sources, by index: the best verdict so far, the ladder level
    asked last, the tags sent, the first answers collected, the Chinese a source waits to have
    rendered alone. Requests are numbered by ``owner``: request p is for source ``owner[p]``."""

    def __init__(self, engine: Engine, sources: list[Segment], examples: Examples, first_only: bool,
                 finished: Callable[[int, Translation], None]):
        self.engine, self.sources, self.examples, self.first_only = engine, sources, examples, first_only
        self.finished = finished
        self.ladder = Ladder.of(engine)
        self.candidates = max(1, engine.policy.candidates)
        self.best: dict[int, Translation] = {}
        self.levels = [0] * len(sources)
        self.sent: list[list] = []
        self.owner: list[int] = []
        self.first: dict[int, list[Translation | None]] = {}  # source → its first answers, as they come
        self.asking: dict[int, list[str]] = {}  # source → the Chinese whose rendering alone it waits for
        self.looked_up = engine.term_renderings

    def run(self, batch_size: int, checkpoint: Callable[[], None], listed: bool) -> list[Translation]:
        lined = self._listed() if listed else {}
        self.sent = [_tags_to_send(self.engine, s) for s in self.sources]
        self.owner = [i for i in range(len(self.sources)) if i not in self.best and i not in lined
                      for _k in range(self.candidates)]
        first = [replace(self._request(i), sample=p % self.candidates) for p, i in enumerate(self.owner)]
        for i, verdict in lined.items():  # repaired as any first answer; else the ladder's next method
            self.best[i], self.first[i] = verdict, [verdict] * self.candidates
            again = self._repair_or_look_up(i) or self._advance(i)
            if again is not None:
                self.owner.append(i)
                first.append(again)
        if first:
            self.engine.translate_followed(first, self._follow, batch_size, checkpoint)
        return [self.best[i] for i in range(len(self.sources))]

    def _listed(self) -> dict[int, Translation]:
        """Short sources asked several to a request: a clean line is final; a line lacking a term or a
        number is the source's first answer (returned); the rest are asked alone."""
        engine = self.engine
        if not (engine.lists and not self.first_only and len(self.sources) > 1):
            return {}
        lined = {}
        for i, verdict in in_lists(engine, self.sources, self.examples).items():
            if SCORER.finished(verdict):
                self.best[i] = verdict
                self.finished(i, verdict)
            elif not verdict.unusable and not has_chinese_left(verdict):
                lined[i] = verdict  # a name with Chinese left is asked alone: "Union zhi Nationalist"
        return lined

    def _request(self, i: int) -> Request:
        segment, method = self.sources[i], self.ladder.methods[self.levels[i]]
        source = tagged_source(segment) if self.sent[i] else segment.norm
        self.engine.requests_by_method[method] += 1
        best = self.best.get(i)
        return Request(source, unique_pairs(term_pairs(segment)), method, best.tagged if best else "",
                       self.examples(segment), notes(best, segment), segment.context, subject=segment.subject)

    def _first_answer(self, p: int, raw: str) -> Translation | None:
        """Collect source ``owner[p]``'s first answers; once all are in, the one the scorer keeps."""
        i = self.owner[p]
        answers = self.first.setdefault(i, [None] * self.candidates)
        answers[p % self.candidates] = self._judged(i, raw, self.engine.methods[0])
        if any(a is None for a in answers):
            return None
        return answers[SCORER.best_of(answers)]

    def _judged(self, i: int, raw: str, method: str, draft: str = "") -> Translation:
        """The verdict on an answer for source ``i``, with its tokens' probabilities where known."""
        verdict = judge(self.sources[i], raw, method, self.sent[i], draft, ended=self.engine.ended(raw))
        verdict.logprob = self.engine.answer_logprobs.get(raw)
        return verdict

    def _look_up(self, i: int, runs: list[str]) -> Request:
        """One request for ``runs`` (Chinese alone): a numbered line each where the engine renders lists."""
        runs = runs if self.engine.lists else runs[:1]
        self.asking[i] = runs
        self.engine.requests_by_method[Method.LOOKUP] += 1
        return Request(lists.numbered(runs) if len(runs) > 1 else runs[0], (), Method.LOOKUP)

    def _term_to_look_up(self, i: int) -> str | None:
        """A missing term's Chinese to ask alone (policy ``term_lookups``), not asked this run yet."""
        if not self.engine.policy.term_lookups:
            return None
        for outcome in self.best[i].outcomes:
            zh = matched(self.sources[i], outcome.match)
            if outcome.status == "missing" and outcome.match.term.action != "keep" and zh not in self.looked_up \
                    and worth_looking_up(zh, outcome.match.term):
                return zh
        return None

    def _repair_or_look_up(self, i: int) -> Request | None:
        """Repair the draft before asking again; ask for the Chinese it left (and a missing term's,
        by policy) alone, once a run, where its English is not known yet; once all is known, fill in."""
        segment, sent = self.sources[i], self.sent[i]
        self.best[i] = mended(BEFORE_ASKING, segment, self.best[i], sent, self.looked_up)
        if self.first_only or not self.engine.policy.lookups or self.best[i].unusable:
            return None
        term = self._term_to_look_up(i)
        if term is not None:
            return self._look_up(i, [term])
        if has_chinese_left(self.best[i]):
            terms = missing_chinese(segment, self.best[i])
            left = [zh for zh in chinese_runs(segment, self.best[i])
                    if zh not in self.looked_up and zh not in terms and not dictionary_word(zh)
                    and not name_rendering(zh)]
            if left:
                return self._look_up(i, left)
            self.best[i] = mended(CHINESE_LEFT, segment, self.best[i], sent, self.looked_up)
        return None

    def _advance(self, i: int) -> Request | None:
        """The next method's request for source ``i``, or its verdict finished."""
        following = None if self.first_only else self.ladder.next_level(self.best[i], self.levels[i] + 1)
        if following is None and not self.first_only and self.sent[i] and self.best[i].unusable:
            # Every tagged answer unusable (the model echoed the tag instructions in every method):
            # once more without tags; render places the markup.
            self.sent[i], following = [], 0
        if following is not None:
            self.levels[i] = following
            return self._request(i)
        self.best[i] = mended(LAST, self.sources[i], self.best[i], self.sent[i], self.looked_up)
        self.finished(i, self.best[i])
        return None

    def _follow(self, p: int, raw: str) -> Request | None:
        """Judge an answer; repair it; ask again with the next method while it has a problem."""
        i = self.owner[p]
        if i in self.asking:  # the model's rendering of Chinese alone
            runs = self.asking.pop(i)
            for zh, english in zip(runs, lists.lines_of(raw, len(runs)) if len(runs) > 1 else [raw]):
                self.looked_up[zh] = as_name(" ".join(strip_wrappers(english).split()))  # its own case
            return self._repair_or_look_up(i) or self._advance(i)
        level = self.levels[i]
        if self.candidates > 1 and level == 0 and None in self.first.get(i, [None]):  # not a later retry
            verdict = self._first_answer(p, raw)
            if verdict is None:
                return None
        else:
            method = self.ladder.methods[level]
            draft = self.best[i].tagged if method in self.engine.forcing and i in self.best else ""
            verdict = self._judged(i, raw, method, draft)
        if i not in self.best or SCORER.better(verdict, self.best[i]):
            self.best[i] = verdict
        self.best[i].attempts = level + 1
        return self._repair_or_look_up(i) or self._advance(i)


def lock(engine: Engine, sources: list[Segment], batch_size: int = 8,
         finished: Callable[[int, Translation], None] = lambda i, verdict: None,
         checkpoint: Callable[[], None] = lambda: None,
         examples: Examples = lambda segment: (),
         first_only: bool = False, listed: bool = False) -> list[Translation]:
    """The best verdict for each source: its weakest method first, the next while a problem is left
    (``first_only``: the first answer alone, repaired without the model — a draft). ``listed``: short
    sources (names), first asked several to a request where the engine can (``in_lists``).
    ``finished(i, verdict)`` is called as each source is done."""
    return Lock(engine, sources, examples, first_only, finished).run(batch_size, checkpoint, listed)
