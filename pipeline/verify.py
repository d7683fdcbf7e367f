"""Verification, defined once: is each locked term in the English, and is the English acceptable?

``verify()`` gives the verdict on any English for a segment — a model's output, a cached one, a
reviewer's, a copied one — and every caller uses it: the locking loop, the segment cache, the
translation memory, the review importer and the evaluation metric (``occurrences`` with the WMT
case-insensitive rule). A new verification rule is one function below, registered with ``@rule``:
its name, severity and roles (``ROLES``) say what its findings do to the translation decision, and
QA reports them in its place among the checks (``pipeline/qa/checks.py``), one table of both.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from pipeline import facts, kinship
from pipeline.chinese import HAN
from pipeline.document import ERROR, UNUSABLE, WARNING, Finding, TermOutcome, Translation
from pipeline.markup import Tag, names_as_text, parse, strip_tags

if TYPE_CHECKING:
    from pipeline.terms.matcher import TermMatch


def occurrences(text: str, needle: str, *, ignore_case: bool = False, whole_word: bool = True,
                singular_too: bool = False) -> list[int]:
    """Start offsets of ``needle`` in ``text``.

    By default a capitalized or lower-cased first letter also counts and the needle must be a whole
    word (or its plural; with ``singular_too``, a plural term's singular: a term's presence); ``ignore_case`` (with ``whole_word=False``) is the WMT 2023 terminology rule.
    """
    if not needle:
        return []
    if singular_too and whole_word and not ignore_case:
        needle = singular(needle)  # the optional plural ending below gives the plural back
    if ignore_case:
        pattern, flags = re.escape(needle), re.IGNORECASE
    else:
        variants = {needle, needle[:1].upper() + needle[1:], needle[:1].lower() + needle[1:]}
        pattern, flags = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True)), 0
    boundary_l = r"(?<![A-Za-z0-9])" if whole_word and needle[:1].isalnum() else ""
    # A plural is the term too ("Bolsheviks" holds "Bolshevik"); a possessive already ends the word.
    boundary_r = r"(?:e?s)?(?![A-Za-z0-9])" if whole_word and needle[-1:].isalpha() else \
        r"(?![A-Za-z0-9])" if whole_word and needle[-1:].isalnum() else ""
    return [m.start() for m in re.finditer(f"{boundary_l}(?:{pattern}){boundary_r}", text, flags)]


def singular(english: str) -> str:
    """A plural rendering's singular, which names one of them ("Shanghai workers' armed uprisings" →
    "… armed uprising": the sentence speaks of the third); any other rendering as it is. A short last
    word ("News", "Arts") or one not made plural by -s ("Congress", "Soviet Union's") is left alone."""
    last = english.rsplit(" ", 1)[-1]
    if len(last) <= 4 or not last.isalpha() or not last.endswith("s") or last.endswith(("ss", "us", "is")):
        return english
    if last.endswith(("sses", "xes", "ches", "shes")):
        return english[:-2]
    return english[:-1]


def repair_case(output: str, expected: list[str]) -> str:
    """Where an approved rendering appears with other capitalization only, restore the approved form."""
    for target in sorted(set(expected), key=len, reverse=True):
        if not target or occurrences(output, target, singular_too=True) or not any(c.isalpha() for c in target):
            continue
        match = re.search(re.escape(target), output, re.IGNORECASE)
        if match:
            output = output[:match.start()] + target + output[match.end():]
    return output


def locate(output: str, matches: list[TermMatch], expected: list[str], method: str) -> list[TermOutcome]:
    """Give every match a span in ``output``; repeats beyond the English occurrences share the last.

    Longer renderings claim their characters first, so "Provisional Politburo" is never found
    inside "Enlarged Meeting of the Provisional Politburo".
    """
    claimed: set[int] = set()
    spans: dict[str, list[int]] = {}
    for target in sorted(set(expected), key=len, reverse=True):
        free = [s for s in occurrences(output, target, singular_too=True) if not claimed & set(range(s, s + len(target)))]
        spans[target] = free
        for start in free:
            claimed.update(range(start, start + len(target)))
    outcomes, taken = [], {t: 0 for t in spans}
    for match, target in zip(matches, expected):
        starts = spans[target]
        if not starts:
            outcomes.append(TermOutcome(match, target, "missing", method))
            continue
        index = min(taken[target], len(starts) - 1)
        shared = taken[target] >= len(starts)
        taken[target] += 1
        outcomes.append(TermOutcome(match, target, "locked", method, starts[index],
                                    starts[index] + len(target), shared=shared))
    return outcomes


@dataclass(frozen=True)
class Candidate:
    """What a rule looks at: the English, the segment's matches and their outcomes, the source."""

    english: str
    matches: list["TermMatch"]
    outcomes: list[TermOutcome]
    source: str | None  # the normalized source; None where the English is not a model's own output
    year: int | None = None  # the year the document is at (``pipeline/facts.py``): 同年 is that year
    draft: str = ""  # the draft a forced answer was to edit, not rewrite
    subject: str = ""  # whom the article is about: the sentence's unsaid subject, rightly named in English


