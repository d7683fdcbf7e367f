"""Regenerate the README's quality table: `zhen eval` on the development data in ../shared/data/.

Unpacks the archives into the git-ignored data/ folder (never commit the text), runs each
configuration with the default engine and model, and prints a Markdown table.
Usage: python bench/eval_table.py [--limit 50] [--out bench/eval-runs]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared" / "data"


def unpack() -> None:
    for name in ("flores200-dev", "wmt23-terminology-zhen-dev"):
        if not (DATA / name).is_dir():
            with tarfile.open(SHARED / f"{name}.tar.gz") as archive:
                archive.extractall(DATA, filter="data")


def configurations(limit: int) -> list[tuple[str, list[str]]]:
    flores, wmt = DATA / "flores200-dev", DATA / "wmt23-terminology-zhen-dev"
    ref = ["--ref", str(flores / "eng_Latn.dev")]
    wmt_base = ["--src", str(wmt / "zhen.zh"), "--ref", str(wmt / "zhen.en"), "--terms", str(wmt / "zhen.term.proper")]
    return [
        ("FLORES-200 dev zho_Hans", ["--src", str(flores / "zho_Hans.dev"), *ref]),
        ("FLORES-200 dev zho_Hant", ["--src", str(flores / "zho_Hant.dev"), *ref]),
        ("WMT23 terminology dev, terms locked", wmt_base),
        ("WMT23 terminology dev, terms not locked", [*wmt_base, "--no-lock"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "eval-runs")
    args = parser.parse_args()
    unpack()
    rows = []
    for i, (name, options) in enumerate(configurations(args.limit)):
        out = args.out / f"run{i}"
        command = [sys.executable, "-m", "pipeline", "eval", *options, "--limit", str(args.limit), "--out", str(out)]
        subprocess.run(command, check=True, cwd=ROOT)
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        engine = report["settings"]["engine"]
        rows.append([engine["engine"], engine["model"], name, f"1–{report['lines']}", report["chrf"], report["bleu"],
                     report.get("term_success", "—"), report.get("term_consistency", "—"), report["seconds"]])
    print("| engine | model | test set | lines | chrF | BLEU | term success | consistency | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
