"""Run terms: the names the term base lacks, collected across a run, rendered once, locked everywhere."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from pipeline.cli import main
from pipeline.components import Context, Pipeline
from pipeline.stages import ANALYSIS, blank
from pipeline.terms import run_terms
from pipeline.terms.glossary import Term
from pipeline.terms import suggest
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.methods import Method
from tests.fakes import FakeEngine, ListingEngine, ScriptedEngine

GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "hn,中共湖南省委,,Hunan Provincial Committee of the CPC,organization,translate,,,test,approved\n"
            "gr,高饶事件,,Gao–Rao affair,event,,,,test,proposed\n")
A = ('[蒯大富](../Page/蒯大富.md "wikilink")与[王明](../Page/王明.md "wikilink")见面。'
     '后来[中共江苏省委](https://zh.wikipedia.org/wiki/中共江苏省委 "wikilink")成立，蒯大富参加了。\n')
B = '蒯大富在**高饶事件**中出现。《星火》杂志报道了[中共江苏省委的决定](../Page/中共江苏省委.md "wikilink")。\n'
SCRIPT = "tests.fakes:ScriptedEngine"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.md").write_text(A, encoding="utf-8")
    (tmp_path / "in" / "b.md").write_text(B, encoding="utf-8")
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    return tmp_path


def _docs(tmp_path: Path, terms: list[Term]):
    matcher = TermMatcher(terms)
    steps = Pipeline(ANALYSIS, Context(matcher=matcher), given=("doc.path",))
    return [steps(blank(p)) for p in sorted((tmp_path / "in").glob("*.md"))], matcher


def test_collect_finds_linked_bold_and_title_names_the_base_lacks(tmp_path):
    docs, matcher = _docs(_project(tmp_path), [Term("王明", "Wang Ming")])
    entries = {e.zh: e for e in run_terms.collect(docs, matcher)}
    assert set(entries) == {"蒯大富", "中共江苏省委", "高饶事件", "星火"}
    assert entries["中共江苏省委"].forms == ["中共江苏省委"]  # the glued label was narrowed to the title
    run_terms.count(list(entries.values()), docs)
    assert entries["蒯大富"].count == 3 and entries["蒯大富"].documents == {"a", "b"}
    assert entries["中共江苏省委"].count == 2 and entries["星火"].origin == "book title"


def test_render_pinyin_proposed_rows_engine_and_unclean_ones(tmp_path):
    docs, matcher = _docs(_project(tmp_path), [Term("王明", "Wang Ming")])
    entries = {e.zh: e for e in run_terms.collect(docs, matcher)}
    proposed = {"高饶事件": Term("高饶事件", "Gao–Rao affair", type="event", status="proposed")}
    answers = {"中共江苏省委": "Jiangsu Provincial Committee of the CPC.", "星火": "星火 magazine"}
    asked = []

    def engine(names: list[str]) -> list[str]:
        asked.extend(names)
        return [answers[n] for n in names]
    run_terms.render(list(entries.values()), proposed, engine, matcher)
    assert sorted(asked) == ["中共江苏省委", "星火"]  # persons and proposed rows need no model
    assert entries["蒯大富"].en == "Kuai Dafu" and entries["蒯大富"].source == "pypinyin"
    assert entries["高饶事件"].en == "Gao–Rao affair" and entries["高饶事件"].source == "term base (proposed)"
    assert entries["中共江苏省委"].en == "Jiangsu Provincial Committee of the CPC"  # a name: no full stop
    assert entries["星火"].problem == "Chinese left in the English" and not entries["星火"].locked


def test_a_run_locks_each_name_once_everywhere_and_writes_the_table(tmp_path, monkeypatch):
    monkeypatch.chdir(_project(tmp_path))
    ScriptedEngine.answers = {"中共江苏省委": "Jiangsu Provincial Committee", "星火": "Spark"}
    FakeEngine.calls = []
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", SCRIPT, "--no-tm", "--cache", "c.sqlite"]) == 0
    rows = list(csv.DictReader(open("outputs/run-terms.csv", encoding="utf-8-sig")))
    by_zh = {r["zh"]: r for r in rows}
    assert by_zh["蒯大富"]["en"] == "Kuai Dafu" and by_zh["蒯大富"]["count"] == "3"
    assert by_zh["蒯大富"]["documents"] == "a|b" and by_zh["蒯大富"]["status"] == "proposed"
    assert by_zh["高饶事件"]["en"] == "Gao–Rao affair"
    records = [json.loads(line) for doc in "ab" for line in
               Path(f"outputs/{doc}/aligned.jsonl").read_text(encoding="utf-8").splitlines()]
    run = [t for r in records for t in r["terms"] if t["via"] == "run-terms"]
    assert {t["id"] for t in run} == {"run:蒯大富", "run:中共江苏省委", "run:高饶事件", "run:星火"}
    assert all(t["status"] == "locked" for t in run) and len([t for t in run if t["src"] == "蒯大富"]) == 3
    assert any(t["id"] == "wm" and t["via"] != "run-terms" for r in records for t in r["terms"])  # curated kept
    english = Path("outputs/a/a.en.md").read_text(encoding="utf-8")
    assert '[Kuai Dafu](../Page/蒯大富.md "wikilink")' in english
    assert json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))["run_terms"]["entities"] == 4

    FakeEngine.calls = []  # a second run agrees with the first from the cache: no name goes to the engine
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", SCRIPT, "--no-tm", "--cache", "c.sqlite"]) == 0
    assert FakeEngine.calls == []
    assert list(csv.DictReader(open("outputs/run-terms.csv", encoding="utf-8-sig"))) == rows

    assert main(["glossary", "import", "outputs/run-terms.csv", "--into", "g.csv"]) == 0
    merged = {r["zh"]: r for r in csv.DictReader(open("g.csv", encoding="utf-8"))}
    assert merged["蒯大富"]["status"] == "proposed" and merged["王明"]["status"] == "approved"
    assert merged["高饶事件"]["en"] == "Gao–Rao affair" and len(merged) == 6  # 3 rows + 3 new (高饶事件 updated)


def test_names_go_to_the_engine_several_to_a_request_and_a_line_left_out_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(_project(tmp_path))
    ListingEngine.answers = {"中共江苏省委": "Jiangsu Provincial Committee", ("星火", Method.LIST): "", "星火": "Spark"}
    FakeEngine.calls = []
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "tests.fakes:ListingEngine", "--no-tm",
                 "--no-cache"]) == 0
    names = [r for r in FakeEngine.calls if r.source in ("星火", "中共江苏省委") or r.method == Method.LIST]
    assert [(r.method, r.source) for r in names] == [(Method.LIST, "1. 中共江苏省委\n2. 星火"), ("prompt", "星火")]
    rows = {r["zh"]: r for r in csv.DictReader(open("outputs/run-terms.csv", encoding="utf-8-sig"))}
    assert rows["中共江苏省委"]["en"] == "Jiangsu Provincial Committee" and rows["星火"]["en"] == "Spark"
    by_method = json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))["engine_stats"]["by_method"]
    assert by_method[Method.LIST] == 1


def test_no_run_terms_leaves_names_to_each_sentence(tmp_path, monkeypatch):
    monkeypatch.chdir(_project(tmp_path))
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", SCRIPT, "--no-tm", "--no-cache",
                 "--no-run-terms"]) == 0
    assert not Path("outputs/run-terms.csv").exists()
    records = [json.loads(line) for line in Path("outputs/a/aligned.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {t["id"] for r in records for t in r["terms"]} == {"wm"}


def test_related_approved_entries_are_a_pattern_for_the_engine(tmp_path, monkeypatch):
    curated = [Term("中共湖南省委", "Hunan Provincial Committee of the CPC"), Term("王明", "Wang Ming"),
               Term("八七会议", "August 7 Emergency Conference")]
    assert [t.zh for t in run_terms.related("中共江苏省委", curated)] == ["中共湖南省委"]
    assert run_terms.related("蒯大富", curated) == []
    monkeypatch.chdir(_project(tmp_path))
    FakeEngine.calls = []
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", SCRIPT, "--no-tm", "--no-cache"]) == 0
    (asked,) = [r for r in FakeEngine.calls if r.source == "中共江苏省委"][:1]
    assert [(t.zh, t.en) for t in asked.examples] == [("中共湖南省委", "Hunan Provincial Committee of the CPC")]


def test_renderings_are_names_not_sentences():
    assert run_terms._as_name("The Eastern Army of Resistance.", "organization") == "Eastern Army of Resistance"
    assert run_terms._as_name("The Passing Years", "publication") == "The Passing Years"
    assert run_terms.unclean("共产国际派", "Communists (Draft) -Comintern") == "a parenthetical the name does not have"
    assert run_terms.unclean("八七会议", "The meeting was held. It ended.") == "a sentence, not a name"
    assert run_terms.unclean("中共江苏省委", "Jiangsu Provincial Committee") == ""
    assert run_terms.unclean("留法勤工俭学", "See also: French Student Movement, French Student Movement in China") \
        == "a list or a heading, not a name"
    assert run_terms.unclean("鄂豫皖", "Hubei, Henan and Anhui") == "a list or a heading, not a name"
    assert run_terms.unclean("湘、鄂", "Hunan, Hubei") == ""  # the name is a list itself


def test_places_and_aliases_need_no_model():
    entries = [run_terms.RunTerm(["诸暨"], "wikilinked page"), run_terms.RunTerm(["江浙"], "wikilinked page"),
               run_terms.RunTerm(["伯青"], "bold name"), run_terms.RunTerm(["张莘夫"], "wikilinked page"),
               run_terms.RunTerm(["鄂豫皖根据地"], "wikilinked page")]
    asked = []
    run_terms.render(entries, {}, lambda names: asked.extend(names) or ["Eyuwan Base Area"] * len(names),
                     TermMatcher([]))
    assert [e.en for e in entries] == ["Zhuji", "Jiangsu and Zhejiang", "Boqing", "Zhang Shenfu", "Eyuwan Base Area"]
    assert asked == ["鄂豫皖根据地"]


def test_places_by_their_unit_where_the_dictionary_has_no_short_name():
    entries = [run_terms.RunTerm([name], "wikilinked page") for name in ("酉阳县", "酉阳州", "志安坊", "北四川路")]
    asked = []
    run_terms.render(entries, {}, lambda names: asked.extend(names) or ["North Sichuan Road"] * len(names),
                     TermMatcher([]))
    assert [(e.type, e.en) for e in entries] == [("place", "Youyang County"), ("place", "Youyang Prefecture"),
                                                  ("place", "Zhi'an Lane"), ("place", "North Sichuan Road")]
    assert asked == ["北四川路"]  # a street's name is words, not a unit
    assert suggest.place_name("东北地区") == ""  # 地区 is a word: "region", not 东北地 + District
    assert suggest.place_name("新街彝族乡") == "Xinjie Yi Ethnic Township"  # an ethnic township by its pattern


def test_a_rendering_lacking_an_approved_part_still_names_its_page_for_render():
    curated = [Term("法国", "France", id="fr")]
    entries = [run_terms.RunTerm(["法国共产党"], "wikilinked page")]
    run_terms.render(entries, {}, lambda names: ["French Communist Party"], TermMatcher(curated))
    assert not entries[0].locked and entries[0].problem.startswith("lacks the approved 'France'")
    matcher = run_terms.run_matcher(curated, entries, "t2s")
    assert matcher.lookup("法国共产党") is None and matcher.english_for("法国共产党") == "French Communist Party"
    assert matcher.english_for("法国") == "France"


def test_pages_of_wiki_namespaces_are_not_names():
    from pipeline.stages import analyze_text
    doc = analyze_text('见[照片](../Page/文件:Zhao_Shiyan.jpg.md "wikilink")与[人物](../Page/分类:人物.md "wikilink")。',
                       matcher=TermMatcher([]))
    assert run_terms.collect([doc], TermMatcher([])) == []
    assert run_terms._proper_noun("贵州省") == "Guizhou Province"  # CC-CEDICT's "Guizhou province"
    assert run_terms._proper_noun("江浙") == "Jiangsu and Zhejiang"
