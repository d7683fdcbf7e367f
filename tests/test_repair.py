"""Readable English every time: broken answers found, drafts repaired by substitution, blank life
dates kept blank, a dropped opening year put back, names by rule (fake engines only)."""
from __future__ import annotations

import pytest

from pipeline import facts
from pipeline.document import Segment, TermOutcome
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatch
from pipeline.terms.suggest import cedict_senses
from pipeline.translate.engines.base import Engine, Request
from pipeline.translate.locking import lock
from pipeline.translate.methods import Method
from pipeline.translate.policy import Policy
from pipeline.translate.repairs import substituted
from pipeline.translate.verdicts import judge
from pipeline.verify import broken, rewrote_draft
from tests.fakes import FakeEngine, ScriptedEngine


def _match(zh, en, start=0, **kw):
    return TermMatch(Term(zh, en, **kw), start, start + len(zh), start, start + len(zh))


def _segment(norm, matches, tags=()):
    offsets = tuple(range(len(norm)))
    return Segment(0, 0, "paragraph", 0, len(norm), [], norm, offsets, norm=norm, norm_offsets=offsets,
                   terms=matches, tags=list(tags))


def _terms(norm, *pairs, **kw):
    return [_match(zh, en, norm.index(zh), **kw) for zh, en in pairs]


# -- rule 1: broken English is found, whatever terms it holds ------------------------------------

BROKEN = [  # (source, English a reader would reject) — each seen in a run of the landed code
    ("维萨里昂·罗明纳兹（），格鲁吉亚人，布尔什维克，苏联政治人物。",
     "Vasiliy Vasiliyevich Besso Lominadze (,;) Georgian, Bolshevik, Soviet Union political figure. The Georgia "
     "left in the draft is correct. The translation is now complete. I, Bolshevik, Soviet Union."),
    ("在中共六届一中全会上当选为候补委员。",
     "He was elected at the 6th Plenar-First Plenary Session of the Sixth Central Committee. The Chinese term "
     "\"First Plenary Session\" is translated as an alternate member."),
    ("长征历次战役损失较大。", "The losses in the battles of the Long March were heavy. The losses in the battles "
                        "of the Long March were heavy."),
    ("与会者有王明、博古、张闻天、王稼祥。", "Present were Wang Ming, Bo Gu, Zhang Wentian, Wang Jiaxiang, Wang Ming, "
                                    "Bo Gu, Zhang Wentian, Wang Jiaxiang."),
    ("国内派强调马克思主义的中国化。", "The domestic faction emphasized the Chineseized () Marxism."),
    ("他回到上海。", "He returned to Shanghai. **Note: Shanghai is a city."),
    ("他回到上海。", "He returned to Shanghai = Shanghai."),
    ("他回到上海。", "Here is the English translation: He returned to Shanghai."),
    ("他在会上当选为委员。", "At the meeting he was elected a member of the"),
    ("他在会上当选为委员", "At the meeting he was elected a mem-"),
    ("王云程于1930年代叛变，1969年11月被处决。",  # a re-prompt's notes written into the English (王云程 #5)
     "Wang Yuncheng was executed in 1969. The number 1930 is not in the English. The number 11 is not in the English."),
]


@pytest.mark.parametrize("source,english", BROKEN)
def test_broken_english_is_found(source, english):
    assert broken(english, source)


FLUENT = [
    ("1927年8月7日，共产国际派罗明那兹来到汉口。", "On August 7, 1927, the Comintern sent Besso Lominadze to Hankou."),
    ("他（王明）回国。", "He (Wang Ming) returned."),
    ("中共中央政治局委员、中共中央书记处书记", "member of the Politburo of the CPC Central Committee and secretary of "
                                     "the Secretariat of the CPC Central Committee"),
    ("宣言的英译本于1888年出版。", "The English translation of the Manifesto appeared in 1888."),
    ("许白昊（），湖北省应城县人。", "Xu Baihao (), from Yingcheng County, Hubei Province."),
]


@pytest.mark.parametrize("source,english", FLUENT)
def test_fluent_english_is_not_called_broken(source, english):
    assert broken(english, source) == ""


def test_an_answer_the_model_ended_gets_its_final_stop_one_the_budget_cut_stays_cut_off():
    from pipeline.verify import closed
    source = "曾任中共中央宣传部部长。"
    segment = _segment(source, _terms(source, ("中共中央宣传部", "Central Propaganda Department")))
    english = "Former Central Propaganda Department Director"  # seen flagged cut off: two re-prompts
    verdict = judge(segment, english, "prompt", ended=True)
    assert verdict.tgt == english + "." and not verdict.defects
    assert "cut off" in judge(segment, english, "prompt").defects[0].message  # the budget stopped it
    assert closed("1933, died", "1933年，牺牲。") == "1933, died."
    assert closed("He was <a1>Director</a1>", "他任<a1>部长</a1>。") == "He was <a1>Director</a1>."
    assert closed("At the meeting he was elected a member of the", "他在会上当选为委员。").endswith("the")  # on "the"
    assert closed("He was elected a mem-", "他当选为委员。").endswith("-")
    assert closed("He was elected", "他当选为委员") == "He was elected"  # the source ends no sentence


