"""Saying which sentences may be wrong: the adequacy rules, the confidence estimator, `zhen review score`."""
from __future__ import annotations

import json

import pytest

from pipeline import facts
from pipeline.cli import main
from pipeline.document import Segment
from pipeline.qa import confidence
from pipeline.stages import analyze_text
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.verdicts import judge
from tests.fakes import FAKE

TERMS = [Term("王明", "Wang Ming", id="wm", type="person"), Term("博古", "Bo Gu", id="bg", type="person")]


def _segment(source: str) -> Segment:
    (segment,) = analyze_text(source, matcher=TermMatcher(TERMS)).segments
    return segment


def _checks(source: str, english: str) -> set[str]:
    return {f.check for f in judge(_segment(source), english, "prompt").defects}


# -- the adequacy rules ----------------------------------------------------------------------------

def test_the_first_person_where_the_source_has_none_is_a_finding():
    assert "first-person" in _checks("1931年回国。", "In 1931, I returned to China.")
    assert "first-person" in _checks("他们的主张。", "Our proposal.")
    assert "first-person" not in _checks("1931年回国。", "In 1931, he returned to China.")
    assert "first-person" not in _checks("我们回国。", "We returned to China.")  # the source says it
    assert "first-person" not in _checks("第一次世界大战结束。", "World War I ended.")  # a numeral, not "I"


def test_a_person_named_more_often_than_the_source_names_them_is_a_finding():
    source = "王明任总书记，博古任代表。"
    assert "extra-person" in _checks(source, "Wang Ming served as General Secretary, and Wang Ming as representative.")
    assert "extra-person" not in _checks(source, "Wang Ming served as General Secretary, and Bo Gu as representative.")


def _opens_with_another(source: str, english: str, about: str = "") -> bool:
    segment = _segment(source)
    segment.about = about
    return any("as the one who acts" in f.message for f in judge(segment, english, "prompt").defects)


def test_a_person_the_english_makes_its_subject_where_the_source_does_not_is_a_finding():
    # 罗亦农 #4 shipped "After returning to China in 1925, Zhou Enlai served as …" (Luo's own post)
    source = "1925年回国后担任书记，与王明领导起义。"
    assert _opens_with_another(source, "After returning to China in 1925, Wang Ming served as secretary.")
    assert _opens_with_another(source, "In 1925, <a1>Wang Ming</a1> served as secretary and led the uprising.")
    assert not _opens_with_another(source, "After returning in 1925, he served as secretary and led it with Wang Ming.")
    assert not _opens_with_another("1931年，王明回国。", "In 1931, Wang Ming returned to China.")  # his clause
    assert not _opens_with_another("1931年，王明回国，博古任代表。", "In 1931, Wang Ming returned; Bo Gu was the representative.")
    assert not _opens_with_another("会议斥责王明。", "At the meeting, Wang Ming was criticized.")  # passive
    # the article's own subject is the one a sentence without a subject is about
    assert not _opens_with_another("1945年任书记，后撤销王明职务。", "In 1945, Wang Ming served as secretary.",
                                   about="Wang Ming")
    assert _opens_with_another("1945年任书记，后撤销王明职务。", "In 1945, Wang Ming served as secretary.", about="Bo Gu")
    # the re-prompt tells the model whom the sentence is about, where the article says
    segment = _segment("1945年任书记，后撤销王明职务。")
    segment.about = "Bo Gu"
    (message,) = [f.message for f in judge(segment, "In 1945, Wang Ming served as secretary.", "prompt").defects
                  if f.check == "extra-person"]
    assert message.endswith(": a sentence without a subject is about Bo Gu")


