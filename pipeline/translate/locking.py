"""Translate segments so that every locked term appears: verify, escalate, audit.

Each unique source (normalized text + its locked terms) is translated once. All pending sources go
to the engine in batches with its weakest locking method; those whose verdict has a problem (a
missing term, a defect found by ``pipeline/verify.py``) go again with the next method. The best
attempt is kept, and each segment gets its own verdict in ``Segment.translation``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Sequence

from pipeline import facts
from pipeline.chinese import HAN_ONLY, has_han
from pipeline.document import Segment, Translation
from pipeline.markup import TAG, inner, protect, restore, strip_tags, tagged_text
from pipeline.terms.suggest import cedict_gloss, dictionary_word, leftover_english
from pipeline.translate.choose import consensus
from pipeline.translate.cleanup import clean, restore_targets, strip_wrappers
from pipeline.translate import lists, repair
from pipeline.translate.engines.base import Engine, Request, TermPair
from pipeline.verify import REWORDING_RULES, closed, occurrences, repair_case, verify

Item = tuple[str, Segment]  # (the document's text, one of its segments)


def term_pairs(segment: Segment) -> tuple[TermPair, ...]:
    """The locked terms as the engine sees them, in order of occurrence."""
    return tuple(TermPair(segment.norm[m.norm_start:m.norm_end], m.term.en, m.term.action) for m in segment.terms)


def tagged_source(segment: Segment) -> str:
    """The normalized text with the inline tags the engine sees (``pipeline/markup.py``)."""
    return tagged_text(segment.norm, segment.norm_offsets, inner(segment.tags))


def source_key(segment: Segment) -> tuple:
    """What decides the English: identical keys share one translation (and one cache entry)."""
    key = (tagged_source(segment), tuple((p.zh, p.en, p.action) for p in term_pairs(segment)))
    return key + (segment.context,) if segment.context else key


def _tags_in(segment: Segment, english: str) -> list:
    """The tags to read back from stored English: those the segment sends, if the English has any."""
    return inner(segment.tags) if TAG.search(english) else []


def foreign_tags(segment: Segment, english: str) -> list[str]:
    """Tags in stored English the segment does not send: one render places by itself (at an edge,
    on a locked term's English) or one the source lacks."""
    names = {t.name for t in inner(segment.tags)}
    return list(dict.fromkeys(m.group(0) for m in TAG.finditer(english) if m.group(2) + m.group(3) not in names))


def own_tags_only(segment: Segment, english: str) -> str:
    """``english`` without its ``foreign_tags``."""
    foreign = set(foreign_tags(segment, english))
    return TAG.sub(lambda m: "" if m.group(0) in foreign else m.group(0), english) if foreign else english


def _expected(segment: Segment) -> list[str]:
    return [p.target for p in term_pairs(segment)]


def judge(segment: Segment, raw: str, method: str, tags: list = (), draft: str = "", ended: bool = False) -> Translation:
    """The verdict on a model's raw output for ``segment``, after clean-up, case repair and life
    dates the source leaves blank taken out. ``tags``: the inline tags the engine was sent; any
    others it wrote are dropped. ``draft``: the English a forcing method was to edit. ``ended``: the
    model ended the answer itself (not its token budget): a final stop it left out is put in."""
    expected = _expected(segment)
    text = restore_targets(restore(clean(protect(raw), segment.norm)), expected)
    text = closed(text, segment.norm) if ended else text
    text = facts.blank_life_dates(repair_case(text if tags else strip_tags(text), expected), segment.norm, segment.year)
    return verify(text, segment.terms, expected, method, source=segment.norm, tags=tags, year=segment.year,
                  draft=draft)


SUBSTITUTE = "substitute"  # the method of a draft whose missing terms were put in by substitution


def substituted(segment: Segment, best: Translation, tags: list, looked_up: dict[str, str]) -> Translation | None:
    """``best`` with the draft's rendering of each missing term replaced by the approved English
    (``pipeline/translate/repair.py``), where that is better; None where nothing could be replaced."""
    missing = [o for o in best.outcomes if o.status == "missing" and o.match.term.action != "keep"]
    if best.unusable or not missing:
        return None
    present = [o.expected for o in best.outcomes if o.status == "locked"]

    def renderings_of(outcome) -> list[str]:
        zh = _matched(segment, outcome.match)
        return repair.draft_renderings(zh, outcome.match, looked_up.get(zh, ""))

    def heads_of(outcome) -> list[str]:
        return repair.organization_heads(_matched(segment, outcome.match), outcome.match)

    text, replaced = repair.substitute(best.tagged, missing, renderings_of, present, heads_of)
    if not replaced:
        return None
    verdict = verify(text, segment.terms, _expected(segment), SUBSTITUTE, source=segment.norm, tags=tags,
                     year=segment.year)
    verdict.outcomes = _audited(verdict.outcomes, replaced)
    verdict.attempts = best.attempts
    return verdict if verdict.rank < best.rank else None


def _audited(outcomes: list, replaced: dict[str, str]) -> list:
    """Each locked term that substitution put in, with the draft's words it replaced (its audit)."""
    return [replace(o, method=SUBSTITUTE, replaced=replaced[o.expected])
            if o.expected in replaced and o.status == "locked" else o for o in outcomes]


def _replaced(verdict: Translation) -> dict[str, str]:
    return {o.expected: o.replaced for o in verdict.outcomes if o.replaced}


def _matched(segment: Segment, match) -> str:
    return segment.norm[match.norm_start:match.norm_end]


def dated(segment: Segment, best: Translation, tags: list) -> Translation:
    """Number problems the model left, mended by rule where that verifies better: a year it invented
    where the source says which one it means (``facts.mended_years``), and the date the source opens
    with, dropped, back in front ("In 1931, …")."""
    if not any(f.check == "number-mismatch" for f in best.defects):
        return best
    text = facts.mended_years(best.tagged, segment.norm, segment.year)
    text = facts.with_leading_date(text, segment.norm)
    if text == best.tagged:
        return best
    verdict = verify(text, segment.terms, _expected(segment), best.method, source=segment.norm, tags=tags,
                     year=segment.year)
    verdict.outcomes, verdict.attempts = _audited(verdict.outcomes, _replaced(best)), best.attempts
    return verdict if verdict.rank < best.rank else best


def from_cache(segment: Segment, cached: tuple[str, str, int, bool]) -> Translation:
    tgt, method, attempts, _degenerate = cached  # the flag is judged again from the same text
    tags = _tags_in(segment, tgt)
    verdict = verify(tgt, segment.terms, _expected(segment), method, source=segment.norm, tags=tags, year=segment.year)
    verdict.attempts = attempts
    if _has_chinese_left(verdict):  # stored before fill-in existed
        verdict = filled_in(segment, verdict, tags)
    verdict.reused = "cache"
    return verdict


def _has_chinese_left(verdict: Translation) -> bool:
    return any(f.check == "untranslated" for f in verdict.defects)


def from_memory(segment: Segment, english: str) -> Translation:
    """Reviewed English from the translation memory; its locked terms are verified like any output,
    and the inline tags a reviewer kept (`zhen review serve` stores them) put its markup back."""
    english = own_tags_only(segment, english)
    verdict = verify(english, segment.terms, _expected(segment), "memory", tags=_tags_in(segment, english))
    verdict.attempts, verdict.reused = 0, "memory"
    return verdict


WHOLE_TERM = "term"  # the method of a segment that is one locked term and nothing more: its English
COPY = "copy"  # the method of a segment without Chinese: its text as it is
NO_MODEL = (COPY, WHOLE_TERM)


def whole_term(segment: Segment) -> Translation | None:
    """A segment that is one locked term and nothing more (a heading or list item naming 鸡鸣三省大桥,
    a run's name again): the term's English, verified, without the model; None for any other."""
    if len(segment.terms) != 1 or segment.terms[0].term.action == "keep":
        return None
    match = segment.terms[0]
    if segment.norm[:match.norm_start].strip() or segment.norm[match.norm_end:].strip():
        return None
    english = tagged_source(segment).replace(_matched(segment, match), _expected(segment)[0], 1)
    if has_han(english):  # a tag inside the term: the model places it
        return None
    return verify(english, segment.terms, _expected(segment), WHOLE_TERM, tags=inner(segment.tags))


def copy_through(segment: Segment) -> Translation:
    """Text without Chinese (dates in digits, Latin names) needs no model; its tags stay where they are."""
    return verify(tagged_source(segment), segment.terms, _expected(segment), COPY, tags=inner(segment.tags))


def finalize(text: str, segment: Segment, best: Translation, gloss_kept: bool = True) -> Translation:
    """This segment's verdict from the shared best one: `keep` terms back in their original script
    (glossed once with their English), then verified against this segment's own matches."""
    if best.method == "memory":
        return from_memory(segment, best.tagged)  # a reviewer's English is used exactly as written
    english = best.tagged
    originals = [segment.original(text, m) for m in segment.terms]
    for match, original in zip(segment.terms, originals):
        if match.term.action != "keep":
            continue
        norm_form = segment.norm[match.norm_start:match.norm_end]
        starts = occurrences(english, norm_form)
        if not starts:
            continue
        at = starts[0]
        gloss = f" ({match.term.en})" if gloss_kept and match.term.en and match.term.en != original \
            and not english[at + len(norm_form):].lstrip().startswith(f"({match.term.en})") else ""
        english = english[:at] + original + gloss + english[at + len(norm_form):]
    expected = [orig if m.term.action == "keep" else m.term.en for m, orig in zip(segment.terms, originals)]
    tags = inner(segment.tags) if best.marked is not None else _tags_in(segment, english)
    verdict = verify(english, segment.terms, expected, best.method, judged=best, tags=tags)
    verdict.attempts, verdict.reused = best.attempts, best.reused
    verdict.outcomes = _audited(verdict.outcomes, _replaced(best))
    return verdict


FILL_IN = "fill-in"  # the method name of English filled in for Chinese the model left in its draft


def _keep_targets(segment: Segment) -> list[str]:
    return sorted({p.target for p in term_pairs(segment) if p.action == "keep"}, key=len, reverse=True)


_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)\s*$", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)


