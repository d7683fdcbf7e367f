"""Chat prompts for LLM engines. Tuned on FLORES dev only (see README, Quality)."""
from __future__ import annotations

from pipeline.facts import hints
from pipeline.markup import TAG
from pipeline.translate.engines.base import Request, TermPair, inject
from pipeline.translate.methods import SHOWS_DRAFT, Method
from pipeline.verify import SUBJECT_NOTES

SYSTEM = ("You are an expert translator of Chinese historical writing into English. Translate the "
          "Chinese text the user gives into fluent, faithful English, keeping every fact, name, "
          "number and date exactly as the Chinese states them: add no years, dates, titles or words "
          "of your own. Write dates in English word order, the month before the year. "
          "Reply with the English translation only: no notes, no explanations, no Chinese.")


# The LLM engines' locking methods, weakest first: the glossary lines; then each term's English put
# into the Chinese in place of its characters (``inject``); then the model revising its best draft,
# told what it lacks. Putting English into the first request was measured and left: every term's
# English put in first missed fewer terms in first drafts (19 of 234 against 62 on the 12 articles)
# but the model dropped what surrounds them and echoed the tag instructions (611/632 locked against
# 621/629); only the terms a model would not spell (not a name in its pinyin), 622/632 with one echo
# shipped, and on WMT23 terminology dev in-source term success 0.963 against 0.974, chrF −0.50.
# bench/RESULTS.md, "What the first request puts into the Chinese".
METHODS = (Method.PROMPT, Method.INJECT, Method.REVISE)


def _glossary_lines(terms: tuple[TermPair, ...]) -> str:
    lines = []
    for term in terms:
        if term.action == "keep":
            lines.append(f"{term.zh} = {term.zh} (keep these Chinese characters unchanged)")
        else:
            lines.append(f"{term.zh} = {term.en}")
    return "\n".join(dict.fromkeys(lines))


TAGS = ("The Chinese contains numbered markup tags such as <a1>…</a1>, <b1>…</b1> and <f1/>. Put every "
        "tag into the English exactly once: a pair around the English words that translate the words it "
        "wraps, a single tag like <f1/> right after the English of what it follows. Example:\n"
        "他出生于<a1>北京</a1><f1/>，后来在<b1>上海</b1>工作。 → He was born in <a1>Beijing</a1><f1/> "
        "and later worked in <b1>Shanghai</b1>.")


ABOUT, UNSAID = SUBJECT_NOTES  # an answer that repeats them echoes the prompt (``verify.broken``)


def _about(request: Request) -> list[str]:
    """Whom the article is about: Chinese leaves a sentence's subject unsaid where the article gives
    it, and a small model otherwise fills in "I" or whoever the sentence names."""
    if not request.subject:
        return []
    return [f"{ABOUT} {request.subject}. {UNSAID} {request.subject}."]


def _revise_message(request: Request) -> str:
    required = "\n".join(f"- {t.target}" for t in dict.fromkeys(request.terms))
    parts = [*_about(request), f"Chinese: {request.source}", f"Draft English translation: {request.draft}"]
    if required:
        parts.append("Rewrite the draft so that it contains each of these English terms exactly as "
                     f"written:\n{required}")
    if TAG.search(request.source):
        tags = " ".join(dict.fromkeys(m.group(0) for m in TAG.finditer(request.source)))
        parts.append(f"Keep each of these tags exactly once, around the same words as in the Chinese: {tags}")
    if request.notes:
        parts.append("Mend these problems of the draft:\n" + "\n".join(f"- {note}" for note in request.notes))
    parts.append("Translate any Chinese left in the draft. Keep everything else. Reply with the "
                 "corrected English translation only.")
    return "\n\n".join(parts)


def user_message(request: Request) -> str:
    if request.method in SHOWS_DRAFT and request.draft:
        return _revise_message(request)
    source = request.source
    # The tag instructions open the message: consecutive tagged requests then share that prompt prefix,
    # which llama.cpp does not evaluate again.
    parts = [TAGS] if TAG.search(source) else []
    if request.examples:
        parts.append("Approved renderings of similar names (follow their pattern):\n"
                     + "\n".join(f"{t.zh} = {t.en}" for t in request.examples))
    if request.terms:
        parts.append("Glossary (use exactly these English renderings):\n" + _glossary_lines(request.terms))
    numbered = request.method == Method.LIST or (request.method == Method.LOOKUP and "\n" in source)
    if request.method == Method.LIST:
        parts.append("Translate each numbered Chinese name into English as an English text names it. "
                     "Reply with the numbered English names only, one a line, in the same order.")
    elif numbered:
        parts.append("Translate each numbered Chinese word or name into English as an English sentence "
                     "would write it. Reply with the numbered English only, one a line, in the same order.")
    if request.method in (Method.INJECT, Method.CONSTRAINED) and request.terms:
        source = inject(source, request.terms)
        parts.append("Some terms are already in English in the text; copy them exactly as written.")
    numbers = hints(request.source)
    if numbers:
        parts.append("Numbers in it, as English writes them: " + "; ".join(numbers))
    if not numbered:
        parts += _about(request)
    parts.append(f"Chinese:\n{source}" if numbered else f"Chinese: {source}")
    return "\n\n".join(parts)


PLAIN_SYSTEM = "Translate the user's Chinese text into English. Reply with the translation only."


def messages(request: Request, system: str = SYSTEM) -> list[dict]:
    """The chat: the system prompt; the request's context pairs as earlier turns (similar examples,
    then the sentences before it in its document — the model continues the document); the request."""
    turns = [{"role": "system", "content": system}]
    for chinese, english in request.context:
        turns += [{"role": "user", "content": f"Chinese: {chinese}"}, {"role": "assistant", "content": english}]
    return turns + [{"role": "user", "content": user_message(request)}]
