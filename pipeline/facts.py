"""Numbers and years, defined once: which the source states, and which the English may therefore say.

A model that invents a year ("November 9-10, 1937" for 同年11月9日-10日, the same year being 1927) or
drops a number writes fluent English a historian cannot use. The source's numbers are read in every
form the articles use — Arabic and full-width digits, years in Chinese digits (一九二七年), months
and days in Chinese numerals (十一月九日), 民国 years, decades (二十年代), 万/亿 multiples — and a year
the sentence only implies (同年, 次年, 该年 …) is resolved from the document: ``segment.year`` is the
last year its document named before the segment (the ``years`` component). ``problems`` lists what
the English gets wrong; ``pipeline/verify.py`` makes those findings escalate like a missing term.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.components import Context, component
from pipeline.document import Document

CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
CN_NUMERAL = "〇零一二三四五六七八九十两"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
            "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
            "seventeenth", "eighteenth", "nineteenth", "twentieth"]
# Words that name a year by its distance from the one the text is at.
RELATIVE_YEARS = {"同年": 0, "该年": 0, "是年": 0, "当年": 0, "本年": 0, "这一年": 0, "此年": 0,
                  "次年": 1, "翌年": 1, "第二年": 1, "隔年": 1, "转年": 1, "前一年": -1, "上一年": -1}
MULTIPLIERS = {"万": 10_000, "亿": 100_000_000, "千": 1_000, "百": 100}
ENGLISH_MULTIPLIERS = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
FIRST_YEAR, LAST_YEAR = 1000, 2099
_ARABIC = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")  # 1,000 and 1.5 are one number each
_CN_YEAR = re.compile(f"[{CN_NUMERAL[:-2]}]{{4}}(?=年)")
_CN_MONTH = re.compile(f"[{CN_NUMERAL}]+(?=月)")
_CN_DAY = re.compile(f"(?<=月)[{CN_NUMERAL}]+(?=[日号])")
_ROC_YEAR = re.compile(f"民国([{CN_NUMERAL}\\d]{{1,3}})年")
_DECADE = re.compile(f"(\\d0|[{CN_NUMERAL}]+十)\\s*年代")
_CENTURY = re.compile(r"(\d{1,2})\s*世纪")
_SPACES = " \u3000\u00a0"
_ENGLISH_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(1\d\d\d|20\d\d)(?!\d|[.,]\d)")
_ENGLISH_NUMBER = re.compile(r"(?<!\d)(?<!\d[.,])(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?!\d|[.,]\d)")
_ENGLISH_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(hundred|thousand|million|billion)\b", re.IGNORECASE)


def chinese_number(text: str) -> int | None:
    """A Chinese numeral below a hundred (十一 → 11, 二十三 → 23) or a digit string (一九二七 → 1927)."""
    if not text or any(c not in CN_NUMERAL for c in text):
        return None
    if "十" not in text:
        return int("".join(str(CN_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return None
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def _ascii_digits(text: str) -> str:
    """Full-width and other Unicode digits as ASCII ones (the offsets of the text are kept)."""
    return "".join(unicodedata.normalize("NFKC", c) if c.isdigit() and len(unicodedata.normalize("NFKC", c)) == 1
                   else c for c in text)


@dataclass(frozen=True)
class Number:
    """A number the source states: its value, and how the English may also write it."""

    text: str
    value: float
    month: bool = False   # 11月: November will do
    small: bool = False   # a count below 21: a word (three, third) will do
    scaled: float | None = None  # 3万: 30,000 (or 30 thousand)
    forms: tuple[str, ...] = ()  # other English that says it (patterns): 20世纪 → 20th, 70年代 → 1970s
    unit: str = ""               # the multiple that follows it (万, 亿 …)

    def __str__(self) -> str:
        return f"{self.text}{self.unit} (= {in_english(self.scaled)})" if self.scaled is not None else self.text


def _forms(number: str, after: str) -> tuple[str, ...]:
    """How English may also say a century (20世纪: the 20th century, the 1900s) or a decade (70年代: the 1970s)."""
    if after.startswith("世纪") and number.isdigit():
        return (rf"\b{number}(?:st|nd|rd|th)\b", rf"\b{int(number) - 1}\d\ds?\b")
    if after.startswith("年代") and len(number) == 2:
        return (rf"{number}s\b", rf"\b\d\d{number}\b")
    return ()


def source_numbers(source: str) -> list[Number]:
    """The numbers a Chinese text states, in order (years in Chinese digits, months and days too)."""
    text = _ascii_digits(source)
    numbers = []
    for m in _ARABIC.finditer(text):
        after = text[m.end():].lstrip(_SPACES)[:2]
        value = float(m.group(0).replace(",", ""))
        numbers.append(Number(m.group(0), value, month=after[:1] == "月", small=value <= 20,
                              scaled=value * MULTIPLIERS[after[:1]] if after[:1] in MULTIPLIERS else None,
                              forms=_forms(m.group(0), after), unit=after[:1] if after[:1] in MULTIPLIERS else ""))
    for m in _CN_YEAR.finditer(text):
        numbers.append(Number(m.group(0), float(chinese_number(m.group(0)))))
    for pattern, most, month in ((_CN_MONTH, 12, True), (_CN_DAY, 31, False)):
        for m in pattern.finditer(text):
            value = chinese_number(m.group(0))
            if value is not None and 0 < value <= most:
                numbers.append(Number(m.group(0), float(value), month=month, small=value <= 20))
    return numbers


def _year_mentions(text: str) -> list[tuple[int, int]]:
    """(offset, year) for each year named outright: 1927, 一九二七年, 民国十六年 (1927)."""
    found = [(m.start(), int(m.group(1))) for m in re.finditer(r"(?<!\d)(\d{4})(?!\d)", text)]
    found += [(m.start(), chinese_number(m.group(0))) for m in _CN_YEAR.finditer(text)]
    for m in _ROC_YEAR.finditer(text):
        value = int(m.group(1)) if m.group(1).isdigit() else chinese_number(m.group(1))
        if value:
            found.append((m.start(), 1911 + value))
    return [(at, y) for at, y in found if y is not None and FIRST_YEAR <= y <= LAST_YEAR]


def stated_years(source: str) -> set[int]:
    """The years a Chinese text names: 1927, 一九二七年, 民国十六年 (1927), and 二十年代 (the 1920s)."""
    text = _ascii_digits(source)
    years = {y for _at, y in _year_mentions(text)}
    for m in _DECADE.finditer(text):
        tens = int(m.group(1)) if m.group(1).isdigit() else chinese_number(m.group(1))
        if tens is not None and tens < 100:
            years.add(1900 + tens)
    return years


def implied_years(source: str, year: int | None) -> set[int]:
    """Years the text names relative to the document's ``year`` (同年, 次年 …); a date without a
    year (十一月九日) implies the document's year."""
    if year is None:
        return set()
    years = {year + offset for word, offset in RELATIVE_YEARS.items() if word in source}
    if re.search(f"[\\d{CN_NUMERAL}]月", _ascii_digits(source)):
        years.add(year)
    return years


