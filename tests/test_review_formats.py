"""Review formats written from aligned records: TMX, TSV, XLSX and the HTML page (in Chromium)."""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from pipeline.formats import html_review, review_sheets, tmx
from pipeline.stages import analyze_text

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = '=HYPERLINK("http://evil")<script>alert(1)</script>&"\''


def _records():
    src = '[王明](../Page/王明.md "wikilink")回国\\[1\\]。'
    return [
        {"doc": "d", "seg": 0, "kind": "paragraph", "src": src, "src_start": 10, "src_end": 10 + len(src),
         "plain": "王明回国。", "norm": "王明回国。", "tgt": "Wang Ming returned.", "method": "prompt",
         "terms": [{"id": "wm", "src": "王明", "src_start": 11, "src_end": 13, "tgt": "Wang Ming",
                    "tgt_start": 0, "tgt_end": 9, "status": "locked", "method": "prompt", "via": "link",
                    "action": "transliterate"}], "qa": []},
        {"doc": "d", "seg": 1, "kind": "paragraph", "src": "博古说。", "src_start": 40, "src_end": 44,
         "plain": "博古说。", "norm": "博古说。", "tgt": HOSTILE, "method": "constrained",
         "terms": [{"id": "bg", "src": "博古", "src_start": 40, "src_end": 42, "tgt": "Bo Gu", "tgt_start": -1,
                    "tgt_end": -1, "status": "missing", "method": "constrained", "via": "text", "action": "translate"}],
         "qa": [{"check": "term-missing", "severity": "error", "message": "博古 → 'Bo Gu' <b>missing</b>"}]},
    ]


def _segments():
    """The segments the records came from (the page marks terms on the text a reader sees)."""
    return [next(analyze_text(r["src"]).segments) for r in _records()]


def test_tmx_is_valid_and_readable_by_translate_toolkit(tmp_path):
    from translate.storage.tmx import tmxfile

    records = _records()
    records[1]["qa"] = [{"check": "length-ratio", "severity": "warning", "message": "<b>long</b>"}]
    data = tmx.tmx_bytes(tmx.units_from_records(records, "zhen/llama/m"))
    path = tmp_path / "d.tmx"
    path.write_bytes(data)
    store = tmxfile.parsefile(str(path))
    units = store.getunits()
    assert [u.source for u in units] == ["王明回国。", "博古说。"]
    assert units[0].target == "Wang Ming returned." and units[1].target == HOSTILE
    assert b'srclang="zh-Hans"' in data and b'creationtool="zhen"' in data and b'version="1.4"' in data
    text = data.decode("utf-8")
    assert "王明 → Wang Ming | locked | prompt | wm" in text and 'creationid="zhen/llama/m"' in text
    assert text.count('<prop type="x-status">machine</prop>') == 2 and 'xml:lang="zh-Hans"' in text


def test_tmx_leaves_out_units_with_qa_errors_and_says_so():
    import xml.etree.ElementTree as ET

    from pipeline.formats import Output
    records = _records()  # the second has a term-missing error
    records[0]["script"] = "hant"
    out = Output(None, records, "", "run", {"engine": {"engine": "llama", "model": "m"}})
    root = ET.fromstring(tmx.tmx_file(out))
    assert [tu.get("tuid") for tu in root.iter("tu")] == ["d#0"]
    assert root.find("header/prop[@type='x-left-out']").text.startswith("1 segment(s) with QA errors")
    assert root.find("body/tu/tuv").get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hant"
    assert root.find("header").get("srclang") == "zh-Hant"


def test_tmx_drops_nothing_but_characters_xml_cannot_hold():
    data = tmx.tmx_bytes([{"id": "x", "src": "a\x02b", "tgt": "c"}]).decode("utf-8")
    assert "a\ufffdb" in data


def test_tsv_columns_and_neutralized_cells():
    text = review_sheets.tsv_text(_records(), "run123")
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    header, first, second = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter="\t")
    assert header == ["id", "kind", "source", "english", "terms", "qa", "confidence", "reviewed_en", "decision", "run",
                      "source_md", "english_md"]
    assert first[2] == "王明回国。" and first[10].startswith("[王明](../Page/王明.md")  # plain, then the Markdown
    assert first[0] == "d#0" and first[4] == "王明 → Wang Ming" and first[9] == "run123"
    assert second[3] == "'" + HOSTILE and "[MISSING]" in second[4]  # inert, and read back whole


