"""Script detection and normalization with OpenCC, keeping a map back to the original characters."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

from pipeline.chinese import has_han

CONFIGS = ("t2s", "tw2sp", "hk2s", "none")  # none: NFC and half-width only (an ablation setting)
DEFAULT_CONFIG = "t2s"
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(text: str) -> str:
    """Lone surrogates (never in decoded files, possible through the API) as U+FFFD, one for one."""
    return _SURROGATE.sub("\ufffd", text)


@lru_cache(maxsize=None)
def converter(config: str) -> opencc.OpenCC:
    if config not in ("t2s", "tw2sp", "hk2s", "s2t"):  # "none" means: no converter at all
        raise ValueError(f"unknown OpenCC config {config!r}; choose one of {', '.join(CONFIGS)}")
    return opencc.OpenCC(config)


def halfwidth(text: str) -> str:
    """Full-width digits and Latin letters to ASCII (１月 → 1月); punctuation is left alone."""
    return text.translate(_FULLWIDTH_ALNUM)


def _changed_positions(before: str, after: str) -> int:
    if len(before) == len(after):
        return sum(a != b for a, b in zip(before, after))
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return sum(i2 - i1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal")


def detect_script(text: str) -> str:
    """``hans``, ``hant``, ``mixed`` or ``none`` (no script-specific Han characters)."""
    if not has_han(text):
        return "none"
    text = _encodable(text)
    traditional = _changed_positions(text, converter("t2s").convert(text))
    simplified = _changed_positions(text, converter("s2t").convert(text))
    if traditional and simplified:
        return "mixed"
    if traditional:
        return "hant"
    return "hans" if simplified else "none"


def _index_map(before: str, after: str) -> list[int]:
    """For each character of ``after``, the index of the character of ``before`` it came from."""
    if len(before) == len(after):
        return list(range(len(after)))
    mapping: list[int] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(j2 - j1):
            mapping.append(min(i1 + k, i2 - 1) if i2 > i1 else max(i1 - 1, 0))
    return mapping


@dataclass(frozen=True)
class Normalized:
    text: str
    source_index: tuple[int, ...]  # per normalized character: index into the input string


def normalize(text: str, config: str = DEFAULT_CONFIG) -> Normalized:
    """NFC, full-width → half-width alphanumerics, then OpenCC ``config`` (to simplified)."""
    composed = _encodable(unicodedata.normalize("NFC", text))
    step1 = _index_map(text, composed)
    converted = halfwidth(composed) if config == "none" else converter(config).convert(halfwidth(composed))
    step2 = _index_map(composed, converted)
    return Normalized(converted, tuple(step1[i] for i in step2))