def test_the_locking_loop_closes_only_what_the_engine_says_the_model_ended():
    source = "曾任中共中央宣传部部长。"

    class Telling(FakeEngine):
        tells_budget_cuts = True

        def translate(self, requests):
            FakeEngine.calls.extend(requests)
            answers = ["Former Director" if r.method == "prompt" else "Former Director of the" for r in requests]
            self.budget_cut.update(a for a in answers if a.endswith("the"))
            return answers

    FakeEngine.calls.clear()
    verdict = lock(Telling(), [_segment(source, [])])[0]
    assert verdict.tgt == "Former Director." and [r.method for r in FakeEngine.calls] == ["prompt"]
    assert FakeEngine().ended("Former Director") is False  # an engine that cannot tell: never closed


def test_a_plural_term_is_present_in_its_singular_where_the_sentence_speaks_of_one():
    source = "1926年，赵世炎领导上海工人武装起义。"
    segment = _segment(source, _terms(source, ("上海工人武装起义", "Shanghai workers' armed uprisings")))
    verdict = judge(segment, "In 1926, Zhao Shiyan led the Shanghai workers' armed uprising.", "prompt")
    assert verdict.count("locked") == 1 and not verdict.defects  # seen as term-missing in a run (赵世炎 #12)
    assert judge(segment, "In 1926, Zhao Shiyan led the Shanghai workers' armed uprisings.", "prompt").count("locked") == 1
    assert judge(segment, "In 1926, Zhao Shiyan led the Shanghai workers' uprising.", "prompt").count("missing") == 1
    source = "红军来了。"
    red = _segment(source, _terms(source, ("红军", "Red Army"), forbidden=("Reds",)))
    assert not judge(red, "The Red Army came.", "prompt").defects  # a forbidden plural is not read as its singular
    assert "forbidden" in judge(red, "The Reds came.", "prompt").defects[0].message


def test_titles_the_source_lists_with_one_opening_may_repeat_it_in_english():
    source = "湖北全省总工会连续发出《湖北全省总工会解散纠察队布告》、《湖北全省总工会致国民政府军事委员会函》、《湖北全省总工会致管理武汉卫戍事宜汉口办事处函》。"
    english = ('The Hubei General Labour Union issued "The Hubei General Labour Union Dissolves the Pickets", '
               '"The Hubei General Labour Union sent a letter to the Military Committee of the Nationalist Government" '
               'and "The Hubei General Labour Union sent a letter to the Wuhan Garrison Office in Hankou".')
    assert broken(english, source) == ""  # seen flagged in a run: the source repeats 湖北全省总工会致 itself
    looping = "The union issued a notice and a letter. The union issued a notice and a letter."
    assert "twice" in broken(looping, "工会发出布告和信函。")


def test_an_alias_in_parentheses_may_repeat_the_names_words():
    source = "并任共青团中央局（又称少共中央局）书记。"
    english = ("He was also secretary of the Communist Youth League of China Central Bureau (also known as the "
               "Communist Youth League of China Central Bureau).")  # seen flagged in a run: every attempt lost
    assert broken(english, source) == ""
    assert "twice" in broken("He was secretary of the Communist Youth League of China Central Bureau and the "
                             "Communist Youth League of China Central Bureau.", "并任共青团中央局书记。")


def test_locked_terms_listed_after_the_sentence_are_broken_english():
    source, terms = "会上批评陈独秀等人的右倾机会主义，改组中央政治局。", ("Right opportunism", "Politburo")
    appended = ("At the meeting, they criticized Chen Duxiu and others as \"right opportunism,\" reorganized the "
                "Politburo, **Right opportunism**. **Politburo**.")  # a forced answer kept by the landed code
    assert "lists terms" in broken(appended, source, terms)
    assert broken("They criticized right opportunism and reorganized the Politburo. Chen Duxiu resigned.",
                  source, terms) == ""
    assert broken("Politburo", "中央政治局", ("Politburo",)) == ""  # a heading that is one term
    assert broken("He joined the Politburo. Politburo.", "他加入政治局。政治局。", ("Politburo",)) == ""


def test_a_forced_answer_may_edit_its_draft_but_not_rewrite_it():
    draft = "Xie Fuzhi, the Minister of Public Security, signed the order, and he was executed in November 1969."
    edited = ("Kang Sheng and Xie Fuzhi, the Minister of Public Security, signed the order, and he was executed "
              "in November 1969.")
    rewritten = "Kang Sheng and Xie Fuzhi. The Ministry is the translation of the text in the year of the order."
    terms = ("Kang Sheng", "Xie Fuzhi")
    assert rewrote_draft(edited, draft, terms) == ""
    assert rewrote_draft(rewritten, draft, terms)


def test_judge_finds_a_forced_answer_that_rewrote_its_draft():
    source = "康生和谢富治签署命令。"
    segment = _segment(source, _terms(source, ("康生", "Kang Sheng"), ("谢富治", "Xie Fuzhi")))
    verdict = judge(segment, "Kang Sheng and Xie Fuzhi are the two names of the term list here.", "constrained",
                    draft="Xie Fuzhi signed the order.")
    assert verdict.unusable and verdict.count("missing") == 0


class Forcing(ScriptedEngine):
    methods = ("prompt", "revise", "constrained")
    forcing = ("constrained",)
    reword = ("revise",)


