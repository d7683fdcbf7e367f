"""Bounded fuzz run over the reader (parse → segment → normalize → match → render) and the CSV loader.

Hypothesis with a large example budget; prints examples tried, time and failures found.
Usage: python tests/fuzz/fuzz_reader.py [--examples 20000] [--seconds 300]
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pipeline.tables import TableError, read_csv  # noqa: E402
from pipeline.stages import analyze_text  # noqa: E402
from pipeline.terms.glossary import GlossaryError, check_header, load_glossary  # noqa: E402
from pipeline.terms.matcher import TermMatcher  # noqa: E402
from tests.strategies import wiki_text  # noqa: E402

MATCHER = TermMatcher(load_glossary().terms)
COUNTS = {"reader": 0, "csv": 0}
FAILURES: list[str] = []


def reader_case(text: str) -> None:
    COUNTS["reader"] += 1
    try:
        doc = analyze_text(text, matcher=MATCHER)
        assert doc.render() == text, "round trip differs"
        for segment in doc.segments:
            for match in segment.terms:
                assert segment.start <= match.src_start < match.src_end <= segment.end, "match off its segment"
    except Exception:  # noqa: BLE001 - recorded and re-raised so hypothesis shrinks it
        FAILURES.append(f"reader {text!r}\n{traceback.format_exc(limit=3)}")
        raise


def csv_case(path: Path, data: bytes) -> None:
    COUNTS["csv"] += 1
    path.write_bytes(data)
    try:
        check_header(read_csv(path))
    except (TableError, GlossaryError):
        pass
    except Exception:  # noqa: BLE001
        FAILURES.append(f"csv {data!r}\n{traceback.format_exc(limit=3)}")
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=300)
    args = parser.parse_args()
    started = time.time()
    budget = settings(max_examples=args.examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    texts = st.one_of(wiki_text, st.text(max_size=400), st.lists(wiki_text, max_size=8).map("\n".join))
    run_reader = budget(given(texts)(reader_case))
    scratch = ROOT / ".fuzz-scratch.csv"
    csv_data = st.one_of(st.binary(max_size=400),
                         st.lists(st.lists(st.sampled_from(["zh", "en", "王明", "", '"', ",", ";", "\n", "\r\n",
                                                            "\ufeff", "=1+1", "\t"]), max_size=6).map(",".join),
                                  max_size=6).map(lambda rows: "\n".join(rows).encode("utf-8")))
    run_csv = budget(given(csv_data)(lambda data: csv_case(scratch, data)))
    for name, run in (("reader", run_reader), ("csv", run_csv)):
        if time.time() - started > args.seconds:
            break
        try:
            run()
        except Exception:  # noqa: BLE001 - summarized below
            print(f"{name}: a failing example was found (see above)")
    scratch.unlink(missing_ok=True)
    elapsed = time.time() - started
    print(f"reader examples   {COUNTS['reader']:,}")
    print(f"csv examples      {COUNTS['csv']:,}")
    print(f"time              {elapsed:.1f} s")
    print(f"failures          {len(FAILURES)}")
    for failure in FAILURES[:5]:
        print(failure)


if __name__ == "__main__":
    main()
