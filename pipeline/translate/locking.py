"""Verify locked terms in an English output and audit each one."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.terms.matcher import TermMatch
from pipeline.translate.engines.base import TermPair

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class TermOutcome:
    match: TermMatch
    expected: str
    status: str                 # locked | missing
    method: str = ""
    tgt_start: int = -1
    tgt_end: int = -1
    shared: bool = False        # a repeat of the term in the source, rendered once in English

    def to_json(self, text: str) -> dict:
        out = {"id": self.match.term.key, "src": text[self.match.src_start:self.match.src_end],
               "src_start": self.match.src_start, "src_end": self.match.src_end,
               "tgt": self.expected, "tgt_start": self.tgt_start, "tgt_end": self.tgt_end,
               "status": self.status, "method": self.method, "action": self.match.term.action,
               "via": self.match.via}
        if self.shared:
            out["shared"] = True
        return out


def term_pair(match: TermMatch, norm: str) -> TermPair:
    return TermPair(norm[match.norm_start:match.norm_end], match.term.en, match.term.action)


_SENTENCE_END = tuple("。！？!?")
_ENGLISH_END = tuple(".!?\"'”’)]…")
_PARENTHETICAL = re.compile(r"\([^()]{1,60}\)")


def degenerate(output: str, source: str) -> bool:
    """Output a reviewer would reject outright, whatever its terms.

    A stuttering loop; far too long for the source; cut off mid-sentence where the source ends a
    sentence; or glossary pairs echoed as parentheticals the source does not have.
    """
    if re.search(r"(.{2,12}?)\1{3,}", output):
        return True
    if len(source) >= 4 and len(output) > 8 * len(source) + 80:
        return True
    if source.rstrip("”’」』）)").endswith(_SENTENCE_END) and output and not output.endswith(_ENGLISH_END):
        return True
    source_parens = source.count("（") + source.count("(")
    return len(_PARENTHETICAL.findall(output)) >= source_parens + 2


def occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of ``needle`` in ``text``; a capitalized first letter also counts."""
    if not needle:
        return []
    variants = {needle, needle[:1].upper() + needle[1:], needle[:1].lower() + needle[1:]}
    pattern = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    boundary_l = r"(?<![A-Za-z0-9])" if needle[:1].isalnum() else ""
    boundary_r = r"(?![A-Za-z0-9])" if needle[-1:].isalnum() else ""
    return [m.start() for m in re.finditer(f"{boundary_l}(?:{pattern}){boundary_r}", text)]


def repair_case(output: str, expected: list[str]) -> str:
    """Where an approved rendering appears with other capitalization only, restore the approved form."""
    for target in sorted(set(expected), key=len, reverse=True):
        if not target or occurrences(output, target) or not any(c.isalpha() for c in target):
            continue
        match = re.search(re.escape(target), output, re.IGNORECASE)
        if match:
            output = output[:match.start()] + target + output[match.end():]
    return output


def verify(output: str, matches: list[TermMatch], expected: list[str], method: str) -> list[TermOutcome]:
    """Give every match a span in ``output``; repeats beyond the English occurrences share the last.

    Longer renderings claim their characters first, so "Provisional Politburo" is never found
    inside "Enlarged Meeting of the Provisional Politburo".
    """
    claimed: set[int] = set()
    spans: dict[str, list[int]] = {}
    for target in sorted(set(expected), key=len, reverse=True):
        free = [s for s in occurrences(output, target) if not claimed & set(range(s, s + len(target)))]
        spans[target] = free
        for start in free:
            claimed.update(range(start, start + len(target)))
    outcomes, taken = [], {t: 0 for t in spans}
    for match, target in zip(matches, expected):
        starts = spans[target]
        if not starts:
            outcomes.append(TermOutcome(match, target, "missing", method))
            continue
        index = min(taken[target], len(starts) - 1)
        shared = taken[target] >= len(starts)
        taken[target] += 1
        outcomes.append(TermOutcome(match, target, "locked", method, starts[index],
                                    starts[index] + len(target), shared=shared))
    return outcomes


def forbidden_used(output: str, matches: list[TermMatch]) -> list[tuple[TermMatch, str]]:
    found = []
    for match in matches:
        for bad in match.term.forbidden:
            if _outside_target(output, bad, match.term.en):
                found.append((match, bad))
    return found


def _outside_target(output: str, bad: str, target: str) -> bool:
    """``bad`` occurs somewhere that is not part of an occurrence of the approved ``target``."""
    covered = set()
    for start in occurrences(output, target):
        covered.update(range(start, start + len(target)))
    return any(start not in covered for start in occurrences(output, bad))


def untranslated_chinese(output: str, outcomes: list[TermOutcome]) -> str:
    """Han characters left in the English, outside `keep` terms."""
    kept = set()
    for outcome in outcomes:
        if outcome.match.term.action == "keep" and outcome.status == "locked":
            kept.update(range(outcome.tgt_start, outcome.tgt_end))
    return "".join(c for i, c in enumerate(output) if HAN.match(c) and i not in kept)
