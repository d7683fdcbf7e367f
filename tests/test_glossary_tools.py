"""The term base itself, every lint rule, and the spreadsheet round trip."""
from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.tables import read_table
from pipeline.terms.glossary import GlossaryError, load_glossary
from pipeline.terms.lint import lint
from pipeline.terms.suggest import cedict_gloss, guess_type, pinyin_name

HEADER = "id,zh,variants,en,type,action,forbidden,note,source,status\n"


def _write(tmp_path: Path, body: str, name="g.csv", header=HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _rules(path: Path) -> Counter:
    return Counter((f.rule, f.severity, f.row) for f in lint(load_glossary([path])))


def test_curated_base_has_300_approved_rows_and_lints_clean(capsys):
    glossary = load_glossary()
    assert sum(t.status == "approved" for t in glossary.terms) >= 300
    assert main(["glossary", "lint"]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    by_en = {t.zh: t.en for t in glossary.terms}
    assert by_en["共产国际"] == "Comintern" and by_en["八七会议"] == "August 7 Emergency Conference"
    assert by_en["二十八个半布尔什维克"] == "28 Bolsheviks" and by_en["孙中山"] == "Sun Yat-sen"
    assert by_en["六届四中全会" if "六届四中全会" in by_en else "中共六届四中全会"] == \
        "Fourth Plenary Session of the Sixth Central Committee"
    assert all(t.source for t in glossary.terms)
    assert by_en["何克全"] == "He Kequan" and by_en["茅盾"] == "Mao Dun"  # other names, not variants


@pytest.mark.parametrize("body, rule, severity, row", [
    ("a,王明,,Wang Ming,person,,,,,approved\nb,王明,,Wang Ming,person,,,,,approved\n", "duplicate-key", "warning", 3),
    ("a,王明,,Wang Ming,person,,,,,approved\nb,王明,,Wang Min,person,,,,,approved\n", "conflicting-targets", "error", 3),
    ("a,共产国际,,Comintern,,,,,,\nb,共產國際,,Komintern,,,,,,\n", "normalization-collision", "error", 3),
    ("a,张闻天,張聞天,Zhang Wentian,,,,,,\n", "redundant-variant", "warning", 2),
    ("a,王明,,,person,,,,,approved\n", "empty-target", "error", 2),
    ("a,,,Wang Ming,person,,,,,approved\n", "empty-source", "error", 2),
    ("a, 王明,,Wang Ming ,person,,,,,approved\n", "stray-whitespace", "warning", 2),
    ("a,毛泽东,,Mao Zedong,person,,Mao|Mao Tse-tung,,,approved\n", "forbidden-contains-target", "error", 2),
    ("a,王明,,Wang Ming,human,,,,,approved\n", "bad-type", "error", 2),
    ("a,王明,,Wang Ming,person,translit,,,,approved\n", "bad-action", "error", 2),
    ("a,王明,,Wang Ming,person,,,,,done\n", "bad-status", "error", 2),
    ("a,王,,Wang,person,,,,,approved\n", "short-key", "warning", 2),
    ("a,——,,dash,concept,,,,,approved\n", "punctuation-key", "error", 2),
    ("a,中共,,CCP,,,,,,\nb,中共中央政治局,,Politburo,,,,,,\n", "nested-term", "warning", 2),
    ("a,凯丰,何克全,Kai Feng,person,,,,,approved\n", "another-name-as-variant", "warning", 2),
])
def test_each_lint_rule(tmp_path, body, rule, severity, row):
    assert (rule, severity, row) in _rules(_write(tmp_path, body))


def test_a_spelling_variant_is_not_another_name(tmp_path):
    rules = _rules(_write(tmp_path, "a,罗明那兹,罗明纳兹|罗米那兹,Besso Lominadze,person,,,,,approved\n"))
    assert not [r for r in rules if r[0] == "another-name-as-variant"]


def test_lint_exit_codes(tmp_path, capsys):
    assert main(["glossary", "lint", str(_write(tmp_path, "a,王,,Wang,person,,,,,approved\n"))]) == 0
    bad = _write(tmp_path, "a,王明,,,person,,,,,approved\n", name="bad.csv")
    assert main(["glossary", "lint", str(bad)]) == 1
    assert "bad.csv:2: error: [empty-target]" in capsys.readouterr().err


def test_missing_or_misspelled_header_is_named(tmp_path, capsys):
    path = _write(tmp_path, "王明,Wang Ming\n", header="chinese,eng\n")
    with pytest.raises(GlossaryError, match=r"g.csv:1: header lacks required column 'zh'"):
        load_glossary([path])
    path = _write(tmp_path, "王明,Wang Ming\n", header="zh,en_\n", name="typo.csv")
    assert main(["glossary", "lint", str(path)]) == 1
    assert "found 'en_': misspelled?" in capsys.readouterr().err


def test_gbk_glossary_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "a,王明,,Wang Ming,person,,,,,approved\n").encode("gbk"))
    assert main(["glossary", "lint", str(path)]) == 1
    err = capsys.readouterr().err
    assert "gbk.csv:2: is not UTF-8" in err and "Traceback" not in err


