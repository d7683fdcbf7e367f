"""Benchmark — readable, faithful English: what a reader of a run's English meets, in one table.

For one or more finished runs (``zhen translate … --out OUT``, any code version) it counts, over the
segments a model translated (Chinese in the source):
- broken: the shipped English a reader would reject (``pipeline.verify.broken`` applied to every
  run alike, so runs of older code are judged by today's rule), and `degenerate-output` findings;
- invented years (``facts.invented_years``, the document's year resolved as in a run) and segments
  that drop a year the source states;
- forced answers kept (method ``constrained``), substitutions, locked terms present;
- model calls and seconds per segment (``run.json``: the engine's request counter, the translation time).
Then the worst sentences: every broken one, then those inventing a year, then those dropping one.
Usage: python bench/faithful.py OUT [OUT ...]   (one column per run)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.chinese import has_han  # noqa: E402
from pipeline.facts import english_values, invented_years, last_year, stated_years  # noqa: E402
from pipeline.verify import broken  # noqa: E402


def records(out: Path) -> list[dict]:
    found = []
    for aligned in sorted(out.glob("*/aligned.jsonl")):
        found += [json.loads(line) for line in aligned.read_text(encoding="utf-8").splitlines() if line]
    return found


def judged(rows: list[dict]) -> list[dict]:
    """Each translated segment with what a reader meets in it."""
    out, year, doc = [], None, None
    for r in rows:
        if r["doc"] != doc:
            year, doc = None, r["doc"]
        if has_han(r["norm"]) and r["method"] != "copy":
            terms = tuple(t.get("approved", t["tgt"]) for t in r["terms"])
            dropped = sorted(y for y in stated_years(r["norm"]) if float(y) not in english_values(r["tgt"]))
            out.append({**r, "broken": broken(r["tgt"], r["norm"], terms),
                        "flagged": any(f["check"] == "degenerate-output" for f in r["qa"]),
                        "invented": invented_years(r["tgt"], r["norm"], year), "dropped": dropped})
        year = last_year(r["norm"], year)
    return out


def run_figures(out: Path) -> dict:
    segments = judged(records(out))
    run = json.loads((out / "run.json").read_text(encoding="utf-8")) if (out / "run.json").exists() else {}
    stats = run.get("engine_stats") or run.get("engine_stats_driver") or {}
    n = max(1, len(segments))
    terms = [t for s in segments for t in s["terms"]]
    locked = sum(t["status"] == "locked" for t in terms)
    return {
        "segments": len(segments),
        "broken (today's rule)": sum(bool(s["broken"]) for s in segments),
        "degenerate-output findings": sum(s["flagged"] for s in segments),
        "invented years": sum(bool(s["invented"]) for s in segments),
        "dropping a stated year": sum(bool(s["dropped"]) for s in segments),
        "forced answers kept": sum(s["method"] == "constrained" for s in segments),
        "substituted": sum(s["method"] == "substitute" for s in segments),
        "locked terms present": f"{locked}/{len(terms)} ({locked / max(1, len(terms)):.1%})",
        "model calls per segment": round(stats["requests"] / n, 2) if stats.get("requests") else "–",
        "of which lookups (a term or a run of Chinese alone)": (round(stats["by_method"].get("lookup", 0) / n, 2)
                                                                if "by_method" in stats else "–"),
        "seconds per segment": round(run.get("timings", {}).get("translation", 0) / n, 2) if run else "–",
        "_segments": segments,
    }


def share(value, total: int) -> str:
    return f"{value} ({value / max(1, total):.1%})" if isinstance(value, int) else str(value)


def main() -> None:
    outs = [Path(p) for p in sys.argv[1:]]
    if not outs:
        sys.exit(__doc__)
    figures = [run_figures(out) for out in outs]
    print("| figure | " + " | ".join(out.name or str(out) for out in outs) + " |")
    print("| --- |" + " ---: |" * len(outs))
    for key in figures[0]:
        if key.startswith("_"):
            continue
        cells = [share(f[key], f["segments"]) if key not in ("segments",) else str(f[key]) for f in figures]
        print(f"| {key} | " + " | ".join(cells) + " |")
    for out, f in zip(outs, figures):
        segments = f["_segments"]
        worst = ([s for s in segments if s["broken"]] + [s for s in segments if s["invented"] and not s["broken"]]
                 + [s for s in segments if s["dropped"] and not s["broken"] and not s["invented"]])
        print(f"\n## {out}: the worst sentences ({len(worst)})")
        for s in worst[:20]:
            why = s["broken"] or (f"invents {s['invented']}" if s["invented"] else
                                  f"drops {', '.join(map(str, s['dropped']))}")
            print(f"- {s['doc']}#{s['seg']} [{s['method']}] {why}\n  zh: {s['src'][:160]}\n  en: {s['tgt'][:320]}")


if __name__ == "__main__":
    main()
