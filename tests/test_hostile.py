"""Hostile inputs, corrupt state, signals and odd environments: one section per class of problem.

Every case ends in one clear line (or goes on working), never a traceback, and loses nothing.
Runs use the fake engine; the engine tests use the tiny models.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.io import doc_ids
from pipeline.normalize import normalize
from pipeline.read import parse
from pipeline.stages import analyze_text
from pipeline.translate.engines.base import Request, TermPair, split_to_fit
from pipeline.write import recover
from tests.fakes import FAKE

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/a.md").write_text("王明回国。博古说话。\n\n## 生平\n\n共产国际开会。\n", encoding="utf-8")
    Path("in/b.md").write_text("张闻天写信。王明回信。\n", encoding="utf-8")
    Path("g.csv").write_text(GLOSSARY, encoding="utf-8")
    return tmp_path


def translate(*extra: str) -> int:
    return main(["translate", "in", "--glossary", "g.csv", *FAKE, *extra])


def per_document_files(out: str = "outputs") -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(Path(out).rglob("*"))
            if p.is_file() and p.parent != Path(out)}


def no_traceback(err: str) -> None:
    assert "Traceback" not in err, err


# --- 1. corrupt or unusual state ---------------------------------------------------------------

def test_damaged_cache_is_set_aside_and_rebuilt(project, capsys):
    cache = Path("c.sqlite")
    assert translate("--cache", str(cache), "--no-tm") == 0
    cache.write_bytes(cache.read_bytes()[:1500])  # an SQLite file the program made, cut short
    for side in Path(".").glob("c.sqlite-*"):
        side.unlink()
    capsys.readouterr()
    assert translate("--cache", str(cache), "--no-tm") == 0
    err = capsys.readouterr().err
    no_traceback(err)
    assert "segment cache was damaged" in err and "set aside as c.sqlite.damaged-" in err
    assert list(Path(".").glob("c.sqlite.damaged-*")) and cache.is_file()
    assert translate("--cache", str(cache), "--no-tm") == 0  # the new cache works: everything reused
    assert json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))["totals"]["translated"] == 0


def test_a_file_that_is_no_cache_is_refused_and_never_moved(project, capsys):
    notes = Path("c.sqlite")
    notes.write_bytes(b"this is not a database" * 100)
    assert translate("--cache", str(notes), "--no-tm") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "c.sqlite: is not a segment cache (not an SQLite file); left untouched" in err
    assert notes.read_bytes() == b"this is not a database" * 100 and not list(Path(".").glob("*.damaged-*"))


@pytest.mark.parametrize("given", ["sub", "."])
def test_a_cache_folder_is_the_users_and_holds_the_cache(project, capsys, given):
    Path("sub").mkdir()
    Path("sub/notes.txt").write_text("mine", encoding="utf-8")
    assert translate("--cache", given, "--no-tm") == 0
    no_traceback(capsys.readouterr().err)
    assert Path(given, "segments.sqlite").is_file() and Path("sub/notes.txt").read_text(encoding="utf-8") == "mine"
    assert not list(Path(".").glob("*damaged*")) and Path("sub").is_dir()
    assert translate("--cache", given, "--no-tm") == 0
    assert json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))["totals"]["translated"] == 0


@pytest.mark.parametrize("damage", ["garbage", "folder"])
def test_damaged_translation_memory_stops_and_is_never_touched(project, capsys, damage):
    memory = Path("tm.sqlite")
    if damage == "garbage":
        memory.write_bytes(b"SQLite format 3\x00" + bytes(100) + b"reviewed work")
        before = memory.read_bytes()
    else:
        memory.mkdir()
    assert translate("--tm", str(memory), "--no-cache") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "tm.sqlite: is not a readable translation memory" in err and "left untouched" in err
    assert not Path("outputs").exists()
    if damage == "garbage":
        assert memory.read_bytes() == before


def test_cache_folder_setting_that_is_a_file(project, capsys, monkeypatch):
    Path("not-a-folder").write_text("x", encoding="utf-8")
    monkeypatch.setenv("ZHEN_CACHE", str(project / "not-a-folder"))
    assert translate("--no-tm") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "ZHEN_CACHE points at a file, not a folder" in err
    assert main(["models", "list"]) == 1


def test_cache_failing_mid_run_is_dropped_not_fatal(tmp_path):
    from pipeline.cache import SegmentCache
    warnings = []
    cache = SegmentCache(tmp_path / "c.sqlite", {"engine": "fake"}, warnings.append)
    cache.put(("a", ()), "A.", "prompt", 1, False)
    cache.db.close()  # as if the file went bad under us: every call now raises
    cache.db = sqlite3.connect(":memory:")
    cache.db.close()
    assert cache.get(("a", ())) is None and cache.db is None
    cache.put(("b", ()), "B.", "prompt", 1, False)
    cache.close()
    assert len(warnings) == 1 and "continuing without it" in warnings[0]


# --- 2. input the engine cannot take ----------------------------------------------------------

LONG = "，".join(["共产国际派罗明那兹来到汉口开会讨论问题"] * 65) + "。"  # 1,300 characters, no full stop


def test_split_to_fit_cuts_at_clauses_and_keeps_every_character():
    request = Request(LONG, (TermPair("罗明那兹", "Besso Lominadze"), TermPair("汉口", "Hankou")), "revise", "draft")
    fits = lambda r: len(r.source) <= 100  # noqa: E731
    parts = split_to_fit(request, fits)
    assert "".join(p.source for p in parts) == LONG and all(fits(p) for p in parts) and len(parts) >= 13
    assert all(p.source.endswith(("，", "。")) for p in parts)  # cut at clause marks, not inside clauses
    assert all(p.method == "inject" and not p.draft for p in parts)  # a revision of the whole starts afresh
    assert all({t.zh for t in p.terms} == {"罗明那兹", "汉口"} for p in parts)
    one_clause = split_to_fit(Request("长" * 250), fits)
    assert "".join(p.source for p in one_clause) == "长" * 250 and all(fits(p) for p in one_clause)


def test_llama_engine_translates_a_sentence_longer_than_its_context(tiny_gguf):
    from pipeline.translate.engines.llama import LlamaEngine
    # 1,024 tokens: the system prompt takes about half of them in the tiny model's one-character tokens
    engine = LlamaEngine(str(tiny_gguf), n_ctx=1024, log=lambda m: None)
    try:
        request = Request(LONG, (TermPair("罗明那兹", "Besso Lominadze"),), "prompt")
        assert not engine.fits(request)
        (english,) = engine.translate([request])  # no "exceed context window" error
        assert english and engine.stats["requests"] > 1
    finally:
        engine.close()


def test_marian_engine_translates_what_its_tokenizer_would_cut_off(marian_engine):
    request = Request(LONG * 2, (), "inject")
    assert not marian_engine.fits(request)
    calls = []
    original = marian_engine._generate
    marian_engine._generate = lambda sources, *a, **k: calls.append(len(sources)) or original(sources, *a, **k)
    try:
        (english,) = marian_engine.translate([request])
    finally:
        marian_engine._generate = original
    assert english and sum(calls) > 1


# --- 3. characters XML and spreadsheets refuse --------------------------------------------------

BREAKERS = "\ufffe\uffff\x0b\x0c\x85\u2028\u2029\x1e"


def test_any_character_the_reader_accepts_reaches_every_output(project, capsys):
    Path("in/a.md").write_text(f"王明回国{BREAKERS}。博古\r说话。\n", encoding="utf-8")
    assert translate("--no-cache", "--no-tm") == 0
    no_traceback(capsys.readouterr().err)
    folder = Path("outputs/a")
    records = [json.loads(line) for line in (folder / "aligned.jsonl").open(encoding="utf-8")]
    ET.parse(folder / "a.tmx")  # well-formed
    openpyxl.load_workbook(folder / "aligned.xlsx")
    tsv = (folder / "aligned.tsv").read_text(encoding="utf-8-sig")
    assert len(tsv.splitlines()) == len(records) + 1  # one line per segment, whatever the text held
    assert any(f["check"] == "replaced-characters" for r in records for f in r["qa"])
    assert "\ufffe" not in (folder / "a.tmx").read_text(encoding="utf-8")
    # zhen's own files import back: approve everything unchanged
    rows = list(csv.reader(io.StringIO(tsv, newline=""), delimiter="\t"))
    decision = rows[0].index("decision")
    for row in rows[1:]:
        row[decision] = "approve"
    with open("review.tsv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)
    assert main(["review", "import", "review.tsv", "--tm", "tm.sqlite"]) == 0


# --- 4. interrupted at the wrong moment --------------------------------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_swap_killed_between_its_renames_is_finished_by_the_next_run(tmp_path):
    dead = _dead_pid()
    (tmp_path / f".a.old-{dead}").mkdir()
    (tmp_path / f".a.old-{dead}" / "aligned.jsonl").write_text("previous\n", encoding="utf-8")
    (tmp_path / f".a.x1y2.{dead}.partial").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / f".b.old-{dead}").mkdir()
    (tmp_path / f".c.z9.{os.getpid()}.partial").mkdir()  # a live run's scratch folder: not ours to touch
    (tmp_path / f".run.json.{dead}.k2x_9.tmp").write_text("half", encoding="utf-8")  # atomic_write's, killed
    (tmp_path / f".qa-summary.json.{os.getpid()}.a1b2.tmp").write_text("", encoding="utf-8")  # a live run's
    recover(tmp_path)
    assert (tmp_path / "a" / "aligned.jsonl").read_text(encoding="utf-8") == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".c.z9.{os.getpid()}.partial",
                                                          f".qa-summary.json.{os.getpid()}.a1b2.tmp", "a", "b"]


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _as_from_a_terminal() -> None:
    """Ctrl-C as a terminal's shell leaves it: a suite started as a background job (``cmd &`` without
    job control) runs with SIGINT ignored, and every process it starts inherits that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _zhen(*args, **env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_terminal)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _wait_for(condition, seconds: float = 20.0) -> bool:
    end = time.time() + seconds
    while time.time() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_with_workers_is_one_line_and_exit_130(project):
    # 2 s a request: the run (all six segments in one batch) is still translating when Ctrl-C comes,
    # however slowly a busy machine starts the workers
    run = _zhen("translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--no-cache", "--jobs", "2",
                ZHEN_FAKE_DELAY="2")
    assert _wait_for(lambda: len(_children(run.pid)) >= 2)
    time.sleep(1.0)
    children = _children(run.pid)
    run.send_signal(signal.SIGINT)
    for child in children:  # a terminal's Ctrl-C reaches the whole process group
        os.kill(child, signal.SIGINT)
    _out, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert err.count("interrupted") == 1


