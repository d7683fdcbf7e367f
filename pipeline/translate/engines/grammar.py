"""What a forced answer may be, and how long any answer may run: shared by every engine that takes
a grammar (llama.cpp in-process, an OpenAI-compatible server that accepts GBNF)."""
from __future__ import annotations

from pipeline.markup import TAG, strip_tags
from pipeline.translate.engines.base import Item, Request, in_draft_order, required
from pipeline.verify import occurrences
from pipeline.translate.methods import Method

MIN_NEW_TOKENS = 24


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Printable Latin (tags admitted, as written in the draft) but "=": a forced answer that may write it
# echoes the prompt's glossary lines ("(=Domestic faction …)", "The Soviet Union = Soviet Union").
_FREE = "[ -<>-~\\u00a0-\\u024f\\u2010-\\u2027]"
# Where a required item meets free text (a term never touches a letter or digit); {run} is the run.
_JOINTS = {"pre": "({run} edge)?", "mid": "edge ({run} edge)?", "post": "(edge {run})?", "last": "(edge {run})?",
           "fill": "[A-Za-z0-9\\u00c0-\\u024f] {run}", "body": "{run}", "tail": "{run}"}
DRAFT_SLACK = 40  # characters a run may add to the draft's run there: room for a missing term's words


def _joint(before: Item | None, after: Item | None) -> str:
    """The free text allowed between two required items (a term never touches a letter or digit)."""
    first, second = (before or ("", ""))[0], (after or ("", ""))[0]
    if first == "term":
        return "mid" if second == "term" else "post" if second else "last"
    if second == "term":
        return "pre"
    if first == "open" and second == "close":
        return "fill"
    return "body" if second else "tail"


def constrained_grammar(items: list[Item], bounds: list[int]) -> str:
    """GBNF: free Latin text (no line breaks, no Chinese) holding every required item once, in order.

    Free runs are bounded, so generation must reach each item in time: ``bounds[i]`` characters
    before item i, ``bounds[-1]`` after the last (so the sentence can end).
    """
    # Positive classes only: negated ones let letters through in llama.cpp's sampler here.
    rules = ["edge ::= [ -/:-<>-@\\[-`{-~\\u2010-\\u2027]"]
    parts = []
    for i, (before, after) in enumerate(zip([None, *items], [*items, None])):
        rules.append(f"run{i} ::= {_FREE}{{0,{bounds[i]}}}")
        parts.append(_JOINTS[_joint(before, after)].format(run=f"run{i}"))
        if after is not None:
            parts.append(_literal(after[1]))
    return "\n".join([f"root ::= {' '.join(parts)}", *rules]) + "\n"


def draft_runs(targets: list[str], draft: str) -> list[int]:
    """The draft's characters before each target (in the given order) and after the last; a target
    the draft lacks may take all of the run it is to be put into."""
    runs, end = [], 0
    for i, target in enumerate(targets):
        starts = [s for s in occurrences(draft, target) if s >= end]
        if starts:
            runs.append(starts[0] - end)
            end = starts[0] + len(target)
            continue
        following = [s for t in targets[i + 1:] for s in occurrences(draft, t) if s >= end]
        runs.append(min(following, default=len(draft)) - end)
    return runs + [len(draft) - end]


def answer_budget(request: Request, per_char: float, limit: int) -> int:
    """Tokens an answer may take: ``per_char`` a source character and some; a forced answer also its
    terms' literals, and room for every run its draft has (``forcing_grammar``); at most ``limit``."""
    budget = int(per_char * len(strip_tags(request.source))) + MIN_NEW_TOKENS
    budget += sum(len(m.group(0)) for m in TAG.finditer(request.source))
    if request.method == Method.CONSTRAINED:
        targets = dict.fromkeys(t.target for t in request.terms)
        literals = sum(map(len, targets))
        budget += literals
        if request.draft:
            budget = max(budget, len(strip_tags(request.draft)) + DRAFT_SLACK * (len(targets) + 1) + literals)
    return min(budget, limit)


def forcing_grammar(request: Request, budget: int) -> str:
    """GBNF for a forced answer within ``budget`` tokens. Free runs are bounded so that, even at one
    character a token, every term fits the budget; the last run gets what the others leave, so a long
    sentence can still end. With a draft, the terms come in its order (``in_draft_order``) and the
    budget (raised to hold the draft) is shared as the draft's runs are: the model mends its draft,
    and an even share had cut it off (the seeds' 王云程 sentence: "the P.Kang Sheng Ministry", then
    "after he had admitted"). Tags are admitted, not required: forcing them in source order wrecked
    the sentences around them (measured on the seeds: 23 of 45 segments ended with such output when
    tags were required)."""
    targets = [literal for kind, literal in required(request) if kind == "term"]
    spare = budget - sum(map(len, targets))
    free = max(4, spare // (len(targets) + 1))
    bounds = [free] * len(targets) + [max(free, spare - free * len(targets))]
    if request.draft:
        draft = strip_tags(request.draft)
        targets = in_draft_order(targets, draft)
        weights = [run + DRAFT_SLACK for run in draft_runs(targets, draft)]
        bounds = [max(4, spare * weight // sum(weights)) for weight in weights]
    return constrained_grammar([("term", t) for t in targets], bounds)