def last_year(source: str, year: int | None) -> int | None:
    """The year the document is at after ``source``: the last one it names (次年 counted from the
    year before it), or ``year``."""
    named: list[tuple[int, int, int]] = [(at, 0, y) for at, y in _year_mentions(_ascii_digits(source))]
    named += [(m.start(), 1, offset) for word, offset in RELATIVE_YEARS.items()
              for m in re.finditer(word, source)]
    for _at, relative, value in sorted(named):
        if not relative:
            year = value
        elif year is not None:
            year += value
    return year


def english_values(english: str) -> set[float]:
    values = {float(m.group(0).replace(",", "")) for m in _ENGLISH_NUMBER.finditer(english)}
    values |= {float(m.group(1)) * ENGLISH_MULTIPLIERS[m.group(2).lower()] for m in _ENGLISH_SCALED.finditer(english)}
    return values


def _said(number: Number, english: str, values: set[float], lower: str) -> bool:
    if number.value in values or (number.scaled is not None and number.scaled in values):
        return True
    if any(re.search(form, english, re.IGNORECASE) for form in number.forms):
        return True
    index = int(number.value)
    if number.month and index == number.value and 1 <= index <= 12 and MONTHS[index - 1].lower() in lower:
        return True
    return number.small and index == number.value and bool(re.search(
        rf"\b(?:{WORDS[index]}|{ORDINALS[index]}|{index}(?:st|nd|rd|th))\b", lower))


def in_english(value: float) -> str:
    """A number as English writes it: 30,000; 1.2 million; 3 billion."""
    for size, word in ((1_000_000_000, "billion"), (1_000_000, "million")):
        if value >= size:
            return f"{value / size:g} {word}"
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def hints(source: str) -> list[str]:
    """What the model most often gets wrong, said outright: 万 and 亿 multiples in English figures."""
    return [str(n) for n in source_numbers(source) if n.scaled is not None and n.unit in "万亿"]