def _in_sentence(english: str, zh: str, before: str) -> str:
    """A rendering of Chinese alone, as the words go inside a sentence: no second article after the
    draft's ("the The Hunan …"), an article of its own in lower case ("joined The League"), and a
    common word — CC-CEDICT's sense, its article aside, is lowercase — in lower case inside a sentence,
    though the model capitalized it alone ("conducted a Clearing"; 共青团 "the Communist Youth League"
    is a name)."""
    inside = not repair.at_sentence_start(before, len(before))
    if _ARTICLE_BEFORE.search(strip_tags(before)):
        english = _LEADING_ARTICLE.sub("", english)
    elif inside:
        english = _LEADING_ARTICLE.sub(lambda m: m.group(0).lower(), english)
    if inside and _LEADING_ARTICLE.sub("", cedict_gloss(zh))[:1].islower():
        english = " ".join(w.lower() if w[:1].isupper() and not w.isupper() else w for w in english.split())
    return english


def _leftovers(keep: list[str]) -> re.Pattern:
    """Runs of Chinese, with each `keep` term matched whole so it can be told apart and left alone."""
    return re.compile("|".join([re.escape(k) for k in keep] + [HAN_ONLY.pattern]))


def chinese_runs(segment: Segment, verdict: Translation) -> list[str]:
    """The runs of Chinese the model left in its English, outside `keep` terms, in order."""
    keep = _keep_targets(segment)
    return list(dict.fromkeys(m.group(0) for m in _leftovers(keep).finditer(verdict.tagged) if m.group(0) not in keep))


