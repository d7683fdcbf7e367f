"""translate → edit the review sheet like a reviewer → import → translate again → memory reused."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from tests.fakes import FAKE

ARTICLE = "王明回国。博古说话。共产国际开会。张闻天写信。\n"
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "ci,共产国际,,Comintern,organization,translate,,,test,approved\n")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text(ARTICLE, encoding="utf-8")
    Path("g.csv").write_text(GLOSSARY, encoding="utf-8")

    def translate() -> list[dict]:
        assert main(["translate", "a.md", "--glossary", "g.csv", *FAKE]) == 0
        return [json.loads(x) for x in Path("outputs/a/aligned.jsonl").read_text(encoding="utf-8").splitlines()]

    return translate


def _edit_xlsx(path: Path, edits: dict[int, tuple[str, str]]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["segments"]
    header = [c.value for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        seg = int(ws.cell(row=row, column=1).value.rsplit("#", 1)[1])
        if seg in edits:
            decision, english = edits[seg]
            ws.cell(row=row, column=header.index("decision") + 1).value = decision
            ws.cell(row=row, column=header.index("reviewed_en") + 1).value = english
    book.save(path)


def test_full_round_trip(run, capsys):
    first = run()
    # The fake engine drops terms on its first method: segments with a locked term escalate.
    assert [(r["method"], r["attempts"]) for r in first] == [("constrained", 2), ("prompt", 1),
                                                              ("constrained", 2), ("prompt", 1)]
    _edit_xlsx(Path("outputs/a/aligned.xlsx"), {
        0: ("approve", ""),
        1: ("fix", "Bo Gu spoke."),
        2: ("reject", ""),
        3: ("fix", "Zhang Wentian wrote a letter to the Communist International."),
    })
    assert main(["review", "import", "outputs/a/aligned.xlsx"]) == 0
    out = capsys.readouterr().out
    assert "imported 1 approved, 2 fixed, 1 rejected" in out
    second = run()
    assert second[0]["method"] == "memory" and second[0]["tgt"] == first[0]["tgt"]
    assert second[1]["method"] == "memory" and second[1]["tgt"] == "Bo Gu spoke."
    assert second[2]["method"] != "memory"  # rejected: translated afresh
    assert second[3]["method"] == "memory"
    assert Path("outputs/a/a.en.md").read_text(encoding="utf-8").count("Bo Gu spoke.") == 1
    # Reviewed English is still checked: Wang Ming is locked in the approved row.
    assert [t["status"] for t in second[0]["terms"]] == ["locked"]


def test_changed_term_rendering_is_proposed_not_applied(run, capsys):
    run()
    _edit_xlsx(Path("outputs/a/aligned.xlsx"), {2: ("fix", "The Communist International held a meeting.")})
    assert main(["review", "import", "outputs/a/aligned.xlsx"]) == 0
    assert "1 glossary change(s) proposed" in capsys.readouterr().out
    proposals = list(csv.DictReader(Path("outputs/glossary-proposals.csv").open(encoding="utf-8-sig")))
    assert [(p["id"], p["zh"], p["current_en"], p["status"]) for p in proposals] == [
        ("ci", "共产国际", "Comintern", "proposed")]
    assert "The Communist International held a meeting." in proposals[0]["note"]
    assert Path("g.csv").read_text(encoding="utf-8") == GLOSSARY


@pytest.mark.parametrize("before, term, after, expected", [
    ("In 1927 the Comintern sent Besso Lominadze to Hankou.", "Comintern",
     "In 1927 the Communist International sent Besso Lominadze to Hankou.", "Communist International"),
    ("In 1927 the Comintern sent Besso Lominadze to Hankou.", "Besso Lominadze",
     "In 1927 the Comintern sent V. Lominadze to Hankou.", "V. Lominadze"),
])
def test_proposed_rendering_aligns_words(before, term, after, expected):
    from pipeline.review.importer import proposed_rendering
    start = before.index(term)
    found = proposed_rendering({"tgt": before}, {"tgt_start": start, "tgt_end": start + len(term)}, after)
    assert found == expected


def test_no_proposal_while_the_reviewed_english_keeps_the_term():
    from pipeline.review.importer import term_proposals
    record = {"tgt": "Wang Ming returned.", "terms": [
        {"id": "wm", "src": "王明", "tgt": "Wang Ming", "tgt_start": 0, "tgt_end": 9, "status": "locked"}]}
    assert term_proposals(record, "Chen Shaoyu (Wang Ming) returned.", "a#0") == []
    (proposal,) = term_proposals(record, "Chen Shaoyu returned.", "a#0")
    assert (proposal["en"], proposal["current_en"]) == ("Chen Shaoyu", "Wang Ming")


def test_tsv_and_european_csv_with_reordered_columns_and_notes(run, capsys):
    records = run()
    run_id = json.loads(Path("outputs/a/manifest.json").read_text(encoding="utf-8"))["run_id"]
    tsv = Path("outputs/a/aligned.tsv").read_text(encoding="utf-8-sig").splitlines()
    assert tsv[0].split("\t")[0] == "id" and len(tsv) == 5
    # A European-locale spreadsheet: ';' separators, columns reordered, a notes column added, rows deleted.
    Path("review.csv").write_text(
        "decision;notes;reviewed_en;run;id\r\nfix;checked;Wang Ming came home.;" + run_id + ";a#0\r\n",
        encoding="utf-8-sig")
    assert main(["review", "import", "review.csv"]) == 0
    assert "imported 0 approved, 1 fixed" in capsys.readouterr().out
    assert records  # the run it refers to


@pytest.mark.parametrize("row, message", [
    ("a#9;fix;X;{run}", "unknown segment id 'a#9'"),
    ("zzz#0;fix;X;{run}", "unknown segment id 'zzz#0'"),
    ("a#0;fix;X;oldrun", "from another run"),
    ("a#0;fix;;{run}", "needs the corrected English"),
    ("a#0;maybe;X;{run}", "decision 'maybe' is not one of"),
])
def test_invalid_review_files_import_nothing(run, capsys, row, message):
    run()
    run_id = json.loads(Path("outputs/a/manifest.json").read_text(encoding="utf-8"))["run_id"]
    good = f"a#1;approve;;{run_id}"
    Path("r.csv").write_text("id;decision;reviewed_en;run\n" + good + "\n" + row.format(run=run_id) + "\n",
                             encoding="utf-8")
    assert main(["review", "import", "r.csv"]) == 1
    err = capsys.readouterr().err
    assert message in err and "r.csv:3" in err and "nothing was imported" in err
    assert not Path("tm/memory.sqlite").exists()


def test_missing_columns_and_export_tmx(run, capsys):
    run()
    Path("r.csv").write_text("id,english\na#0,x\n", encoding="utf-8")
    assert main(["review", "import", "r.csv"]) == 1
    assert "lacks column(s) reviewed_en, decision, run" in capsys.readouterr().err
    _edit_xlsx(Path("outputs/a/aligned.xlsx"), {1: ("fix", "Bo Gu spoke.")})
    assert main(["review", "import", "outputs/a/aligned.xlsx"]) == 0
    assert main(["review", "export-tmx", "memory.tmx"]) == 0
    from translate.storage.tmx import tmxfile
    units = tmxfile.parsefile("memory.tmx").getunits()
    assert [(u.source, u.target) for u in units] == [("博古说话。", "Bo Gu spoke.")]


X2 = "{urn:oasis:names:tc:xliff:document:2.0}"
X12 = "{urn:oasis:names:tc:xliff:document:1.2}"


def test_xliff_21_and_12_are_written_read_by_translate_toolkit_and_import_back(run, capsys):
    import xml.etree.ElementTree as ET

    from translate.storage import xliff, xliff2

    Path("a.md").write_text('[王明](../Page/王明.md "wikilink")回国\\[1\\]，博古说话。共产国际开会。张闻天写信。\n',
                            encoding="utf-8")
    records = run()
    v21, v12 = Path("outputs/a/a.xlf"), Path("outputs/a/a.v12.xlf")
    units21 = xliff2.Xliff2File.parsefile(str(v21)).getunits()
    units12 = xliff.xlifffile.parsefile(str(v12)).getunits()
    assert len(units12) == len(units21) == len(records)
    assert "Wang Ming" in units12[0].target and "Wang Ming" in str(units21[0].target)
    root = ET.parse(v21).getroot()
    assert root.get("version") == "2.1" and root.get("srcLang") == "zh-Hans" and root.get("trgLang") == "en"
    unit = root.find(f"{X2}file/{X2}unit")
    assert unit.get("name") == "a#0" and unit.find(f"{X2}segment").get("state") == "translated"
    data = {d.get("id"): d.text for d in unit.iter(f"{X2}data")}
    (pc,) = unit.find(f"{X2}segment/{X2}target").iter(f"{X2}pc")
    assert data[pc.get("dataRefStart")] == "[" and data[pc.get("dataRefEnd")] == '](../Page/王明.md "wikilink")'
    assert pc.text == "Wang Ming"  # the link's code is around the English it labels
    (ph,) = unit.find(f"{X2}segment/{X2}source").iter(f"{X2}ph")
    assert data[ph.get("dataRef")] == "\\[1\\]"
    notes = [n.text for n in unit.iter(f"{X2}note")]
    assert any(n.startswith("王明 → Wang Ming (locked") for n in notes)
    bpt = ET.parse(v12).getroot().find(f".//{X12}trans-unit/{X12}target/{X12}bpt")
    assert bpt.text == "[" and bpt.tail == "Wang Ming"

    # A reviewer in a CAT tool: changes the second unit's English, marks the first final.
    segments = list(root.iter(f"{X2}segment"))
    segments[0].set("state", "final")
    target = segments[1].find(f"{X2}target")
    for child in list(target):
        target.remove(child)
    target.text = "Bo Gu spoke up."
    ET.register_namespace("", X2[1:-1])
    ET.ElementTree(root).write(v21, encoding="utf-8", xml_declaration=True)
    assert main(["review", "import", str(v21), "--tm", "tm.sqlite"]) == 0
    out = capsys.readouterr().out
    assert "imported 1 approved, 1 fixed, 0 rejected (1 rows not reviewed)" in out  # 3 segments


def test_xliff_12_final_state_approves(run, capsys):
    import xml.etree.ElementTree as ET

    run()
    path = Path("outputs/a/a.v12.xlf")
    root = ET.parse(path).getroot()
    root.find(f".//{X12}trans-unit/{X12}target").set("state", "final")
    ET.register_namespace("", X12[1:-1])
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    assert main(["review", "import", str(path), "--tm", "tm.sqlite"]) == 0
    assert "imported 1 approved, 0 fixed, 0 rejected (3 rows not reviewed)" in capsys.readouterr().out


def test_a_fix_that_equals_the_machine_english_is_reported(run, capsys):
    records = run()
    _edit_xlsx(Path("outputs/a/aligned.xlsx"), {1: ("fix", records[1]["tgt"])})
    assert main(["review", "import", "outputs/a/aligned.xlsx", "--tm", "tm.sqlite"]) == 0
    out = capsys.readouterr().out
    assert "'fix' with the machine's own English: taken as an approval" in out
    assert "imported 1 approved, 0 fixed" in out
