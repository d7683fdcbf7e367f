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
    from pipeline.review.importer import _proposals
    record = {"tgt": "Wang Ming returned.", "terms": [
        {"id": "wm", "src": "王明", "tgt": "Wang Ming", "tgt_start": 0, "tgt_end": 9, "status": "locked"}]}
    assert _proposals(record, "Chen Shaoyu (Wang Ming) returned.", "a#0") == []
    (proposal,) = _proposals(record, "Chen Shaoyu returned.", "a#0")
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