@pytest.mark.parametrize("source, english, wrong", [
    ("亦是前国务院总理李鹏的舅父。", "He was the father of Li Peng.", "father"),  # 赵世炎 #2: the maternal uncle
    ("继子，俞敏。", "Son, Yu Min.", "Son"),  # 俞秀松 #18: the stepson
    ("妻子，安志洁，盛世才之妹。", "Wife, An Zhijie, daughter of Sheng Shicai.", "daughter"),  # 俞秀松 #17: his sister
])
def test_a_relation_the_source_does_not_name_is_a_finding(source, english, wrong):
    from pipeline.kinship import unlicensed_kin

    assert unlicensed_kin(english, source) == [wrong] and "kinship" in _checks(source, english)


def test_the_relations_the_source_names_are_no_finding():
    from pipeline.kinship import unlicensed_kin

    for source, english in [("所以赵世炎是李鹏的舅父。", "So Zhao Shiyan was Li Peng's uncle."),
                            ("继子，俞敏。", "Stepson, Yu Min."), ("其妻为李文宜。", "His wife was Li Wenyi."),
                            ("他娶了地主的女儿。", "He married a landlord's daughter."),
                            ("其子女求学。", "His children studied."), ("家长认为粗俗。", "Parents found it coarse."),
                            ("他的祖父是农民。", "His grandfather was a farmer.")]:
        assert unlicensed_kin(english, source) == [], english


def test_a_day_the_source_does_not_state_is_a_finding_and_mended_to_its_part_of_the_month():
    source = "1927年4月下旬，他到达武汉。"
    assert "the date 4 April has a day of the month the source does not state" in " ".join(
        facts.problems("On 4 April 1927, he arrived in Wuhan.", source))
    assert facts.mended_years("On 4 April 1927, he arrived in Wuhan.", source) == "In late April 1927, he arrived in Wuhan."
    assert facts.mended_years("He left on April 4, 1927.", "1927年4月他离开。") == "He left in April 1927."
    stated = "1927年4月19日，他到达武汉。"
    assert not facts.problems("On 19 April 1927, he arrived in Wuhan.", stated)


def test_a_month_the_source_does_not_state_is_a_finding_and_mended_to_its_part_of_the_year():
    # 俞秀松 #5 and 中共中央临时政治局扩大会议 #12 shipped "January 1920/1928" for 1920年初, 1928年初
    source = "1920年初加入北京工读互助团。"
    assert "the date January 1920 has a month the source does not state" in facts.problems(
        "In January 1920, he joined the Beijing Work-Study Mutual Aid Corps.", source)[0]
    assert facts.mended_years("In January 1920, he joined.", source) == "In early 1920, he joined."
    assert facts.mended_years("January 1928, the meeting was held.", "1928年初，会议召开。") == \
        "Early 1928, the meeting was held."
    assert facts.mended_years("He left in December 1927.", "1927年底他离开。") == "He left in late 1927."
    assert facts.mended_years("On March 1920 he joined.", "1920年他加入。") == "In 1920 he joined."
    for english, stated in [("In August 1920, he left.", "1920年8月他离开。"), ("In November 1927, he left.", "1927年十一月他离开。"),
                            ("The May Fourth Movement of 1919 began.", "1919年五四运动爆发。")]:
        assert not facts.problems(english, stated) and facts.mended_years(english, stated) == english


@pytest.mark.parametrize("blank", ["（）", "（，）", "（，；）", "（-）", "（？）", "(,)"])
def test_life_dates_the_source_leaves_blank_stay_blank_in_every_punctuation(blank):
    assert facts.blank_life_dates("Wang Mou (1900–1931) was a worker.", f"王某{blank}，工人。") == \
        "Wang Mou was a worker."


# -- the estimator ---------------------------------------------------------------------------------

def _record(**fields) -> dict:
    record = {"norm": "王明于1931年回国，任中共中央政治局委员。", "tgt": "Wang Ming returned to China in 1931 and "
              "became a member of the Politburo.", "method": "prompt", "attempts": 1, "qa": []}
    return {**record, **fields}


