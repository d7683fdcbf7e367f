"""Short sources — the run's names the term base lacks — rendered several to a request, a numbered
line each: one request for ``LIST_SIZE`` names, not one each (55 requests and 74 s of a 12-article
run, each re-reading its prompt). A line is judged like any answer, its approved parts locked; a
line lacking a term or a number is its name's first answer (repaired, else asked with the ladder's
next method); a name whose line is missing, empty, broken or has Chinese left goes alone through the
locking loop."""
from __future__ import annotations

import re
from typing import Callable, Sequence

from pipeline.document import Segment
from pipeline.translate.engines.base import Request, TermPair
from pipeline.translate.methods import Method

LIST_SIZE = 10
_NUMBERED = re.compile(r"^\s*(\d+)\s*[.)、:：]\s*(.*?)\s*$")


def numbered(sources: Sequence[str]) -> str:
    return "\n".join(f"{k}. {source}" for k, source in enumerate(sources, 1))


def lines_of(answer: str, count: int) -> list[str]:
    """The English of each of ``count`` numbered lines; "" for a number the answer lacks or gives twice."""
    found: dict[int, list[str]] = {}
    for line in answer.splitlines():
        m = _NUMBERED.match(line)
        if m:
            found.setdefault(int(m.group(1)), []).append(m.group(2))
    return [found[k][0] if len(found.get(k, ())) == 1 else "" for k in range(1, count + 1)]


def list_request(segments: Sequence[Segment], terms: Callable[[Segment], tuple[TermPair, ...]],
                 examples: Callable[[Segment], tuple[TermPair, ...]]) -> Request:
    """One request for ``segments``: their normalized text numbered, the locked terms and the
    examples of them all (each once)."""
    pairs = tuple(dict.fromkeys(p for s in segments for p in terms(s)))
    shown = tuple(dict.fromkeys(p for s in segments for p in examples(s)))
    return Request(numbered([s.norm for s in segments]), pairs, Method.LIST, examples=shown)


def chunks(count: int, size: int = LIST_SIZE) -> list[range]:
    """``count`` items in lists of at most ``size``, as even as that allows."""
    lists = -(-count // size)
    return [range(count * k // lists, count * (k + 1) // lists) for k in range(lists)] if count else []