def invented_years(english: str, source: str, year: int | None = None,
                   numbers: list[Number] | None = None) -> list[str]:
    """Years in the English that the source neither states nor implies (nor has as a plain number)."""
    allowed = stated_years(source) | implied_years(source, year)
    stated = {n.value for n in (source_numbers(source) if numbers is None else numbers)}
    return [y for y in dict.fromkeys(_ENGLISH_YEAR.findall(english)) if int(y) not in allowed and float(y) not in stated]


# A date written as numbers, 1933-03-01 (not a year range such as 1910-11: the day is required).
_ENGLISH_NUMERIC_DATE = re.compile(r"\b(?:1[5-9]|20)\d\d-(0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])\b")


def _stated_months(numbers: list[Number]) -> set[float]:
    return {n.value for n in numbers if n.month}


def _month_invented(date: re.Match, months: set[float]) -> bool:
    return float(int(date.group(1))) not in months


def invented_months(english: str, numbers: list[Number]) -> list[str]:
    """Numeric dates in the English whose month the source does not state ("1933-03-01 to 1933-03-31"
    for 1933年去苏联…: a model that invents a date in ISO form)."""
    months = _stated_months(numbers)
    return [m.group(0) for m in _ENGLISH_NUMERIC_DATE.finditer(english) if _month_invented(m, months)]


def _dates_to_years(english: str, source: str) -> str:
    """Numeric dates whose month the source does not state cut to their year, and a range from a
    year to itself to that year ("1933-01-01 to 1933-06-30" → "1933")."""
    months = _stated_months(source_numbers(source))
    cut, before = english, None
    while cut != before:  # "1933-01-01-03-31": a date cut to its year leaves another behind it
        before = cut
        cut = _ENGLISH_NUMERIC_DATE.sub(lambda m: m.group(0)[:4] if _month_invented(m, months) else m.group(0), cut)
    return english if cut == english else re.sub(r"\b(\d{4})(?:\s*(?:[-–—]|to)\s*\1)+\b", r"\1", cut)


_MONTH_NAMES = "|".join(MONTHS)
# A day of the month in English: "4 April", "4th of April", "April 4", "April 4th" (not "April 1927").
_ENGLISH_DAY = re.compile(rf"(?:\b(?P<on>[Oo]n) )?(?:\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m1>{_MONTH_NAMES})\b"
                          rf"|\b(?P<m2>{_MONTH_NAMES}) (?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\d)(?:,(?= \d{{4}}))?)")
# A part of a month the source gives instead of a day: 4月下旬 is "late April", never "4 April".
_MONTH_PART = re.compile(f"([{CN_NUMERAL}\\d]+)月(上旬|中旬|下旬|初|中|底|末)")
MONTH_PARTS = {"上旬": "early", "初": "early", "中旬": "mid-", "中": "mid-", "下旬": "late", "底": "late", "末": "late"}


def _stated_days(numbers: list[Number]) -> set[float]:
    return {n.value for n in numbers if not n.month}


def _day_invented(m: re.Match, days: set[float], months: set[float]) -> bool:
    """A day of a month the source states (4月), not a day it states with it. A date the source
    names otherwise — 八七会议 "the August 7 Emergency Conference", 四·一二事件 "the April 12 Incident"
    — is a name, not a date to check."""
    month = float(MONTHS.index(m.group("m1") or m.group("m2")) + 1)
    return month in months and float(m.group("d1") or m.group("d2")) not in days


def invented_days(english: str, numbers: list[Number]) -> list[str]:
    """Days of a month in the English that the source does not state ("4 April" for 4月下旬)."""
    days, months = _stated_days(numbers), _stated_months(numbers)
    return [m.group(0)[len(m.group("on") or "") :].strip(" ,") for m in _ENGLISH_DAY.finditer(english)
            if _day_invented(m, days, months)]


def _month_parts(source: str) -> dict[str, str]:
    """Each month the source gives a part of, by English name: {"April": "late"}."""
    parts = {}
    for m in _MONTH_PART.finditer(_ascii_digits(source)):
        value = int(m.group(1)) if m.group(1).isdigit() else chinese_number(m.group(1))
        if value and 1 <= value <= 12:
            parts[MONTHS[value - 1]] = MONTH_PARTS[m.group(2)]
    return parts