@pytest.mark.parametrize("breaker", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1e"])
def test_tsv_keeps_one_row_per_segment_whatever_breaks_a_line(breaker):
    records = _records()
    records[0]["tgt"] = f"Wang{breaker}Ming\treturned."
    text = review_sheets.tsv_text(records, "run123").lstrip("\ufeff")
    assert len(text.splitlines()) == 3  # str.splitlines() splits at every one of them
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t"))
    assert len(rows) == 3 and rows[1][3] == "Wang ⏎ Ming returned."


def test_xlsx_is_readable_and_made_for_reading(tmp_path):
    path = tmp_path / "aligned.xlsx"
    path.write_bytes(review_sheets.xlsx_bytes(_records(), "run123", {"doc": "d", "run_id": "run123"}))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["segments", "terms", "run"]
    ws = book["segments"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["id", "kind", "source", "english"] and ws.freeze_panes == "A2"
    english = ws.cell(row=3, column=4)
    assert english.value.startswith("'=HYPERLINK") and english.data_type == "s"
    assert ws.cell(row=2, column=5).fill.fgColor.rgb.endswith("FFF4CC")   # term cell highlighted
    assert ws.cell(row=3, column=6).fill.fgColor.rgb.endswith("F8D0D0")   # QA error highlighted
    assert ws.cell(row=2, column=3).alignment.wrap_text and ws.column_dimensions["C"].width >= 40
    terms = list(book["terms"].iter_rows(min_row=2, values_only=True))
    assert ("d#0", "wm", "王明", "Wang Ming", "locked") == terms[0][:5]
    (rule,) = ws.data_validations.dataValidation  # decision: a drop-down
    assert rule.formula1 == '"approve,fix,reject"' and str(rule.sqref) == "I2:I3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.row_dimensions[2].height >= 15 and ws.row_dimensions[3].height >= 15  # explicit, for LibreOffice


def test_html_escapes_everything_it_shows():
    page = html_review.html_text(_records(), _segments(), "d <doc>", "sig")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>missing</b>" not in page and "d &lt;doc&gt;" in page
    assert page.count('<a class="term"') == 2 and page.count('class="term missing"') == 1


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _chrome(*args: str) -> subprocess.CompletedProcess:
    profile = f"--user-data-dir={os.environ.get('TMPDIR', '/tmp')}/zhen-chromium-{os.getpid()}"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", profile]
    return subprocess.run([_chromium(), *flags, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not _chromium() and not os.environ.get("ZHEN_REQUIRE_BROWSER"),
                    reason="Debian chromium not installed (.ci/run installs it)")
def test_review_page_in_headless_chromium(tmp_path):
    page = tmp_path / "review.html"
    page.write_text(html_review.html_text(_records(), _segments(), "d", "engine:llama|model:m"), encoding="utf-8")
    dom = _chrome("--dump-dom", page.as_uri()).stdout
    assert dom.count('<tr id="seg-') == 2 and 'class="term"' in dom and "&lt;script&gt;" in dom
    assert 'id="seg-0" class="hidden"' not in dom
    filtered = _chrome("--dump-dom", page.as_uri() + "#findings").stdout
    assert 'id="seg-0" class="hidden"' in filtered and 'id="seg-1" class="error"' in filtered
    shot = ROOT / "docs" / "review-screenshot.png"
    shot.parent.mkdir(exist_ok=True)
    _chrome(f"--screenshot={tmp_path / 'shot.png'}", "--window-size=1400,700", page.as_uri())
    assert (tmp_path / "shot.png").stat().st_size > 5000
    if os.environ.get("ZHEN_UPDATE_SCREENSHOT"):
        shutil.copy(tmp_path / "shot.png", shot)


def test_memory_tmx_source_is_the_plain_text_the_document_tmx_holds():
    from pipeline.commands.review import plain_text
    assert plain_text('[王明](../Page/王明.md "wikilink")回国\\[1\\]。') == "王明回国。"