def test_the_shipped_english_is_usable_when_any_attempt_was():
    source = "康生和谢富治签署命令。"
    segment = _segment(source, _terms(source, ("康生", "Kang Sheng"), ("谢富治", "Xie Fuzhi")))
    fluent = "Xie Fuzhi signed the order."
    Forcing.answers = {(source, "prompt"): fluent,
                       (source, "revise"): "Kang Sheng and Xie Fuzhi signed. The translation is now complete.",
                       (source, "constrained"): "Kang Sheng and Xie Fuzhi were the two people named in the list above."}
    verdict = lock(Forcing(), [segment])[0]
    assert verdict.tgt == fluent and not verdict.unusable
    assert [o.status for o in verdict.outcomes] == ["missing", "locked"]  # a term-missing error on a fluent sentence


# -- rule 2: repair, don't regenerate -----------------------------------------------------------

class Drafting(ScriptedEngine):
    """Its first answer is scripted; its rendering of a term alone comes from ``alone``."""

    policy = Policy(lookups=True, term_lookups=True)
    alone: dict = {}

    def english(self, request: Request) -> str:
        if request.method == Method.LOOKUP:
            return self.alone.get(request.source, "")
        return super().english(request)


def _repaired(source, pairs, draft, alone=None, tags=(), **kw):
    segment = _segment(source, _terms(source, *pairs, **kw), tags)
    Drafting.answers, Drafting.alone = {(source, "prompt"): draft}, alone or {}
    FakeEngine.calls.clear()
    return lock(Drafting(), [segment])[0]


def test_the_models_own_rendering_of_the_term_is_replaced():
    verdict = _repaired("共产国际派罗明纳兹来到汉口。", [("罗明纳兹", "Besso Lominadze")],
                        "The Comintern sent Romina Nazi to Hankou.", alone={"罗明纳兹": "Romina Nazi."})
    assert verdict.tgt == "The Comintern sent Besso Lominadze to Hankou."
    assert verdict.method == Method.SUBSTITUTE and verdict.outcomes[0].replaced == "Romina Nazi"
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP]  # no re-prompt: one short lookup


def test_a_term_is_looked_up_once_a_run():
    engine = Drafting()
    sources = ["共产国际派罗明纳兹来到汉口。", "罗明纳兹回国。"]
    segments = [_segment(s, _terms(s, ("罗明纳兹", "Besso Lominadze"))) for s in sources]
    Drafting.answers = {(sources[0], "prompt"): "The Comintern sent Romina Nazi to Hankou.",
                        (sources[1], "prompt"): "Romina Nazi returned home."}
    Drafting.alone = {"罗明纳兹": "Romina Nazi"}
    FakeEngine.calls.clear()
    verdicts = [lock(engine, [segment])[0] for segment in segments]  # two batches of one run (context waves)
    assert [v.tgt for v in verdicts] == ["The Comintern sent Besso Lominadze to Hankou.", "Besso Lominadze returned home."]
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP, "prompt"]


def test_chinese_left_in_a_draft_is_looked_up_and_filled_in_without_a_re_prompt():
    verdict = _repaired("湖北全省总工会解散纠察队。", [("湖北全省总工会", "Hubei General Labour Union")],
                        "The Hubei General Labour Union dissolved the纠察队.", alone={"纠察队": "pickets"})
    assert verdict.tgt == "The Hubei General Labour Union dissolved the pickets."
    assert verdict.method == Method.FILL_IN and not verdict.defects and verdict.count("locked") == 1
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP]  # the run alone, no sentence again


def test_a_name_left_in_the_draft_is_filled_in_with_its_reading_not_the_models_guess():
    # 赵世炎 #22 shipped "Liang Xin, Chen Feijian" and 鸡鸣三省 #1 "Bahe Village": the model's guesses for
    # 李新, 陈铁健 and 岔河村 asked alone; the characters' reading is the name, and no request is spent
    verdict = _repaired("李新、陈铁健曾住在岔河村和萍乡。", [], "Li Xin's friends李新 and陈铁健 lived in岔河村 and萍乡.",
                        alone={"李新": "Liang Xin", "陈铁健": "Chen Fei-Keen", "岔河村": "Baihe Village",
                               "萍乡": "Fengxiang"})
    assert verdict.tgt == "Li Xin's friends Li Xin and Chen Tiejian lived in Chahe Village and Pingxiang."
    assert verdict.method == Method.FILL_IN and [r.method for r in FakeEngine.calls] == ["prompt"]


def test_a_relation_the_source_does_not_name_is_mended_without_a_re_prompt():
    # 赵世炎 #2 and 俞秀松 #18 shipped "father" for 舅父 and "Son" for 继子 after every re-prompt
    verdict = _repaired("他是李鹏的舅父。", [], "He was the father of Li Peng.")
    assert verdict.tgt == "He was the maternal uncle of Li Peng." and not verdict.defects
    assert [r.method for r in FakeEngine.calls] == ["prompt"]
    assert _repaired("继子，俞敏。", [], "Son, Yu Min.").tgt == "Stepson, Yu Min."
    # two relations the English lacks: which one it meant is not the rule's to say
    from pipeline.kinship import mended_kin
    unsure = "His father and his son were there."
    assert mended_kin(unsure, "他的舅父和继子都在。") == unsure