def test_reads_excel_style_csv_bom_crlf_quotes_semicolons(tmp_path):
    text = ('\ufeff"id";"zh";"en";"note"\r\n"a";"王明";"Wang Ming";"said ""hi"";\r\nthen, left"\r\n'
            '\r\n"b";"博古";"Bo Gu";""\r\n')
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_table(path)
    assert table.header == ["id", "zh", "en", "note"]
    assert [(n, r["zh"], r["note"]) for n, r in table.rows] == [(2, "王明", 'said "hi";\r\nthen, left'), (4, "博古", "")]  # spreadsheet rows, not file lines


def test_export_xlsx_and_import_round_trip_keeps_extra_columns(tmp_path):
    source = _write(tmp_path, "a,王明,,Wang Ming,person,transliterate,,=HYPERLINK(\"x\"),,approved,keep me\n",
                    header=HEADER.strip() + ",reviewer\n")
    xlsx = tmp_path / "g.xlsx"
    assert main(["glossary", "export", "--glossary", str(source), "--xlsx", str(xlsx)]) == 0
    ws = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in ws[1]]
    assert header[-1] == "reviewer" and ws.freeze_panes == "A2"
    note = ws.cell(row=2, column=header.index("note") + 1)
    assert note.value == "'=HYPERLINK(\"x\")" and note.data_type == "s"
    ws.cell(row=2, column=header.index("en") + 1).value = "WANG Ming"
    ws.parent.save(xlsx)

    into = _write(tmp_path, "a,王明,,Wang Ming,person,transliterate,,,,approved\n", name="terms.csv")
    before = into.read_bytes()
    assert main(["glossary", "import", str(xlsx), "--into", str(into)]) == 0
    rows = list(csv.DictReader(into.open(encoding="utf-8")))
    assert rows[0]["en"] == "WANG Ming" and rows[0]["reviewer"] == "keep me"
    assert rows[0]["note"] == '=HYPERLINK("x")'  # our own neutralization is undone on import
    backups = list(tmp_path.glob("terms.csv.*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == before


def test_import_with_errors_changes_nothing(tmp_path, capsys):
    into = _write(tmp_path, "a,王明,,Wang Ming,person,,,,,approved\n", name="terms.csv")
    before = into.read_bytes()
    bad = _write(tmp_path, "a,王明,,,person,,,,,approved\nb,博古,,Bo Gu,human,,,,,approved\n", name="edit.csv")
    assert main(["glossary", "import", str(bad), "--into", str(into)]) == 1
    err = capsys.readouterr().err
    assert "edit.csv:2: error: [empty-target]" in err and "edit.csv:3: error: [bad-type]" in err
    assert "nothing was imported" in err
    assert into.read_bytes() == before and not list(tmp_path.glob("*.bak"))


def test_export_csv_is_excel_ready(tmp_path):
    out = tmp_path / "g.csv"
    source = _write(tmp_path, "a,王明,,Wang Ming,person,,,-note,,approved\n", name="src.csv")
    assert main(["glossary", "export", "--glossary", str(source), "--csv", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b'"\'-note"' in data


def test_coverage_and_suggest(tmp_path, capsys):
    article = tmp_path / "a.md"
    article.write_text('**曾山**是[王明](../Page/王明.md "wikilink")的[同事](../Page/宁都县.md "wikilink")。'
                       "著有《斗争》。\n\n## 参见\n", encoding="utf-8")
    glossary = _write(tmp_path, "a,王明,,Wang Ming,person,,,,,approved\n")
    assert main(["glossary", "coverage", str(article), "--glossary", str(glossary)]) == 0
    out = capsys.readouterr().out
    assert "linked pages covered: 1/2 (50.0%)" in out and "宁都县" in out
    assert "entries used: 1;" in out  # the standard heading 参见 is not an entry of the term base
    out_csv = tmp_path / "proposed.csv"
    assert main(["glossary", "suggest", str(article), "--glossary", str(glossary), "--out", str(out_csv)]) == 0
    rows = {r["zh"]: r for r in csv.DictReader(out_csv.open(encoding="utf-8-sig"))}
    assert rows["曾山"]["en"] == "Zeng Shan" and rows["曾山"]["type"] == "person"
    assert rows["宁都县"]["en"].startswith("Ningdu county") and rows["宁都县"]["type"] == "place"
    assert rows["斗争"]["type"] == "publication"
    assert {r["status"] for r in rows.values()} == {"proposed"}


@pytest.mark.parametrize("name, expected", [("曾山", "Zeng Shan"), ("张闻天", "Zhang Wentian"),
                                            ("欧阳钦", "Ouyang Qin"), ("吕正操", "Lü Zhengcao")])
def test_pinyin_name_drafts(name, expected):
    assert pinyin_name(name) == expected


def test_type_guess_and_cedict():
    assert guess_type("八七会议") == "event" and guess_type("左倾") == "concept"
    assert cedict_gloss("共产国际").startswith("Communist International")


BASE = ("a,王明,,Wang Ming,person,transliterate,,,,approved\nb,博古,,Bo Gu,person,transliterate,,,,approved\n"
        "c,张闻天,,Zhang Wentian,person,transliterate,,,,approved\n")


def test_import_merges_adds_changes_and_never_shrinks_the_base(tmp_path, capsys):
    into = _write(tmp_path, BASE, name="terms.csv")
    edit = _write(tmp_path, "b,博古,,Bo Ku,person,transliterate,,,,approved\nd,罗亦农,,Luo Yinong,person,,,,,approved\n",
                  name="edit.csv")
    assert main(["glossary", "import", str(edit), "--into", str(into)]) == 0
    rows = list(csv.DictReader(into.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"] and rows[1]["en"] == "Bo Ku"
    out = capsys.readouterr().out
    assert "1 added (d); 1 changed (b); 2 not in the import, kept (--replace to drop them); 4 rows now" in out


def test_an_import_reports_only_the_findings_it_brings_and_names_the_term_base(tmp_path, capsys):
    import shutil
    into = tmp_path / "terms.csv"
    shutil.copy(Path(__file__).resolve().parent.parent / "glossary" / "terms.csv", into)  # has nested-term warnings
    edit = _write(tmp_path, "id,zh,en,status\nper-besso-lominadze,罗明那兹,Vissarion Lominadze,approved\n",
                  name="edit.csv")
    assert main(["glossary", "import", str(edit), "--into", str(into)]) == 0
    captured = capsys.readouterr()
    said = captured.out + captured.err
    # the base had its nested-term warnings before: only the one naming the changed row is the import's
    assert said.count("[nested-term]") == 1 and "'罗明' (Luo Ming) also occurs inside '罗明那兹'" in said
    assert "lint warning(s) the term base already had" in said
    assert "/tmp" not in said.replace(str(tmp_path), "")  # the user's file is named, never a temporary copy


def test_import_replace_is_explicit_and_reports_removals(tmp_path, capsys):
    into = _write(tmp_path, BASE, name="terms.csv")
    edit = _write(tmp_path, "b,博古,,Bo Gu,person,transliterate,,,,approved\n", name="edit.csv")
    assert main(["glossary", "import", str(edit), "--into", str(into), "--replace"]) == 0
    assert [r["id"] for r in csv.DictReader(into.open(encoding="utf-8"))] == ["b"]
    assert "0 added; 0 changed; 2 removed (a, c); 1 rows now" in capsys.readouterr().out


def test_import_without_into_writes_the_working_folders_term_base_from_the_packaged_one(tmp_path, monkeypatch,
                                                                                       capsys):
    from pipeline.terms.glossary import PACKAGED_GLOSSARY
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZHEN_GLOSSARY", raising=False)
    packaged = PACKAGED_GLOSSARY.read_bytes()
    edit = _write(tmp_path, "zz-new,某某人,,Moumou Ren,person,transliterate,,,,proposed\n", name="edit.csv")
    assert main(["glossary", "import", str(edit)]) == 0
    made = tmp_path / "glossary" / "terms.csv"
    rows = list(csv.DictReader(made.open(encoding="utf-8")))
    assert len(rows) == len(list(csv.DictReader(PACKAGED_GLOSSARY.open(encoding="utf-8")))) + 1
    assert rows[-1]["id"] == "zz-new" and PACKAGED_GLOSSARY.read_bytes() == packaged  # only read
    from pipeline.terms.glossary import default_glossary
    assert default_glossary() == Path("glossary/terms.csv")  # runs now read the working copy


FIELDS = ("id", "zh", "variants", "en", "type", "action", "forbidden", "note", "source", "status")


def _fields(glossary):
    return [tuple(getattr(t, f) for f in FIELDS) for t in glossary.terms]


def test_tbx_export_then_import_gives_the_same_term_base(tmp_path):
    import xml.etree.ElementTree as ET

    from pipeline.terms.glossary import PACKAGED_GLOSSARY, load_glossary
    base = _write(tmp_path, BASE + ",毛泽东,毛澤東|润之,Mao Zedong,person,,Mao Tse-tung|Mao Tsetung,"
                  '"a note, with ""quotes""",ref,proposed\n', name="terms.csv")
    for source in (PACKAGED_GLOSSARY, base):  # the small one last: its file is inspected below
        tbx = tmp_path / "terms.tbx"
        assert main(["glossary", "export", "--glossary", str(source), "--tbx", str(tbx)]) == 0
        assert _fields(load_glossary([tbx])) == _fields(load_glossary([source]))
    root = ET.parse(tmp_path / "terms.tbx").getroot()
    assert root.tag == "{urn:iso:std:iso:30042:ed-2}tbx" and root.get("type") == "TBX-Basic"
    mao = [e for e in root.iter("{urn:iso:std:iso:30042:ed-2}conceptEntry")][-1]
    statuses = [n.text for n in mao.iter("{urn:iso:std:iso:30042:ed-2}termNote")]
    assert statuses.count("deprecatedTerm-admn-sts") == 2 and statuses.count("preferredTerm-admn-sts") == 1


def test_tbx_v2_from_another_tool_is_read(tmp_path):
    from pipeline.terms.glossary import load_glossary
    tbx = tmp_path / "memoq.tbx"
    tbx.write_text('<?xml version="1.0"?><martif type="TBX" xml:lang="en"><text><body>'
                   '<termEntry id="t1"><langSet xml:lang="zh-CN"><tig><term>博古</term></tig></langSet>'
                   '<langSet xml:lang="en-US"><tig><term>Bo Gu</term></tig><tig><term>Po Ku</term>'
                   '<termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></tig></langSet>'
                   "</termEntry></body></text></martif>", encoding="utf-8")
    (term,) = load_glossary([tbx]).terms
    assert (term.id, term.zh, term.en, term.forbidden) == ("t1", "博古", "Bo Gu", ("Po Ku",))


def test_two_column_glossaries_import_and_export(tmp_path, capsys):
    into = _write(tmp_path, BASE, name="terms.csv")
    deepl = tmp_path / "deepl.csv"
    deepl.write_text("罗亦农,Luo Yinong\n博古,Bo Gu\n", encoding="utf-8")
    omegat = tmp_path / "omegat.tsv"
    omegat.write_text("项英\tXiang Ying\ta comment\n", encoding="utf-8")
    assert main(["glossary", "import", str(deepl), "--into", str(into)]) == 0
    assert main(["glossary", "import", str(omegat), "--into", str(into)]) == 0
    rows = {r["zh"]: r for r in csv.DictReader(into.open(encoding="utf-8"))}
    assert rows["罗亦农"]["en"] == "Luo Yinong" and rows["项英"]["note"] == "a comment"
    assert rows["博古"]["id"] == "b" and len(rows) == 5  # 博古 was already there (by its Chinese form)
    pairs = tmp_path / "pairs.csv"
    assert main(["glossary", "export", "--glossary", str(into), "--pairs-csv", str(pairs),
                 "--pairs-tsv", str(tmp_path / "pairs.tsv")]) == 0
    assert pairs.read_text(encoding="utf-8").splitlines()[0] == "王明,Wang Ming"
    assert (tmp_path / "pairs.tsv").read_text(encoding="utf-8").splitlines()[-1] == "项英\tXiang Ying\ta comment"


def test_chinese_lost_to_a_legacy_encoding_is_named_once(tmp_path, capsys):
    lost = _write(tmp_path, "".join(f"t{i},???,,Name {i},person,,,,,approved\n" for i in range(20)), name="lost.csv")
    assert main(["glossary", "lint", str(lost)]) == 1
    err = capsys.readouterr().err
    assert "20 of 20 rows have a zh cell of only question marks" in err and "CSV UTF-8" in err
    assert "punctuation-key" not in err
