"""Script detection and normalization with OpenCC, keeping a map back to the original characters."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

from pipeline.chinese import has_han, is_han

CONFIGS = ("t2s", "tw2sp", "hk2s", "none")  # none: NFC and half-width only (an ablation setting)
DEFAULT_CONFIG = "t2s"
_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for c in range(r[0], r[1] + 1)}
# Taiwan and Hong Kong punctuation as mainland text writes it, one character for one (OpenCC leaves
# it): the name dots ‧ ・ ･ (喬治‧華盛頓) and the corner quotes 「」『』 and their vertical forms.
_PUNCTUATION = str.maketrans("‧・･「」『』﹁﹂﹃﹄", "···“”‘’“”‘’")


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
    """Full-width digits and Latin letters to ASCII (１月 → 1月); Taiwan and Hong Kong name dots and
    corner quotes to the mainland forms (‧ → ·, 「」 → “”); other punctuation is left alone."""
    return text.translate(_FULLWIDTH_ALNUM).translate(_PUNCTUATION)


# Offsets are mapped piece by piece, so the cost stays linear in the text's length: a transform is
# applied to pieces cut where it cannot reach across (NFC: before a character that starts a new
# cluster; OpenCC: between Han and other characters), and only a piece whose length changed is aligned.
MAX_ALIGNED_PIECE = 2000  # longer pieces whose length changed are mapped proportionally


def _nfc_boundary(c: str) -> bool:
    return unicodedata.combining(c) == 0 and not ("\u1100" <= c <= "\u11ff" or "\ud7b0" <= c <= "\ud7ff"
                                                   or "\ua960" <= c <= "\ua97f")


def _opencc_boundary(previous: str, c: str) -> bool:
    return is_han(previous) != is_han(c)


def _pieces(text: str, cut) -> list[str]:
    """``text`` split before every index ``i`` where ``cut(text[i - 1], text[i])``."""
    pieces, start = [], 0
    for i in range(1, len(text)):
        if cut(text[i - 1], text[i]):
            pieces.append(text[start:i])
            start = i
    return pieces + [text[start:]] if text else []


def _transform(text: str, transform, cut) -> tuple[str, list[int]]:
    """``transform(text)`` and, for each of its characters, the index in ``text`` it came from."""
    whole = transform(text)
    if len(whole) == len(text):
        return whole, list(range(len(text)))
    pieces = _pieces(text, cut)
    outputs = [transform(p) for p in pieces]
    if "".join(outputs) != whole:  # the transform reached across a cut: align the whole text
        pieces, outputs = [text], [whole]
    mapping, base = [], 0
    for piece, output in zip(pieces, outputs):
        mapping += [base + i for i in _index_map(piece, output)]
        base += len(piece)
    return whole, mapping


def _changed_positions(before: str, after: str) -> int:
    if len(before) == len(after):
        return sum(a != b for a, b in zip(before, after))
    changed = 0
    for piece_before, piece_after in zip(_pieces(before, _opencc_boundary), _pieces(after, _opencc_boundary)):
        if len(piece_before) == len(piece_after) or max(len(piece_before), len(piece_after)) > MAX_ALIGNED_PIECE:
            changed += sum(a != b for a, b in zip(piece_before, piece_after)) + abs(len(piece_before) - len(piece_after))
        else:
            matcher = difflib.SequenceMatcher(None, piece_before, piece_after, autojunk=False)
            changed += sum(i2 - i1 for tag, i1, i2, _, _ in matcher.get_opcodes() if tag != "equal")
    return changed


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
    if not before:
        return [0] * len(after)
    if max(len(before), len(after)) > MAX_ALIGNED_PIECE:
        return [j * len(before) // len(after) for j in range(len(after))]
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
    """NFC, full-width → half-width alphanumerics (and mainland punctuation), then OpenCC ``config``
    (to simplified)."""
    composed, step1 = _transform(text, lambda t: _encodable(unicodedata.normalize("NFC", t)),
                                 lambda _previous, c: _nfc_boundary(c))
    if config == "none":
        converted, step2 = halfwidth(composed), list(range(len(composed)))
    else:
        convert = converter(config).convert
        converted, step2 = _transform(halfwidth(composed), convert, _opencc_boundary)
    return Normalized(converted, tuple(step1[i] for i in step2))
