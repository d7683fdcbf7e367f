"""Quality of the prompt's levers on development data: `zhen eval` per test set and configuration.

Test sets (unpacked from ../shared/data into the git-ignored data/ folder, never committed):
FLORES-200 dev zho_Hans, zho_Hant, and the same Hans lines converted with OpenCC s2twp and s2hk
(script alone, wording unchanged); WMT23 terminology dev with its proper-noun terms locked.
Configurations add one lever at a time to the plain prompt; `+tm` ones retrieve their examples
from a translation memory of the set's lines after those reported (built under data/derived). A run's folder is kept and reused
(`--again` redoes it); a folder `RUNS/<set>/today` made by an earlier commit is the baseline
that p-values (sacrebleu paired bootstrap, 1,000 resamples) are computed against.

Usage: python bench/quality.py [--sets hans,hant,s2twp,s2hk,wmt] [--configs prompt,context,...]
       [--first 1] [--lines 200] [--parallel 8] [--runs bench/quality-runs]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_table import DATA, ROOT, unpack  # noqa: E402
from pipeline.chinese import has_han  # noqa: E402
from pipeline.evaluate.metrics import paired_bootstrap  # noqa: E402

FLORES, WMT = DATA / "flores200-dev", DATA / "wmt23-terminology-zhen-dev"
CONFIGS = {  # each names every lever, so a change of the defaults does not change what a row means
    "prompt": ["--context", "0", "--examples", "0"],
    "prompt+hints": ["--context", "0", "--examples", "0"],  # the same, run after the number hints landed
    "context": ["--context", "2", "--examples", "0"],
    "context1": ["--context", "1", "--examples", "0"],
    "examples": ["--context", "0", "--examples", "2"],
    "default": [],  # whatever pipeline/ chose
    "force-terms": ["--force-terms"],  # the defaults, and the forcing grammar at the end of the ladder
    "context+examples": ["--context", "2", "--examples", "2"],
    "candidates": ["--context", "0", "--examples", "0", "--candidates", "4"],
    "context+candidates": ["--context", "2", "--examples", "0", "--candidates", "4"],
    # examples retrieved from a translation memory of the set's held-out lines (after those reported)
    "examples+tm": ["--context", "0", "--examples", "2", "--tm", "{memory}"],
    "context+examples+tm": ["--context", "2", "--examples", "2", "--tm", "{memory}"],
    "context+examples4+tm": ["--context", "2", "--examples", "4", "--tm", "{memory}"],
}


def converted(config: str) -> Path:
    """The Hans lines converted to traditional script with OpenCC ``config`` (s2twp, s2hk)."""
    import opencc

    path = DATA / "derived" / f"zho_Hans.{config}.dev"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = (FLORES / "zho_Hans.dev").read_text(encoding="utf-8").splitlines()
        converter = opencc.OpenCC(f"{config}.json" if not config.endswith(".json") else config)
        path.write_text("".join(converter.convert(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_set(name: str) -> list[str]:
    ref = ["--ref", str(FLORES / "eng_Latn.dev")]
    if name == "hans":
        return ["--src", str(FLORES / "zho_Hans.dev"), *ref]
    if name == "hant":
        return ["--src", str(FLORES / "zho_Hant.dev"), *ref]
    if name == "hant-tw2sp":  # Taiwan phrases to mainland ones (軟體 → 软件) as well as the script
        return ["--src", str(FLORES / "zho_Hant.dev"), *ref, "--opencc", "tw2sp"]
    if name in ("s2twp", "s2hk"):
        return ["--src", str(converted(name)), *ref]
    if name == "wmt":
        return ["--src", str(WMT / "zhen.zh"), "--ref", str(WMT / "zhen.en"), "--terms", str(WMT / "zhen.term.proper")]
    raise SystemExit(f"unknown test set {name!r}: hans, hant, hant-tw2sp, s2twp, s2hk, wmt")


def held_out_memory(name: str, options: list[str], after: int) -> Path:
    """A translation memory holding the set's lines after line ``after`` as reviewed pairs: the
    in-domain memory a user who has translated such text has, never a line that is reported."""
    from pipeline.normalize import normalize
    from pipeline.review.memory import Entry, TranslationMemory

    path = DATA / "derived" / f"{name}.memory-after-{after}.sqlite"
    if not path.exists():
        src, ref = (lines(Path(options[options.index(flag) + 1])) for flag in ("--src", "--ref"))
        entries = [Entry(normalize(zh).text, zh, en, "approve", f"{name}#{n}", "bench", str(path))
                   for n, (zh, en) in enumerate(zip(src, ref), start=1) if n > after and zh and en]
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        with TranslationMemory(partial) as memory:
            memory.apply(entries, [])
        partial.rename(path)
    return path


def run(out: Path, options: list[str], again: bool) -> dict:
    if again or not (out / "report.json").exists():
        command = [sys.executable, "-m", "pipeline", "eval", *options, "--no-cache", "--out", str(out)]
        print("$", " ".join(command[1:]), file=sys.stderr, flush=True)
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        print(f"  {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def row(name: str, config: str, folder: Path, baseline: Path | None, references: list[str]) -> list[str]:
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    hyps = lines(folder / "hyp.txt")
    p = paired_bootstrap(references, lines(baseline / "hyp.txt"), hyps) if baseline and baseline != folder else {}
    return [name, config, f"{report['first_line']}–{report['last_line']}", f"{report['chrf']:.2f}",
            f"{report['bleu']:.2f}", str(report.get("term_success", "—")),
            f"{report['seconds'] / max(1, report['lines']):.2f}", str(sum(map(has_han, hyps))),
            str(p.get("chrf", "—")), str(p.get("bleu", "—"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="hans,hant,s2twp,s2hk,wmt")
    parser.add_argument("--configs", default="prompt,context,examples,context+examples")
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--runs", type=Path, default=ROOT / "bench" / "quality-runs")
    parser.add_argument("--again", action="store_true", help="redo runs whose folder exists")
    args = parser.parse_args()
    unpack()
    table = []
    for name in args.sets.split(","):
        options = [*test_set(name), "--first", str(args.first), "--limit", str(args.lines),
                   "--parallel", str(args.parallel)]
        ref = options[options.index("--ref") + 1]
        references = lines(Path(ref))[args.first - 1:args.first - 1 + args.lines]
        baseline = args.runs / name / "today"
        baseline = baseline if (baseline / "hyp.txt").exists() else None
        if baseline:
            table.append(row(name, "today (earlier commit)", baseline, None, references))
        for config in args.configs.split(","):
            folder = args.runs / name / config
            settings = CONFIGS[config]
            if "{memory}" in settings:
                memory = str(held_out_memory(name, options, args.first - 1 + args.lines))
                settings = [memory if s == "{memory}" else s for s in settings]
            run(folder, [*options, *settings], args.again)
            table.append(row(name, config, folder, baseline, references))
    print("| set | configuration | lines | chrF | BLEU | term success | s/line | lines with Chinese | p chrF | p BLEU |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for cells in table:
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
