"""Round trips through LibreOffice Calc, as a glossary editor or reviewer would make them: zhen's XLSX
opened and saved again by LibreOffice (XLSX and UTF-8 CSV) imports back unchanged.

Skipped with a message where LibreOffice is not installed; ``.ci/run`` installs Debian's
``libreoffice-calc`` and sets ZHEN_REQUIRE_LIBREOFFICE=1, so CI runs them.
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.cli import main
from pipeline.terms.glossary import PACKAGED_GLOSSARY, load_glossary
from tests.fakes import FAKE

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE is None and os.environ.get("ZHEN_REQUIRE_LIBREOFFICE") != "1":
    pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc",
                allow_module_level=True)

FIELDS = ("id", "zh", "variants", "en", "type", "action", "forbidden", "note", "source", "status")


PROFILE = Path(tempfile.mkdtemp(prefix="zhen-lo-profile-"))  # one LibreOffice profile: it starts once slowly


def _resave(path: Path, out: Path, target: str) -> Path:
    """LibreOffice opens ``path`` and saves it as ``target`` (an extension, or ext:filter:options)."""
    out.mkdir(exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation={PROFILE.resolve().as_uri()}", "--headless", "--convert-to",
                    target, "--outdir", str(out.resolve()), str(path.resolve())], check=True, capture_output=True,
                   timeout=240)
    (saved,) = [p for p in out.iterdir() if p.is_file() and p.stem == path.stem]
    return saved


def _fields(paths: list[Path]):
    return [tuple(getattr(t, f) for f in FIELDS) for t in load_glossary(paths).terms]


def test_glossary_xlsx_saved_by_libreoffice_imports_back_unchanged(tmp_path):
    xlsx = tmp_path / "terms.xlsx"
    assert main(["glossary", "export", "--glossary", str(PACKAGED_GLOSSARY), "--xlsx", str(xlsx)]) == 0
    for target in ("xlsx", 'csv:Text - txt - csv (StarCalc):44,34,76,1'):
        saved = _resave(xlsx, tmp_path / target.split(":")[0], target)
        into = tmp_path / f"into-{saved.suffix[1:]}.csv"
        shutil.copy(PACKAGED_GLOSSARY, into)
        assert main(["glossary", "import", str(saved), "--into", str(into)]) == 0
        assert _fields([into]) == _fields([PACKAGED_GLOSSARY]), target


def test_review_xlsx_saved_by_libreoffice_imports(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text("王明回国。博古说话。\n", encoding="utf-8")
    Path("g.csv").write_text("id,zh,en,status\nwm,王明,Wang Ming,approved\n", encoding="utf-8")
    assert main(["translate", "a.md", "--glossary", "g.csv", *FAKE, "--no-cache"]) == 0
    book = openpyxl.load_workbook("outputs/a/aligned.xlsx")
    ws = book["segments"]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("decision") + 1).value = "fix"
    ws.cell(row=3, column=header.index("reviewed_en") + 1).value = "Bo Gu spoke."
    book.save("edited.xlsx")
    saved = _resave(Path("edited.xlsx"), Path("lo"), "xlsx")
    assert main(["review", "import", str(saved), "--tm", "tm.sqlite"]) == 0
    assert "imported 0 approved, 1 fixed, 0 rejected (1 rows not reviewed)" in capsys.readouterr().out
    rows = list(csv.reader(open(_resave(saved, Path("lo-csv"), 'csv:Text - txt - csv (StarCalc):44,34,76,1'),
                                encoding="utf-8")))
    assert rows[0][:4] == ["id", "kind", "source", "english"] and rows[2][rows[0].index("reviewed_en")] == "Bo Gu spoke."
