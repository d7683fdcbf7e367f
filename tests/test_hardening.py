"""Hostile and broken inputs: each ends in a clear message, nothing is lost or half-written."""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.io import doc_ids
from pipeline.stages import analyze_text
from pipeline.terms.glossary import Term, load_glossary
from pipeline.terms.lint import lint
from pipeline.terms.matcher import TermMatcher
from tests.fakes import FAKE

GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")


def _inspect(tmp_path, *paths) -> tuple[int, str]:
    code = main(["inspect", *map(str, paths), "--out", str(tmp_path / "out")])
    return code


# --- articles ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, message", [
    ("utf16.md", "王明".encode("utf-16"), "is UTF-16 encoded"),
    ("gbk.md", "王明回国".encode("gbk"), "is not valid UTF-8"),
    ("png.md", b"\x89PNG\r\n\x1a\n" + bytes(64), "is a binary file"),
    ("nul.md", "王明\n回国".encode() + b"\x00x", "contains a NUL byte"),
])
def test_unreadable_articles_are_named(tmp_path, capsys, name, data, message):
    (tmp_path / name).write_bytes(data)
    assert _inspect(tmp_path, tmp_path / name) == 1
    err = capsys.readouterr().err
    assert f"{name}" in err and message in err and "Traceback" not in err