def test_what_reads_as_a_name_by_its_form():
    from pipeline.terms.suggest import name_rendering
    names = {"陈铁健": "Chen Tiejian", "曾山": "Zeng Shan", "萍乡": "Pingxiang", "江西": "Jiangxi", "溪棣村": "Xidi Village",
             "岔河村": "Chahe Village", "寿松": "Shousong", "陈独秀": "Chen Duxiu"}
    assert {zh: name_rendering(zh) for zh in names} == names
    # a word, a title with a family name, a body: for the model or the dictionary to render
    assert [name_rendering(zh) for zh in ("纠察队", "代部长", "王部长", "清算", "地区", "湘鄂西", "统一战线", "号")] == [""] * 8


def test_a_filled_in_word_reads_as_part_of_its_sentence():
    cases = [("他们清算了陈独秀。", "They conducted a清算 of Chen Duxiu.", {"清算": "Clearing"},
              "They conducted a clearing of Chen Duxiu."),  # a common word: lower case inside a sentence
             ("任湘鄂西团省委书记。", "He was secretary of the湘鄂西团省委.", {"湘鄂西团省委": "The Hunan-Hubei-West Committee"},
              "He was secretary of the Hunan-Hubei-West Committee."),  # one article
             ("工人纠察队成立。", "The workers'纠察队 was founded.", {"纠察队": "Pickets"},
              "The workers' Pickets was founded."),  # a space after a possessive; no dictionary sense: as answered
             ("清算开始。", "清算 began.", {"清算": "Clearing"}, "Clearing began."),  # a sentence's first word
             ("他加入共青团。", "He joined共青团.", {"共青团": "The Communist Youth League"},
              "He joined the Communist Youth League.")]  # an article inside a sentence in lower case
    for source, draft, alone, english in cases:
        assert _repaired(source, [], draft, alone=alone).tgt == english


def test_a_run_of_chinese_is_looked_up_once_a_run_and_a_useless_answer_falls_back_to_pinyin():
    engine = Drafting()
    sources = ["他们解散纠察队。", "纠察队成立。", "他加入同乡会。", "他是学员。"]
    Drafting.answers = {(sources[0], "prompt"): "They dissolved the纠察队.",
                        (sources[1], "prompt"): "The纠察队 was founded.",
                        (sources[2], "prompt"): "He joined the同乡会.",
                        (sources[3], "prompt"): "He was a学员."}
    Drafting.alone = {"纠察队": "Pickets", "同乡会": "同乡会 means an association.", "学员": "Trainee"}
    FakeEngine.calls.clear()
    verdicts = [lock(engine, [_segment(s, [])])[0] for s in sources]
    assert [v.tgt for v in verdicts] == ["They dissolved the Pickets.", "The Pickets was founded.",
                                         "He joined the Tongxianghui.", "He was a student."]
    # 学员 has a plain dictionary sense: filled in from CC-CEDICT, not looked up
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP, "prompt", "prompt", Method.LOOKUP, "prompt"]


class Laddered(Drafting):
    methods = ("prompt", "inject", "revise", "constrained")
    forcing = ("constrained",)
    reword = ("revise",)


def test_a_missing_term_skips_the_rewording_re_prompt_where_a_forcing_edit_follows():
    source = "康生和谢富治签署命令。"
    segment = _segment(source, _terms(source, ("康生", "Kang Sheng"), ("谢富治", "Xie Fuzhi")))
    Laddered.answers = {(source, "prompt"): "Xie Fuzhi signed the order.",
                        (source, "inject"): "Xie Fuzhi signed the order.",
                        (source, "constrained"): "Kang Sheng and Xie Fuzhi signed the order."}
    FakeEngine.calls.clear()
    verdict = lock(Laddered(), [segment])[0]
    assert verdict.tgt == "Kang Sheng and Xie Fuzhi signed the order."
    assert [r.method for r in FakeEngine.calls] == ["prompt", "inject", "constrained"]  # Kang Sheng is pinyin: no lookup


def test_a_name_spelled_in_its_pinyin_is_not_looked_up():
    from pipeline.translate.substitution import worth_looking_up
    assert not worth_looking_up("康生", Term("康生", "Kang Sheng"))
    assert not worth_looking_up("延安", Term("延安", "Yan'an"))
    assert not worth_looking_up("凯丰", Term("何克全", "Kai Feng", variants=("凯丰",)))  # a variant's pinyin
    assert worth_looking_up("罗明纳兹", Term("罗明纳兹", "Besso Lominadze"))  # the model may write "Romina Nazi"
    assert worth_looking_up("共产国际", Term("共产国际", "Comintern"))


def test_a_year_wrong_still_gets_the_rewording_re_prompt():
    source = "1928年2月，他回国。"
    segment = _segment(source, [])
    Laddered.answers = {(source, "prompt"): "In February 1922, he returned home.",
                        (source, "revise"): "In February 1928, he returned home."}
    FakeEngine.calls.clear()
    verdict = lock(Laddered(), [segment])[0]
    assert verdict.tgt == "In February 1928, he returned home." and not verdict.defects
    assert [r.method for r in FakeEngine.calls] == ["prompt", "revise"]


def test_a_part_of_the_approved_name_is_completed():
    verdict = _repaired("共产国际派罗明纳兹来到汉口。", [("罗明纳兹", "Besso Lominadze")],
                        "The Comintern sent Lominadze to Hankou.")
    assert verdict.tgt == "The Comintern sent Besso Lominadze to Hankou."


