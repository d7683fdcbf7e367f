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


def _hypotheses(path: Path) -> list[str] | None:
    file = (path if path.is_dir() else path.parent) / "hyp.txt"
    return file.read_text(encoding="utf-8").splitlines() if file.is_file() else None


def significance(a: Path, b: Path, left: dict, right: dict) -> dict[str, float]:
    """Paired bootstrap p-values of B against A, where both runs' hypotheses are at hand and they
    translated the same lines against the same references."""
    same = all(left["settings"].get(k) == right["settings"].get(k) for k in ("ref",)) and \
        (left.get("first_line"), left["lines"]) == (right.get("first_line"), right["lines"])
    hyps_a, hyps_b = _hypotheses(a), _hypotheses(b)
    ref = Path(left["settings"].get("ref") or "")
    if not (same and hyps_a and hyps_b and ref.is_file() and len(hyps_a) == len(hyps_b)):
        return {}
    from pipeline.evaluate.metrics import paired_bootstrap
    from pipeline.evaluate.testset import read_lines

    first = left.get("first_line", 1) - 1
    references = read_lines(ref)[first:first + len(hyps_a)]
    return paired_bootstrap(references, hyps_a, hyps_b)


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
    for name, p in significance(a, b, left, right).items():
        rows.append([f"p ({name}, paired bootstrap)", "", "", p])
    console.table(f"compare  A={a}  B={b}", ["", "A", "B", "B−A"], rows)
    return 0
