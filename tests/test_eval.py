"""zhen eval: metric code on hand-made cases, the bad-JSON path, compare, and a tiny end-to-end run."""
from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.evaluate.metrics import BLEU, ChrF, TermConsistency, TermSuccess
from pipeline.evaluate.testset import read_terms_jsonl


def test_chrf_and_bleu_bounds_and_signatures():
    refs = ["The cat sat on the mat.", "Wang Ming went to Moscow."]
    assert ChrF().score(refs, refs).value == 100.0 and BLEU().score(refs, refs).value == 100.0
    assert BLEU().score(["xyz qqq", "vvv www"], refs).value == 0.0
    assert ChrF().score(["xyz qqq", "vvv www"], refs).value < 5
    assert ChrF().score(refs, refs).signature.startswith("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:")
    assert "tok:13a" in BLEU().score(refs, refs).signature


def test_bleu_on_a_hand_made_case():
    # "a b c d" against "a b c e": unigrams 3/4, bigrams 2/3, trigrams 1/2, 4-grams 0/1, which the
    # default "exp" smoothing counts as 1/2; equal lengths, so no brevity penalty:
    # (3/4 · 2/3 · 1/2 · 1/2) ** (1/4) = 0.125 ** 0.25 = 0.5946 → 59.46
    assert BLEU().score(["a b c d"], ["a b c e"]).value == 59.46


def test_term_success_exact_values():
    terms = [[{"zh": "王明", "en": "Wang Ming"}, {"zh": "共产国际", "en": "Comintern"}],
             [{"zh": "博古", "en": "Bo Gu"}], []]
    hyps = ["wang ming met the comintern.", "Qin Bangxian spoke.", "Nothing."]
    score = TermSuccess().score(hyps, ["", "", ""], terms)
    assert score.value == pytest.approx(2 / 3, abs=1e-4)
    assert score.detail == {"required": 3, "found": 2, "in_source": 3, "in_source_found": 2, "in_source_success": 0.6667}
    terms[1][0]["in_source"] = False  # 博古 is not in its line: it counts, and the detail says so
    detail = TermSuccess().score(hyps, ["", "", ""], terms).detail
    assert detail["required"] == 3 and detail["in_source"] == 2 and detail["in_source_success"] == 1.0


def test_term_consistency_exact_values():
    terms = [[{"zh": "王明", "en": "Wang Ming"}, {"zh": "博古", "en": "Bo Gu"}],
             [{"zh": "王明", "en": "Wang Ming"}, {"zh": "博古", "en": "Bo Gu"}],
             [{"zh": "王明", "en": "Wang Ming"}, {"zh": "张闻天", "en": "Zhang Wentian"}]]
    hyps = ["Wang Ming and Bo Gu.", "WANG MING and Qin Bangxian.", "wang ming and Zhang Wentian."]
    score = TermConsistency().score(hyps, ["", "", ""], terms)
    # 王明: rendered in all three lines, same text lower-cased → consistent; 博古: missing once → not.
    assert score.value == 0.5 and score.detail == {"repeated": 2, "consistent": 1}


def test_invalid_json_term_line_is_reported_and_counted(tmp_path):
    path = tmp_path / "terms.jsonl"
    path.write_text('[{"zh": "王明", "en": "Wang Ming"}]\n[{"zh": "博古", "en": "Bo Gu"}\n[]\n{"zh": 1}\n',
                    encoding="utf-8")
    lines = read_terms_jsonl(path, 4)
    assert [n for n, _ in lines.invalid] == [2, 4] and lines.lines[1] == [] and lines.lines[0][0]["en"] == "Wang Ming"


def test_annotations_left_in_published_term_pairs_are_removed(tmp_path):
    path = tmp_path / "terms.jsonl"
    path.write_text('[{"zh":"八王子<PER,T,14>{张济","en":"Eighth Prince <PER,T,14>{Zhang Ji"},{"zh":"林妃","en":"Lin"}]\n',
                    encoding="utf-8")
    lines = read_terms_jsonl(path, 1)
    assert lines.lines[0][0] == {"zh": "八王子张济", "en": "Eighth Prince Zhang Ji"} and lines.cleaned == 1


