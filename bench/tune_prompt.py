"""Prompt and decoding choices for the default model, compared on FLORES-200 dev only.

Uses dev lines 51–80 (not the lines the README's quality table reports) and prints chrF/BLEU per
setting. Usage: python bench/tune_prompt.py [--first 51] [--count 30]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.evaluate.run import EvalOptions, run_eval  # noqa: E402
from pipeline.translate import prompts  # noqa: E402

FLORES = ROOT / "data" / "flores200-dev"
SETTINGS = {
    "expert system prompt, repeat penalty 1.0 (chosen)": {"system_prompt": prompts.SYSTEM, "repeat_penalty": 1.0},
    "plain system prompt, repeat penalty 1.0": {"system_prompt": prompts.PLAIN_SYSTEM, "repeat_penalty": 1.0},
    "expert system prompt, repeat penalty 1.1": {"system_prompt": prompts.SYSTEM, "repeat_penalty": 1.1},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--first", type=int, default=51)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in ("zho_Hans.dev", "eng_Latn.dev"):
            lines = (FLORES / name).read_text(encoding="utf-8").splitlines()[args.first - 1:args.first - 1 + args.count]
            files[name] = Path(tmp) / name
            files[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"FLORES-200 dev zho_Hans lines {args.first}–{args.first + args.count - 1}, greedy, cache off")
        print("| setting | chrF | BLEU | seconds |\n| --- | --- | --- | --- |")
        for name, options in SETTINGS.items():
            report, _ = run_eval(EvalOptions(files["zho_Hans.dev"], files["eng_Latn.dev"], engine_options=options))
            print(f"| {name} | {report['chrf']} | {report['bleu']} | {report['seconds']} |", flush=True)


if __name__ == "__main__":
    main()