def test_too_large_article_is_refused_clearly(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ZHEN_MAX_INPUT_MB", "1")
    big = tmp_path / "big.md"
    big.write_bytes(("王明回国。" * 80_000).encode())
    assert _inspect(tmp_path, big) == 1
    assert "big.md: is 1.1 MB, larger than the 1 MB" in capsys.readouterr().err


def test_folder_and_broken_link_as_inputs(tmp_path, capsys):
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    assert _inspect(tmp_path, tmp_path / "dangling.md", tmp_path / "missing.md") == 1
    err = capsys.readouterr().err
    assert "dangling.md: is a broken symbolic link" in err and "missing.md: no such file" in err


def test_empty_and_whitespace_articles_translate_to_themselves(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    Path("in/empty.md").write_text("", encoding="utf-8")
    Path("in/blank.md").write_text("  \n\n\t\n", encoding="utf-8")
    Path("g.csv").write_text(GLOSSARY, encoding="utf-8")
    assert main(["translate", "in", "--glossary", "g.csv", *FAKE]) == 0
    assert "no translatable text" in capsys.readouterr().err
    assert Path("outputs/blank/blank.en.md").read_text(encoding="utf-8") == "  \n\n\t\n"


@pytest.mark.parametrize("text", [
    "[" * 5000, "]" * 5000, "(" * 5000, "{{" * 3000, "}}-{" * 3000, "[[[a](b)" * 500, "**" * 3001,
    "中文。" * 70_000, "[" * 3000 + "王明" + "]" * 3000 + "(x)", "<a href='x'>" * 2000, "\\" * 4001,
])
def test_unbalanced_and_deeply_nested_markup_round_trips(text):
    doc = analyze_text(text)
    assert doc.render() == text


def test_names_with_spaces_parentheses_and_same_stems(tmp_path):
    a = tmp_path / "x" / "国际派_(中国共产党).md"
    b = tmp_path / "y" / "国际派_(中国共产党).md"
    c = tmp_path / "my article.md"
    escape = tmp_path / "..md"
    for p in (a, b, c, escape):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("王明。", encoding="utf-8")
    ids = doc_ids([a, b, c, escape])
    assert ids == ["国际派_(中国共产党)__x", "国际派_(中国共产党)__y", "my article", "document"]
    assert all("/" not in i and not i.startswith(".") for i in ids)


def test_unicode_normalization_variants_match():
    matcher = TermMatcher([Term("王明", "Wang Ming"), Term("ＡＢ团", "AB League"), Term("Café派", "Café faction")])
    text = "ＡＢ團与AB团、" + unicodedata.normalize("NFD", "Café派") + "和王明。"
    doc = analyze_text(text, matcher=matcher)
    found = [(text[m.src_start:m.src_end], m.term.en) for s in doc.segments for m in s.terms]
    assert [en for _, en in found] == ["AB League", "AB League", "Café faction", "Wang Ming"]
    assert found[2][0] == unicodedata.normalize("NFD", "Café派")


# --- glossaries -------------------------------------------------------------------------------

HEADER = "id,zh,variants,en,type,action,forbidden,note,source,status\n"


def test_glossary_edge_rows(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(HEADER + "\n,,,,,,,,,\na,王明,,Wang Ming,person,,,\"says \"\"hi\"\", then\nleaves\",,approved\n"
                    "b,博古\n", encoding="utf-8")
    glossary = load_glossary([path])
    assert [t.zh for t in glossary.terms] == ["王明", "博古"]
    assert glossary.terms[0].note == 'says "hi", then\nleaves'
    findings = {(f.rule, f.row) for f in lint(glossary)}
    assert ("empty-target", 5) in findings
    path.write_text(HEADER + "a,王明,,Wang Ming,person,,,,,approved,stray\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"g.csv:2: has 11 cells but the header has 10"):
        load_glossary([path])


def test_duplicate_keys_across_two_glossaries_later_wins_with_a_warning(tmp_path, capsys):
    first, second = tmp_path / "base.csv", tmp_path / "project.csv"
    first.write_text(HEADER + "a,王明,,Wang Ming,person,,,,,approved\n", encoding="utf-8")
    second.write_text(HEADER + "a,王明,,Chen Shaoyu,person,,,,,approved\n", encoding="utf-8")
    assert main(["glossary", "lint", str(first), str(second)]) == 0
    assert "project.csv:2: warning: [overridden-key]" in capsys.readouterr().out
    assert TermMatcher(load_glossary([first, second]).terms).find("王明")[0][2].en == "Chen Shaoyu"


def test_hundred_thousand_rows_load_and_lint(tmp_path):
    rows = "".join(f"k{i},词{i:06d},,term {i},concept,,,,,approved\n" for i in range(100_000))
    path = tmp_path / "big.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    glossary = load_glossary([path])
    assert len(glossary.terms) == 100_000
    assert not [f for f in lint(glossary) if f.severity == "error"]


def _workbook(tmp_path, name="g.xlsx", sheets=("terms",), formula=False, merged=False):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet)
        ws.append(["id", "zh", "en", "status"])
        ws.append(["a", "王明", "Wang Ming", "approved"])
        ws.append(["b", "博古", "=UPPER(\"bo gu\")" if formula else "Bo Gu", "approved"])
        if merged:
            ws.append(["c", "张闻天", "Zhang Wentian", "approved"])
            ws.merge_cells("D3:D4")
    path = tmp_path / name
    book.save(path)
    return path


def test_xlsx_with_several_sheets_reads_terms_and_says_so(tmp_path, capsys):
    path = _workbook(tmp_path, sheets=("notes", "terms"))
    assert [t.zh for t in load_glossary([path]).terms] == ["王明", "博古"]
    assert main(["glossary", "lint", str(path)]) == 0
    assert "sheet 'terms' read; notes ignored" in capsys.readouterr().err


def test_xlsx_formula_is_an_error_naming_its_cell(tmp_path, capsys):
    path = _workbook(tmp_path, formula=True)
    assert main(["glossary", "lint", str(path)]) == 1
    assert "cell C3 holds a formula" in capsys.readouterr().err


def test_xlsx_merged_cells_surface_as_row_errors(tmp_path, capsys):
    path = _workbook(tmp_path, merged=True)
    glossary = load_glossary([path])
    assert [t.status for t in glossary.terms] == ["approved", "approved", "approved"]
    # The merged range keeps its value in the top-left cell only; nothing is invented for D4.
    assert glossary.terms[2].cells["status"] == ""


def test_macro_enabled_workbook_is_read_without_running_anything(tmp_path, capsys):
    path = _workbook(tmp_path, name="g.xlsm")
    assert [t.en for t in load_glossary([path]).terms] == ["Wang Ming", "Bo Gu"]
    assert main(["glossary", "lint", str(path)]) == 0
    assert "macros were ignored, never run" in capsys.readouterr().err


def test_a_key_that_matches_everywhere_is_warned_about(tmp_path, capsys):
    article = tmp_path / "a.md"
    article.write_text("".join(f"第{i}句的话。" for i in range(40)), encoding="utf-8")
    glossary = tmp_path / "g.csv"
    glossary.write_text(HEADER + "x,的话,,words,concept,,,,,approved\n", encoding="utf-8")
    assert main(["glossary", "coverage", str(article), "--glossary", str(glossary)]) == 0
    assert "matches in 40 of 40 segments" in capsys.readouterr().err


# --- model ------------------------------------------------------------------------------------

def test_truncated_gguf_is_named(tmp_path, tiny_gguf, capsys):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(tiny_gguf.read_bytes()[:5000])
    (tmp_path / "a.md").write_text("王明。", encoding="utf-8")
    assert main(["translate", str(tmp_path / "a.md"), "--model", str(broken), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "broken.gguf: llama.cpp could not load it" in err and "Traceback" not in err


def test_model_output_nothing_or_echo_is_caught():
    from pipeline.qa.checks import run_checks
    from pipeline.translate.verdicts import judge
    segment = next(analyze_text("王明回国。").segments)
    segment.translation = judge(segment, "", "prompt")
    assert "empty-output" in {f.check for f in run_checks("王明回国。", segment)}
    assert segment.translation.problems == 1
    echoed = judge(segment, "Chinese: 王明回国。\nWang Ming returned home.", "prompt")
    assert echoed.tgt == "Wang Ming returned home." and not echoed.problems


def test_generation_is_bounded_relative_to_source_length(llama_engine):
    from pipeline.translate.engines.base import Request
    short, long = Request("王明。"), Request("王明回国。" * 40)
    assert llama_engine.max_tokens(short) < llama_engine.max_tokens(long) <= llama_engine.settings["n_ctx"] // 2


# --- outputs ----------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text("王明回国。博古说话。\n", encoding="utf-8")
    Path("g.csv").write_text(GLOSSARY, encoding="utf-8")
    return tmp_path


def test_outputs_path_that_is_a_file_is_a_clear_error(project, capsys):
    Path("blocked").write_text("not a folder", encoding="utf-8")
    code = main(["translate", "a.md", "--glossary", "g.csv", *FAKE, "--out", "blocked"])
    err = capsys.readouterr().err
    assert code != 0 and "blocked" in err and "Traceback" not in err


def test_full_disk_while_writing_keeps_the_previous_outputs(project, capsys, monkeypatch):
    assert main(["translate", "a.md", "--glossary", "g.csv", *FAKE]) == 0
    before = {p.name: p.read_bytes() for p in Path("outputs/a").iterdir()}
    Path("a.md").write_text("王明回国。博古说话了。\n", encoding="utf-8")
    import pipeline.io as io_module
    real = io_module.os.replace
    calls = {"n": 0}

    def disk_full(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(io_module.os, "replace", disk_full)
    assert main(["translate", "a.md", "--glossary", "g.csv", *FAKE]) == 1
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.setattr(io_module.os, "replace", real)
    assert {p.name: p.read_bytes() for p in Path("outputs/a").iterdir()} == before
    assert not [p for p in Path("outputs").iterdir() if p.name.startswith(".")]


def test_older_run_folder_is_replaced_whole_never_mixed(project):
    Path("outputs/a").mkdir(parents=True)
    Path("outputs/a/stale-from-old-run.json").write_text("{}", encoding="utf-8")
    assert main(["translate", "a.md", "--glossary", "g.csv", *FAKE]) == 0
    names = {p.name for p in Path("outputs/a").iterdir()}
    assert "stale-from-old-run.json" not in names and "aligned.jsonl" in names
    run_id = json.loads(Path("outputs/a/manifest.json").read_text(encoding="utf-8"))["run_id"]
    assert run_id in Path("outputs/a/aligned.tsv").read_text(encoding="utf-8-sig")
