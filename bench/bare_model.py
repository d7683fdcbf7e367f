"""The default model without the pipeline: the baseline the FLORES Hans–Hant gap is read against.

Each line goes to the model alone, once, greedy, with a one-line system prompt and no number
hints, verification, escalation or clean-up; the source passes through OpenCC (``--opencc``, t2s
by default) and nothing else. If the pipeline cost traditional input something, its Hans–Hant gap
would be wider than this one on the same lines.

Usage: python bench/bare_model.py [--sets hans,hant] [--first 1] [--lines 200] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.eval_table import DATA, unpack  # noqa: E402
from pipeline.evaluate.metrics import METRICS  # noqa: E402
from pipeline.translate.prompts import PLAIN_SYSTEM  # noqa: E402

FLORES = DATA / "flores200-dev"
SOURCES = {"hans": "zho_Hans.dev", "hant": "zho_Hant.dev"}


def translate(llm, line: str) -> str:
    answer = llm.create_chat_completion(
        messages=[{"role": "system", "content": PLAIN_SYSTEM}, {"role": "user", "content": line}],
        temperature=0.0, repeat_penalty=1.0, max_tokens=512, seed=0)
    return " ".join(answer["choices"][0]["message"]["content"].split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="hans,hant")
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--opencc", default="t2s")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "quality-runs" / "bare")
    args = parser.parse_args()
    unpack()
    import opencc
    from llama_cpp import Llama

    from pipeline.translate.engines.llama import resolve_gguf

    _name, path, _sha = resolve_gguf(None, log=lambda m: None)
    llm = Llama(model_path=str(path), n_ctx=2048, verbose=False, seed=0, n_threads=os.cpu_count())
    convert = opencc.OpenCC(f"{args.opencc}.json").convert
    window = slice(args.first - 1, args.first - 1 + args.lines)
    references = (FLORES / "eng_Latn.dev").read_text(encoding="utf-8").splitlines()[window]
    print("| set | lines | chrF | BLEU | s/line |\n| --- | --- | ---: | ---: | ---: |")
    for name in args.sets.split(","):
        sources = (FLORES / SOURCES[name]).read_text(encoding="utf-8").splitlines()[window]
        started = time.perf_counter()
        hyps = [translate(llm, convert(line)) for line in sources]
        seconds = (time.perf_counter() - started) / len(sources)
        chrf, bleu = (METRICS[m].score(hyps, references).value for m in ("chrf", "bleu"))
        folder = args.out / f"{name}-{args.opencc}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hyp.txt").write_text("".join(h + "\n" for h in hyps), encoding="utf-8")
        (folder / "report.json").write_text(json.dumps({"set": name, "first_line": args.first, "lines": len(hyps),
                                                        "opencc": args.opencc, "chrf": chrf, "bleu": bleu,
                                                        "seconds_per_line": seconds}, indent=1), encoding="utf-8")
        print(f"| {name} (OpenCC {args.opencc}) | {args.first}–{args.first + len(hyps) - 1} | {chrf:.2f} | {bleu:.2f} | {seconds:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