@pytest.fixture
def testset(tmp_path):
    (tmp_path / "src.txt").write_text("王明回国。\n博古说话。\n王明写信。\n", encoding="utf-8")
    (tmp_path / "ref.txt").write_text("Wang Ming returned.\nBo Gu spoke.\nWang Ming wrote.\n", encoding="utf-8")
    (tmp_path / "terms.jsonl").write_text('[{"zh": "王明", "en": "Wang Ming"}]\nnot json\n'
                                          '[{"zh": "王明", "en": "Wang Ming"}]\n', encoding="utf-8")
    return tmp_path


def test_eval_end_to_end_locks_given_terms(testset, tiny_gguf, capsys):
    out = testset / "run"
    assert main(["eval", "--src", str(testset / "src.txt"), "--ref", str(testset / "ref.txt"), "--terms",
                 str(testset / "terms.jsonl"), "--model", str(tiny_gguf), "--force-terms", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))  # a random model: only forcing places terms
    assert report["lines"] == 3 and report["term_success"] == 1.0 and report["term_consistency"] == 1.0
    assert report["invalid_term_lines"] == [{"line": 2, "problem": report["invalid_term_lines"][0]["problem"]}]
    assert {"chrf", "bleu", "term_success", "term_consistency"} <= report["signatures"].keys()
    assert len((out / "hyp.txt").read_text(encoding="utf-8").splitlines()) == 3
    captured = capsys.readouterr()
    assert "terms.jsonl:2: not valid JSON" in captured.err and "1 term line(s) skipped" in captured.out

    unlocked = testset / "unlocked"
    assert main(["eval", "--src", str(testset / "src.txt"), "--ref", str(testset / "ref.txt"), "--terms",
                 str(testset / "terms.jsonl"), "--model", str(tiny_gguf), "--no-lock", "--limit", "2",
                 "--out", str(unlocked)]) == 0
    assert json.loads((unlocked / "report.json").read_text(encoding="utf-8"))["lines"] == 2
    capsys.readouterr()
    assert main(["eval", "compare", str(out), str(unlocked / "report.json")]) == 0
    table = capsys.readouterr().out
    assert "term_success" in table and "setting: lock" in table and "differs" in table


def test_eval_errors_are_clear(testset, capsys):
    (testset / "short.txt").write_text("one\n", encoding="utf-8")
    assert main(["eval", "--src", str(testset / "src.txt"), "--ref", str(testset / "short.txt")]) == 1
    assert "short.txt: has 1 lines but the source" in capsys.readouterr().err
    assert main(["eval", "compare", str(testset / "nope")]) == 2