def test_workers_die_with_a_killed_parent(project):
    run = _zhen("translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--no-cache", "--jobs", "2",
                ZHEN_FAKE_DELAY="2")
    assert _wait_for(lambda: len(_children(run.pid)) >= 2)
    workers = _children(run.pid)
    run.kill()
    run.wait()
    assert _wait_for(lambda: not any(Path(f"/proc/{w}").exists() and
                                     Path(f"/proc/{w}/stat").read_text().split()[2] != "Z" for w in workers))


def test_signal_storm_then_the_outputs_equal_a_clean_run(project):
    """SIGKILL or SIGINT at random moments, 20 times; then a run finishes: its per-document files
    equal those of a clean run, and nothing half-written or hidden is left."""
    assert translate("--no-tm", "--cache", "clean.sqlite", "--out", "clean") == 0
    clean = per_document_files("clean")
    rng = random.Random(12)
    for _ in range(20):
        run = _zhen("translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--cache", "storm.sqlite",
                    "--batch-size", "1", ZHEN_FAKE_DELAY="0.02")
        time.sleep(rng.uniform(0.3, 1.6))
        run.send_signal(rng.choice([signal.SIGKILL, signal.SIGINT]))
        _out, err = run.communicate(timeout=60)
        # -2: the signal came as the interpreter was exiting, after the run had finished. 1 with a
        # KeyboardInterrupt and no line of zhen's: Python itself was still starting (its site module).
        python_starting = run.returncode == 1 and "KeyboardInterrupt" in err and "engine fake" not in err
        assert run.returncode in (0, 130, -9, -2) or python_starting, (run.returncode, err[-2000:])
    assert translate("--no-tm", "--cache", "storm.sqlite") == 0
    assert per_document_files() == {k.replace("clean/", ""): v for k, v in clean.items()}
    assert not [p for p in Path("outputs").rglob("*") if p.name.startswith(".")]