def without_invented_days(english: str, source: str) -> str:
    """Days the source does not state taken out of the English's dates, and the part of the month
    the source gives put in their place ("4 April 1927" for 1927年4月下旬 → "late April 1927")."""
    numbers = source_numbers(source)
    days, months, parts = _stated_days(numbers), _stated_months(numbers), _month_parts(source)

    def month_alone(m: re.Match) -> str:
        if not _day_invented(m, days, months):
            return m.group(0)
        month = m.group("m1") or m.group("m2")
        part = parts.get(month, "")
        at = {"on": "in ", "On": "In "}.get(m.group("on") or "", "")  # on a day, in a month
        return f"{at}{part}{'' if part.endswith('-') or not part else ' '}{month}"
    return _ENGLISH_DAY.sub(month_alone, english)


# A month named with its year: "January 1920", "in January, 1920", "1920 January" (not "January 7,
# 1931": a day is the day rule's).
_ENGLISH_MONTH_YEAR = re.compile(rf"(?:\b(?P<at>[Ii]n|[Oo]n|[Dd]uring) )?(?:\b(?P<m1>{_MONTH_NAMES})(?: of)?,? "
                                 rf"(?P<y1>1\d{{3}}|20\d\d)\b|\b(?P<y2>1\d{{3}}|20\d\d),? (?P<m2>{_MONTH_NAMES})\b(?! \d))")
# A part of a year the source gives instead of a month: 1920年初 is "early 1920", never "January 1920".
# (年中 is left out: 1927年中共… is "in 1927, the CCP".)
_YEAR_PART = re.compile(r"(\d{4})年(初|底|末|春|夏|秋|冬)")
YEAR_PARTS = {"初": "early", "底": "late", "末": "late", "春": "spring", "夏": "summer", "秋": "autumn", "冬": "winter"}


def _month_year_invented(m: re.Match, months: set[float]) -> bool:
    return float(MONTHS.index(m.group("m1") or m.group("m2")) + 1) not in months


def invented_named_months(english: str, numbers: list[Number]) -> list[str]:
    """Months named with a year in the English that the source does not state ("January 1920" for
    1920年初)."""
    months = _stated_months(numbers)
    return [m.group(0)[len(m.group("at") or ""):].strip() for m in _ENGLISH_MONTH_YEAR.finditer(english)
            if _month_year_invented(m, months)]


def _year_parts(source: str) -> dict[str, str]:
    """Each year the source gives a part of: {"1920": "early"}."""
    return {m.group(1): YEAR_PARTS[m.group(2)] for m in _YEAR_PART.finditer(_ascii_digits(source))}


def without_invented_months(english: str, source: str) -> str:
    """Months the source does not state taken out of the English's dates, and the part of the year
    the source gives put in their place ("In January 1920" for 1920年初 → "In early 1920"; for
    1920年 alone → "In 1920")."""
    months, parts = _stated_months(source_numbers(source)), _year_parts(source)

    def year_alone(m: re.Match) -> str:
        if not _month_year_invented(m, months):
            return m.group(0)
        year = m.group("y1") or m.group("y2")
        at = {"on": "in", "On": "In"}.get(m.group("at") or "", m.group("at") or "")
        said = " ".join(w for w in (at, parts.get(year, ""), year) if w)
        starts = m.start() == 0 or english[:m.start()].rstrip().endswith((".", "!", "?"))
        return said[:1].upper() + said[1:] if starts else said
    return _ENGLISH_MONTH_YEAR.sub(year_alone, english)


# How each problem is said: a re-prompt shows these to the model, and an answer that repeats one is the
# prompt echoed (``verify.broken``).
LEFT_OUT, MONTH_ADDED, YEAR_ADDED = "is not in the English", "has a month the source does not state", \
    "is not in the source"
DAY_ADDED = "has a day of the month the source does not state"


def problems(english: str, source: str, year: int | None = None) -> list[str]:
    """What the English gets wrong about the source's numbers: a number left out, a year or a month added."""
    values, lower, numbers = english_values(english), english.lower(), source_numbers(source)
    found = [f"the number {n} {LEFT_OUT}" for n in numbers if not _said(n, english, values, lower)]
    hint = f" (the text is at {year})" if year is not None and implied_years(source, year) else ""
    found += [f"the date {d} {MONTH_ADDED}" for d in invented_months(english, numbers)]
    found += [f"the date {d} {DAY_ADDED}" for d in invented_days(english, numbers)]
    found += [f"the date {d} {MONTH_ADDED}" for d in invented_named_months(english, numbers)]
    return found + [f"the year {y} {YEAR_ADDED}{hint}" for y in invented_years(english, source, year, numbers)]


