"""English-side clean-up of raw model output (sacremoses normalization and detokenization)."""
from __future__ import annotations

import re
from functools import lru_cache

from sacremoses import MosesDetokenizer, MosesPunctNormalizer

from pipeline.chinese import han_share

_LABEL = re.compile(r"^\s*(?:English(?: translation)?|Translation|Translated text)\s*[:：]\s*", re.I)
_ECHO_LABEL = re.compile(r"^\s*(?:Chinese|Source|原文|中文)\s*[:：]", re.I)
_NOTE = re.compile(r"^\s*(?:Note|Notes|Explanation)\s*[:：]", re.I)
_FENCE = re.compile(r"^```\w*\s*|\s*```$")


@lru_cache(maxsize=1)
def _moses() -> tuple[MosesPunctNormalizer, MosesDetokenizer]:
    return MosesPunctNormalizer(lang="en", pre_replace_unicode_punct=True), MosesDetokenizer(lang="en")


def _mostly_chinese(line: str) -> bool:
    return han_share(line) > 0.5


# An opening single quote (after a space, before a word): Moses' detokenizer would glue it to the
# word before ("by'Chronicle …'"), so it passes the detokenizer as a placeholder.
_OPENING_QUOTE = re.compile(r"(?:(?<=\s)|^)'(?=\w)")
_QUOTE_HELD = "\ue000"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def strip_wrappers(raw: str, source: str = "") -> str:
    """Drop labels, code fences, echoed source lines, trailing notes and control characters."""
    text = _FENCE.sub("", _CONTROL.sub("", raw).strip())
    kept = []
    for line in text.splitlines():
        if _NOTE.match(line) and kept:
            break
        if _ECHO_LABEL.match(line) or (source and source.strip() and source.strip() in line) \
                or _mostly_chinese(line):
            continue
        line = _LABEL.sub("", line).strip()
        if line:
            kept.append(line)
    text = " ".join(kept)
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'" and text.count(text[0]) == 2:
        text = text[1:-1]
    return text.strip()


def tidy(text: str) -> str:
    """Moses punctuation normalization and detokenization, single spaces, a capital first letter."""
    normalizer, detokenizer = _moses()
    text = normalizer.normalize(text)
    text = re.sub(r"([,;:!?]|[,.;:!?]\")(?=[A-Za-z])", r"\1 ", text)  # from full-width ，； etc.
    text = _OPENING_QUOTE.sub(_QUOTE_HELD, text)
    text = detokenizer.detokenize(text.split()).replace(_QUOTE_HELD, "'")
    text = re.sub(r"\s{2,}", " ", text).strip()
    first = re.search(r"[^\U000f0000-\U000f2fff]", text)  # after any leading protected inline tag
    if first and text[first.start()].islower():
        text = text[:first.start()] + text[first.start()].upper() + text[first.start() + 1:]
    return text


def clean(raw: str, source: str = "") -> str:
    return tidy(strip_wrappers(raw, source))


def restore_targets(text: str, targets: list[str]) -> str:
    """Approved renderings that clean-up itself changed ("Gao–Rao" → "Gao-Rao", curly quotes) put
    back as approved: the model wrote them right."""
    for target in sorted(set(targets), key=len, reverse=True):
        if not target or target in text:
            continue
        for changed in dict.fromkeys((_moses()[0].normalize(target).strip(), tidy(target))):
            if changed != target and changed in text:
                text = text.replace(changed, target)
                break
    return text
