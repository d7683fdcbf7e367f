"""One test per QA check and verification rule: each fires on a crafted output and stays quiet on a
good one. A check added to the tables without a case here fails ``test_every_check_has_a_case``."""
from __future__ import annotations

import pytest

from pipeline.markup import TAG, inner
from pipeline.qa.checks import CHECKS, RUN_CHECKS, inconsistent_terms, run_checks
from pipeline.render import render_document
from pipeline.stages import analyze_text
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatcher
from pipeline.translate.verdicts import from_memory, judge
from pipeline.translate.repairs import substituted
from pipeline.verify import RULES

TERMS = [Term("王明", "Wang Ming", id="wm", type="person"), Term("毛泽东", "Mao Zedong", id="mz", forbidden=("Mao Tse-tung",))]


def findings(source: str, english: str, method: str = "prompt") -> dict[str, list[str]]:
    doc = analyze_text(source, matcher=TermMatcher(TERMS))
    (segment,) = doc.segments
    # "memory": a reviewer's English, used as written (the model path would clean Chinese lines away)
    tags = inner(segment.tags) if TAG.search(english) else []  # tagged English answers the tags it was sent
    segment.translation = from_memory(segment, english) if method == "memory" else judge(segment, english, method,
                                                                                         tags)
    if method == "substitute":  # the draft's own rendering of 王明 ("Chen Shaoyu", its lookup) replaced
        draft = judge(segment, english, "prompt", tags)
        segment.translation = substituted(segment, draft, tags, {"王明": "Chen Shaoyu"}) or draft
    render_document(doc)
    found: dict[str, list[str]] = {}
    for f in run_checks(doc.text, segment):
        found.setdefault(f.check, []).append(f.severity)
    return found


