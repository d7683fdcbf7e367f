"""The one small interface every translation engine implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from pipeline.markup import TAG, strip_tags
from pipeline.translate.methods import Method
from pipeline.translate.policy import Policy
from pipeline.verify import occurrences


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
    examples: tuple[TermPair, ...] = ()  # approved renderings of related names, a pattern to follow
    notes: tuple[str, ...] = ()       # what is wrong with the draft that its terms do not say (a year added …)
    context: tuple[tuple[str, str], ...] = ()  # (Chinese, English) pairs shown before it: similar examples,
                                               # then the sentences before it in its document
    sample: int = 0                   # 0: greedy; k > 0: the k-th sampled candidate (its own seed)
    subject: str = ""                 # whom the article is about (a biography's subject), in English


class Engine(ABC):
    """Translates batches of requests; ``methods`` are its term-locking methods, weakest first.

    An engine with a context limit implements ``fits``; ``translate_fitted`` then sends a request
    too long for it in consecutive parts cut at clause boundaries, and joins their English.
    """

    name: str = ""
    methods: tuple[str, ...] = ()
    batch_size: int = 8  # requests worth handing over at once
    markup: bool = False  # translates inline tags (<a1>…</a1>, <f1/>) in the source; else render places the markup
    forcing: tuple[str, ...] = ()  # methods that force terms into the output (a grammar): for missing terms only
    reword: tuple[str, ...] = ()    # methods worth a try when only numbers came out wrong
    policy: Policy = Policy()       # what the decision spends requests on (``pipeline/translate/policy.py``)
    lists: bool = False             # renders a numbered list of short names a line each (``pipeline/translate/lists.py``)
    rescue: tuple[str, ...] = ()    # methods asked only when no attempt gave any English (the model
                                    # echoed the Chinese): a grammar that admits no Chinese
    tells_budget_cuts: bool = False  # the engine records the answers its token budget stopped

    def _run_state(self, name: str, empty):
        """What the engine learns during a run, kept on the instance (subclasses need not call
        ``__init__`` for it): made ``empty()`` the first time it is asked for."""
        if name not in self.__dict__:  # asked for on every request and answer: made once
            self.__dict__[name] = empty()
        return self.__dict__[name]

    @property
    def term_renderings(self) -> dict[str, str]:
        """The engine's own English for Chinese alone, asked once a run (``Method.LOOKUP``)."""
        return self._run_state("_term_renderings", dict)

    @property
    def budget_cut(self) -> set[str]:
        """Answers the engine stopped at their token budget (the model had not ended them)."""
        return self._run_state("_budget_cut", set)

    def ended(self, answer: str) -> bool:
        """Whether the model ended ``answer`` itself, so a missing final stop is punctuation and not
        a cut (``verify.closed``). False where the engine cannot tell (this default)."""
        return self.tells_budget_cuts and answer not in self.budget_cut

    def answered(self, answer: str, cut: bool, logprobs: list[float] | None = None) -> str:
        """``answer``, recorded as stopped by its token budget where ``cut``, with the summary of
        its tokens' log-probabilities where the engine has them."""
        if cut:
            self.budget_cut.add(answer)
        if logprobs:
            self.answer_logprobs[answer] = token_summary(logprobs)
        return answer

    @property
    def answer_logprobs(self) -> dict[str, dict]:
        """Answers → their tokens' log-probabilities summarized (``token_summary``), where known."""
        return self._run_state("_answer_logprobs", dict)

    @property
    def requests_by_method(self) -> Counter:
        """How many requests the locking loop sent, by method, this run."""
        return self._run_state("_requests_by_method", Counter)

    @abstractmethod
    def translate(self, requests: list[Request]) -> list[str]:
        """One English string per request, in order."""

    def fits(self, request: Request) -> bool:
        return True

    def forced_logprobs(self, requests: list[Request], answers: list[str]) -> list[dict | None]:
        """Teacher forcing: each given answer's tokens' log-probabilities (``token_summary``) as the
        model would have written it for its request — for English this run did not generate (``zhen
        review score``). None where the engine cannot tell (this default)."""
        return [None] * len(requests)

    def translate_followed(self, requests: list[Request], follow: Callable[[int, str], Request | None],
                           batch_size: int = 8, checkpoint: Callable[[], None] = lambda: None) -> None:
        """Translate ``requests``; each English goes to ``follow(i, english)``, which may return a
        further request for item ``i`` (the next locking method) to be translated in turn.

        This default sends batches of ``batch_size`` in order, follow-ups after what is already
        waiting, and calls ``checkpoint`` after each batch. An engine that decodes continuously
        overrides it to start a follow-up as soon as its item's answer is judged.
        """
        queue = list(enumerate(requests))
        while queue:
            batch, queue = queue[:batch_size], queue[batch_size:]
            for (i, _request), english in zip(batch, self.translate([r for _i, r in batch])):
                again = follow(i, english)
                if again is not None:
                    queue.append((i, again))
            checkpoint()

    def translate_fitted(self, requests: list[Request], translate_parts) -> list[str]:
        parts, owners = [], []
        for i, request in enumerate(requests):
            pieces = [request] if self.fits(request) else split_to_fit(request, self.fits)
            parts += pieces
            owners += [i] * len(pieces)
        joined: list[list[str]] = [[] for _ in requests]
        cut: set[int] = set()
        for owner, text in zip(owners, translate_parts(parts)):
            joined[owner].append(text.strip())
            if text in self.budget_cut:
                cut.add(owner)
        answers = [" ".join(t for t in texts if t) for texts in joined]
        self.budget_cut.update(answers[i] for i in cut)  # one part cut: the joined answer is
        return answers

    @abstractmethod
    def describe(self) -> dict:
        """Provenance: engine, model name, file, sha256, generation settings."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass


def token_summary(logprobs: list[float]) -> dict:
    """What a verdict keeps of an answer's token log-probabilities: the least probable token (the
    strongest single signal of an error), the mean, and how many tokens."""
    return {"min": round(min(logprobs), 3), "mean": round(sum(logprobs) / len(logprobs), 3), "tokens": len(logprobs)}


def inject(source: str, terms: tuple[TermPair, ...]) -> str:
    """Source-side injection: each locked term's Chinese replaced by its English (longest first)."""
    for term in sorted(terms, key=lambda t: len(t.zh), reverse=True):
        if term.action != "keep":
            source = source.replace(term.zh, f" {term.en} ")
    return " ".join(source.split()) if any(t.action != "keep" for t in terms) else source


