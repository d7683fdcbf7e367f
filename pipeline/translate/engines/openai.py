"""Models served behind an OpenAI-compatible endpoint: llama.cpp's ``llama-server`` (and
llama-cpp-python's server), vLLM, SGLang, Ollama, LM Studio, a hosted API.

Everything else stays as it is — the prompts (``prompts.py``), term locking and its audit, inline
tags, run terms, facts, QA, cache, Ray. Locking methods by capability: the prompt, inject and revise
methods (``prompts.METHODS``) everywhere; a forced edit of the draft (GBNF, ``grammar.py``) only
where the server takes a grammar — llama.cpp's ``grammar`` field, vLLM's ``guided_grammar`` —
detected at start by asking for an answer only the grammar allows, or declared with ``--grammar``.
Without one the ladder ends at revise and a term that cannot be placed is reported as the other
engines report it.

The API key (``ZHEN_API_KEY``, else ``OPENAI_API_KEY``) goes in the request header only: never into
provenance, the cache key, a message or a file. The base URL is recorded without credentials.

An answer that is not a chat completion (not JSON, no ``choices``, no ``message`` or ``text``, another
``object``: a proxy's error page, a half-implemented server) is the server's fault, retried like a
5xx. Answers are read up to a size derived from their token budget: a server that ignores
``max_tokens`` cannot hand over megabytes, and a body that never ends cannot hold a request.
"""
from __future__ import annotations

import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import urlsplit, urlunsplit

