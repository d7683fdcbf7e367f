"""How likely a segment's English is right: one estimator, from what the run knows of the segment.

A 1.5B model makes meaning errors (the post given to the wrong man, "late April" as "4 April"); most
carry no finding. The confidence (0–1, higher = more likely right) combines the evidence a run has
for free — its findings, how the answer was reached, the sentence's length against its English's,
the dates and numbers the source holds, and the model's own token probabilities where the engine gave
them (glass-box quality estimation, Fomicheva et al. 2020) — in a logistic model fitted on blind
adequacy labels (``bench/adequacy/``, ``python bench/adequacy.py RUN LABELS … --fit``). It reads an
aligned record, so a run, `zhen review score` and the review editor compute the same number from the
same record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from pipeline.chinese import has_han
from pipeline.translate.methods import NO_MODEL, Method

# A segment under this confidence gets a `low-confidence` warning: on the labelled run of today's
# defaults (bdf665a), the most majors flagged while at most 35% of segments are (with the other
# findings' warnings and errors).
THRESHOLD = 0.59


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


def _long_english(record: dict) -> float:
    """English characters per Chinese one, in threes (a full rendering has about 2–3): English long
    for its source holds what the source does not say."""
    return len(record["tgt"]) / max(1, len(record["norm"])) / 3


def _least_probable(record: dict) -> float:
    """The surprisal of the answer's least probable token (minus its log-probability), in threes of
    nats: one word the model hesitated over is where a name, a date or a relation tends to go wrong;
    0 where the engine gave no probabilities."""
    logprob = record.get("logprob") or {}
    return -float(logprob.get("min", 0.0)) / 3


def _digits(record: dict) -> float:
    """Digits in the source, in tens: dates and numbers are the facts most often put in the wrong place."""
    return sum(c.isdigit() for c in record["norm"]) / 10


# Fitted on the blind labels of four runs of the 12 articles (bench/adequacy/labels-{4ef8083,f773608,
# 06f4f39,37a6f35}.tsv: 410 distinct sentence-and-English pairs, 153 major; `python bench/adequacy.py
# RUN LABELS [RUN LABELS …] --fit`); see bench/RESULTS.md, "Confidence and adequacy rules".
BIAS = -3.05
SIGNALS = (
    Signal("a long sentence", 0.51, _length),
    Signal("English long for the source", 0.98, _long_english),
    Signal("a word the model hesitated over", 0.53, _least_probable),
    Signal("many dates and numbers", 0.84, _digits),
    Signal("re-prompted", 0.63, lambda r: float(r.get("attempts", 1) > 1)),
    Signal("numbers differ", 0.41, _has("number-mismatch")),
    Signal("a term missing", 0.28, _has("term-missing")),
    Signal("a person named otherwise", 0.31, _has("first-person", "extra-person")),
)
# No labelled sentence had broken English (it loses to any usable answer, so ships only where every
# attempt broke): its weight is set, not fitted, to put such a sentence first.
BROKEN = Signal("broken English", 4.0, _has("degenerate-output", "empty-output", "same-as-source"))
SIGNATURE = "confidence:logistic|labels:4ef8083+f773608+06f4f39+37a6f35-410|signals:" + ",".join(s.name.replace(" ", "-") for s in SIGNALS)


def translated_by_model(record: dict) -> bool:
    return has_han(record.get("norm", "")) and record.get("method") not in (*NO_MODEL, Method.MEMORY)


def contributions(record: dict) -> list[tuple[str, float]]:
    """Each signal's share of the log-odds of a major error, largest first."""
    found = [(s.name, s.weight * s.value(record)) for s in (*SIGNALS, BROKEN)]
    return sorted((item for item in found if item[1] > 0), key=lambda item: -item[1])


def confidence(record: dict) -> float:
    """The probability that the record's English is free of major errors (1.0 where no model wrote it)."""
    if not translated_by_model(record):
        return 1.0
    log_odds = BIAS + sum(weight for _name, weight in contributions(record))
    return round(1.0 / (1.0 + math.exp(log_odds)), 3)


def is_low(value: float | None) -> bool:
    """A confidence under the threshold (an unknown one is not)."""
    return value is not None and value < THRESHOLD


def weakest(record: dict, most: int = 3) -> list[str]:
    """The signals that lower the confidence most, for the reviewer."""
    return [name for name, _weight in contributions(record)[:most]]
