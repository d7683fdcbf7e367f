"""Facts about Chinese text, defined once: which code points are Han characters.

Every module that asks "is this Chinese?" uses these (the segmenter, the normalizer's script
detection, verification, clean-up, QA, glossary coverage and suggestions).
"""
from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A, Compatibility Ideographs, Extensions B–H (planes 2 and 3).
HAN_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)
HAN_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in HAN_RANGES)
HAN = re.compile(f"[{HAN_CLASS}]")
HAN_ONLY = re.compile(f"[{HAN_CLASS}]+")


def is_han(char: str) -> bool:
    return bool(HAN.match(char))


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def all_han(text: str) -> bool:
    return HAN_ONLY.fullmatch(text) is not None


def han_share(text: str) -> float:
    """Share of Han characters among the letters of ``text`` (0.0 when it has no letters)."""
    letters = [c for c in text if c.isalpha()]
    return sum(map(is_han, letters)) / len(letters) if letters else 0.0