def mended_years(english: str, source: str, year: int | None = None) -> str:
    """Years the English invents, mended where the source says which year it means: replaced by the one
    year the source implies and the English lacks (同年12月 at 1925 written "December 1949" → "December
    1925"); the end of a range the source does not have taken out ("1935-1936 Summer" → "1935 Summer");
    a numeric date whose month the source does not state cut to its year; a day the source does not
    state taken out (``without_invented_days``), and a month (``without_invented_months``). Anything else is left for the `number-mismatch` finding."""
    english = without_invented_months(without_invented_days(_dates_to_years(english, source), source), source)
    invented = invented_years(english, source, year)
    if not invented:
        return english
    written = {int(y) for y in _ENGLISH_YEAR.findall(english)}
    implied = sorted(implied_years(source, year) - written - stated_years(source))
    for y in invented:
        if len(implied) == 1:
            english = re.sub(rf"(?<!\d){y}(?!\d)", str(implied[0]), english)
        else:
            english = re.sub(rf"(?<=\d)\s*[-–—]\s*{y}(?!\d)", "", english)
    return english


# Life dates a source leaves blank, in any punctuation: 许白昊（），（，），（，；），（-），（？）.
BLANK_DATES = re.compile(r"[（(][\s\u3000，,；;、：:\-－—–~～？?]*[）)]")
# A parenthetical of dates only: (1894-1978), (1894–?), (born 1894), (c. 1900 – March 3, 1931), ().
_DATE_WORDS = "|".join(MONTHS + ["born", "died", "b", "d", "c", "ca", "circa", "unknown", "birth", "death",
                                 "dates", "and", "to", "in"])
_DATES_PAREN = re.compile(rf" ?\((?:[\s\d,.?–—\-~/]|\b(?:{_DATE_WORDS})\b)*\)", re.IGNORECASE)


# A name, an inline tag that closes it, and the name again in parentheses: "Kai Feng (Kai Feng)".
_NAME_AGAIN = re.compile(r"(?P<name>[A-Z][\w'’\-]*(?: [A-Z][\w'’\-]*){0,3})(?P<close></[a-z]+\d+>)? \((?P=name)\)")


def blank_life_dates(english: str, source: str, year: int | None = None) -> str:
    """Where the source leaves life dates blank (``（）``), dates the model filled in are removed — and
    so is a bare "()" — unless every year in them is one the source states; so is the name written
    again inside them (凯丰（） → "Kai Feng (Kai Feng)")."""
    if not BLANK_DATES.search(source):
        return english
    allowed = stated_years(source) | implied_years(source, year)

    def drop(m: re.Match) -> str:
        years = {int(y) for y in _ENGLISH_YEAR.findall(m.group(0))}
        return m.group(0) if years and years <= allowed else ""
    return _NAME_AGAIN.sub(r"\g<name>\g<close>", _DATES_PAREN.sub(drop, english))


_LEADING_DATE = re.compile(r"^\W*(\d{4})年(?:(\d{1,2})月(?:(\d{1,2})[日号])?)?")
_LOWER_AFTER = {"The", "He", "She", "It", "They", "In", "At", "On", "During", "After", "Before", "This", "That",
                "These", "Those", "A", "An", "Its", "His", "Her", "Their", "There", "When", "As", "By", "From"}


def leading_date(source: str) -> tuple[int, str] | None:
    """(year, English phrase) for a date the source opens with: 1931年 → "In 1931", 1931年1月 → "In
    January 1931", 1931年1月7日 → "On January 7, 1931"."""
    m = _LEADING_DATE.match(_ascii_digits(source))
    if not m or not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    if month and 1 <= int(month) <= 12:
        name = MONTHS[int(month) - 1]
        return int(year), f"On {name} {int(day)}, {year}" if day else f"In {name} {year}"
    return int(year), f"In {year}"


def with_leading_date(english: str, source: str) -> str:
    """The source's opening date put before an English that dropped its year ("In 1931, he was
    elected …"); the English unchanged where it has a year or the source opens with none."""
    date = leading_date(source)
    if date is None or _ENGLISH_YEAR.search(english):  # a year written, right or wrong: not dropped
        return english
    m = re.match(r"^((?:<[^>]+>)*)(\w+)", english)
    if not m:
        return english
    first = m.group(2)
    word = first[0].lower() + first[1:] if first in _LOWER_AFTER else first
    return f"{date[1]}, {m.group(1)}{word}{english[m.end():]}"  # before any opening tag: the date is no label


@component("years", requires=("segment.norm",), assigns=("segment.year",))
def make_years(context: Context):
    """Each segment's ``year``: the last year its document named before it (for 同年, 次年 …)."""
    def years(doc: Document) -> Document:
        current = None
        for segment in doc.segments:
            segment.year = current
            current = last_year(segment.norm, current)
        return doc
    return years
