"""`zhen eval` and `zhen eval compare A B`."""
from __future__ import annotations

from pathlib import Path

from pipeline import console
from pipeline.evaluate.run import EvalOptions, load_report, run_eval, write_report

SHOWN = ("lines", "chrf", "bleu", "term_success", "term_consistency", "seconds")


def run(options: EvalOptions, out: Path | None) -> int:
    report, hypotheses = run_eval(options)
    for item in report["invalid_term_lines"]:
        console.warn(f"{options.terms}:{item['line']}: not valid JSON term list ({item['problem']}); skipped")
    console.table("eval", ["metric", "value"], [[k, report[k]] for k in SHOWN if k in report])
    for name, signature in report["signatures"].items():
        console.out.print(f"{name}: {signature}", markup=False)
    if report["invalid_term_lines"]:
        console.out.print(f"{len(report['invalid_term_lines'])} term line(s) skipped as invalid", markup=False)
    if out:
        write_report(out, report, hypotheses)
        console.out.print(f"hypotheses and report written to {out}", markup=False)
    return 0


def compare(a: Path, b: Path) -> int:
    left, right = load_report(a), load_report(b)
    rows = []
    for key in SHOWN:
        if key in left or key in right:
            lv, rv = left.get(key), right.get(key)
            delta = f"{rv - lv:+.2f}" if isinstance(lv, (int, float)) and isinstance(rv, (int, float)) else ""
            rows.append([key, lv if lv is not None else "—", rv if rv is not None else "—", delta])
    for key in ("lock", "terms", "src", "limit", "opencc"):
        lv, rv = left["settings"].get(key), right["settings"].get(key)
        rows.append([f"setting: {key}", lv, rv, "" if lv == rv else "differs"])
    lm, rm = left["settings"]["engine"].get("model"), right["settings"]["engine"].get("model")
    rows.append(["setting: model", lm, rm, "" if lm == rm else "differs"])
    console.table(f"compare  A={a}  B={b}", ["", "A", "B", "B−A"], rows)
    return 0