# What a rule's findings do to the translation decision, besides asking for the next method (every
# rule's findings do that, and every one counts against a candidate):
MODEL_OUTPUT = "model-output"  # judged on the model's own words once, carried through later re-verification
REWORDABLE = "rewordable"      # a re-prompt that shows the draft can mend it; a forcing grammar cannot
ROLES = (UNUSABLE, MODEL_OUTPUT, REWORDABLE)  # UNUSABLE: no reader can use the English (pipeline/document.py)


@dataclass(frozen=True)
class Rule:
    """A verification rule: ``run`` yields a message for each problem it finds in a candidate."""

    name: str
    severity: str
    run: Callable[[Candidate], Iterator[str]]
    roles: frozenset[str] = frozenset()

    @property
    def description(self) -> str:
        return " ".join((self.run.__doc__ or "").split())

    def findings(self, candidate: Candidate) -> Iterator[Finding]:
        for message in self.run(candidate):
            yield Finding(self.name, self.severity, message, roles=self.roles)


RULES: list[Rule] = []  # in the order their findings are reported


def rule(name: str, severity: str = ERROR, roles: Iterable[str] = ()):
    """Register a verification rule under ``name``; its docstring documents it in the guide."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"rule {name}: unknown roles {sorted(unknown)}")

    def register(fn: Callable[[Candidate], Iterator[str]]) -> Callable:
        RULES.append(Rule(name, severity, fn, frozenset(roles)))
        return fn
    return register


def named(role: str) -> frozenset[str]:
    """The names of the rules that have ``role``."""
    return frozenset(r.name for r in RULES if role in r.roles)


def _outside_target(output: str, bad: str, target: str) -> bool:
    """``bad`` occurs somewhere that is not part of an occurrence of the approved ``target``."""
    covered = set()
    for start in occurrences(output, target, singular_too=True):
        covered.update(range(start, start + len(target)))
    return any(start not in covered for start in occurrences(output, bad))


@rule("forbidden-rendering")
def forbidden_rendering(c: Candidate) -> Iterator[str]:
    """A rendering the term base forbids for a matched entry is used (outside its approved English)."""
    for match in c.matches:
        for bad in match.term.forbidden:
            if _outside_target(c.english, bad, match.term.en):
                yield f"{bad!r} is a forbidden rendering of {match.term.zh} (use {match.term.en!r})"


def chinese_left(english: str, outcomes: list[TermOutcome]) -> str:
    """Han characters left in the English, outside locked `keep` terms."""
    kept = set()
    for outcome in outcomes:
        if outcome.match.term.action == "keep" and outcome.status == "locked":
            kept.update(range(outcome.tgt_start, outcome.tgt_end))
    return "".join(c for i, c in enumerate(english) if HAN.match(c) and i not in kept)


@rule("untranslated")
def untranslated(c: Candidate) -> Iterator[str]:
    """Chinese left in the English outside `keep` terms."""
    left = chinese_left(c.english, c.outcomes)
    if left:
        yield f"Chinese left in the English: {left[:40]!r}"


@rule("empty-output", roles=(UNUSABLE,))
def empty_output(c: Candidate) -> Iterator[str]:
    """No English at all."""
    if not c.english.strip():
        yield "the English is empty"


_SENTENCE_END = tuple("。！？!?")
_ENGLISH_END = tuple(".!?\"'”’)]…")
_PARENTHETICAL = re.compile(r"\([^()]{1,60}\)")
# Parentheses holding no word: "Lominadze (,;)", "the Chineseized ()".
HOLLOW_PARENS = re.compile(r"[(（][^\w()（）]*[)）]")
# A sentence cut off: it ends inside a word ("Plenar-"), after an opening bracket or on a word that
# cannot end an English sentence.
_CUT_OFF = re.compile(r"(?:[-–(\[“‘]|\b(?:the|a|an|of|and|or|with|from|which|whose|its|their))\s*$",
                      re.IGNORECASE)


def _ends_sentence(source: str) -> bool:
    return source.rstrip("”’」』）)").endswith(_SENTENCE_END)


def closed(output: str, source: str) -> str:
    """``output``, an answer the model ended itself (``Engine.ended``: not stopped by its token
    budget), with the final stop it left out ("Former CCP Propaganda Department Director" for
    曾任中共中央宣传部部长。) where the source ends a sentence and the English ends on a whole word.
    An English that ends inside a word or on "the", "of" … stays cut off."""
    bare = strip_tags(output).rstrip()
    if _ends_sentence(source) and bare and bare[-1].isalnum() and not _CUT_OFF.search(bare):
        return output.rstrip() + "."
    return output


REPEAT_WORDS = 6  # a run of this many words twice is a loop, not prose ("the sentence written twice")
SOURCE_REPEAT_WORDS = 10  # where the source itself repeats a phrase, its English may too (at least this)


def _longest_repeat(source: str, least: int = 4) -> int:
    """The length of the longest phrase the source has twice (中共中央 … 中共中央), 0 if none of ``least``
    characters or more."""
    text = "".join(source.split())

    def repeats(size: int) -> bool:
        grams = [text[i:i + size] for i in range(len(text) - size + 1)]
        return len(set(grams)) < len(grams)

    if not repeats(least):
        return 0
    low, high = least, len(text) // 2
    while low < high:  # the largest size with a repeat (a repeat of n characters has one of n - 1)
        mid = (low + high + 1) // 2
        low, high = (mid, high) if repeats(mid) else (low, mid - 1)
    return low


def _repeated_run(output: str, source: str) -> str:
    """The first run of words written twice (``REPEAT_WORDS`` long; where the source itself repeats
    a phrase, longer than its English may be: a title listed twice with one opening)."""
    repeat = _longest_repeat(source)
    size = max(SOURCE_REPEAT_WORDS, round(1.5 * repeat) + 2) if repeat else REPEAT_WORDS
    aliases = any(p in source for p in "(（")  # 共青团中央局（又称少共中央局）: an alias may repeat the name's words
    words = output.split()
    seen, depth = set(), 0
    for i in range(len(words) - size + 1):
        depth += words[i].count("(") - words[i].count(")")
        run = tuple(w.lower().strip(",.;:()") for w in words[i:i + size])
        if run in seen and not (aliases and depth > 0):
            return " ".join(words[i:i + size])
        seen.add(run)
    return ""


# How the adequacy rules below say their problem: a re-prompt shows it, an answer that repeats it echoes.
FIRST_PERSON_NOTE = "speaks in the first person where the source does not"
NAMED_MORE_NOTE = "more often than the source names them"
OTHER_SUBJECT_NOTE = "whom the source does not make its subject"
KIN_NOTE = "a relation the source does not name"
# What the prompt says of the article's subject (``pipeline/translate/prompts.py``): an answer that
# repeats it echoes the prompt.
SUBJECT_NOTES = ("The article is about", "A sentence without a subject is about")

# The model narrating the task it was given, or echoing the prompt, instead of translating.
TASK_ECHO = re.compile(
    r"corrected English|English (?:translation|version) (?:is|reads)\b|left in the draft|Draft English"
    r"|translation is (?:now )?complete|\b(?:is|are) (?:translated|rendered) as\b|(?:^|[.!?*]\s*)Notes?\s*:"
    r"|^\W*Here is\b|\bHere is the (?:English|translation|corrected)|\w\s+=\s+\w"
    r"|\bThe Chinese (?:term|word|phrase|characters?)\s*[\"“'‘]"
    r"|" + "|".join(re.escape(note) for note in (facts.LEFT_OUT, facts.MONTH_ADDED, facts.YEAR_ADDED,
                                                 facts.DAY_ADDED, FIRST_PERSON_NOTE, NAMED_MORE_NOTE,
                                                 OTHER_SUBJECT_NOTE, KIN_NOTE,
                                                 *SUBJECT_NOTES)),
    re.IGNORECASE)


_SENTENCES = re.compile(r"(?<=[.!?])[\"”’)]*\s+")


def _terms_appended(output: str, source: str, terms: tuple[str, ...]) -> str:
    """A last sentence that is nothing but locked terms, after a sentence the source does not end
    with ("… reorganized the Politburo. **Politburo**."): the model listed what it was told to use."""
    sentences = _SENTENCES.split(output.strip())
    if len(sentences) < 2 or sum(source.count(end) for end in _SENTENCE_END) > 1:
        return ""
    last = sentences[-1]
    if not any(t and t.lower() in last.lower() for t in terms):
        return ""
    return "" if _words(last, terms) else last


def broken(output: str, source: str, terms: tuple[str, ...] = ()) -> str:
    """Why a reader would reject ``output`` outright, whatever its terms ("" when it reads as a
    translation): a stuttering loop or a run of words written twice; the task narrated or the prompt
    echoed ("The translation is now complete.", "… is translated as …", "Note:", " = "); parentheses
    holding no word where the source's hold words; far too long for the source; cut off mid-word or
    mid-sentence; locked terms listed after the sentence; or glossary pairs echoed as parentheticals the source does not have (two, or one that
    lists two of the ``terms``: "… (Ministry of Public Security, Kang Sheng, Xie Fuzhi)")."""
    if re.search(r"(.{2,12}?)\1{3,}", output):
        return "the English stutters (a loop)"
    repeated = _repeated_run(output, source)
    if repeated:
        return f"the English writes {repeated!r} twice"
    echo = TASK_ECHO.search(output)
    if echo:
        return f"the English narrates the task or echoes the prompt ({echo.group(0).strip()!r})"
    if len(HOLLOW_PARENS.findall(output)) > len(HOLLOW_PARENS.findall(source)):
        return "the English has parentheses holding no word"
    if len(source) >= 4 and len(output) > 8 * len(source) + 80:
        return "the English is far longer than the source"
    if output and ((_ends_sentence(source) and not output.endswith(_ENGLISH_END)) or _CUT_OFF.search(output)):
        return "the English is cut off"
    source_parens = source.count("（") + source.count("(")
    added = len(_PARENTHETICAL.findall(output)) - source_parens
    appended = _terms_appended(output, source, terms)
    if appended:
        return f"the English lists terms after its sentence ({appended!r})"
    listing = any(sum(t in group for t in set(terms)) >= 2 for group in _PARENTHETICAL.findall(output))
    if added >= 2 or (added >= 1 and listing):
        return "the English echoes glossary pairs in parentheses"
    return ""


def degenerate(output: str, source: str, terms: tuple[str, ...] = ()) -> bool:
    return bool(broken(output, source, terms))


_WORD = re.compile(r"[A-Za-z0-9'’\u00c0-\u024f]+")
EDIT_SLACK = 3  # words a forced edit may add beside the terms (an article, a preposition)


def _words(text: str, remove: tuple[str, ...]) -> Counter:
    for target in sorted(set(remove), key=len, reverse=True):
        text = re.sub(re.escape(target), " ", text, flags=re.IGNORECASE) if target else text
    return Counter(w.lower() for w in _WORD.findall(text))


def rewrote_draft(output: str, draft: str, terms: tuple[str, ...]) -> str:
    """A forced answer whose words outside the locked terms are not the draft's: it wrote a new
    sentence around the terms instead of mending the draft ("" when it only edited)."""
    kept = _words(draft, terms)
    added = _words(output, terms) - kept
    allowed = EDIT_SLACK + len(kept) // 8
    if sum(added.values()) > allowed:
        return f"the forced answer rewrote the draft ({', '.join(list(added)[:5])} …)"
    return ""


@rule("degenerate-output", roles=(UNUSABLE, MODEL_OUTPUT))
def degenerate_output(c: Candidate) -> Iterator[str]:
    """A model's output a reader would reject outright: a loop or words written twice, the task
    narrated or the prompt echoed, hollow parentheses, far too long, cut off, glossary pairs echoed, or
    a forced answer that rewrote its draft."""
    if c.source is None or not c.english:
        return
    terms = tuple(o.expected for o in c.outcomes)
    reason = broken(c.english, c.source, terms) or (rewrote_draft(c.english, c.draft, terms) if c.draft else "")
    if reason:
        yield reason


@rule("number-mismatch", roles=(MODEL_OUTPUT, REWORDABLE))
def number_mismatch(c: Candidate) -> Iterator[str]:
    """A number of the source left out of a model's English, or a year the source does not state
    or imply (同年, 次年 resolved from the document)."""
    if c.source is not None and c.english:
        for problem in facts.problems(c.english, c.source, c.year):
            yield problem


# Chinese drops a sentence's subject where the article's context gives it; a small model fills in
# whoever is near ("I", a person named beside him). Both rules judge the model's own words only.
_FIRST_PERSON_EN = re.compile(r"\b(?:I|me|my|mine|myself|we|We|us|our|Our|ours|ourselves)\b")
_FIRST_PERSON_ZH = re.compile("[我咱吾]|本人|鄙人")
_NOT_A_PRONOUN = re.compile(r"(?:War|Phase|Stage|Part|Volume|Class|Type|Level|Act|[A-Z][a-z]+) $")


def _first_person(english: str) -> list[str]:
    """The first-person words of ``english`` ("I" as a Roman numeral after a name or a word such as
    "World War" is none)."""
    return [m.group(0) for m in _FIRST_PERSON_EN.finditer(english)
            if not (m.group(0) == "I" and _NOT_A_PRONOUN.search(english[max(0, m.start() - 12):m.start()]))]


@rule("first-person", roles=(MODEL_OUTPUT, REWORDABLE))
def first_person(c: Candidate) -> Iterator[str]:
    """The English speaks in the first person (I, my, we, our) where the source has none: the model
    made itself, or the reader, the subject the Chinese left unsaid."""
    if c.source is None or _FIRST_PERSON_ZH.search(c.source):
        return
    words = _first_person(c.english)
    if words:
        yield f"the English {FIRST_PERSON_NOTE} ({', '.join(dict.fromkeys(words))}): {_who_does_it(c)}"


@rule("extra-person", WARNING, roles=(MODEL_OUTPUT, REWORDABLE))
def extra_person(c: Candidate) -> Iterator[str]:
    """A person of the term base named in the English more often than the source names them, or made
    the one who acts where the source names them elsewhere (``_other_subject``): an act or a post given
    to the wrong man, or another person put in as the subject the source left unsaid (the article's own
    subject excepted: naming them there is right)."""
    if c.source is None:
        return
    named = Counter(m.term.en for m in c.matches if m.term.type == "person" and m.term.action != "keep"
                    and m.term.en and m.term.en != c.subject)
    for name, times in named.items():
        written = len(occurrences(c.english, name))
        if written > times:
            yield f"the English names {name} {written} times, {NAMED_MORE_NOTE} ({times}): keep each act with its person"
    other = _other_subject(c)
    if other:
        yield f"the English opens with {other} as the one who acts, {OTHER_SUBJECT_NOTE}: {_who_does_it(c)}"


def _who_does_it(c: Candidate) -> str:
    """What a re-prompt asks of English that put the wrong one in the subject's place: the article's
    subject, where known, is whom a sentence without a subject is about."""
    return f"{SUBJECT_NOTES[1].lower()} {c.subject}" if c.subject else "say who does it"


# What an English sentence may open with before its subject: a date or a phrase of time or place.
_LEADING_PHRASE = re.compile(r"^\W*(?:(?:In|On|During|By|After|Before|At|From|Since|Early|Late|Then|Later|Afterwards|"
                             r"Subsequently|Following|When|While|Upon|Under|As)\b[^,]{0,80},\s*|\d{4}(?: [A-Z][a-z]+)?,?\s+)?")
_PASSIVE = re.compile(r"\b(?:was|were|had been|has been|is|are)\s+(?:\w+ly\s+)?\w+(?:ed|en|ght|wn|ne)\b")
_CLAUSES = re.compile(r"[，,。；;：:]")
# A clause head that is only a time (1926年—1927年, 同年12月, 此后): a name after it is the clause's subject.
_TIME_ONLY = re.compile(r"[\d〇一二三四五六七八九十年月日号初底末春夏秋冬旬同次翌该当此其后随之来时期间不久—\-~～至到\s]*")


def _other_subject(c: Candidate) -> str:
    """A person the English makes the one who acts at its opening, though the source names them where
    no subject stands ("1925年回国后担任…，与周恩来…领导" → "Zhou Enlai served as …"): the model put a
    name beside it in the place of the subject the Chinese left unsaid. A passive English ("Chen Duxiu
    was criticized") and the article's own subject are no such case."""
    english = strip_tags(c.english)
    opening = english[_LEADING_PHRASE.match(english).end():]
    for m in c.matches:
        name = m.term.en
        if m.term.type != "person" or m.term.action == "keep" or not name or name == c.subject:
            continue
        if opening.startswith(name + " ") and not _PASSIVE.search(opening[len(name):len(name) + 40]):
            clause_head = _CLAUSES.split(c.source[:m.norm_start])[-1]
            return "" if _TIME_ONLY.fullmatch(clause_head) else name
    return ""


@rule("kinship", WARNING, roles=(MODEL_OUTPUT, REWORDABLE))
def kinship_words(c: Candidate) -> Iterator[str]:
    """A kinship word the source says nothing of ("father" for 舅父, the maternal uncle), or a plain
    one for a step- or adopted relation ("son" for 继子): a family relation a reader takes as fact
    (``pipeline/kinship.py``)."""
    if c.source is None:
        return
    words = kinship.unlicensed_kin(c.english, c.source)
    if words:
        yield f"the English says {', '.join(words)}, {KIN_NOTE}: name the relation the source names"


MODEL_OUTPUT_RULES = named(MODEL_OUTPUT)
REWORDING_RULES = named(REWORDABLE)


def verify(english: str, matches: list[TermMatch], expected: list[str], method: str, *,
           source: str | None = None, judged: Translation | None = None, tags: list[Tag] = (),
           year: int | None = None, draft: str = "", subject: str = "") -> Translation:
    """The verdict on ``english`` for a segment whose ``matches`` must appear as ``expected``.

    ``source``: the normalized Chinese, when ``english`` is a model's own output. ``judged``: an
    earlier verdict on the model's output this English was derived from (keep-terms restored),
    whose model-output findings still hold. ``tags``: the inline tags the English was asked to
    carry (``pipeline/markup.py``); each must come back exactly once, well nested, around English.
    ``year``: the year the document is at, for the number rule. ``draft``: for a forced answer, the
    English it was to edit (a forced answer that rewrote it is unusable). ``subject``: whom the
    article is about, in English.
    """
    if tags:
        marked, as_text = names_as_text(english, tags)
        parsed = parse(marked, tags)
        parsed.problems[:0] = as_text
        english = parsed.text
    outcomes = locate(english, matches, expected, method)
    candidate = Candidate(english, matches, outcomes, source, year, strip_tags(draft) if draft else "", subject)
    defects = [f for rule in RULES for f in rule.findings(candidate)]
    if judged is not None and source is None:
        carried = [f for f in judged.defects if f.check in MODEL_OUTPUT_RULES]
        defects = _in_rule_order(defects + carried)
    if not tags:
        return Translation(english, method, outcomes, defects)
    return Translation(english, method, outcomes, defects, marked=marked, places=parsed.places,
                       tag_problems=parsed.problems)


_RULE_RANK = {rule.name: rank for rank, rule in enumerate(RULES)}


def _in_rule_order(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: _RULE_RANK.get(f.check, len(RULES)))