def test_substitution_keeps_case_plural_article_and_possessive():
    assert _repaired("布尔什维克开会。", [("布尔什维克", "Bolshevik")], "The bolsheviki met.",
                     forbidden=("bolsheviki",)).tgt == "The Bolshevik met."
    assert _repaired("布尔什维克开会。", [("布尔什维克", "Bolshevik")], "The Bolsheviki met.",
                     alone={"布尔什维克": "Bolsheviki"}).tgt == "The Bolshevik met."
    assert _repaired("布尔什维克们开会。", [("布尔什维克", "Bolshevik")], "The Majorities met.",
                     alone={"布尔什维克": "Majority"}).tgt == "The Bolsheviks met."  # plural kept
    assert _repaired("共产国际的代表来了。", [("共产国际", "Comintern")], "The Communist International's envoy came.",
                     alone={"共产国际": "Communist International"}).tgt == "The Comintern's envoy came."
    assert _repaired("共产国际派人。", [("共产国际", "the Comintern")], "The Communist International sent a man.",
                     alone={"共产国际": "Communist International"}).tgt == "The Comintern sent a man."
    assert _repaired("罗明纳兹来了。", [("罗明纳兹", "Besso Lominadze")], "romina nazi came.",
                     alone={"罗明纳兹": "Romina Nazi"}).tgt == "Besso Lominadze came."  # a capital at the start


def test_a_term_missing_at_two_places_is_substituted_at_both():
    source = "中国共产党成立后，他加入中国共产党。"
    segment = _segment(source, [_match("中国共产党", "Chinese Communist Party", start=0),
                                _match("中国共产党", "Chinese Communist Party", start=12)])
    Drafting.answers, Drafting.alone = {(source, "prompt"): "After the Communist Party of China was founded, he "
                                        "joined the Communist Party of China."}, {}
    verdict = lock(Drafting(), [segment])[0]  # CC-CEDICT's sense is the draft's words
    assert verdict.tgt == "After the Chinese Communist Party was founded, he joined the Chinese Communist Party."
    assert verdict.method == Method.SUBSTITUTE and verdict.count("locked") == 2


def test_each_dictionary_sense_of_a_term_is_a_rendering_before_any_lookup():
    assert cedict_senses("国民党") == ["KMT", "Guomindang", "Kuomintang", "Nationalist Party"]  # (KMT), a second sense
    assert cedict_senses("中共") == ["Chinese Communist Party"]  # "abbr. for 中国共产党, …": the rendering, not the note
    assert cedict_senses("莫斯科") == ["Moscow"]  # not "capital of Russia"
    assert cedict_senses("左") == ["left"]  # one character: its first sense alone
    cases = [("共产国际指示中共。", ("共产国际", "Comintern"), "The Communist International instructed the CCP.",
              "The Comintern instructed the CCP."),  # "Communist International or Comintern": the first alternative
             ("国民党浙江省党部。", ("国民党", "Kuomintang"), "The KMT Zhejiang branch.", "The Kuomintang Zhejiang branch.")]
    for source, pair, draft, english in cases:
        verdict = _repaired(source, [pair, ("中共", "CCP")] if "中共" in source else [pair], draft)
        assert verdict.tgt == english and verdict.method == Method.SUBSTITUTE
        assert [r.method for r in FakeEngine.calls] == ["prompt"]  # no lookup, no re-prompt


def test_substitution_inside_a_link_tag():
    from pipeline.markup import Tag
    from pipeline.document import SpanKind
    source = "共产国际派罗明纳兹来到汉口。"
    at = source.index("罗明纳兹")
    tag = Tag("a1", SpanKind.LINK, "[", "](../Page/罗明纳兹.md)", at, at + 4, at, at + 4, False,
              target="../Page/罗明纳兹.md")
    segment = _segment(source, _terms(source, ("罗明纳兹", "Besso Lominadze")), [tag])
    Drafting.answers = {("共产国际派<a1>罗明纳兹</a1>来到汉口。", "prompt"): "The Comintern sent <a1>Romina Nazi</a1> to Hankou."}
    Drafting.alone = {"罗明纳兹": "Romina Nazi"}
    engine = Drafting()
    engine.markup = True
    verdict = lock(engine, [segment])[0]
    assert verdict.tagged == "The Comintern sent <a1>Besso Lominadze</a1> to Hankou." and not verdict.tag_problems


def test_substitution_never_touches_another_terms_english():
    from pipeline.translate.substitution import substitute
    source = "中国共产党和共产党人。"
    segment = _segment(source, _terms(source, ("中国共产党", "Chinese Communist Party"), ("共产党人", "communists")))
    verdict = judge(segment, "The Chinese Communist Party and the Party members.", "prompt")
    missing = [o for o in verdict.outcomes if o.status == "missing"]
    text, replaced = substitute(verdict.tgt, missing, lambda o: ["Communist Party"], ["Chinese Communist Party"])
    assert (text, replaced) == (verdict.tgt, {})


def test_an_abbreviation_is_found_by_what_its_full_form_renders():
    # CC-CEDICT: 中共 "abbr. for 中国共产党", whose sense is "Communist Party of China"
    verdict = _repaired("1927年后留在上海从事中共地下活动。", [("中共", "CCP")],
                        "After 1927 he stayed in Shanghai for the underground work of the Communist Party of China.")
    assert verdict.tgt == "After 1927 he stayed in Shanghai for the underground work of the CCP."
    assert verdict.method == Method.SUBSTITUTE and [r.method for r in FakeEngine.calls] == ["prompt"]