# --- 5. names that collide with the tool's own files ------------------------------------------

@pytest.mark.parametrize("name", ["run.json.md", "qa-summary.json.md", "RUN.JSON.md", "glossary-proposals.csv.md"])
def test_article_names_cannot_shadow_the_run_files(project, name):
    Path("in", name).write_text("王明回国。\n", encoding="utf-8")
    assert translate("--no-tm", "--no-cache") == 0
    assert json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))["totals"]["segments"] == 7
    assert (Path("outputs") / f"{Path(name).stem}__doc").is_dir()
    assert Path("outputs/qa-summary.json").is_file()


def test_doc_ids_are_distinct_and_reserved_names_escaped():
    ids = doc_ids([Path("x/run.json.md"), Path("y/run.json.md"), Path("z/a.md")])
    assert ids == ["run.json__doc__x", "run.json__doc__y", "a"]


def test_glossary_import_writes_through_a_symbolic_link(project):
    shared = Path("shared-terms.csv")
    shared.write_text(GLOSSARY, encoding="utf-8")
    link = Path("terms-link.csv")
    link.symlink_to(shared.resolve())
    Path("new.csv").write_text(GLOSSARY + "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n", encoding="utf-8")
    assert main(["glossary", "import", "new.csv", "--into", str(link)]) == 0
    assert link.is_symlink() and "Bo Gu" in shared.read_text(encoding="utf-8")


