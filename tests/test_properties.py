"""Property-based tests: the reader never crashes and round-trips byte for byte; matches lie on the text."""
from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.tables import TableError, read_csv
from pipeline.read import parse
from pipeline.stages import analyze_text
from pipeline.terms.glossary import GlossaryError, Term, check_header
from pipeline.terms.matcher import TermMatcher
from tests.strategies import wiki_text

MATCHER = TermMatcher([Term("王明", "Wang Ming"), Term("共产国际", "Comintern"), Term("国际派", "IF"),
                       Term("罗明那兹", "Besso Lominadze", variants=("罗明纳兹",))])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wiki_text)
def test_any_text_round_trips_and_tiles(text):
    doc = parse(text)
    assert doc.render() == text
    position = 0
    for block in doc.blocks:
        for span in block.spans:
            assert span.start == position and text[span.start:span.end] == span.raw
            assert all(text[o] == c for c, o in zip(span.text, span.text_offsets))
            position = span.end
    assert position == len(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wiki_text)
def test_segments_and_matches_lie_on_the_text(text):
    doc = analyze_text(text, matcher=MATCHER)
    end = 0
    for segment in doc.segments:
        assert end <= segment.start < segment.end <= len(text)
        end = segment.end
        assert len(segment.norm_offsets) == len(segment.norm)
        for match in segment.terms:
            assert segment.start <= match.src_start < match.src_end <= segment.end
            assert 0 <= match.norm_start < match.norm_end <= len(segment.norm)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_csv_loader_either_reads_or_says_what_is_wrong(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "g.csv"
    path.write_bytes(data)
    try:
        check_header(read_csv(path))
    except (TableError, GlossaryError) as exc:
        assert str(exc).startswith(str(path))


def test_the_fast_fuzzer_runs_clean_and_catches_a_broken_reader(tmp_path, monkeypatch):
    """A small run of tests/fuzz/fuzz_fast.py (the million-example run is in bench/README.md)."""
    import sys
    sys.path.insert(0, str(Path(__file__).parent / "fuzz"))
    import fuzz_fast
    readers, tables, failures = fuzz_fast.worker((3, 300, 30, str(tmp_path)))
    assert (readers, tables, failures) == (300, 30, [])
    import pipeline.read as read
    original = read.parse

    def lossy(text, doc_id="document", path=""):
        doc = original(text, doc_id, path)
        if doc.blocks:
            doc.blocks[-1].spans = doc.blocks[-1].spans[:-1]
        return doc

    monkeypatch.setattr(read, "parse", lossy)
    assert fuzz_fast.worker((3, 300, 0, str(tmp_path)))[2]
