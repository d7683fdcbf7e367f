"""How likely a segment's English is right: one estimator, from what the run knows of the segment.

A 1.5B model makes meaning errors (the post given to the wrong man, "late April" as "4 April"); most
carry no finding. The confidence (0–1, higher = more likely right) combines the evidence a run has
for free — its findings, how the answer was reached, the sentence's length against its English's,
and the model's own token probabilities where the engine gave them (glass-box quality estimation,
Fomicheva et al. 2020) — in a logistic model fitted on blind adequacy labels (``bench/adequacy/``,
``python bench/adequacy.py RUN LABELS --fit``). It reads an aligned record, so a run, `zhen review
score` and the review editor compute the same number from the same record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from pipeline.chinese import has_han
from pipeline.translate.methods import NO_MODEL, Method

# A segment under this confidence gets a `low-confidence` warning (chosen on the labels with the
# findings: see bench/RESULTS.md, "Confidence").
THRESHOLD = 0.62


@dataclass(frozen=True)
class Signal:
    name: str            # what the reviewer is told ("a long sentence")
    weight: float        # its log-odds of a major error per unit
    value: Callable[[dict], float]


def _checks(record: dict) -> set[str]:
    return {f["check"] for f in record.get("qa", ())}


def _has(*names: str) -> Callable[[dict], float]:
    return lambda record: float(bool(_checks(record) & set(names)))


def _length(record: dict) -> float:
    """Chinese characters, in fifties: long sentences hold more to get wrong."""
    return len(record["norm"]) / 50


def _short(record: dict) -> float:
    """How far the English falls short of the length a full rendering has (about 2.2 English
    characters a Chinese one): a main clause left out."""
    ratio = len(record["tgt"]) / max(1, len(record["norm"]))
    return max(0.0, 1.6 - ratio)


def _lowest_token(record: dict) -> float:
    """The answer's least probable token, in nats below -1 (0 where the engine gave no probabilities)."""
    logprob = record.get("logprob") or {}
    return max(0.0, -float(logprob.get("min", 0.0)) - 1.0)


# Fitted on bench/adequacy/labels-0ebec97.tsv (210 segments, 66 major); see bench/RESULTS.md.
BIAS = -2.5
SIGNALS = (
    Signal("a long sentence", 0.9, _length),
    Signal("English short for the source", 1.2, _short),
    Signal("re-prompted", 0.6, lambda r: float(r.get("attempts", 1) > 1)),
    Signal("a term substituted", 0.3, _has("substituted")),
    Signal("Chinese filled in", 0.6, _has("filled-in")),
    Signal("a term missing", 0.8, _has("term-missing")),
    Signal("numbers differ", 0.8, _has("number-mismatch")),
    Signal("first person", 1.5, _has("first-person")),
    Signal("a person named more often", 1.2, _has("extra-person")),
    Signal("broken English", 2.0, _has("degenerate-output", "empty-output", "same-as-source")),
    Signal("length ratio", 0.7, _has("length-ratio")),
    Signal("an improbable word", 0.4, _lowest_token),
)
SIGNATURE = "confidence:logistic|labels:0ebec97-210|signals:" + ",".join(s.name.replace(" ", "-") for s in SIGNALS)


def translated_by_model(record: dict) -> bool:
    return has_han(record.get("norm", "")) and record.get("method") not in (*NO_MODEL, Method.MEMORY)


def contributions(record: dict) -> list[tuple[str, float]]:
    """Each signal's share of the log-odds of a major error, largest first."""
    found = [(s.name, s.weight * s.value(record)) for s in SIGNALS]
    return sorted((item for item in found if item[1] > 0), key=lambda item: -item[1])


def confidence(record: dict) -> float:
    """The probability that the record's English is free of major errors (1.0 where no model wrote it)."""
    if not translated_by_model(record):
        return 1.0
    log_odds = BIAS + sum(weight for _name, weight in contributions(record))
    return round(1.0 / (1.0 + math.exp(log_odds)), 3)


def weakest(record: dict, most: int = 3) -> list[str]:
    """The signals that lower the confidence most, for the reviewer."""
    return [name for name, _weight in contributions(record)[:most]]