def _missing_chinese(segment: Segment, verdict: Translation) -> dict[str, str]:
    """The Chinese of each term ``verdict`` lacks, with its approved English: left in the draft as it
    stands, it is filled in with that English, not looked up ("returned to延安" → Yan'an)."""
    return {_matched(segment, o.match): o.expected for o in verdict.outcomes
            if o.status == "missing" and o.match.term.action != "keep" and o.expected}


def filled_in(segment: Segment, best: Translation, tags: list, looked_up: dict[str, str] | None = None) -> Translation:
    """Repair, don't regenerate: each run of Chinese the model left in its English (outside `keep`
    terms) replaced by a missing term's approved English where it is that term's Chinese, else by the
    model's own rendering of that run alone (``looked_up``, asked once a run where the dictionary has
    no plain sense for it: the model alone rendered 公安部 "The Chinese government"), else by
    ``leftover_english`` — pinyin for a name, a dictionary sense for a word — so no Chinese ships
    inside English; QA's `filled-in` asks a reviewer to check it."""
    keep = _keep_targets(segment)
    looked_up = looked_up or {}
    approved = _missing_chinese(segment, best)
    pattern = _leftovers(keep)

    def fill(m: re.Match) -> str:
        if m.group(0) in keep:
            return m.group(0)
        before, after = m.string[m.start() - 1:m.start()], m.string[m.end():m.end() + 1]
        english = approved.get(m.group(0)) or _in_sentence(
            looked_up.get(m.group(0)) or leftover_english(m.group(0)), m.group(0), m.string[:m.start()])
        possessive = bool(before) and before in "'’" and m.string[m.start() - 2:m.start() - 1].isalpha()
        return (" " if before.isalnum() or (before and before in ",;:") or possessive else "") + english + \
            (" " if after.isalnum() else "")

    verdict = verify(pattern.sub(fill, best.tagged), segment.terms, _expected(segment), FILL_IN,
                     source=segment.norm, tags=tags, year=segment.year)
    verdict.outcomes = _audited(verdict.outcomes, _replaced(best))
    verdict.attempts = best.attempts
    return verdict if verdict.rank <= best.rank else best


