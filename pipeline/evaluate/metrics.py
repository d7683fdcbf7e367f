"""Metrics, each a small class behind one interface; every score carries a signature (sacrebleu style)."""
from __future__ import annotations

from dataclasses import dataclass

import sacrebleu

from pipeline.verify import occurrences


@dataclass(frozen=True)
class Score:
    name: str
    value: float
    signature: str
    detail: dict | None = None


class Metric:
    name = ""

    def score(self, hypotheses: list[str], references: list[str], terms: list[list[dict]] | None = None) -> Score:
        raise NotImplementedError


class _SacreMetric(Metric):
    """A sacrebleu corpus metric, with sacrebleu's own signature."""

    def make(self):
        raise NotImplementedError

    def score(self, hypotheses, references, terms=None) -> Score:
        metric = self.make()
        result = metric.corpus_score(hypotheses, [references])
        return Score(self.name, round(result.score, 2), str(metric.get_signature()))


class ChrF(_SacreMetric):
    name = "chrf"

    def make(self):
        return sacrebleu.metrics.CHRF()


def sentence_chrf(hypothesis: str, reference: str) -> float:
    """One line's chrF (the corpus metric's settings), for ranking lines."""
    return round(sacrebleu.metrics.CHRF().sentence_score(hypothesis, [reference]).score, 2)


class BLEU(_SacreMetric):
    name = "bleu"

    def make(self):
        return sacrebleu.metrics.BLEU()


def term_found(term: str, hypothesis: str) -> str | None:
    """The text in the hypothesis that renders ``term`` (case-insensitive, as the WMT task scored)."""
    starts = occurrences(hypothesis, term, ignore_case=True, whole_word=False)
    return hypothesis[starts[0]:starts[0] + len(term)] if starts else None


class TermSuccess(Metric):
    """Share of required English terms found in the output, case-insensitive (WMT 2023 terminology)."""

    name = "term_success"

    def score(self, hypotheses, references, terms=None) -> Score:
        """Terms marked ``in_source: False`` (their Chinese is not in the line: no system can lock
        them) count, as the task scored them; the detail also gives the share over the others."""
        counts = {"required": 0, "found": 0, "in_source": 0, "in_source_found": 0}
        for hypothesis, line_terms in zip(hypotheses, terms or []):
            for term in line_terms:
                hit = term_found(term["en"], hypothesis) is not None
                counts["required"] += 1
                counts["found"] += hit
                if term.get("in_source", True):
                    counts["in_source"] += 1
                    counts["in_source_found"] += hit
        value = counts["found"] / counts["required"] if counts["required"] else 0.0
        if counts["in_source"]:
            counts["in_source_success"] = round(counts["in_source_found"] / counts["in_source"], 4)
        return Score(self.name, round(value, 4), "term_success|case:insensitive|match:regex-literal", counts)


class TermConsistency(Metric):
    """Share of source terms repeated across lines that are rendered the same way every time.

    A line's rendering of a term is the text that matched its English (lower-cased), or nothing; a
    repeated source term is consistent when every line it occurs in renders it, identically.
    """

    name = "term_consistency"

    def score(self, hypotheses, references, terms=None) -> Score:
        renderings: dict[str, list[str | None]] = {}
        for hypothesis, line_terms in zip(hypotheses, terms or []):
            for term in {t["zh"]: t for t in line_terms}.values():
                found = term_found(term["en"], hypothesis)
                renderings.setdefault(term["zh"], []).append(found.lower() if found else None)
        repeated = {zh: r for zh, r in renderings.items() if len(r) >= 2}
        consistent = sum(1 for r in repeated.values() if None not in r and len(set(r)) == 1)
        value = consistent / len(repeated) if repeated else 1.0
        return Score(self.name, round(value, 4), "term_consistency|repeated:>=2-lines|case:insensitive",
                     {"repeated": len(repeated), "consistent": consistent})


METRICS: dict[str, Metric] = {m.name: m for m in (ChrF(), BLEU(), TermSuccess(), TermConsistency())}


def paired_bootstrap(references: list[str], baseline: list[str], system: list[str],
                     samples: int = 1000, seed: int = 12345) -> dict[str, float]:
    """p-values of ``system`` against ``baseline`` for chrF and BLEU: sacrebleu's paired bootstrap
    resampling (Koehn 2004), ``samples`` resamples of the lines with a fixed seed."""
    import os

    from sacrebleu.significance import PairedTest

    previous = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        test = PairedTest([("baseline", baseline), ("system", system)],
                          {"chrf": sacrebleu.metrics.CHRF(), "bleu": sacrebleu.metrics.BLEU()},
                          [references], test_type="bs", n_samples=samples)
        _signatures, scores = test()
    finally:
        if previous is None:
            os.environ.pop("SACREBLEU_SEED", None)
        else:
            os.environ["SACREBLEU_SEED"] = previous
    return {name: round(result[1].p_value, 4) for name, result in zip(("chrf", "bleu"), list(scores.values())[1:])}