# check name → (source, bad English, method) and (source, good English, method)
CASES = {
    "term-missing": (("王明回国。", "Chen Shaoyu returned.", "prompt"), ("王明回国。", "Wang Ming returned.", "prompt")),
    "forbidden-rendering": (("毛泽东说。", "Mao Zedong, or Mao Tse-tung, said so.", "prompt"),
                            ("毛泽东说。", "Mao Zedong said so.", "prompt")),
    "untranslated": (("会议召开。", "The 会议 convened.", "prompt"), ("会议召开。", "The meeting convened.", "prompt")),
    "empty-output": (("会议召开。", "", "prompt"), ("会议召开。", "The meeting convened.", "prompt")),
    "degenerate-output": (("会议召开。", "The meeting the meeting the meeting the meeting the meeting.", "prompt"),
                          ("会议召开。", "The meeting convened.", "prompt")),
    "number-mismatch": (("1927年会议召开。", "In 1937 the meeting convened.", "prompt"),
                        ("1927年会议召开。", "In 1927 the meeting convened.", "prompt")),
    "forced-terms": (("王明回国。", "Wang Ming returned.", "constrained"), ("王明回国。", "Wang Ming returned.", "prompt")),
    "substituted": (("王明回国。", "Chen Shaoyu returned.", "substitute"), ("王明回国。", "Wang Ming returned.", "prompt")),
    "filled-in": (("会议召开。", "The Huiyi convened.", "fill-in"), ("会议召开。", "The meeting convened.", "prompt")),
    "same-as-source": (("会议召开。", "会议召开。", "memory"), ("会议召开。", "The meeting convened.", "prompt")),
    "unbalanced": (("会议召开。", "The meeting (in Shanghai convened.", "prompt"),
                   ("会议召开。", "The meeting (in Shanghai) convened.", "prompt")),
    "length-ratio": (("中国共产党第六次全国代表大会召开。", "It met.", "prompt"),
                     ("中国共产党第六次全国代表大会召开。", "The Sixth National Congress of the CCP convened.", "prompt")),
    "lost-link": (('他[回国了](../Page/回国.md "wikilink")。', "He came back.", "prompt"),
                  ('[王明](../Page/王明.md "wikilink")回国。', "Wang Ming returned.", "prompt")),
    "moved-link": (('[王明回国](../Page/某处.md "wikilink")。', "Wang Ming returned.", "prompt"),
                   ('[王明](../Page/王明.md "wikilink")回国。', "Wang Ming returned.", "prompt")),
    "moved-footnote": (("王明回国\\[1\\]，后来去世。", "Wang Ming returned, and later died.", "prompt"),
                       ("王明回国\\[1\\]，后来去世。", "Wang Ming returned<f1/>, and later died.", "prompt")),
    "moved-emphasis": (("**王明回国**。", "Wang Ming returned.", "prompt"),
                       ("**王明回国**。", "<b1>Wang Ming returned</b1>.", "prompt")),
    "lost-emphasis": (("**他**回国了。", "He returned.", "prompt"), ("**王明**回国了。", "Wang Ming returned.", "prompt")),
    "first-person": (("王明回国。", "I, Wang Ming, returned.", "prompt"), ("王明回国。", "Wang Ming returned.", "prompt")),
    "extra-person": (("王明回国。", "Wang Ming returned, and Wang Ming stayed.", "prompt"),
                     ("王明回国。", "Wang Ming returned.", "prompt")),
    "kinship": (("王明之继子回国。", "Wang Ming's son returned.", "prompt"),
                ("王明之继子回国。", "Wang Ming's stepson returned.", "prompt")),
    "low-confidence": (("会议召开。", "The meeting convened in the great hall of the city, and many hundreds of "
                                    "delegates came to it from every province.", "prompt"),
                       ("会议召开。", "The meeting convened.", "prompt")),
    "replaced-characters": (("会议\ufffe召开。", "The meeting convened.", "prompt"),
                            ("会议召开。", "The meeting convened.", "prompt")),
}
SEVERITY = {"term-missing": "error", "forbidden-rendering": "error", "untranslated": "error",
            "empty-output": "error", "degenerate-output": "error", "number-mismatch": "error", "first-person": "error",
            "extra-person": "warning", "kinship": "warning", "low-confidence": "warning",
            "forced-terms": "warning", "substituted": "info", "filled-in": "warning", "same-as-source": "error", "unbalanced": "warning",
            "length-ratio": "warning", "lost-link": "error", "moved-link": "warning",
            "moved-footnote": "warning", "moved-emphasis": "info", "lost-emphasis": "info",
            "replaced-characters": "info"}


def test_every_check_has_a_case():
    names = set(CHECKS) | {r.name for r in RULES}
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_fires_on_a_bad_output_and_not_on_a_good_one(name):
    bad, good = CASES[name]
    found = findings(*bad)
    assert name in found, found
    assert set(found[name]) == {SEVERITY[name]}
    assert name not in findings(*good)


def test_verification_findings_make_the_loop_try_again():
    doc = analyze_text("毛泽东说。", matcher=TermMatcher(TERMS))
    (segment,) = doc.segments
    verdict = judge(segment, "Mao Tse-tung said 好.", "prompt")
    assert verdict.problems == 3  # term missing, forbidden rendering, Chinese left
    assert judge(segment, "Mao Zedong said so.", "prompt").problems == 0


def test_inconsistent_term_at_run_level():
    assert "inconsistent-term" in RUN_CHECKS
    locked = {"id": "wm", "status": "locked"}
    missing = {"id": "wm", "status": "missing"}
    records = [{"doc": "a", "seg": 0, "terms": [locked]}, {"doc": "b", "seg": 3, "terms": [missing]}]
    ((doc, seg, finding),) = inconsistent_terms(records)
    assert (doc, seg, finding.check, finding.severity) == ("b", 3, "inconsistent-term", "warning")
    assert inconsistent_terms([records[0], {"doc": "b", "seg": 3, "terms": [locked]}]) == []