Item = tuple[str, str]  # ("term", the English) or ("open" | "close" | "point", the tag)
_RANK = {"close": 0, "point": 1, "open": 2, "term": 3}  # at one place: close, then mark, then open


def required(request: Request) -> list[Item]:
    """What a constrained answer must hold, in source order: every locked term's target and every
    inline tag. A tag inside a term's Chinese is left out (the term's English cannot be split)."""
    plain, tags, pos = [], [], 0
    for m in TAG.finditer(request.source):
        plain.append(request.source[pos:m.start()])
        role = "close" if m.group(1) else "point" if m.group(4) else "open"
        tags.append((sum(map(len, plain)), role, m.group(0)))
        pos = m.end()
    text = "".join(plain) + request.source[pos:]
    placed, terms, at = [], [], 0
    for term in dict.fromkeys(request.terms):
        found = text.find(term.zh)
        at = found if found >= 0 else at
        terms.append((at, "term", term.target))
        if found >= 0:
            placed.append((found, found + len(term.zh)))
    tags = [t for t in tags if not any(lo < t[0] < hi for lo, hi in placed)]
    items = sorted(tags + terms, key=lambda item: (item[0], _RANK[item[1]]))
    return [(kind, literal) for _at, kind, literal in dict.fromkeys(items)]


def in_draft_order(targets: list[str], draft: str) -> list[str]:
    """``targets`` (in source order) ordered as the draft has them; one the draft lacks goes after the
    target before it in the source. A grammar that forces the terms in source order wrecked sentences
    whose English orders its names otherwise (the seeds' 王云程 sentence: "the P.Kang Sheng Ministry")."""
    at = {t: (occurrences(draft, t) or [-1])[0] for t in targets}
    ordered = sorted((t for t in targets if at[t] >= 0), key=at.__getitem__)
    for i, target in enumerate(targets):
        if at[target] < 0:
            before = next((t for t in reversed(targets[:i]) if t in ordered), None)
            ordered.insert(ordered.index(before) + 1 if before else 0, target)
    return ordered


CLAUSE_ENDS = "。！？；：，、!?;:,"


def clauses(text: str) -> list[str]:
    """``text`` cut after each clause or sentence mark (the marks stay with their clause)."""
    pieces, start = [], 0
    for i, char in enumerate(text):
        if char in CLAUSE_ENDS:
            pieces.append(text[start:i + 1])
            start = i + 1
    return pieces + ([text[start:]] if start < len(text) else [])


def part_of(request: Request, source: str) -> Request:
    """A request for part of the source: the terms that occur in it; a revision starts afresh."""
    method = Method.INJECT if request.method == Method.REVISE else request.method
    return Request(source, tuple(t for t in request.terms if t.zh in source), method)


def split_to_fit(request: Request, fits) -> list[Request]:
    """Consecutive parts of the request's source, as long as ``fits`` allows, cut at clause marks
    where possible and inside a clause only where one clause alone is too long. Inline tags are
    left out (a cut could fall inside a pair); render places their markup."""
    request = Request(strip_tags(request.source), request.terms, request.method, strip_tags(request.draft))
    parts: list[str] = []
    for clause in clauses(request.source):
        if parts and fits(part_of(request, parts[-1] + clause)):
            parts[-1] += clause
        elif fits(part_of(request, clause)):
            parts.append(clause)
        else:
            parts += _halves(request, clause, fits)
    return [part_of(request, p) for p in parts]


def _halves(request: Request, text: str, fits) -> list[str]:
    if len(text) <= 1 or fits(part_of(request, text)):
        return [text]
    middle = len(text) // 2
    return _halves(request, text[:middle], fits) + _halves(request, text[middle:], fits)