def _unique_pairs(pairs: tuple[TermPair, ...]) -> tuple[TermPair, ...]:
    return tuple(dict.fromkeys(pairs))


@dataclass
class Plan:
    """What a batch of segments needs: each unique source once, and which of them a model must
    translate (the rest come from the translation memory, the cache, or need no model)."""

    unique: dict[tuple, Segment]
    best: dict[tuple, Translation]
    pending: list[tuple]
    copies: Counter


def plan(items: Sequence[Item], memory=None, cache=None, seen: dict | None = None) -> Plan:
    """``seen``: verdicts from earlier batches of the same run (a source is translated once a run)."""
    unique: dict[tuple, Segment] = {}
    for _text, segment in items:
        unique.setdefault(source_key(segment), segment)
    best: dict[tuple, Translation] = {}
    pending = []
    for key, segment in unique.items():
        if seen is not None and key in seen:
            best[key] = seen[key]
            continue
        entry = memory.get(segment.norm) if memory is not None else None
        cached = cache.get(key) if cache is not None and entry is None else None
        reused = from_cache(segment, cached) if cached is not None else None
        if entry is not None:
            best[key] = from_memory(segment, entry.tgt)
        elif reused is not None and not reused.unusable:  # broken English (an older policy's) is redone
            best[key] = reused
        elif (term := whole_term(segment)) is not None:
            best[key] = term
        elif has_han(segment.norm):
            pending.append(key)
        else:
            best[key] = copy_through(segment)
    return Plan(unique, best, pending, Counter(source_key(segment) for _text, segment in items))


def _tags_to_send(engine: Engine, segment: Segment) -> list:
    """The segment's inline tags, where the engine translates tags and the tagged request fits it whole."""
    tags = inner(segment.tags) if engine.markup else []
    if tags and not engine.fits(Request(tagged_source(segment), _unique_pairs(term_pairs(segment)))):
        return []
    return tags