@pytest.mark.parametrize("worse", [
    {"attempts": 3},
    {"qa": [{"check": "first-person", "severity": "error", "message": ""}]},
    {"qa": [{"check": "extra-person", "severity": "warning", "message": ""}]},
    {"qa": [{"check": "number-mismatch", "severity": "error", "message": ""}]},
    {"qa": [{"check": "filled-in", "severity": "warning", "message": ""}]},
    {"logprob": {"min": -6.0, "mean": -0.4, "tokens": 20}},
    {"norm": "王明于1931年11月回国，任中共中央政治局委员。"},  # more dates in the source
    {"tgt": "Wang Ming, who had studied in Moscow with his friends for many years, returned to China in 1931 "
            "and soon became a member of the Politburo of the Central Committee of the party."},
    {"norm": "王明于1931年回国，任中共中央政治局委员。" * 2,  # a longer sentence, its English as long for it
     "tgt": "Wang Ming returned to China in 1931 and became a member of the Politburo. " * 2},
])
def test_a_segment_with_a_worse_signal_never_scores_higher_all_else_equal(worse):
    assert confidence.confidence(_record(**worse)) <= confidence.confidence(_record())


def test_english_no_model_wrote_is_fully_confident():
    assert confidence.confidence(_record(method="memory")) == 1.0
    assert confidence.confidence(_record(method="copy", norm="1931")) == 1.0


def test_the_weakest_signals_name_what_lowers_the_confidence_most():
    record = _record(qa=[{"check": "first-person", "severity": "error", "message": ""}], attempts=2)
    assert {"re-prompted", "a person named otherwise"} <= set(confidence.weakest(record, most=10))
    weights = [weight for _name, weight in confidence.contributions(record)]
    assert weights == sorted(weights, reverse=True) and "re-prompted" not in confidence.weakest(_record(), most=10)


# -- zhen review score ---------------------------------------------------------------------------

GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")
PAIRS = [("王明于1931年回国。", "Wang Ming returned to China in 1931."),
         ("王明于1931年回国。", "In 1931, I returned to China."),
         ("王明于1931年回国。", "=HYPERLINK(\"x\") Wang Ming went home in 1931.")]


def _score(tmp_path, name: str, *extra: str) -> int:
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    return main(["review", "score", str(tmp_path / name), "--glossary", str(tmp_path / "g.csv"), *extra, *FAKE])


