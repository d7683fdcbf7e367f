"""Benchmark — does zhen say which sentences may be wrong? The confidence and the findings against
blind adequacy labels.

Labels (``bench/adequacy/labels-*.tsv``: ``id`` = doc#seg, ``verdict`` ok/minor/major, ``reason``,
``english_sha`` = the first 12 hex digits of the labelled English's sha256) were given by a reader who saw
the source and the English only, never the findings or the confidence. For a run (``zhen translate …
--out RUN``) it prints the major rate, the share of segments flagged (an error or a warning,
`low-confidence` included), the share of majors flagged, and the ROC AUC of the confidence for major
against the rest. Labels whose English differs from the run's are left out (and counted).

Usage: python bench/adequacy.py RUN LABELS [RUN LABELS ...] [--rejudge] [--fit]
       python bench/adequacy.py --flores EVAL_OUT
  several runs pool their labelled sentences (a sentence with the same English in two runs counts once)
  --rejudge  judge the run's records again with today's rules and estimator (a run of older code)
  --fit      fit the estimator's weights (logistic regression) on these labels and print them, and the
             ROC AUC of weights fitted without each article in turn on that article (held out)
  --flores   the confidence against each line's chrF in a `zhen eval` run (FLORES dev: a reference,
             no labels): Spearman's rho, and the mean chrF of the lines under the threshold and above it
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.qa import confidence as estimator  # noqa: E402
from pipeline.review.score import scored  # noqa: E402


def english_sha(english: str) -> str:
    return hashlib.sha256(english.encode("utf-8")).hexdigest()[:12]


def read_labels(path: Path) -> dict[str, dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return {row["id"]: row for row in (dict(zip(header, line.split("\t"))) for line in lines[1:] if line)}


def run_records(run: Path) -> dict[str, dict]:
    records = {}
    for aligned in sorted(run.glob("*/aligned.jsonl")):
        for line in aligned.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            records[f"{record['doc']}#{record['seg']}"] = record
    return records


def auc(scores: list[float], positive: list[bool]) -> float:
    """ROC AUC: the chance a positive scores above a negative (ties count a half)."""
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def fit(records: list[dict], majors: list[bool], steps: int = 4000, rate: float = 0.3, l2: float = 0.01):
    """Logistic regression of major on the estimator's signals (batch gradient descent)."""
    rows = [[s.value(r) for s in estimator.SIGNALS] for r in records]
    bias, weights = 0.0, [0.0] * len(estimator.SIGNALS)
    for _ in range(steps):
        grad_b, grad_w = 0.0, [l2 * w for w in weights]
        for x, y in zip(rows, majors):
            p = 1 / (1 + math.exp(-(bias + sum(w * v for w, v in zip(weights, x)))))
            grad_b += (p - y) / len(rows)
            for k, v in enumerate(x):
                grad_w[k] += (p - y) * v / len(rows)
        bias -= rate * grad_b
        weights = [w - rate * g for w, g in zip(weights, grad_w)]
    return bias, weights


def _log_odds(record: dict, bias: float, weights: list[float]) -> float:
    return bias + sum(w * s.value(record) for w, s in zip(weights, estimator.SIGNALS))


def held_out_auc(records: list[dict], majors: list[bool]) -> float:
    """The AUC of log-odds from weights fitted on the other articles (an article's sentences share
    its subject and style, so a sentence's neighbours are no fair test of it)."""
    articles = sorted({r["doc"] for r in records})
    scores = [0.0] * len(records)
    for article in articles:
        train = [k for k, r in enumerate(records) if r["doc"] != article]
        bias, weights = fit([records[k] for k in train], [majors[k] for k in train], steps=1500)
        for k, record in enumerate(records):
            if record["doc"] == article:
                scores[k] = _log_odds(record, bias, weights)
    return auc(scores, majors)


def flores(out: Path) -> None:
    report = json.loads((out / "report.json" if out.is_dir() else out).read_text(encoding="utf-8"))
    lines = report["per_line"]
    low = [line["chrf"] for line in lines if estimator.is_low(line["confidence"])]
    high = [line["chrf"] for line in lines if not estimator.is_low(line["confidence"])]
    found = report["confidence"]
    print(f"lines {found['lines']}: Spearman's rho of the confidence and sentence chrF "
          f"{found['spearman_vs_sentence_chrf']} [{found['signature']}]")
    print(f"under the threshold: {len(low)} lines, mean chrF {sum(low) / max(1, len(low)):.1f}; "
          f"above: {len(high)} lines, mean chrF {sum(high) / max(1, len(high)):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", type=Path, nargs="*", metavar="RUN LABELS")
    parser.add_argument("--rejudge", action="store_true")
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--flores", type=Path, metavar="EVAL_OUT")
    args = parser.parse_args()
    if args.flores:
        return flores(args.flores)
    if not args.runs or len(args.runs) % 2:
        parser.error("give RUN LABELS (one pair or more), or --flores EVAL_OUT")
    matched, seen, count = [], set(), 0
    for run, labels_path in zip(args.runs[::2], args.runs[1::2]):
        labels, records = read_labels(labels_path), run_records(run)
        count += len(labels)
        for i, row in labels.items():
            sha = english_sha(records[i]["tgt"]) if i in records else None
            if sha is not None and sha == row.get("english_sha", sha) and (i, sha) not in seen:
                seen.add((i, sha))  # a sentence whose English two runs share counts once
                matched.append((records[i], row))
    if args.rejudge:
        from pipeline.review.score import rejudged
        from pipeline.terms.glossary import default_glossary, load_glossary
        from pipeline.terms.matcher import TermMatcher

        matcher = TermMatcher(load_glossary([default_glossary()]).terms)
        matched = [(rejudged(record, matcher), row) for record, row in matched]
    chosen = [record for record, _row in matched]
    majors = [row["verdict"] == "major" for _record, row in matched]
    results = [scored(record) for record in chosen]
    flagged = [r.flagged for r in results]
    n, m = len(chosen), sum(majors)
    print(f"labels {count}, matched to the runs' English {n} (distinct sentence and English)")
    print(f"major {m} ({m / n:.1%}); flagged {sum(flagged)} ({sum(flagged) / n:.1%}); majors flagged "
          f"{sum(f and y for f, y in zip(flagged, majors))}/{m} "
          f"({sum(f and y for f, y in zip(flagged, majors)) / max(1, m):.1%}); majors unflagged "
          f"{sum(y and not f for f, y in zip(flagged, majors)) / n:.1%} of segments")
    print(f"confidence ROC AUC (major vs rest): {auc([1 - r.confidence for r in results], majors):.3f} "
          f"[{estimator.SIGNATURE}]")
    if args.fit:
        print(f"held-out ROC AUC (fitted without each article, scored on it): {held_out_auc(chosen, majors):.3f}")
        bias, weights = fit(chosen, majors)
        print(f"BIAS = {bias:.2f}")
        for signal, weight in zip(estimator.SIGNALS, weights):
            print(f"  {signal.name}: {weight:.2f}")


if __name__ == "__main__":
    main()