def _rewording_only(best: Translation) -> bool:
    """Only numbers are wrong (tags may be too): a re-prompt that shows the draft can mend them."""
    return not best.count("missing") and all(f.check in REWORDING_RULES for f in best.defects)


def ladder(engine: Engine) -> tuple[str, ...]:
    """The engine's methods, weakest first, then its rescue methods (``Engine.rescue``)."""
    return (*engine.methods, *(m for m in engine.rescue if m not in engine.methods))


def _next_level(engine: Engine, best: Translation, level: int) -> int | None:
    """The next method to try, if any: the next one while a term or text problem is left, but not a
    rewording re-prompt where a forcing method follows (asked to force terms, skip a call that placed
    1 of 5 missing terms on the 12 articles of the measurements); where only numbers are wrong, only
    the engine's ``reword`` methods (a re-prompt that shows the draft and what is wrong with it), never
    a forcing one: a grammar cannot mend a year. Tags alone get no re-prompt: render places their
    markup (a re-prompt mended 1 of 22 such segments on the 12 articles; a forcing grammar wrecks
    the sentence around them). A rescue method only when no attempt gave any English: the model echoed
    the Chinese in every method (FLORES dev line 25, thrice), and a grammar that admits no Chinese is
    the one request that can end the echo."""
    methods = ladder(engine)
    usable = len(engine.methods) if best.tgt.strip() else len(methods)
    if best.text_problems and not _rewording_only(best):
        return next((i for i in range(level, usable) if not _reword_before_forcing(engine, methods, i)), None)
    if best.text_problems:
        return next((i for i in range(level, len(methods)) if methods[i] in engine.reword), None)
    return None


def _reword_before_forcing(engine: Engine, methods: tuple[str, ...], i: int) -> bool:
    method = methods[i]
    return method in engine.reword and method not in engine.forcing \
        and any(m in engine.forcing for m in methods[i + 1:])


def _notes(verdict: Translation | None, segment: Segment) -> tuple[str, ...]:
    """What the draft got wrong, for a re-prompt: each term it left out (with the Chinese it renders),
    and the problems a rewording can mend."""
    if verdict is None:
        return ()
    left_out = dict.fromkeys(f"it leaves out {segment.norm[o.match.norm_start:o.match.norm_end]} = {o.expected}: "
                             "add it where the Chinese has it" for o in verdict.outcomes if o.status == "missing")
    return (*left_out, *(f.message for f in verdict.defects if f.check in REWORDING_RULES))


def in_lists(engine: Engine, sources: list[Segment],
             examples: Callable[[Segment], tuple[TermPair, ...]]) -> dict[int, Translation]:
    """The verdict on each source's line of a list request (``pipeline/translate/lists.py``), by
    index, where the answer has its line; the rest are left to the locking loop."""
    groups = lists.chunks(len(sources))
    requests = [lists.list_request([sources[i] for i in group], term_pairs, examples) for group in groups]
    engine.requests_by_method[lists.LIST] += len(requests)
    judged = {}
    for group, answer in zip(groups, engine.translate(requests)):
        for i, line in zip(group, lists.lines_of(answer, len(group))):
            if line:
                judged[i] = judge(sources[i], line, lists.LIST)
    return judged