def test_outputs_take_the_umask_and_a_replaced_file_keeps_its_mode(project):
    old = os.umask(0o022)
    try:
        assert translate("--no-tm", "--no-cache") == 0
        assert {oct(p.stat().st_mode & 0o777) for p in Path("outputs/a").iterdir()} == {"0o644"}
        os.chmod("g.csv", 0o664)
        Path("new.csv").write_text(GLOSSARY, encoding="utf-8")
        assert main(["glossary", "import", "new.csv", "--into", "g.csv"]) == 0
        assert oct(Path("g.csv").stat().st_mode & 0o777) == "0o664"
    finally:
        os.umask(old)


# --- 6. term-base cells that change meaning silently -------------------------------------------

def test_duplicated_header_column_is_an_error(project, capsys):
    Path("g.csv").write_text("id,zh,en,en,status\nwm,王明,Wang Ming,Wang Ming-2,approved\n", encoding="utf-8")
    assert main(["glossary", "lint", "g.csv"]) == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "g.csv:1: header names a column twice ('en' in columns 3, 4)" in err


def test_formula_markup_and_oversized_cells_are_linted(project, capsys):
    rows = ('fx,毛泽东,,"=HYPERLINK(""http://x"",""Mao"")",person,,,,,approved\n'
            "img,博古,,<img src=x onerror=alert(1)>,person,,,,,approved\n"
            f"big,张闻天,,{'x' * 1_000_001},person,,,,,approved\n")
    Path("g.csv").write_text(GLOSSARY + rows, encoding="utf-8")
    assert main(["glossary", "lint", "g.csv"]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "[formula-cell]" in out and "[markup-in-english]" in out and "[oversized-cell]" in out
    assert "1,000,001 characters" in out


def test_html_from_the_glossary_or_model_is_text_in_the_markdown(project):
    Path("g.csv").write_text(GLOSSARY + "img,博古,,<script>x</script> & Co,person,,,,,approved\n",
                             encoding="utf-8")
    Path("in/a.md").write_text("**博古**说话<br>。\n", encoding="utf-8")
    assert translate("--no-tm", "--no-cache") == 0
    md = Path("outputs/a/a.en.md").read_text(encoding="utf-8")
    assert "**&lt;script>x&lt;/script> &amp; Co**" in md and "<script" not in md
    assert "<br>" in md  # the source's own markup is kept as it was


# --- 7. hostile files -------------------------------------------------------------------------

def test_xlsx_zip_bomb_is_refused_before_loading(project, capsys):
    book = openpyxl.Workbook()
    book.active.append(["id", "zh", "en"])
    book.save("bomb.xlsx")
    with zipfile.ZipFile("bomb.xlsx") as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    filler = b"<!--" + b" " * (60 * 1024 * 1024) + b"-->"
    with zipfile.ZipFile("bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data.replace(b"</worksheet>", filler + b"</worksheet>")
                             if name.startswith("xl/worksheets/") else data)
    assert Path("bomb.xlsx").stat().st_size < 1024 * 1024
    assert main(["glossary", "lint", "bomb.xlsx"]) == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "bomb.xlsx: unpacks to 60 MB, more than the 50 MB allowed" in err


def test_xlsx_declaring_a_giant_sheet_is_refused(project, capsys):
    book = openpyxl.Workbook()
    book.active.append(["id", "zh", "en"])
    book.active["Z300000"] = "x"
    book.save("wide.xlsx")
    assert main(["glossary", "lint", "wide.xlsx"]) == 1
    assert "has a sheet of 7,800,000 cells" in capsys.readouterr().err


# --- 8. quadratic corners -----------------------------------------------------------------------

def test_nfd_text_in_a_long_line_maps_every_character_back():
    source = unicodedata.normalize("NFD", "Café déjà vu，共產國際開會。" * 700)  # 14,000+ characters, one line
    result = normalize(source)
    assert result.text.startswith("Café déjà vu，共产国际开会。")
    assert len(result.source_index) == len(result.text)
    for i, origin in enumerate(result.source_index[:200]):
        assert unicodedata.normalize("NFC", source[origin:origin + 2])[0] == unicodedata.normalize(
            "NFC", result.text[i]) or result.text[i] in "共产国际开会"
    assert list(result.source_index) == sorted(result.source_index)


@pytest.mark.parametrize("text, config", [
    ("滑鼠與軟體。" * 3000, "tw2sp"),                      # phrase conversions that change the length
    (unicodedata.normalize("NFD", "한국어 共產國際。") * 2000, "t2s"),  # jamo compose across starters
])
def test_length_changing_conversions_on_long_lines_keep_offsets_in_order(text, config):
    result = normalize(text, config)
    assert len(result.source_index) == len(result.text) and result.text
    assert list(result.source_index) == sorted(result.source_index)
    assert all(0 <= i < len(text) for i in result.source_index)


# --- 9. environment ---------------------------------------------------------------------------

def test_ascii_only_terminal_prints_chinese_without_failing(project):
    run = subprocess.run([sys.executable, "-m", "pipeline", "inspect", "in", "--out", "o"], capture_output=True,
                         env=_env(PYTHONIOENCODING="ascii", LC_ALL="C", LANG="C"))
    assert run.returncode == 0 and b"Traceback" not in run.stderr
    missing = subprocess.run([sys.executable, "-m", "pipeline", "inspect", "缺失.md"], capture_output=True,
                             env=_env(PYTHONIOENCODING="ascii", LC_ALL="C"))
    assert missing.returncode == 1 and b"\\u7f3a" in missing.stderr and b"Traceback" not in missing.stderr


def test_rich_markup_in_user_paths_is_printed_as_written(project, capsys):
    assert translate("--no-tm", "--no-cache", "--out", "o[/]") == 0
    out = capsys.readouterr().out
    assert "o[/]" in out and Path("o[/]/a/aligned.jsonl").is_file()


def test_non_ascii_digits_in_a_review_id_are_a_named_problem(project, capsys):
    assert translate("--no-cache", "--no-tm") == 0
    rows = list(csv.reader(Path("outputs/a/aligned.tsv").open(encoding="utf-8-sig", newline=""), delimiter="\t"))
    rows[1][0], rows[1][7] = "a#²", "approve"
    with open("r.tsv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)
    assert main(["review", "import", "r.tsv", "--tm", "tm.sqlite"]) == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "a#²" in err


# --- 10. line endings and small gaps -------------------------------------------------------------

def test_classic_mac_line_endings_are_lines(project):
    text = "王明回国。\r\r## 生平\r\r共产国际开会。\r"
    doc = parse(text)
    assert doc.render() == text and [b.kind for b in doc.blocks] == ["paragraph", "blank", "heading", "blank",
                                                                      "paragraph"]
    Path("in/a.md").write_bytes(text.encode("utf-8"))
    assert translate("--no-tm", "--no-cache") == 0
    english = Path("outputs/a/a.en.md").read_bytes()
    assert english.count(b"\r") == 5 and b"\n" not in english


def test_empty_folder_is_named(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["inspect", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 1
    assert "no input articles (.md, .txt, .markdown) found in" in capsys.readouterr().err


def test_link_title_with_an_escaped_quote_is_a_link():
    doc = analyze_text('见[王明](../Page/王明.md "the \\"wikilink\\"")。')
    (segment,) = doc.segments
    assert segment.plain == "见王明。"
    (link,) = [s for s in segment.spans if s.kind == "link"]
    assert link.target == "../Page/王明.md" and link.title == 'the \\"wikilink\\"'


@pytest.mark.parametrize("text, encoding, hint", [
    ("中国共产党第六次全国代表大会在莫斯科召开。", "gbk", "iconv -f GB18030"),
    ("中國共產黨第六次全國代表大會在莫斯科召開。", "big5", "iconv -f BIG5"),
    ("Café, déjà vu — naïve façade.", "cp1252", "iconv -f CP1252"),
])
def test_encoding_hint_names_the_likely_encoding(tmp_path, capsys, text, encoding, hint):
    (tmp_path / "a.md").write_bytes(text.encode(encoding))
    assert main(["inspect", str(tmp_path / "a.md"), "--out", str(tmp_path / "o")]) == 1
    assert hint in capsys.readouterr().err


# --- 11. exit codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, code", [
    (["inspect", "missing.md"], 1),
    (["translate", "missing.md", *FAKE], 1),
    (["translate", "in", "--engine", "nope"], 2),
    (["translate", "in", "--jobs", "0", *FAKE], 2),
    (["translate", "in", "--no-such-option"], 2),
    (["glossary", "lint", "missing.csv"], 1),
    (["review", "import", "missing.xlsx"], 1),
    (["eval", "compare", "only-one"], 2),
])
def test_one_exit_status_convention(project, capsys, args, code):
    try:
        assert main(args) == code
    except SystemExit as exc:  # argparse's own usage errors
        assert exc.code == code
    no_traceback(capsys.readouterr().err)


# --- 12. concurrency ----------------------------------------------------------------------------

def test_two_runs_on_one_output_folder_cache_and_memory_at_once(project):
    assert translate("--no-tm", "--cache", "clean.sqlite", "--out", "clean") == 0
    runs = [_zhen("translate", "in", "--glossary", "g.csv", *FAKE, "--cache", "shared.sqlite", "--tm", "tm.sqlite",
                  "--batch-size", "1", ZHEN_FAKE_DELAY="0.05") for _ in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    assert per_document_files() == {k: v for k, v in per_document_files("clean").items()}
    assert not [p for p in Path("outputs").rglob("*") if p.name.startswith(".")]


# --- the last reliability classes -------------------------------------------------------------

def test_a_full_disk_under_the_cache_is_one_line_and_a_rerun_resumes(project, capsys, monkeypatch):
    from pipeline import cache as cache_module

    real_open = cache_module.SegmentCache._open

    def full(self):  # the disk fills up as soon as anything is written (SQLITE_FULL)
        db = real_open(self)
        db.execute("INSERT OR REPLACE INTO segments (key, tgt, method, attempts, degenerate) VALUES ('filler', ?, 'x', 1, 0)", ("x" * 3800,))
        db.commit()  # the last page full, and no page more to be had
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
        return db
    monkeypatch.setattr(cache_module.SegmentCache, "_open", full)
    assert translate("--cache", "c.sqlite", "--no-tm") == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "c.sqlite: cannot write the segment cache: database or disk is full" in err
    assert "a rerun resumes" in err and not list(Path(".").glob("*damaged*"))
    monkeypatch.setattr(cache_module.SegmentCache, "_open", real_open)  # space freed
    assert translate("--cache", "c.sqlite", "--no-tm") == 0
    assert sorted(p.name for p in Path("outputs").iterdir() if p.is_dir()) == ["a", "b"]


def _bomb(path: Path, unpacked_mb: int, declare: int | None = None) -> None:
    """An .xlsx whose sheet unpacks to ``unpacked_mb`` MB; ``declare``: the size its zip says instead."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"<c>0</c>" * (1 << 17)
            for _ in range(unpacked_mb):
                member.write(block)
    if declare is not None:  # under-declare: patch the local header and the central directory
        data = bytearray(path.read_bytes())
        name = b"xl/worksheets/sheet1.xml"
        local = data.rindex(b"PK\x03\x04", 0, data.index(name))
        data[local + 22:local + 26] = declare.to_bytes(4, "little")
        central = data.rindex(b"PK\x01\x02", 0, data.rindex(name))
        data[central + 24:central + 28] = declare.to_bytes(4, "little")
        path.write_bytes(bytes(data))


def test_an_xlsx_bomb_is_refused_from_its_directory_before_anything_is_unpacked(tmp_path, capsys, monkeypatch):
    bomb = tmp_path / "g.xlsx"
    _bomb(bomb, 200)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    opened = []
    real = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real(self, *a, **k))
    assert main(["glossary", "lint", str(bomb)]) == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "g.xlsx: unpacks to 200 MB, more than the 50 MB allowed" in err and not opened


def test_an_xlsx_that_under_declares_its_size_is_capped_while_streaming(tmp_path, capsys):
    bomb = tmp_path / "g.xlsx"
    _bomb(bomb, 80, declare=1000)
    assert main(["glossary", "lint", str(bomb)]) == 1
    err = capsys.readouterr().err
    no_traceback(err)
    assert "g.xlsx: " in err and ("is not a readable XLSX workbook" in err or "unpacks to more than" in err)


def test_an_xlsx_bomb_under_a_memory_limit_is_one_line(tmp_path):
    bomb = tmp_path / "g.xlsx"
    _bomb(bomb, 600)
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30));"
            "from pipeline.cli import main; sys.exit(main(['glossary', 'lint', sys.argv[1]]))")
    done = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "unpacks to 600 MB" in done.stderr


UNSAFE_URLS = ["javascript:alert(1)", "JavaScript:alert(document.cookie)", "java\tscript:alert(1)",
               "data:text/html,hi", "vbscript:msgbox(1)", " javascript:alert(1)"]


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_scripts_never_become_links_in_the_review_page(project, url):
    Path("in/a.md").write_text(f"王明[回国]({url})。[共产国际](http://example.org \"{url}\")开会。\n", encoding="utf-8")
    assert translate("--no-cache", "--no-tm") == 0
    html = Path("outputs/a/review.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(not re.match(r"\s*(?:javascript|data|vbscript)", h.replace("\t", ""), re.I) for h in hrefs)
    assert 'href="http://example.org"' in html  # a safe link stays a link


def test_review_page_fuzz_holds_no_script_urls():
    from tests.fuzz.fuzz_html import run
    done, failures = run(1500, seed=7)  # tests/fuzz/fuzz_html.py runs 100,000
    assert done == 1500 and failures == []


def test_a_posix_locale_without_utf8_mode_keeps_names_intact(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "王明.md").write_text("王明回国。\n", encoding="utf-8")
    with open(os.fsencode(tmp_path / "in") + b"/\xff\xfe.md", "wb") as handle:  # a name that is not UTF-8
        handle.write("博古说话。\n".encode("utf-8"))
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONPATH=str(ROOT))
    env.pop("ZHEN_NO_REEXEC", None)
    done = subprocess.run([sys.executable, "-m", "pipeline", "translate", "in", "--glossary", "g.csv", *FAKE,
                           "--no-cache", "--no-tm"], cwd=tmp_path, env=env, capture_output=True, timeout=300)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, stderr
    assert "Traceback" not in stderr
    folders = sorted(p.name for p in (tmp_path / "outputs").iterdir() if p.is_dir())
    assert folders == ["_xff_xfe", "王明"]
    manifest = (tmp_path / "outputs" / "_xff_xfe" / "manifest.json").read_text(encoding="utf-8")
    assert "\\udcff" in manifest or "\\xff" in manifest  # the name escaped, never lost


def test_swapping_a_documents_folder_leaves_no_moment_without_it(project, monkeypatch):
    from pipeline import write as write_module
    if write_module._RENAMEAT2 is None:
        pytest.skip("no renameat2 here: the two-step swap with recovery is used")
    assert translate("--no-cache", "--no-tm") == 0
    real_replace = os.replace

    def replace(src, dst):  # the document folder is never renamed away
        assert Path(src).name not in ("a", "b"), f"{src} moved aside"
        return real_replace(src, dst)
    monkeypatch.setattr(write_module.os, "replace", replace)
    Path("in/a.md").write_text("王明回国了。\n", encoding="utf-8")
    assert translate("--no-cache", "--no-tm") == 0
    assert "回国了" in Path("outputs/a/aligned.jsonl").read_text(encoding="utf-8")
    assert not [p for p in Path("outputs").iterdir() if p.name.startswith(".")]


def test_exchange_swaps_two_folders(tmp_path):
    from pipeline.write import exchange
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "f").write_text("a")
    (tmp_path / "b" / "f").write_text("b")
    if not exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("no atomic exchange on this system")
    assert (tmp_path / "a" / "f").read_text() == "b" and (tmp_path / "b" / "f").read_text() == "a"


@pytest.mark.parametrize("argv,option", [
    (["eval", "--src", "missing.txt", "--ref", "missing.txt", "--limit", "-3"], "--limit"),
    (["eval", "--src", "missing.txt", "--ref", "missing.txt", "--first", "0"], "--first"),
    (["translate", "missing", "--context", "-1"], "--context"),
    (["translate", "missing", "--parallel", "0"], "--parallel"),
    (["translate", "missing", "--jobs", "0"], "--jobs"),
    (["translate", "missing", "--candidates", "0"], "--candidates"),
    (["translate", "missing", "--opencc", "s2x"], "--opencc"),
    (["glossary", "coverage", "missing", "--top", "0"], "--top")])
def test_values_no_run_could_use_are_usage_errors_before_any_file_is_read(argv, option, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and option in err and "missing" not in err.split(option)[0].splitlines()[-1]
    assert "no such file" not in err