def test_eval_with_context_reads_the_lines_as_documents_and_compares_with_a_p_value(tmp_path, capsys):
    from tests.fakes import FakeEngine

    src, ref = tmp_path / "src.txt", tmp_path / "ref.txt"
    src.write_text("".join(f"第{i}句。\n" for i in range(1, 9)), encoding="utf-8")
    ref.write_text("".join(f"Sentence {i}.\n" for i in range(1, 9)), encoding="utf-8")
    FakeEngine.calls.clear()
    out = tmp_path / "ctx"
    assert main(["eval", "--src", str(src), "--ref", str(ref), "--engine", "tests.fakes:FakeEngine", "--no-cache",
                 "--first", "3", "--limit", "4", "--context", "1", "--documents", "2", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["first_line"], report["last_line"], report["settings"]["documents"]) == (3, 6, 2)
    contexts = {r.source: r.context for r in FakeEngine.calls}
    assert contexts["第3句。"] == () and contexts["第5句。"] == ()  # each document's first line
    assert contexts["第4句。"] == (("第3句。", "It was said."),) and contexts["第6句。"][0][0] == "第5句。"
    plain = tmp_path / "plain"
    assert main(["eval", "--src", str(src), "--ref", str(ref), "--engine", "tests.fakes:FakeEngine", "--no-cache",
                 "--first", "3", "--limit", "4", "--out", str(plain)]) == 0
    capsys.readouterr()
    assert main(["eval", "compare", str(plain), str(out)]) == 0
    assert "paired bootstrap" in capsys.readouterr().out


def test_eval_draws_examples_from_a_given_memory_and_never_reuses_its_answers(tmp_path, capsys):
    from pipeline.review.memory import Entry, TranslationMemory
    from tests.fakes import FakeEngine

    src, ref, tm = tmp_path / "src.txt", tmp_path / "ref.txt", tmp_path / "tm.sqlite"
    src.write_text("鱼类经常死亡。\n", encoding="utf-8")
    ref.write_text("Fish often die.\n", encoding="utf-8")
    with TranslationMemory(tm) as memory:
        memory.apply([Entry("鱼类经常死亡。", "鱼类经常死亡。", "Fish often die.", "approve", "x#1", "r", "f"),
                      Entry("鱼类很少生病。", "鱼类很少生病。", "Fish are seldom ill.", "approve", "x#2", "r", "f")], [])
    FakeEngine.calls.clear()
    out = tmp_path / "out"
    assert main(["eval", "--src", str(src), "--ref", str(ref), "--engine", "tests.fakes:FakeEngine", "--no-cache",
                 "--context", "0", "--examples", "1", "--tm", str(tm), "--out", str(out)]) == 0
    (call,) = FakeEngine.calls
    assert call.context == (("鱼类经常死亡。", "Fish often die."),)  # the memory's pair, shown as an example
    assert (out / "hyp.txt").read_text(encoding="utf-8") == "It was said.\n"  # the engine's answer, not the memory's
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["settings"]["memory"] == str(tm)
    assert main(["eval", "--src", str(src), "--ref", str(ref), "--engine", "tests.fakes:FakeEngine",
                 "--examples", "1", "--tm", str(tmp_path / "none.sqlite")]) == 1
    assert "none.sqlite: no such translation memory" in capsys.readouterr().err


def test_the_confidence_is_ranked_against_each_lines_chrf():
    from pipeline.evaluate.metrics import sentence_chrf
    from pipeline.evaluate.run import confidence_against_chrf as ranked

    refs = ["Wang Ming returned to China.", "Bo Gu spoke at the meeting.", "Zhang Wentian wrote a letter."]
    hyps = ["Wang Ming returned to China.", "Bo Gu spoke at a meeting.", "A cat sat."]  # best to worst

    def confidence_against_chrf(confidences, hypotheses, references):
        return ranked(confidences, [sentence_chrf(h, r) for h, r in zip(hypotheses, references)])
    assert confidence_against_chrf([0.9, 0.6, 0.2], hyps, refs)["spearman_vs_sentence_chrf"] == 1.0
    assert confidence_against_chrf([0.2, 0.6, 0.9], hyps, refs)["spearman_vs_sentence_chrf"] == -1.0
    tied = confidence_against_chrf([0.5, 0.5, 0.2], hyps, refs)  # ties take their average rank
    assert tied["spearman_vs_sentence_chrf"] == pytest.approx(0.866, abs=1e-3) and tied["lines"] == 3


def test_eval_reports_each_lines_confidence_and_chrf(testset):
    out = testset / "fake"
    assert main(["eval", "--src", str(testset / "src.txt"), "--ref", str(testset / "ref.txt"), "--engine",
                 "tests.fakes:FakeEngine", "--no-cache", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert all(0 < line["confidence"] <= 1 and 0 <= line["chrf"] <= 100 for line in report["per_line"])
    assert report["confidence"]["lines"] == 3 and report["confidence"]["signature"].startswith("confidence:")