def lock(engine: Engine, sources: list[Segment], batch_size: int = 8,
         finished: Callable[[int, Translation], None] = lambda i, verdict: None,
         checkpoint: Callable[[], None] = lambda: None,
         examples: Callable[[Segment], tuple[TermPair, ...]] = lambda segment: (),
         first_only: bool = False, listed: bool = False) -> list[Translation]:
    """The best verdict for each source: its weakest method first, the next while a problem is left
    (``first_only``: the first answer alone, repaired without the model — a draft). ``listed``: short
    sources (names), first asked several to a request where the engine can (``in_lists``).

    ``finished(i, verdict)`` is called as each source is done. This is all that needs the engine,
    so it can run where the engine is (a worker process or a Ray actor).
    """
    best: dict[int, Translation] = {}
    lined: dict[int, Translation] = {}  # a list line lacking a term or a number: the source's first answer
    if listed and engine.lists and not first_only and len(sources) > 1:
        for i, verdict in in_lists(engine, sources, examples).items():
            if lists.clean(verdict):
                best[i] = verdict
                finished(i, verdict)
            elif not verdict.unusable and not _has_chinese_left(verdict):
                lined[i] = verdict  # a name with Chinese left is asked alone: filled in, "Union zhi Nationalist"
    levels = [0] * len(sources)
    sent = [_tags_to_send(engine, s) for s in sources]
    n = max(1, engine.candidates)
    owner = [i for i in range(len(sources)) if i not in best and i not in lined for _k in range(n)]  # n per source
    drafts: dict[int, list] = {}
    asking: dict[int, list[str]] = {}  # item → the Chinese whose rendering alone it waits for
    looked_up = engine.term_renderings
    methods = ladder(engine)

    def request(i: int) -> Request:
        segment = sources[i]
        source = tagged_source(segment) if sent[i] else segment.norm
        engine.requests_by_method[methods[levels[i]]] += 1
        return Request(source, _unique_pairs(term_pairs(segment)), methods[levels[i]],
                       best[i].tagged if i in best else "", examples(segment), _notes(best.get(i), segment),
                       segment.context)

    def first_answers(p: int, raw: str) -> Translation | None:
        """Collect source ``owner[p]``'s first answers; once all are in, the consensus verdict."""
        i = owner[p]
        answers = drafts.setdefault(i, [None] * n)
        answers[p % n] = judge(sources[i], raw, engine.methods[0], sent[i], ended=engine.ended(raw))
        if any(a is None for a in answers):
            return None
        return answers[consensus(answers)]

    def look_up(i: int, runs: list[str]) -> Request:
        """One request for ``runs`` (Chinese alone): a numbered line each where the engine renders lists."""
        runs = runs if engine.lists else runs[:1]
        asking[i] = runs
        engine.requests_by_method[repair.LOOKUP] += 1
        return Request(lists.numbered(runs) if len(runs) > 1 else runs[0], (), repair.LOOKUP)

    def repair_or_look_up(i: int) -> Request | None:
        """Repair the draft before asking again: substitute what it renders otherwise, fill in the
        Chinese it left; ask the model for a run of Chinese it left (and, with the engine's
        ``term_lookups``, a missing term's Chinese) alone, once a run, where its English is not known yet."""
        better = substituted(sources[i], best[i], sent[i], looked_up)
        if better is not None:
            best[i] = better
        best[i] = dated(sources[i], best[i], sent[i])  # a rule that mends the numbers spares a re-prompt
        if first_only or not engine.lookups or best[i].unusable:
            return None
        for outcome in best[i].outcomes:
            zh = _matched(sources[i], outcome.match)
            if (engine.term_lookups and outcome.status == "missing" and outcome.match.term.action != "keep"
                    and zh not in looked_up and repair.worth_looking_up(zh, outcome.match.term)):
                return look_up(i, [zh])
        if _has_chinese_left(best[i]):
            terms = _missing_chinese(sources[i], best[i])
            left = [zh for zh in chinese_runs(sources[i], best[i])
                    if zh not in looked_up and zh not in terms and not dictionary_word(zh)]
            if left:
                return look_up(i, left)
            best[i] = filled_in(sources[i], best[i], sent[i], looked_up)
            better = substituted(sources[i], best[i], sent[i], looked_up)  # a term's Chinese was left too
            best[i] = better or best[i]
        return None

    def advance(i: int) -> Request | None:
        following = None if first_only else _next_level(engine, best[i], levels[i] + 1)
        if following is None and not first_only and sent[i] and best[i].unusable:
            # Every tagged answer unusable (the model echoed the tag instructions, 武汉工人纠察队 #8, in
            # all three methods): once more without tags; render places the markup.
            sent[i], following = [], 0
        if following is not None:
            levels[i] = following
            return request(i)
        if _has_chinese_left(best[i]):
            best[i] = filled_in(sources[i], best[i], sent[i], looked_up)
        best[i] = dated(sources[i], best[i], sent[i])
        finished(i, best[i])
        return None

    def follow(p: int, raw: str) -> Request | None:
        """Judge an answer; repair it; ask again with the next method while it has a problem."""
        i = owner[p]
        if i in asking:  # the model's rendering of Chinese alone
            runs = asking.pop(i)
            for zh, english in zip(runs, lists.lines_of(raw, len(runs)) if len(runs) > 1 else [raw]):
                looked_up[zh] = repair.as_name(" ".join(strip_wrappers(english).split()))  # its own case
            return repair_or_look_up(i) or advance(i)
        level = levels[i]
        if n > 1 and level == 0 and None in drafts.get(i, [None]):  # the first answers, not a later retry
            verdict = first_answers(p, raw)
            if verdict is None:
                return None
        else:
            method = methods[level]
            draft = best[i].tagged if method in engine.forcing and i in best else ""
            verdict = judge(sources[i], raw, method, sent[i], draft, ended=engine.ended(raw))
        if i not in best or verdict.rank < best[i].rank:
            best[i] = verdict
        best[i].attempts = level + 1
        return repair_or_look_up(i) or advance(i)

    first = [replace(request(i), sample=p % n) for p, i in enumerate(owner)]
    for i, verdict in lined.items():  # repaired as any first answer; else the ladder's next method
        best[i], drafts[i] = verdict, [verdict] * n
        again = repair_or_look_up(i) or advance(i)
        if again is not None:
            owner.append(i)
            first.append(again)
    if first:
        engine.translate_followed(first, follow, batch_size, checkpoint)
    return [best[i] for i in range(len(sources))]