def test_an_organizations_generic_head_stands_for_it_only_where_it_is_unambiguous():
    one = _repaired("中共在成立初期有赖于共产国际的帮助。", [("中共", "CCP")],
                    "In its early days the Communist Party relied on the help of the Comintern.", type="organization")
    assert one.tgt == "In its early days the CCP relied on the help of the Comintern." and one.method == Method.SUBSTITUTE
    early = _repaired("他是中国共产党早期领导人。", [("中国共产党", "Chinese Communist Party")],
                      "He was a leader of the early Communist Party.", type="organization")
    assert early.tgt == "He was a leader of the early Chinese Communist Party."
    source = "中共与苏共的关系。"  # which "Communist Party" is the CCP? neither is touched
    segment = _segment(source, _terms(source, ("中共", "CCP"), type="organization"))
    draft = judge(segment, "The relations of the Communist Party and the Soviet Communist Party.", "prompt")
    assert substituted(segment, draft, [], {}) is None
    source = "他当选为中央委员。"  # a title is not an organization: "elected to the Central Committee member"
    segment = _segment(source, _terms(source, ("中央委员", "Central Committee member"), type="title"))
    assert substituted(segment, judge(segment, "He was elected to the Central Committee.", "prompt"), [], {}) is None


def test_a_missing_terms_chinese_left_in_the_draft_is_filled_in_with_its_english_without_a_look_up():
    verdict = _repaired("1940年后凯丰回到延安。", [("延安", "Yan'an")], "After 1940 Kai Feng returned to延安.",
                        alone={"延安": "Yenan"})
    assert verdict.tgt == "After 1940 Kai Feng returned to Yan'an." and verdict.count("locked") == 1
    assert [r.method for r in FakeEngine.calls] == ["prompt"]


class Listing(Drafting):
    lists = True


def test_the_runs_of_chinese_a_draft_left_are_looked_up_in_one_request():
    source = "他在上海西郊被杀害，罪名是叛变出卖。"
    Listing.answers = {(source, "prompt"): "He was killed in the West郊 of Shanghai for叛变出卖."}
    Listing.alone = {"1. 郊\n2. 叛变出卖": "1. suburbs\n2. betrayal"}
    FakeEngine.calls.clear()
    verdict = lock(Listing(), [_segment(source, [])])[0]
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP]
    assert FakeEngine.calls[1].source == "1. 郊\n2. 叛变出卖"
    assert verdict.tgt == "He was killed in the West suburbs of Shanghai for betrayal."


def test_no_rendering_found_means_a_re_prompt():
    verdict = _repaired("共产国际派罗明纳兹来到汉口。", [("罗明纳兹", "Besso Lominadze")],
                        "The Comintern sent someone to Hankou.", alone={"罗明纳兹": "Mr Luo"})
    assert [r.method for r in FakeEngine.calls] == ["prompt", Method.LOOKUP, "constrained"]
    assert verdict.count("missing") == 0  # the fake's second method writes every term


# -- rule 3: facts by rule --------------------------------------------------------------------

def test_blank_life_dates_stay_blank():
    source = "许白昊（），湖北省应城县人。"
    assert facts.blank_life_dates("Xu Baihao (1894-1978), from Yingcheng County.", source) == \
        "Xu Baihao, from Yingcheng County."
    assert facts.blank_life_dates("Xu Baihao (born 1894), from Yingcheng.", source) == "Xu Baihao, from Yingcheng."
    assert facts.blank_life_dates("Xu Baihao (), from Yingcheng.", source) == "Xu Baihao, from Yingcheng."
    assert facts.blank_life_dates("Xu Baihao (1894-1978) came.", "许白昊（1894年-1978年）来了。") == \
        "Xu Baihao (1894-1978) came."  # dates the source states stay
    segment = _segment(source, [])
    assert judge(segment, "Xu Baihao (1894–1978), from Yingcheng County, Hubei Province.", "prompt").tgt == \
        "Xu Baihao, from Yingcheng County, Hubei Province."
    # 凯丰 #0: the blank filled with the name again
    assert facts.blank_life_dates("<b1>Kai Feng</b1> (Kai Feng), originally He Kequan", "<b1>凯丰</b1>（），原名何克全") == \
        "<b1>Kai Feng</b1>, originally He Kequan"
    assert facts.blank_life_dates("Kai Feng (He Kequan), born", "凯丰（），原名何克全") == "Kai Feng (He Kequan), born"


def test_a_dropped_opening_year_is_put_back():
    source = "1931年在中共六届四中全会上当选为中央政治局委员。"
    assert facts.with_leading_date("In the Fourth Plenary Session he was elected.", source) == \
        "In 1931, in the Fourth Plenary Session he was elected."
    assert facts.with_leading_date("He was elected in 1931.", source) == "He was elected in 1931."
    assert facts.with_leading_date("He came.", "1927年11月9日他来了。") == "On November 9, 1927, he came."
    ScriptedEngine.answers = {(source, "prompt"): "In the Fourth Plenary Session he was elected to the Politburo."}
    verdict = lock(ScriptedEngine(), [_segment(source, [])])[0]
    assert verdict.tgt == "In 1931, in the Fourth Plenary Session he was elected to the Politburo."
    assert not verdict.defects


