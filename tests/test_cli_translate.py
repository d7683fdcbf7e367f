"""`zhen translate` end to end with the tiny GGUF: files, fields, provenance, errors."""
from __future__ import annotations

import json

from pipeline.cli import main
from tests.fakes import FAKE

ARTICLE = ('**王明**是[共产国际](../Page/共产国际.md "wikilink")的代表\\[1\\]。他于1930年回国。\n\n'
           "## 参见\n\n  - [王明](../Page/王明.md \"wikilink\")\n\n1.  某书。\n")
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "ci,共产国际,共產國際,Comintern,organization,translate,,,test,approved\n")


def _setup(tmp_path):
    """Inputs in a scratch folder (no translation memory of the working copy is picked up)."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    return tmp_path / "in", tmp_path / "g.csv", tmp_path / "out"


def test_translate_writes_every_output(tmp_path, capsys):
    inputs, glossary, out = _setup(tmp_path)
    code = main(["translate", str(inputs), "--out", str(out), "--glossary", str(glossary),
                 *FAKE, "--no-tm"])
    assert code == 0
    folder = out / "a"
    assert sorted(p.name for p in folder.iterdir()) == [
        "a.en.md", "a.tmx", "a.v12.xlf", "a.xlf", "aligned.jsonl", "aligned.tsv", "aligned.xlsx", "manifest.json",
        "qa.json", "review.html"]
    text = ARTICLE
    records = [json.loads(line) for line in (folder / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]
    fields = {"doc", "seg", "block", "kind", "src", "src_start", "src_end", "norm", "tgt", "terms", "qa"}
    assert all(fields <= r.keys() for r in records)
    for record in records:
        assert text[record["src_start"]:record["src_end"]] == record["src"]
        for term in record["terms"]:
            assert set(term) >= {"id", "src", "src_start", "src_end", "tgt", "tgt_start", "tgt_end", "status", "method"}
            assert term["status"] == "locked"
            assert record["tgt"][term["tgt_start"]:term["tgt_end"]] == term["tgt"]
            assert text[term["src_start"]:term["src_end"]] == term["src"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"]["engine"] == "fake" and len(manifest["engine"]["sha256"]) == 64
    assert manifest["glossary"]["files"][0]["sha256"] and manifest["opencc"] == "t2s"
    assert manifest["signature"].startswith("engine:fake|model:fake-1@")
    assert manifest["versions"]["opencc"] and manifest["versions"]["zhen"]
    qa = json.loads((folder / "qa.json").read_text(encoding="utf-8"))
    # 王明 twice, 共产国际, and the standard heading 参见 → See also
    assert qa["summary"]["terms_missing"] == 0 and qa["summary"]["terms_locked"] == 4
    md = (folder / "a.en.md").read_text(encoding="utf-8")
    assert "## " in md and '[Wang Ming](../Page/王明.md "wikilink")' in md and "\\[1\\]" in md
    assert "translate" in capsys.readouterr().out
    assert json.loads((out / "qa-summary.json").read_text(encoding="utf-8"))["documents"] == 1
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["totals"]["locked"] == 4 and run["totals"]["missing"] == 0 and run["inputs"][0]["sha256"]
    assert set(run["timings"]) == {"analysis", "run_terms", "translation", "writing"} and run["versions"]["zhen"]


def test_glossary_with_errors_stops_before_translating(tmp_path, capsys):
    inputs, glossary, out = _setup(tmp_path)
    glossary.write_text(GLOSSARY + "x,博古,,,person,,,,,approved\n", encoding="utf-8")
    assert main(["translate", str(inputs), "--out", str(out), "--glossary", str(glossary),
                 *FAKE]) == 1
    assert "empty-target" in capsys.readouterr().err and not out.exists()


def test_bad_model_path_is_a_clear_error(tmp_path, capsys):
    inputs, glossary, out = _setup(tmp_path)
    assert main(["translate", str(inputs), "--glossary", str(glossary), "--model", str(tmp_path / "nope.gguf"),
                 "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "nope.gguf: no such model file" in err and "Traceback" not in err