def finish(items: Sequence[Item], best: dict[tuple, Translation]) -> None:
    for text, segment in items:
        segment.translation = finalize(text, segment, best[source_key(segment)])


def store(cache, key: tuple, verdict: Translation) -> None:
    cache.put(key, verdict.tagged, verdict.method, verdict.attempts, verdict.degenerate)


# Chosen on FLORES dev lines 1–200 (bench/quality.py; bench/RESULTS.md), 2026-12-02, one machine:
# no context chrF 50.79 in 2.23 s/line; two sentences with their drafts 51.04 (p 0.21) in 8.61 s/line;
# two sentences' Chinese alone 49.38 (p 0.005). Context waiting for the English before it had paid
# +1.16 (p 0.049) but made a document's sentences wait for each other. Two retrieved examples
# +0.51 (p 0.14) for 1.3× — left off.
DEFAULT_CONTEXT = 0
DEFAULT_EXAMPLES = 0


@dataclass(frozen=True)
class Prompting:
    """What goes into the prompt beside the sentence: ``examples`` similar translated pairs (from an
    ``ExampleIndex``), and the ``context`` sentences before it in its document with their English.
    That English is their first draft, written for every sentence at once before the translation
    proper, so no sentence waits for the one before it and one article fills a batch."""

    context: int = 0
    examples: int = 0
    index: object = None  # an ExampleIndex

    def __bool__(self) -> bool:
        return bool(self.context or (self.examples and self.index is not None))

    def describe(self) -> str:
        return f"context={self.context},examples={self.examples}"


def documents(items: Sequence[Item]) -> list[list[Item]]:
    """The items grouped by document (items of one document share its text), in order."""
    grouped: dict[int, list[Item]] = {}
    for item in items:
        grouped.setdefault(id(item[0]), []).append(item)
    return list(grouped.values())


def _with_context(engine: Engine, segment: Segment, pairs: tuple[tuple[str, str], ...]) -> tuple:
    """The most of ``pairs`` (the nearest kept) with which the request still fits the engine."""
    request = Request(tagged_source(segment), _unique_pairs(term_pairs(segment)))
    while pairs and not engine.fits(replace(request, context=pairs)):
        pairs = pairs[1:]
    return pairs