def test_an_invented_year_is_mended_where_the_source_says_which_year_it_means():
    assert facts.mended_years("December 1949, CCP Northern Bureau member.", "同年12月，任中共中央北方局常委。", 1925) == \
        "December 1925, CCP Northern Bureau member."
    assert facts.mended_years("On 2 July 2023, he was arrested.", "7月2日，赵世炎被捕。", 1927) == \
        "On 2 July 1927, he was arrested."
    assert facts.mended_years("1935-1936 Summer to Xinjiang.", "1935年夏到新疆。", 1934) == "1935 Summer to Xinjiang."
    assert facts.mended_years("In 1949 he left.", "他离开了。", 1927) == "In 1949 he left."  # which year? unknown: left
    source = "同年12月，任中共中央北方局常委。"
    segment = _segment(source, [])
    segment.year = 1925
    ScriptedEngine.answers = {source: "December 1949, member of the CCP Northern Bureau."}
    verdict = lock(ScriptedEngine(), [segment])[0]
    assert verdict.tgt == "December 1925, member of the CCP Northern Bureau." and not verdict.defects


# -- rule 4: names by rule ----------------------------------------------------------------------

@pytest.mark.parametrize("zh,english", [
    ("红4师", "Red 4th Division"), ("红五军团", "Red 5th Army Group"), ("红一方面军", "Red 1st Front Army"),
    ("第十一军", "11th Army"), ("红军第三军团", "Red 3rd Army Group")])
def test_military_units_by_pattern(zh, english):
    from pipeline.terms.suggest import guess_type, military_unit
    assert military_unit(zh) == english and guess_type(zh) == "organization"


@pytest.mark.parametrize("zh,english", [
    ("脚山", "Jiaoshan"), ("老君山", "Laojun Mountain"), ("新街彝族乡", "Xinjie Yi Ethnic Township"),
    ("酉阳县", "Youyang County")])
def test_places_by_pinyin_and_unit(zh, english):
    from pipeline.terms.suggest import place_name
    assert place_name(zh) == english


def test_a_county_is_not_typed_as_a_person():
    from pipeline.terms.suggest import guess_type
    assert guess_type("全州") == "place"
    assert guess_type("水潦彝族乡") == "place"


def test_engine_renderings_of_names_are_checked():
    from pipeline.terms import run_terms
    from pipeline.terms.matcher import TermMatcher
    curated = TermMatcher([Term("红军", "Red Army")], "t2s")
    entries = [run_terms.RunTerm(["脚山"], "wikilinked page"), run_terms.RunTerm(["红军大学"], "wikilinked page"),
               run_terms.RunTerm(["红4师"], "wikilinked page")]
    engine = {"红军大学": "Red Army"}

    run_terms.render(entries, {}, lambda names: [engine.get(n, "Mount Foot") for n in names], curated)
    by_zh = {e.zh: e for e in entries}
    assert by_zh["脚山"].en == "Jiaoshan" and by_zh["脚山"].locked
    assert by_zh["红4师"].en == "Red 4th Division" and by_zh["红4师"].source == "pattern"
    assert not by_zh["红军大学"].locked and "already the English of 红军" in by_zh["红军大学"].problem


def test_a_county_is_rendered_as_the_dictionary_names_it_not_as_a_person():
    from pipeline.terms import run_terms
    from pipeline.terms.matcher import TermMatcher
    entries = [run_terms.RunTerm(["全州"], "wikilinked page")]
    run_terms.render(entries, {}, lambda names: ["Quan Zhou"] * len(names), TermMatcher([]))
    assert (entries[0].type, entries[0].en) == ("place", "Quanzhou County")


def test_the_shipped_term_base_names_the_young_communist_international_division():
    from pipeline.terms.glossary import load_glossary
    from pipeline.terms.matcher import TermMatcher
    (match,) = [m for m in TermMatcher(load_glossary().terms).find("少共国际师北上")]
    assert match[2].en == "Young Communist International Division"


def test_a_word_beside_the_hit_that_spells_the_approved_word_otherwise_is_replaced_with_it():
    # 罗亦农 #8 shipped "a great revolutionary leader of the labor labour movement": "movement" was
    # found for "labour movement" and the "labor" before it stayed
    assert _repaired("他是工人运动领袖。", [("工人运动", "labour movement")],
                     "He was a leader of the labor movement.").tgt == "He was a leader of the labour movement."
    assert _repaired("罗明纳兹来了。", [("罗明纳兹", "Besso Lominadze")],
                     "Beso Lominadze came.").tgt == "Besso Lominadze came."  # at the sentence's start
    assert _repaired("临时政治局开会。", [("临时政治局", "Provisional Politburo")],
                     "The temporary Politburo met.").tgt == "The temporary Provisional Politburo met."  # not another word


def test_the_words_around_a_hit_inside_the_approved_english_are_not_written_twice():
    # 吴亮平 shipped "copying the Communist Party of the Soviet Union Union's revolutionary methods"
    # (a hit on "Soviet", the "Union" after it left) and "a CPC CCP Jiangsu Provincial Committee member"
    assert _repaired("他们主张模仿苏共的革命方式。", [("苏共", "Communist Party of the Soviet Union")],
                     "They advocated copying the Soviet Union's revolutionary methods.", alone={"苏共": "Soviet"}).tgt \
        == "They advocated copying the Communist Party of the Soviet Union's revolutionary methods."
    assert _repaired("任中共江苏省委常委。", [("中共江苏省委", "CCP Jiangsu Provincial Committee")],
                     "He was a standing member of the CPC Jiangsu Provincial Committee.",
                     alone={"中共江苏省委": "Jiangsu Provincial Committee"}).tgt \
        == "He was a standing member of the CCP Jiangsu Provincial Committee."
    assert _repaired("任中共江苏省委常委。", [("中共江苏省委", "CCP Jiangsu Provincial Committee")],
                     "He was a standing member of the KMT Jiangsu Provincial Committee.",  # another acronym
                     alone={"中共江苏省委": "Jiangsu Provincial Committee"}).tgt \
        == "He was a standing member of the KMT CCP Jiangsu Provincial Committee."