def test_review_score_adds_confidence_flagged_and_findings_to_a_tsv(tmp_path):
    lines = ["note\tsource\tenglish"] + [f"{k}\t{zh}\t{en}" for k, (zh, en) in enumerate(PAIRS)]
    (tmp_path / "mt.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _score(tmp_path, "mt.tsv") == 0
    out = (tmp_path / "mt.scored.tsv").read_text(encoding="utf-8").splitlines()
    header = out[0].split("\t")
    assert header == ["note", "source", "english", "confidence", "flagged", "findings"]
    rows = [dict(zip(header, line.split("\t"))) for line in out[1:]]
    assert [r["note"] for r in rows] == ["0", "1", "2"]  # the input's rows, in order, columns kept
    assert rows[0]["flagged"] == "no" and rows[1]["flagged"] == "yes" and "first-person" in rows[1]["findings"]
    assert float(rows[1]["confidence"]) < float(rows[0]["confidence"])


def test_review_score_reads_and_writes_xlsx(tmp_path):
    from openpyxl import Workbook, load_workbook

    book = Workbook()
    book.active.append(["source", "english"])
    for zh, en in [*PAIRS[:2], ("王明于1931年回国。", "+1931: Wang Ming went home.")]:
        book.active.append([zh, en])
    book.save(tmp_path / "mt.xlsx")
    assert _score(tmp_path, "mt.xlsx", "--out", str(tmp_path / "scored.xlsx")) == 0
    rows = list(load_workbook(tmp_path / "scored.xlsx").active.values)
    assert rows[0] == ("source", "english", "confidence", "flagged", "findings")
    assert [r[3] for r in rows[1:3]] == ["no", "yes"]
    assert not str(rows[3][1]).startswith("+")  # a formula-like cell is neutralized


def test_review_score_of_a_runs_aligned_jsonl_gives_the_runs_own_confidence(tmp_path):
    from tests.fakes import write_project

    write_project(tmp_path, {"a.md": "王明于1931年回国。博古任代表。\n"}, GLOSSARY)
    assert main(["translate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--glossary",
                 str(tmp_path / "g.csv"), *FAKE, "--no-tm", "--no-cache"]) == 0
    aligned = tmp_path / "out" / "a" / "aligned.jsonl"
    assert main(["review", "score", str(aligned), "--glossary", str(tmp_path / "g.csv"), *FAKE]) == 0
    run = [json.loads(line) for line in aligned.read_text(encoding="utf-8").splitlines()]
    scored = [json.loads(line) for line in (tmp_path / "out" / "a" / "aligned.scored.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [float(s["confidence"]) for s in scored] == pytest.approx([r["confidence"] for r in run], abs=0.02)


def test_review_score_names_a_missing_column(tmp_path, capsys):
    (tmp_path / "mt.csv").write_text("zh,en\n王明,Wang Ming\n", encoding="utf-8")
    assert _score(tmp_path, "mt.csv") != 0
    assert "no 'source' or 'english' column" in capsys.readouterr().err


# -- the article's subject in the prompt ------------------------------------------------------------

def test_a_biographys_subject_goes_to_the_model_with_each_sentence(tmp_path):
    from pipeline.translate.prompts import user_message
    from tests.fakes import FakeEngine, write_project

    write_project(tmp_path, {"a.md": "**王明**是中共领导人。1931年回国。\n"}, GLOSSARY)
    args = ["translate", str(tmp_path / "in"), "--glossary", str(tmp_path / "g.csv"), *FAKE, "--no-tm", "--no-cache"]
    FakeEngine.calls.clear()
    assert main([*args, "--out", str(tmp_path / "out"), "--subject"]) == 0
    asked = [r for r in FakeEngine.calls if "回国" in r.source]
    assert asked and all(r.subject == "Wang Ming" for r in asked)
    assert "The article is about Wang Ming. A sentence without a subject is about Wang Ming." in user_message(asked[0])
    FakeEngine.calls.clear()
    assert main([*args, "--out", str(tmp_path / "out2")]) == 0  # off by default
    assert not any(r.subject for r in FakeEngine.calls)
    assert "The article is about" not in user_message(FakeEngine.calls[0])
    # the rules know whom the article is about all the same
    records = [json.loads(line) for line in (tmp_path / "out2" / "a" / "aligned.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert all(r["about"] == "Wang Ming" and "subject" not in r for r in records)


def test_an_answer_that_echoes_the_subject_line_is_broken():
    from pipeline.verify import broken

    # 赵世炎 #26 shipped "The article is about Zhao Shiyan." for a fragment, blind-labelled major
    assert broken("The article is about Zhao Shiyan.", "等人]]。")
    assert broken("A sentence without a subject is about Luo Yinong. He was arrested.", "他被捕。")
    assert not broken("Luo Yinong was arrested.", "罗亦农被捕。")


def test_review_score_gives_a_real_models_run_its_own_confidence(tmp_path, tiny_gguf):
    from tests.fakes import write_project

    write_project(tmp_path, {"a.md": "王明于1931年回国。博古任代表。他们回国。\n"}, GLOSSARY)
    assert main(["translate", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--glossary",
                 str(tmp_path / "g.csv"), "--model", str(tiny_gguf), "--parallel", "3", "--no-tm", "--no-cache"]) == 0
    aligned = tmp_path / "out" / "a" / "aligned.jsonl"
    run = [json.loads(line) for line in aligned.read_text(encoding="utf-8").splitlines()]
    assert any(r.get("logprob") for r in run)  # the answers' token probabilities reached the records
    assert main(["review", "score", str(aligned), "--glossary", str(tmp_path / "g.csv"), "--model", str(tiny_gguf)]) == 0
    scored = [json.loads(line) for line in (aligned.parent / "aligned.scored.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert [float(s["confidence"]) for s in scored] == pytest.approx([r["confidence"] for r in run], abs=0.02)


def test_a_date_the_source_names_otherwise_is_no_invented_day():
    # 八七会议 is "the August 7 Emergency Conference", 四·一二事件 "the April 12 Incident": names, not days
    assert not facts.problems("This meeting was the August 7 Emergency Conference.", "此次会议就是八七会议。")
    assert not facts.problems("After the April 12 Incident of 1927, he stayed.", "1927年四·一二事件后，他留下。")
    assert facts.mended_years("After the April 12 Incident of 1927, he stayed.", "1927年四·一二事件后，他留下。") == \
        "After the April 12 Incident of 1927, he stayed."


def test_the_estimator_names_the_labels_it_was_fitted_on_and_they_are_kept():
    # Guards the figures in bench/RESULTS.md ("Confidence and adequacy rules"): a refit states its labels
    from pathlib import Path

    fitted_on = confidence.SIGNATURE.split("|labels:")[1].split("|")[0]  # COMMIT+COMMIT…-COUNT
    commits, count = fitted_on.split("-")
    pairs = {}  # (segment, English) → verdict: a sentence whose English two runs share counts once
    for commit in commits.split("+"):
        labels = Path(__file__).resolve().parents[1] / "bench" / "adequacy" / f"labels-{commit}.tsv"
        rows = [line.split("\t") for line in labels.read_text(encoding="utf-8").splitlines()[1:] if line]
        assert len(rows) == 210 and {r[1] for r in rows} <= {"ok", "minor", "major"} and all(len(r[3]) == 12 for r in rows)
        pairs.update({(r[0], r[3]): r[1] for r in rows})
    assert len(pairs) == int(count) and sum(v == "major" for v in pairs.values()) == 153


# -- teacher forcing: the model reads back English it did not write in this run ---------------------

def test_reading_an_answer_back_gives_the_probabilities_it_was_written_with(llama_engine):
    from pipeline.translate.engines.base import Request, TermPair

    requests = [Request("王明于1931年回国。", (TermPair("王明", "Wang Ming"),)), Request("博古任代表。")]
    jobs = [llama_engine._job(i, r) for i, r in enumerate(requests)]
    llama_engine._decode_jobs(jobs)
    decoder, prefixes = llama_engine._batch_decoder(), llama_engine._shared_prefixes()
    for job in jobs:
        assert job.output
        read = decoder.forced(job.prompt, job.output, prefixes)
        assert read == pytest.approx(job.logprobs[:len(job.output)], abs=1e-3)


def test_the_one_at_a_time_engine_records_its_answers_probabilities(tiny_gguf):
    from pipeline.translate.engines.base import Request
    from pipeline.translate.engines.llama import LlamaEngine

    engine = LlamaEngine(str(tiny_gguf), parallel=1, log=lambda m: None)
    try:
        [answer] = engine.translate([Request("博古任代表。")])
        summary = engine.answer_logprobs[answer]
        assert summary["tokens"] > 0 and summary["min"] <= summary["mean"] < 0
    finally:
        engine.close()


def test_review_score_reads_back_english_without_probabilities(tmp_path, tiny_gguf):
    lines = ["source\tenglish"] + [f"{zh}\t{en}" for zh, en in PAIRS[:2]]
    (tmp_path / "mt.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    base = ["review", "score", str(tmp_path / "mt.tsv"), "--glossary", str(tmp_path / "g.csv")]

    def confidences(*extra: str) -> list[float]:
        assert main([*base, *extra]) == 0
        rows = (tmp_path / "mt.scored.tsv").read_text(encoding="utf-8").splitlines()[1:]
        return [float(row.split("\t")[2]) for row in rows]

    without = confidences("--no-model")
    read = confidences("--model", str(tiny_gguf))
    # The tiny model finds any English improbable: the surprisal signal lowers every confidence.
    assert all(r < w for r, w in zip(read, without))
    assert confidences("--model", str(tiny_gguf)) == read  # the same reading, run after run