def _similar(prompting: Prompting, segment: Segment) -> tuple[tuple[str, str], ...]:
    if not (prompting.examples and prompting.index is not None and has_han(segment.norm)):
        return ()
    return prompting.index.similar(segment.norm, prompting.examples)


DRAFT = ("draft",)  # a first draft's cache key: its sentence's key and this


def first_drafts(engine: Engine, items: Sequence[Item], batch_size: int, cache, locker) -> dict[int, str]:
    """The first answer (no context, no further request) of every sentence that a later one shows
    as context, all at once: id of the segment → English."""
    keys = {id(segment): source_key(segment) for _text, segment in items}
    shown = {}
    for doc in documents(items):
        with_han = [segment for _text, segment in doc if has_han(segment.norm)]
        shown.update((keys[id(segment)], segment) for segment in with_han[:-1])
    cached = {key: cache.get(key + DRAFT) for key in shown} if cache is not None else {}
    drafts = {key: strip_tags(entry[0]) for key, entry in cached.items() if entry is not None}
    pending = [key for key in shown if key not in drafts]
    verdicts = locker(engine, [shown[key] for key in pending], batch_size, first_only=True)
    for key, verdict in zip(pending, verdicts):
        drafts[key] = verdict.tgt
        if cache is not None:
            store(cache, key + DRAFT, verdict)
    return {segment_id: drafts[key] for segment_id, key in keys.items() if key in drafts}


def _prior(done: list[Item], drafts: dict[int, str], count: int) -> tuple[tuple[str, str], ...]:
    """The last ``count`` Chinese sentences before a segment, with their drafts."""
    pairs = [(s.norm, drafts[id(s)]) for _t, s in done if drafts.get(id(s))]
    return tuple(pairs[-count:]) if count else ()


def translate_segments(engine: Engine, items: Sequence[Item], batch_size: int = 8,
                       on_done: Callable[[int], None] | None = None, memory=None, cache=None,
                       seen: dict | None = None, examples=lambda segment: (),
                       prompting: Prompting = Prompting(), locker=None, listed: bool = False) -> None:
    """Fill ``segment.translation`` for every item; identical sources are translated once.

    ``memory`` (a TranslationMemory) supplies reviewed English for exact normalized-source matches;
    ``cache`` (a SegmentCache) supplies and stores finished translations; ``seen`` holds (and
    receives) the verdicts of earlier batches of the run; ``prompting`` what the prompt shows
    beside each sentence; ``locker`` runs the locking loop (default ``lock``: here, on ``engine``);
    ``listed``: the items are short names, asked several to a request first (``in_lists``).
    """
    locker = locker or lock
    for _text, segment in items:  # the examples depend on the sentence alone
        segment.context = _with_context(engine, segment, _similar(prompting, segment))
    if prompting.context:
        drafts = first_drafts(engine, items, batch_size, cache, locker)
        for doc in documents(items):
            for k, (_text, segment) in enumerate(doc):
                segment.context = _with_context(engine, segment,
                                                segment.context + _prior(doc[:k], drafts, prompting.context))
    _translate_batch(engine, items, batch_size, on_done, memory, cache, seen, examples, locker, listed)


def _translate_batch(engine, items, batch_size, on_done, memory, cache, seen, examples, locker, listed=False) -> None:
    work = plan(items, memory, cache, seen)
    if on_done:
        on_done(sum(n for key, n in work.copies.items() if key in work.best))

    def finished(i: int, verdict: Translation) -> None:
        key = work.pending[i]
        if cache is not None:
            store(cache, key, verdict)
        if on_done:
            on_done(work.copies[key])

    verdicts = locker(engine, [work.unique[k] for k in work.pending], batch_size, finished,
                      cache.commit if cache is not None else lambda: None, examples, listed=listed)
    work.best.update(zip(work.pending, verdicts))
    if seen is not None:
        seen.update(work.best)
    finish(items, work.best)