def test_a_seam_does_not_write_a_word_of_the_approved_english_twice():
    from pipeline.translate.substitution import substitute

    def outcome(english):
        return TermOutcome(TermMatch(Term("亿万", english), 0, 2, 0, 2), english, "missing")

    # WMT23 terminology dev 45 shipped "the ultimate limit for hundreds millions ofs of human beings"
    text, _ = substitute("the limit for hundreds of millions of human beings.", [outcome("hundreds millions of")],
                         lambda o: ["hundreds of millions"], [])
    assert text == "the limit for hundreds millions of human beings."
    text, _ = substitute("members of Communist Party of the Soviet Union", [outcome("Communist Party of China")],
                         lambda o: ["Party of the Soviet Union"], [])
    assert text == "members of Communist Party of China"


def test_tag_instructions_echoed_in_every_method_mean_once_more_without_tags():
    # 武汉工人纠察队 #8: every tagged request came back as the prompt's tag instructions
    from pipeline.markup import Tag
    from pipeline.document import SpanKind
    source = "共产国际派罗明纳兹来到汉口。"
    at = source.index("汉口")
    tag = Tag("a1", SpanKind.LINK, "[", "](../Page/汉口.md)", at, at + 2, at, at + 2, False, target="../Page/汉口.md")
    segment = _segment(source, _terms(source, ("罗明纳兹", "Besso Lominadze")), [tag])
    echo = ("The Chinese contains numbered markup tags such as <a1>…</a1>. Put every tag into the English "
            "exactly once. Glossary (use exactly these English renderings): 罗明纳兹 = Besso Lominadze")
    tagged = "共产国际派罗明纳兹来到<a1>汉口</a1>。"
    Drafting.answers = {(tagged, m): echo for m in ("prompt", "constrained")}
    Drafting.answers[(source, "prompt")] = "The Comintern sent Besso Lominadze to Hankou."
    engine = Drafting()
    engine.markup = True
    FakeEngine.calls.clear()
    verdict = lock(engine, [segment])[0]
    assert verdict.tgt == "The Comintern sent Besso Lominadze to Hankou." and not verdict.unusable
    assert [(r.method, r.source) for r in FakeEngine.calls] == [("prompt", tagged), ("constrained", tagged),
                                                                 ("prompt", source)]


def test_a_rendering_alone_loses_its_pinyin_tone_marks():
    # 鸡鸣三省 #1 shipped "De lóng Village": the model's rendering of 隆 alone, filled in
    from pipeline.translate.substitution import as_name
    assert as_name("lóng") == "long" and as_name("“Lǚ Zhèngcāo.”") == "Lu Zhengcao"
    assert as_name("Comintern") == "Comintern" and as_name("He went home. Then he left.") == ""


def test_by_default_a_missing_term_costs_no_look_up_request():
    # Guards the measured default (bench/RESULTS.md, "Names several to a request"): term look-ups
    # cost requests and time on the 12 articles for no term more locked
    class Default(Drafting):
        policy = Policy()

    segment = _segment("共产国际派罗明纳兹来到汉口。", _terms("共产国际派罗明纳兹来到汉口。", ("罗明纳兹", "Besso Lominadze")))
    Drafting.answers = {("共产国际派罗明纳兹来到汉口。", "prompt"): "The Comintern sent Romina Nazi to Hankou."}
    Drafting.alone = {"罗明纳兹": "Romina Nazi"}
    FakeEngine.calls.clear()
    lock(Default(), [segment])
    assert Method.LOOKUP not in [r.method for r in FakeEngine.calls] and not Engine.policy.term_lookups


# -- no model where none is needed --------------------------------------------------------------

def test_a_segment_that_is_one_locked_term_is_its_english_without_the_model():
    from pipeline.translate.prompting import translate_segments
    from pipeline.translate.methods import Method
    bridge = _segment("鸡鸣三省大桥", _terms("鸡鸣三省大桥", ("鸡鸣三省大桥", "Jiming Sansheng Bridge")))
    sentence = _segment("鸡鸣三省大桥建成。", _terms("鸡鸣三省大桥建成。", ("鸡鸣三省大桥", "Jiming Sansheng Bridge")))
    Drafting.answers = {("鸡鸣三省大桥建成。", "prompt"): "The Jiming Sansheng Bridge was built."}
    FakeEngine.calls.clear()
    translate_segments(Drafting(), [(bridge.norm, bridge), (sentence.norm, sentence)])
    assert bridge.translation.tgt == "Jiming Sansheng Bridge" and bridge.translation.method == Method.TERM
    assert bridge.translation.count("locked") == 1
    assert [r.source for r in FakeEngine.calls] == ["鸡鸣三省大桥建成。"]  # the sentence alone went to the model
