"""Kin the English names and the source does not: a maternal uncle made "father", a stepson "son".

A 1.5B model writes the kinship word it finds likeliest, and a biography's family relations are facts
a reader relies on (赵世炎 is 李鹏's 舅父, his mother's brother, not his father). Each English kinship
word is licensed by the Chinese words that say it; one the source has none of is a finding
(``pipeline/verify.py``, the `kinship` rule), and so is a step- or adopted relation the English
makes a plain one.
"""
from __future__ import annotations

import re

# English word (singular) → the Chinese that licenses it. 子 and 女 alone are too common (妻子 "wife",
# 分子 "member", 妇女 "women") to license "son" or "daughter": the words that say the relation do.
LICENSED_BY = {
    "father": ("父", "爸", "爹"), "mother": ("母", "妈", "娘"), "parent": ("父", "母", "双亲", "家长"),
    "son": ("儿子", "之子", "其子", "长子", "次子", "三子", "幼子", "独子", "养子", "继子", "义子", "子女", "儿女", "父子",
            "母子"),
    "daughter": ("女儿", "之女", "其女", "长女", "次女", "三女", "幼女", "独女", "养女", "继女", "子女", "儿女", "母女",
                 "父女"),
    "child": ("子", "女", "儿", "孩", "嗣"),
    "brother": ("兄", "弟", "哥"), "sister": ("姐", "妹", "姊"),
    "uncle": ("叔", "伯", "舅"), "aunt": ("姑", "姨", "婶", "舅母", "伯母"),
    "nephew": ("侄", "甥"), "niece": ("侄", "甥"),
    "grandfather": ("祖父", "爷", "外公", "祖"), "grandmother": ("祖母", "奶奶", "外婆", "祖"),
    "grandson": ("孙",), "granddaughter": ("孙",),
    "wife": ("妻", "夫人", "太太", "夫妇", "配偶", "嫁", "娶", "婚"), "husband": ("夫", "嫁", "配偶", "婚"),
}
# Words holding 父 or 母 that name another relation (舅父 "maternal uncle", 祖母 "grandmother").
OTHER_RELATIONS = ("舅父", "伯父", "叔父", "姑父", "姨父", "祖父", "岳父", "师父", "舅母", "伯母", "叔母", "姑母", "姨母",
                   "祖母", "岳母", "师母")
# A relation by marriage or adoption: the plain word ("son" for 继子) says another.
STEP_FORMS = {"son": ("继子", "养子", "义子"), "daughter": ("继女", "养女", "义女"),
              "father": ("继父", "养父", "义父"), "mother": ("继母", "养母", "义母")}
_PLURALS = {"children": "child", "wives": "wife"}
_KIN = re.compile(r"\b(?P<step>step-?|adoptive |adopted |foster )?(?P<word>" +
                  "|".join(sorted([*LICENSED_BY, *_PLURALS], key=len, reverse=True)) + r")s?\b", re.IGNORECASE)


def _says(source: str, word: str, plain: bool) -> bool:
    """Whether ``source`` says the relation ``word`` (with ``plain``, as a blood relation)."""
    removed = (OTHER_RELATIONS if word in ("father", "mother", "parent") else ()) + \
        (STEP_FORMS.get(word, ()) if plain else ())
    for other in removed:
        source = source.replace(other, "")
    return any(zh in source for zh in LICENSED_BY[word])


def unlicensed_kin(english: str, source: str) -> list[str]:
    """The kinship words of ``english`` the source says nothing of ("father" for 舅父), and the plain
    ones it makes of a step- or adopted relation ("son" for 继子)."""
    found = []
    for m in _KIN.finditer(english):
        word = m.group("word").lower()
        word = _PLURALS.get(word, word)
        if not _says(source, word, plain=not m.group("step")):
            found.append(m.group(0))
    return list(dict.fromkeys(found))


# The English for a relation a plain kinship word gets wrong: 舅父 is a maternal uncle, never a father.
RELATION_ENGLISH = {"舅父": "maternal uncle", "舅舅": "maternal uncle", "伯父": "uncle", "叔父": "uncle",
                    "继子": "stepson", "养子": "adopted son", "继女": "stepdaughter", "养女": "adopted daughter",
                    "继父": "stepfather", "继母": "stepmother", "养父": "adoptive father", "养母": "adoptive mother",
                    "岳父": "father-in-law", "岳母": "mother-in-law", "妹妹": "younger sister", "之妹": "younger sister",
                    "姐姐": "elder sister", "之姐": "elder sister", "哥哥": "elder brother", "之兄": "elder brother",
                    "弟弟": "younger brother", "之弟": "younger brother"}


def mended_kin(english: str, source: str) -> str:
    """``english`` with its one kinship word the source does not say replaced by the one relation the
    source names and the English lacks ("the father of Li Peng" for 李鹏的舅父 → "the maternal uncle of
    Li Peng"); as it is where either is not one."""
    wrong = unlicensed_kin(english, source)
    named = list(dict.fromkeys(en for zh, en in RELATION_ENGLISH.items()
                               if zh in source and en.split()[-1] not in english.lower()))
    if len(wrong) != 1 or len(named) != 1 or wrong[0].lower() not in LICENSED_BY:
        return english
    right = named[0][:1].upper() + named[0][1:] if wrong[0][:1].isupper() else named[0]
    return re.sub(rf"\b{re.escape(wrong[0])}\b", right, english, count=1)
