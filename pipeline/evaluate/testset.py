"""Reading parallel test sets: source and reference lines, and WMT-style term lists (JSON per line)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ZhenError
from pipeline.io import read_article


@dataclass
class TermLines:
    lines: list[list[dict]]
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line number, problem)
    cleaned: int = 0  # terms that carried an annotation left in the published data


# Entity annotations left in some published WMT 2023 term pairs: "<PER,T,2>{青梅竹马".
ANNOTATION = re.compile(r"<[A-Z]+,[A-Z],\d+>\{")


def _clean(text: str) -> str:
    return ANNOTATION.sub("", text)


def read_lines(path: Path) -> list[str]:
    text = read_article(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.rstrip("\r") for line in lines]


def read_terms_jsonl(path: Path, count: int) -> TermLines:
    """One JSON list of {"zh", "en"} per line. A bad line is reported with its number and skipped;
    annotations left in a pair (``ANNOTATION``) are removed and counted."""
    result = TermLines([])
    for number, line in enumerate(read_lines(path), start=1):
        try:
            value = json.loads(line) if line.strip() else []
            if not isinstance(value, list) or not all(isinstance(t, dict) and "zh" in t and "en" in t for t in value):
                raise ValueError("not a list of {\"zh\": …, \"en\": …} objects")
            pairs = [{"zh": _clean(str(t["zh"])), "en": _clean(str(t["en"]))} for t in value]
            result.cleaned += sum(p != {"zh": str(t["zh"]), "en": str(t["en"])} for p, t in zip(pairs, value))
            result.lines.append(pairs)
        except ValueError as exc:
            result.invalid.append((number, str(exc).splitlines()[0][:120]))
            result.lines.append([])
    if len(result.lines) < count:
        raise ZhenError(f"has {len(result.lines)} lines, the source has {count}", path=str(path))
    return result


def read_terms_csv(path: Path, sources: list[str]) -> TermLines:
    """A glossary CSV as terms: each line requires the entries whose Chinese occurs in it."""
    from pipeline.terms.glossary import load_glossary
    terms = [t for t in load_glossary([path]).terms if t.locks]
    return TermLines([[{"zh": t.zh, "en": t.en} for t in terms if t.zh in line] for line in sources])


def read_terms(path: Path, sources: list[str]) -> TermLines:
    if path.suffix.lower() in (".csv", ".tsv", ".xlsx"):
        return read_terms_csv(path, sources)
    return read_terms_jsonl(path, len(sources))

