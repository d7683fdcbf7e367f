"""Run terms: one rendering per name across a run, for the names the curated term base lacks.

Before translation, every document of the run is searched for entity candidates without an approved
entry: wikilink targets (with the label text that names them, narrowed as the tagger narrows it),
bold names and 《titles》. Each is rendered once — Chinese personal names by pypinyin (family name
first), a `proposed` row of the term base by its drafted English, places and peoples CC-CEDICT names
(诸暨 → Zhuji), bold aliases by pypinyin, anything else by the engine (several names to a request,
``pipeline/translate/lists.py``, the approved entries inside each locked and related approved entries
as a pattern) — and locked for the run like an
approved entry (curated entries win on the same key; the audit says ``via: run-terms``). A rendering
that is not clean (Chinese left, empty, far too long) is not locked. The table is written as
``run-terms.csv`` / ``.xlsx`` in the term base's columns (status ``proposed``) for the glossary
editor; ``zhen glossary import`` merges the rows a person approves.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipeline.chinese import has_han
from pipeline.document import Document, SpanKind
from pipeline.normalize import normalize
from pipeline.terms.coverage import _BOOK_TITLE, _bold_texts
from pipeline.terms.glossary import Term
from pipeline.terms.matcher import TermMatcher, page_title
from pipeline.chinese import all_han
from pipeline.terms.suggest import (PLACE_SUFFIXES, cedict_gloss, guess_type, military_unit, pinyin_name, pinyin_words,
                                    place_name)

STATUS = "run"  # the status of a run term inside the run; written out as `proposed`
MIN_CHARS = 2
_SKIP_TITLES = ("Category:", "File:", "Image:", "s:", "Template:", "Wikipedia:",
                "分类:", "文件:", "图像:", "模板:", "维基百科:")  # the namespaces as zh.wikipedia spells them


@dataclass
class RunTerm:
    """One entity of the run: its Chinese forms (the first is the entry's), where it was found and
    how often, its rendering and where that came from."""

    forms: list[str]
    origin: str                        # wikilinked page | bold name | book title
    type: str = ""
    en: str = ""
    source: str = ""                   # pypinyin | term base (proposed) | engine
    problem: str = ""                  # why the rendering is not locked
    count: int = 0
    documents: set[str] = field(default_factory=set)

    @property
    def zh(self) -> str:
        return self.forms[0]

    @property
    def locked(self) -> bool:
        return bool(self.en) and not self.problem

    def term(self) -> Term:
        return Term(zh=self.zh, en=self.en, id=f"run:{self.zh}", variants=tuple(self.forms[1:]), type=self.type,
                    action="transliterate" if self.type in ("person", "place") else "translate",
                    source=f"run terms: {self.source}", status=STATUS)

    def row(self) -> dict[str, str]:
        """The term base's columns (status `proposed`), plus occurrences and documents."""
        note = f"{self.origin}; {self.count}× in {len(self.documents)} document(s)"
        if self.problem:
            note += f"; not locked: {self.problem}"
        return {"id": "", "zh": self.zh, "variants": "|".join(self.forms[1:]), "en": self.en, "type": self.type,
                "action": self.term().action, "forbidden": "", "note": note, "source": f"run terms: {self.source}",
                "status": "proposed", "count": str(self.count), "documents": "|".join(sorted(self.documents))}

    @classmethod
    def from_row(cls, row: dict[str, str]) -> "RunTerm":
        """The entry ``row()`` wrote (run-terms.csv), for rebuilding a finished run's matcher."""
        note = row.get("note", "")
        origin, _, rest = note.partition(";")
        _, _, problem = rest.partition("; not locked: ")
        documents = {d for d in row.get("documents", "").split("|") if d}
        count = int(row["count"]) if row.get("count", "").isdigit() else 0
        return cls([row["zh"], *(v for v in row.get("variants", "").split("|") if v)], origin.strip(),
                   row.get("type", ""), row.get("en", ""), row.get("source", "").removeprefix("run terms: "),
                   problem, count, documents)


def _new(name: str, matcher: TermMatcher) -> bool:
    return len(name) >= MIN_CHARS and has_han(name) and matcher.lookup(name) is None


def collect(docs: list[Document], matcher: TermMatcher) -> list[RunTerm]:
    """Entity candidates of the run that no approved entry covers, with their forms (a link's label
    is a form of its page where it names it: not a clause the label could not be narrowed in)."""
    found: dict[str, RunTerm] = {}

    def add(key: str, form: str | None, origin: str) -> None:
        entry = found.setdefault(key, RunTerm([key], origin))
        if form and form not in entry.forms:
            entry.forms.append(form)

    for doc in docs:
        for segment in doc.segments:
            for tag in segment.tags:
                title = page_title(tag.target) if tag.kind is SpanKind.LINK and tag.target else None
                if not title or title.startswith(_SKIP_TITLES):
                    continue
                title = normalize(title, matcher.config).text
                label = segment.norm[tag.start:tag.end]
                if _new(title, matcher):
                    add(title, label if _new(label, matcher) and not _is_curated(segment, tag)
                        and len(label) <= len(title) + 2 else None, "wikilinked page")
            for name in _bold_texts(segment.spans) + _BOOK_TITLE.findall(segment.norm):
                name = normalize(name.strip(), matcher.config).text
                if _new(name, matcher) and name not in found:
                    add(name, name, "book title" if f"《{name}》" in segment.norm else "bold name")
    return list(found.values())


def _is_curated(segment, tag) -> bool:
    """The link's label is exactly an approved entry: the curated rendering stays on it."""
    return any(tag.start == m.norm_start and m.norm_end == tag.end and m.term.status != STATUS
               for m in segment.terms)


def count(entries: list[RunTerm], docs: list[Document]) -> None:
    """Occurrences of each entry's forms across the run (leftmost-longest), and the documents."""
    by_form = {form: entry for entry in entries for form in entry.forms}
    finder = TermMatcher([Term(form, "x") for form in by_form], "none")
    for doc in docs:
        for segment in doc.segments:
            for start, end, term in finder.find(segment.norm):
                entry = by_form[term.zh]
                entry.count += 1
                entry.documents.add(doc.doc_id)


def render(entries: list[RunTerm], proposed: dict[str, Term], translate_names, curated: TermMatcher) -> None:
    """Each entry's English: pypinyin for Chinese personal names, the drafted English of a `proposed`
    row, else ``translate_names(names)`` (the engine, several names to a request, the approved
    entries inside it locked). A rendering that lacks the English of an approved entry inside the
    name is not locked: curated entries win."""
    for_engine = []
    for entry in entries:
        entry.type = guess_type(entry.zh, is_title=entry.origin == "book title")
        row = next((proposed[f] for f in entry.forms if f in proposed), None)
        proper = _proper_noun(entry.zh)
        by_unit = place_name(entry.zh) if entry.type == "place" else ""
        if by_unit and (not proper or len(proper.split()) > 3 or not _in_pinyin(proper, entry.zh)):
            proper = by_unit  # CC-CEDICT's "Youyang Miao and Tujia autonomous county in …"
        if row is not None:
            entry.en, entry.source, entry.type = row.en, "term base (proposed)", row.type or entry.type
        elif unit := military_unit(entry.zh):
            entry.en, entry.source = unit, "pattern"
        elif entry.type == "person" and "·" not in entry.zh:
            entry.en, entry.source = pinyin_name(entry.zh), "pypinyin"
        elif proper:
            entry.en, entry.source = proper, "CC-CEDICT"
        elif entry.origin == "bold name" and all_han(entry.zh) and len(entry.zh) <= 4 and not cedict_gloss(entry.zh):
            entry.en, entry.source = pinyin_words(entry.zh).replace(" ", "").capitalize(), "pypinyin"  # an alias
        else:
            for_engine.append(entry)
    for entry, english in zip(for_engine, translate_names([e.zh for e in for_engine])):
        entry.en, entry.source = _as_name(english, entry.type), "engine"
        if entry.type == "place" and all_han(entry.zh) and not _in_pinyin(entry.en, entry.zh):
            entry.en, entry.source = place_name(entry.zh) or pinyin_words(entry.zh).replace(" ", ""), "pypinyin"
    taken = _renderings_in_use(entries, curated)
    for entry in entries:
        entry.problem = unclean(entry.zh, entry.en) or _curated_left_out(entry, curated) or _taken(entry, taken)


def _in_pinyin(english: str, zh: str) -> bool:
    """The English spells some of the name's sounds: a transliteration, not a word-for-word
    rendering of a place name (脚山 → "Mount Foot")."""
    syllables = [s for s in pinyin_words(zh).lower().split() if len(s) > 1]
    letters = re.sub(r"[^a-z]", "", english.lower())
    return any(s in letters for s in syllables)


def _renderings_in_use(entries: list[RunTerm], curated: TermMatcher) -> dict[str, set[str]]:
    """Each English of the run (curated entries and the run's renderings by rule) → the Chinese it names."""
    taken: dict[str, set[str]] = {}
    for term in curated.by_key.values():
        taken.setdefault(term.en.lower(), set()).add(term.zh)
    for entry in entries:
        if entry.source != "engine" and entry.en:
            taken.setdefault(entry.en.lower(), set()).add(entry.zh)
    return taken


def _taken(entry: RunTerm, taken: dict[str, set[str]]) -> str:
    """An engine rendering that is already the English of another entity ("Red Army" for 红4师)."""
    others = taken.get(entry.en.lower(), set()) - set(entry.forms) if entry.source == "engine" else set()
    return f"already the English of {sorted(others)[0]}" if others else ""


def _curated_left_out(entry: RunTerm, curated: TermMatcher) -> str:
    for form in entry.forms:
        for _start, _end, term in curated.find(form):
            if term.action != "keep" and term.en.lower() not in entry.en.lower():
                return f"lacks the approved {term.en!r} for {term.zh}"
    return ""


def _proper_noun(name: str) -> str:
    """A place or people CC-CEDICT names (诸暨 → Zhuji, 江浙 → Jiangsu and Zhejiang); "" otherwise."""
    gloss = cedict_gloss(name)
    if gloss.startswith("abbr. for "):
        gloss = gloss[len("abbr. for "):]
    elif not gloss[:1].isupper():
        return ""
    name = gloss.split(",")[0].split(" of ")[0].split(" in ")[0].strip()  # "Quanzhou county in Guilin"
    return " ".join(w.capitalize() if w in _UNITS else w for w in name.split())  # "Sichuan province" → "… Province"


_UNITS = {unit.lower() for unit in PLACE_SUFFIXES.values()}


def related(name: str, curated: list[Term], limit: int = 3) -> list[Term]:
    """Approved entries that share the name's ending (省委, 会议, 事件) or opening, longest share
    first: a pattern for the engine (中共湖南省委 beside 中共江苏省委)."""
    def shared(term: Term) -> int:
        end = next((n for n in range(min(len(term.zh), len(name)), 1, -1) if term.zh[-n:] == name[-n:]), 0)
        start = next((n for n in range(min(len(term.zh), len(name)), 1, -1) if term.zh[:n] == name[:n]), 0)
        return max(end, start) if term.zh != name else 0
    scored = sorted(((shared(t), t.zh, t) for t in curated if t.en and t.action != "keep"), key=lambda x: (-x[0], x[1]))
    return [t for score, _zh, t in scored[:limit] if score >= 2]


def _as_name(english: str, kind: str = "") -> str:
    """A name, not a sentence: no final full stop, no wrapping quotes, no leading article (it would
    stand capitalized mid-sentence) except in a title."""
    english = english.strip().strip('"“”')
    english = english[:-1] if english.endswith(".") and not english.endswith("..") else english
    if kind != "publication" and english.startswith("The ") and len(english) > 4:
        english = english[4:]
    return english


def unclean(zh: str, en: str) -> str:
    """Why a rendering cannot be locked ("" when it can)."""
    if not en.strip():
        return "no English"
    if has_han(en):
        return "Chinese left in the English"
    if len(en) > 12 * len(zh) + 24 or len(en.split()) > 3 * len(zh) + 4:
        return "far longer than the name"
    if re.search(r"[.!?]\s+\S", en):
        return "a sentence, not a name"
    if "(" in en and not re.search(r"[(（]", zh):
        return "a parenthetical the name does not have"
    if re.search(r"[:;,]", en) and not re.search(r"[：；，、:;,]", zh):
        return "a list or a heading, not a name"  # "See also: French Student Movement, …"
    return ""


def run_matcher(curated: list[Term], entries: list[RunTerm], config: str) -> TermMatcher:
    """The run's matcher: run terms first, so a curated entry with the same key wins. A rendering
    that does not lock only for want of an approved part ("French Communist Party" lacks "France")
    is still where render may place a link to that page."""
    renderings = {e.zh: e.en for e in entries if not e.locked and not unclean(e.zh, e.en)}
    return TermMatcher([e.term() for e in entries if e.locked] + curated, config, renderings)


def summary(entries: list[RunTerm], rendered: bool = True) -> str:
    by_type = Counter(e.type or guess_type(e.zh, e.origin == "book title") for e in entries)
    by_origin = Counter(e.origin for e in entries)
    kinds = ", ".join(f"{k} {n}" for k, n in by_type.most_common())
    origins = ", ".join(f"{k} {n}" for k, n in by_origin.most_common())
    text = f"run terms: {len(entries)} names the term base lacks"
    if entries:
        text += f" ({kinds}; from: {origins}); {sum(e.count for e in entries)} occurrences"
    if rendered and entries:
        locked = sum(e.locked for e in entries)
        text += f"; {locked} locked, {len(entries) - locked} not rendered cleanly"
    return text