from pipeline.errors import UsageError, ZhenError
from pipeline.translate import prompts
from pipeline.translate.engines.base import Engine, Request
from pipeline.translate.engines.grammar import answer_budget, forcing_grammar
from pipeline.translate.methods import Method

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"  # llama-server's default port
GRAMMAR_FIELDS = {"gbnf": "grammar", "guided": "guided_grammar"}  # llama.cpp; vLLM
RETRY_STATUS = {408, 429, 500, 502, 503, 504}
# An answer's JSON, escapes and all, stays far under 16 bytes a token of its budget; the floor
# covers the envelope (ids, usage) of short answers.
BYTES_PER_TOKEN, LEAST_ANSWER_BYTES = 16, 64 * 1024
MODEL_LIST_BYTES = 16 * 1024 * 1024  # /models has no token budget; hosted APIs list hundreds
EXCERPT_CHARS = 200  # of a faulty answer, in the error line
COMPLETION_OBJECTS = ("chat.completion", "text_completion")
# What a body over its cap stands for: no English, stopped by its budget. The cut JSON cannot be
# parsed, and its first bytes are not worth keeping either: a server that ignored max_tokens wrote
# them, many times over the budget. So the segment gets the verdict on an empty answer cut off.
CUT_AT_CAP = {"object": "chat.completion",
              "choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "length"}]}
PROBE_QUESTION = "Say hello."  # what the engine asks at start to learn what the server supports
PROBE = "zq7"  # an answer no model gives to PROBE_QUESTION unless a grammar forces it


class ServerLost(ZhenError):
    """The server stopped answering mid-run, or answered what is not a chat completion: finished
    segments are in the cache, a rerun resumes."""


def public_url(url: str) -> str:
    """The URL without user, password or query (where keys sometimes travel)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def api_key() -> str:
    return os.environ.get("ZHEN_API_KEY") or os.environ.get("OPENAI_API_KEY") or ""


def excerpt(body: bytes) -> str:
    """The first ``EXCERPT_CHARS`` characters of an answer as one line, quoted: the API key masked
    (a proxy may echo the request's headers), control characters escaped."""
    key = api_key()
    head = body[:4 * (EXCERPT_CHARS + len(key))]  # at most 4 bytes a character
    text = head.decode("utf-8", "replace")
    if key:
        text = text.replace(key, "[API key]")  # before the cut: no part of it is left at the end
    if not text:
        return "an empty body"
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                    for c in text[:EXCERPT_CHARS])
    return f'"{shown}"' + ("…" if len(text) > EXCERPT_CHARS or len(body) > len(head) else "")


def completion_fault(data) -> str:
    """Why ``data`` is not a chat completion; "" when it is (its content may still be empty)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("object", COMPLETION_OBJECTS[0]) not in COMPLETION_OBJECTS:
        return f"its object is {str(data['object'])[:40]!r}"
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return "no choices"
    message = choices[0].get("message")
    if isinstance(message, dict) and isinstance(message.get("content"), (str, type(None))):
        return ""
    return "" if isinstance(choices[0].get("text"), str) else "no message or text"


def answer_cap(max_tokens: int) -> int:
    return max(LEAST_ANSWER_BYTES, BYTES_PER_TOKEN * max_tokens)


class OpenAIEngine(Engine):
    name = "openai"
    tells_budget_cuts = True  # finish_reason "length"
    markup = True
    reword = (Method.REVISE,)
    lists = True

    def __init__(self, model: str | None = None, *, base_url: str | None = None, parallel: int = 8,
                 grammar: str = "auto", timeout: float = 300.0, retries: int = 4, seed: int = 0,
                 max_tokens_per_char: float = 3.0, n_ctx: int = 4096, system_prompt: str = prompts.SYSTEM,
                 force_terms: bool = False, log=print):
        import httpx

        url = (base_url or os.environ.get("ZHEN_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL)
        if urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--base-url {public_url(url)!r} is not an http(s) URL")
        self.url, self.retries, self.seed, self.system_prompt = url.rstrip("/"), retries, seed, system_prompt
        self.timeout, self.log, self.warned_cut = timeout, log, False
        headers = {"Authorization": f"Bearer {api_key()}"} if api_key() else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        self.stats = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "seconds": 0.0, "retries": 0}
        self.model_name = self._served_model(model)
        self.settings = {"base_url": public_url(self.url), "temperature": 0.0, "seed": seed,
                         "max_tokens_per_char": max_tokens_per_char, "n_ctx": n_ctx, "concurrent": parallel,
                         "timeout": timeout, "retries": retries}
        self.settings["grammar"] = self._grammar_support(grammar)
        # Not a setting (the English does not depend on it): the answers' token probabilities, where
        # the server gives them, for the confidence (``pipeline/qa/confidence.py``).
        self.logprobs = self._logprobs_support()
        forced = (Method.CONSTRAINED,) if force_terms and self.settings["grammar"] != "none" else ()
        if force_terms:
            self.settings["force_terms"] = True
        self.methods, self.forcing = (*prompts.METHODS, *forced), forced
        if self.settings["grammar"] != "none" and not forced:
            self.rescue = (Method.CONSTRAINED,)
        log(f"openai engine: {self.settings['base_url']} · model {self.model_name} · grammar "
            f"{self.settings['grammar']} · token probabilities {'yes' if self.logprobs else 'no'} · "
            f"{parallel} requests at once")

    # -- start: the server, its model, what it supports -------------------------------------------

    def _served_model(self, wanted: str | None) -> str:
        """The model id the server reports (``/models``); ``wanted`` must be one of them."""
        data = self._call("GET", "/models", None, at_start=True)
        listed = (data or {}).get("data")
        served = [m.get("id", "") for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
        if wanted and served and wanted not in served:
            raise ZhenError(f"the server does not serve {wanted!r}", path=public_url(self.url),
                            hint=f"it serves: {', '.join(served)}")
        if not (wanted or served):
            raise ZhenError("the server reports no model; give --model", path=public_url(self.url))
        return wanted or served[0]

    def _grammar_support(self, declared: str) -> str:
        """``gbnf`` / ``guided`` where the server honours that grammar field, else ``none``. ``auto``
        asks for an answer only the grammar allows, once per field."""
        if declared not in ("auto", "none", *GRAMMAR_FIELDS):
            raise UsageError(f"--grammar {declared!r}: choose auto, gbnf, guided or none")
        if declared != "auto":
            return declared
        for kind, field in GRAMMAR_FIELDS.items():
            body = self._body([{"role": "user", "content": PROBE_QUESTION}], 16, {field: f'root ::= "{PROBE}"\n'})
            try:
                answer = self._content(self._call("POST", "/chat/completions", body, at_start=True))
            except ZhenError:
                continue
            if answer.strip() == PROBE:
                return kind
        return "none"

    def _logprobs_support(self) -> bool:
        """Whether the server returns the answer's token log-probabilities when asked (``logprobs``),
        asked once and not retried: a server that refuses the field only answers without them."""
        import httpx

        body = self._body([{"role": "user", "content": PROBE_QUESTION}], 4, {"logprobs": True})
        try:
            status, content, cut = self._send("POST", "/chat/completions", body, answer_cap(4))
        except httpx.HTTPError:
            return False
        data, fault = _parsed(content, True) if status == 200 and not cut else (None, "refused")
        return not fault and bool(token_logprobs(data))

    # -- requests ------------------------------------------------------------------------------------

    def _body(self, messages: list[dict], max_tokens: int, extra: dict | None = None) -> dict:
        return {"model": self.model_name, "messages": messages, "temperature": 0.0, "top_p": 1.0,
                "seed": self.seed, "max_tokens": max_tokens,
                "stream": False, **(extra or {})}

    def _call(self, method: str, path: str, body: dict | None, at_start: bool = False) -> dict | None:
        """One HTTP call with retries (backoff) on connection errors, timeouts, 429, 5xx and answers
        that are not what was asked for. A server that cannot be reached at start, or is lost or
        faulty mid-run, is one clear error naming it and what it answered."""
        import httpx

        chat = path == "/chat/completions"
        cap = answer_cap(body["max_tokens"]) if chat else MODEL_LIST_BYTES
        delay, last, faulty = 0.5, "", False
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                time.sleep(delay)
                delay *= 2
            try:
                status, content, cut = self._send(method, path, body, cap)
            except httpx.HTTPError as exc:
                last, faulty = f"the server does not answer ({type(exc).__name__}: {exc})", False
                continue
            if status in RETRY_STATUS:
                last, faulty = f"the server does not answer (HTTP {status})", False
                continue
            if status in (401, 403):
                raise ZhenError(f"the server refused the API key (HTTP {status})",
                                path=public_url(self.url), hint="set ZHEN_API_KEY or OPENAI_API_KEY")
            if status == 404 and path == "/models":
                raise ZhenError("is not an OpenAI-compatible API (no /models)", path=public_url(self.url),
                                hint="the base URL usually ends in /v1")
            if status >= 400:
                return None  # this request's problem (too long, bad grammar): an empty answer, a finding
            if cut and chat:
                self._warn_cut(body["max_tokens"], cap)
                return CUT_AT_CAP
            data, fault = _parsed(content, chat)
            if not fault:
                return data
            fault = fault if status == 200 else f"HTTP {status}, {fault}"
            what = "a chat completion" if chat else "a model list"
            last, faulty = f"the server's answer is not {what} ({fault}): {excerpt(content)}", True
        raise self._lost(last, faulty, at_start)

    def _send(self, method: str, path: str, body: dict | None, cap: int) -> tuple[int, bytes, bool]:
        """The status, the body (read only where it is an answer, at most ``cap`` bytes), and whether
        it was cut there. A body still arriving ``timeout`` seconds after its headers is a timeout:
        a server that trickles bytes would otherwise hold the request until the cap."""
        import httpx

        with self.client.stream(method, path, json=body) as response:
            if response.status_code >= 400:
                return response.status_code, b"", False
            deadline, chunks, size = time.monotonic() + self.timeout, [], 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    return response.status_code, b"".join(chunks)[:cap], True
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout(f"the answer did not end in {self.timeout:g} s")
            return response.status_code, b"".join(chunks), False

    def _lost(self, last: str, faulty: bool, at_start: bool) -> ZhenError:
        if not at_start:
            return ServerLost(last, path=public_url(self.url),
                              hint="finished segments are in the cache: rerun to resume")
        hint = "is the base URL an OpenAI-compatible API?" if faulty else "is the server running?"
        return ZhenError(last, path=public_url(self.url), hint=hint)

    def _warn_cut(self, max_tokens: int, cap: int) -> None:
        if not self.warned_cut:
            self.warned_cut = True
            self.log(f"warning: {public_url(self.url)}: an answer longer than {cap:,} bytes for a budget of "
                     f"{max_tokens} tokens was cut off there, its segment left empty (does the server honour "
                     "max_tokens?)")

    @staticmethod
    def _content(data: dict | None) -> str:
        """The answer's English; "" where the request was refused (``None``)."""
        if not data:
            return ""
        choice = data["choices"][0]
        message = choice.get("message")
        return (message.get("content") if isinstance(message, dict) else choice.get("text")) or ""

    def max_tokens(self, request: Request) -> int:
        return answer_budget(request, self.settings["max_tokens_per_char"], self.settings["n_ctx"] // 2)

    def _request_body(self, request: Request) -> dict:
        extra = {}
        if (request.method or self.methods[0]) == Method.CONSTRAINED:
            extra[GRAMMAR_FIELDS[self.settings["grammar"]]] = forcing_grammar(request, self.max_tokens(request))
        if self.logprobs:
            extra["logprobs"] = True
        return self._body(prompts.messages(request, self.system_prompt), self.max_tokens(request), extra)

    def translate_one(self, request: Request) -> str:
        started = time.perf_counter()
        data = self._call("POST", "/chat/completions", self._request_body(request))
        usage = (data or {}).get("usage") or {}
        self.stats["requests"] += 1
        self.stats["prompt_tokens"] += usage.get("prompt_tokens", 0) or 0
        self.stats["completion_tokens"] += usage.get("completion_tokens", 0) or 0
        self.stats["seconds"] += time.perf_counter() - started
        return self.answered(self._content(data), _finish_reason(data) == "length", token_logprobs(data))

    @property
    def batch_size(self) -> int:
        return max(8, 4 * self.settings["concurrent"])

    def translate(self, requests: list[Request]) -> list[str]:
        with ThreadPoolExecutor(self.settings["concurrent"]) as pool:
            return list(pool.map(self.translate_one, requests))

    def translate_followed(self, requests, follow, batch_size=8, checkpoint=lambda: None) -> None:
        """``parallel`` requests in flight; an item's next request goes out as soon as its answer is
        judged. A lost server stops the run after the answers already judged."""
        waiting = list(enumerate(requests))
        done = 0
        with ThreadPoolExecutor(self.settings["concurrent"]) as pool:
            running: dict[Future, int] = {}
            try:
                while waiting or running:
                    while waiting and len(running) < self.settings["concurrent"]:
                        i, request = waiting.pop(0)
                        running[pool.submit(self.translate_one, request)] = i
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        i = running.pop(future)
                        again = follow(i, future.result())
                        if again is not None:
                            waiting.append((i, again))
                        else:
                            done += 1
                            if done % 8 == 0:
                                checkpoint()
            finally:
                for future in running:
                    future.cancel()
                checkpoint()

    def describe(self) -> dict:
        return {"engine": self.name, "model": self.model_name, "file": "", "sha256": "",
                "settings": self.settings, "methods": list(self.methods), "system_prompt": self.system_prompt}

    def close(self) -> None:
        self.client.close()


def _parsed(content: bytes, chat: bool) -> tuple[dict | None, str]:
    """The answer's JSON and, where it is not what was asked for, why."""
    try:
        data = json.loads(content)
    except ValueError:  # UnicodeDecodeError included
        return None, "not JSON"
    if chat:
        return data, completion_fault(data)
    return data, "" if isinstance(data, dict) else "not a JSON object"


def _finish_reason(data: dict | None) -> str:
    try:
        return data["choices"][0].get("finish_reason") or ""
    except (TypeError, KeyError, IndexError, AttributeError):
        return ""


def token_logprobs(data: dict | None) -> list[float]:
    """The answer's tokens' log-probabilities (``choices[0].logprobs.content[].logprob``); [] where
    the answer has none."""
    try:
        content = data["choices"][0]["logprobs"]["content"]
        return [float(item["logprob"]) for item in content]
    except (TypeError, KeyError, IndexError, ValueError):
        return []
