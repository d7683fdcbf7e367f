"""The openai engine against a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's server
running the tiny GGUF, started and stopped here; a proxy in front of it for failures (503s, a server
that dies mid-run); and a fake server on 127.0.0.1 for answers no real server gives on purpose (not
JSON, no ``choices``, 4 MB, a body that never ends)."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("httpx")  # the ``server`` fixture skips without llama-cpp-python's [server] extra

from pipeline.cli import main  # noqa: E402
from tests.conftest import _free_port  # noqa: E402
from tests.fakes import write_project  # noqa: E402

SECRET = "sk-zhen-test-secret-0123456789"
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")


ENGLISH = {"王明回国。": "Wang Ming returned home.", "博古说话。": "Bo Gu spoke.",
           "张闻天写信。": "Zhang Wentian wrote a letter.", "王明回信。": "Wang Ming wrote back."}
HUGE = 4_000_000  # a server that ignores max_tokens: 4 MB for a one-line request
HELD = 10.0  # seconds at most a fake holds a connection open or keeps writing (every loop is bounded)


def completion(content: str | None, finish: str = "stop", logprobs: bool = False) -> dict:
    """A chat completion; with ``logprobs``, a token per word, each word's log-probability minus its length."""
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
    if logprobs:
        choice["logprobs"] = {"content": [{"token": w, "logprob": -float(len(w)), "bytes": list(w.encode())}
                                          for w in (content or "").split()]}
    return {"id": "x", "object": "chat.completion", "model": "tiny-gguf", "choices": [choice],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


def fake_english(body: bytes) -> str:
    """The English of the sentences the fake knows, in the order the request's last message has them."""
    asked = json.loads(body)["messages"][-1]["content"]
    found = sorted((asked.find(zh), en) for zh, en in ENGLISH.items() if zh in asked)
    return " ".join(en for _at, en in found) or "It was said."


def _send(handler, status: int, body: bytes, content_type: str = "application/json", length: int | None = None):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def _html_page(proxy, handler):
    """A proxy's error page, with the request's headers echoed (the API key among them)."""
    headers = "".join(f"{k}: {v}\r\n" for k, v in handler.headers.items())
    _send(handler, 200, f"<html>\r\n<body>\x1b[1mBad gateway</b>\n<pre>{headers}</pre></body></html>".encode(),
          "text/html")


def _huge(proxy, handler):
    """A valid completion of ``HUGE`` bytes, written in pieces until the client stops reading."""
    head, tail = b'{"object": "chat.completion", "choices": [{"message": {"role": "assistant", "content": "', b'"}}]}'
    piece = b"word " * 8000
    _send(handler, 200, head, length=len(head) + HUGE + len(tail))
    for _ in range(HUGE // len(piece)):
        handler.wfile.write(piece)
    handler.wfile.write(tail)


def _endless(proxy, handler):
    """A body that never ends: bytes written until the client leaves (or ``HELD`` seconds pass)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.close_connection = True
    deadline = time.monotonic() + HELD
    handler.wfile.write(b'{"object": "chat.completion", "choices": [{"message": {"content": "')
    while time.monotonic() < deadline and not proxy.stopping.is_set():
        handler.wfile.write(b"more " * 1000)


def _held_open(proxy, handler):
    """A body begun and then never finished: the connection kept open, silent."""
    _send(handler, 200, b'{"object": "chat.completion", "choi', length=4096)
    handler.wfile.flush()
    proxy.stopping.wait(HELD)


def _died(proxy, handler):
    """The server lost: this connection dropped unanswered, later ones refused."""
    handler.close_connection = True
    threading.Thread(target=proxy.stop, daemon=True).start()


def _trickle(proxy, handler):
    """A byte every tenth of a second: no single read waits long, the answer never ends."""
    _send(handler, 200, b"{", length=4096)
    deadline = time.monotonic() + HELD
    while time.monotonic() < deadline and not proxy.stopping.wait(0.1):
        handler.wfile.write(b" ")


def _late(proxy, handler):
    """No answer before the client's timeout."""
    proxy.stopping.wait(HELD)


FAULTS = {
    "html": _html_page,
    "no-choices": lambda proxy, handler: _send(handler, 200, b'{"error": {"message": "model overloaded"}}'),
    "wrong-object": lambda proxy, handler: _send(handler, 200, b'{"object": "error", "choices": []}'),
    "no-message": lambda proxy, handler: _send(handler, 200, b'{"choices": [{"index": 0, "finish_reason": "stop"}]}'),
    "empty-content": lambda proxy, handler: _send(handler, 200, json.dumps(completion("")).encode()),
    "huge": _huge,
    "endless": _endless,
    "held-open": _held_open,
    "died": _died,
    "trickle": _trickle,
    "late": _late,
    "429": lambda proxy, handler: _send(handler, 429, b'{"error": "rate limited"}'),
    "503": lambda proxy, handler: _send(handler, 503, b""),
}


def _asked_at_start(body: bytes) -> bool:
    from pipeline.translate.engines.openai import PROBE_QUESTION
    return json.loads(body)["messages"][-1]["content"] == PROBE_QUESTION


class Proxy:
    """Forwards to the server, or with no ``target`` is a fake one (its model list, and the English of
    the sentences in ``ENGLISH``). Answers 503 to the first ``fail`` chat requests; after ``die_after``
    answered chat requests it stops listening (a server lost mid-run); after ``ok`` answered chat
    requests it answers each later one with ``FAULTS[fault]`` (with ``fault_on``, only those asking
    for a sentence that holds it)."""

    def __init__(self, target: str | None = None, fail: int = 0, die_after: int | None = None, port: int = 0,
                 ok: int = 0, fault: str | None = None, fault_on: str = ""):
        self.target, self.fail, self.die_after, self.ok, self.fault = target, fail, die_after, ok, fault
        self.fault_on = fault_on
        self.seen = self.answered = 0
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, method: str):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                # The engine's questions at start (grammar, token probabilities) are neither counted nor failed.
                chat = self.path.endswith("/chat/completions") and not _asked_at_start(body)
                if chat:
                    proxy.seen += 1
                    if proxy.seen <= proxy.fail:
                        self.send_response(503)
                        self.end_headers()
                        return
                    if proxy.die_after is not None and proxy.answered >= proxy.die_after:
                        self.close_connection = True
                        threading.Thread(target=proxy.stop, daemon=True).start()
                        return
                    if proxy.faulty(body):
                        try:
                            FAULTS[proxy.fault](proxy, self)
                        except OSError:
                            pass  # the client stopped reading
                        return
                status, answer = proxy.answer(method, self.path, body)
                if chat:
                    proxy.answered += 1
                _send(self, status, answer)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def faulty(self, body: bytes) -> bool:
        asked = json.loads(body)["messages"][-1]["content"]
        return bool(self.fault) and self.answered >= self.ok and self.fault_on in asked

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.target is None:
            if path.endswith("/models"):
                return 200, b'{"object": "list", "data": [{"id": "tiny-gguf", "object": "model"}]}'
            asked = json.loads(body)
            return 200, json.dumps(completion(fake_english(body), logprobs=asked.get("logprobs", False))).encode()
        import httpx
        response = httpx.request(method, self.target + path.removeprefix("/v1"), content=body,
                                 headers={"Content-Type": "application/json"}, timeout=120)
        return response.status_code, response.content

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _engine(url: str, **options):
    from pipeline.translate.engines.openai import OpenAIEngine
    return OpenAIEngine(None, base_url=url, log=lambda m: None, **options)


def test_translation_through_the_server(server):
    from pipeline.translate.engines.base import Request
    engine = _engine(server, parallel=2)
    try:
        english = engine.translate([Request("王明回国。"), Request("博古说话。")])
        assert len(english) == 2 and all(isinstance(e, str) for e in english)
        described = engine.describe()
        assert described["model"] == "tiny-gguf" and described["settings"]["base_url"] == server
        assert engine.stats["requests"] == 2
    finally:
        engine.close()


def test_grammar_support_is_detected_and_forced_answers_hold_every_term(server):
    from pipeline.translate.engines.base import Request, TermPair
    plain = _engine(server)
    try:
        assert plain.settings["grammar"] == "gbnf" and "constrained" not in plain.methods  # forcing is opt-in
    finally:
        plain.close()
    engine = _engine(server, force_terms=True)
    try:
        assert engine.settings["grammar"] == "gbnf" and engine.methods[-1] == "constrained"
        terms = (TermPair("王明", "Wang Ming"), TermPair("共产国际", "Comintern"))
        (english,) = engine.translate([Request("王明和共产国际。", terms, "constrained")])
        assert "Wang Ming" in english and "Comintern" in english
    finally:
        engine.close()


def test_without_grammar_the_ladder_ends_at_revise_and_a_missing_term_is_reported(server, tmp_path, monkeypatch):
    engine = _engine(server, grammar="none", force_terms=True)
    try:
        assert engine.methods == ("prompt", "inject", "revise") and not engine.forcing
    finally:
        engine.close()
    write_project(tmp_path, {"a.md": "王明回国。\n"}, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", server,
                 "--grammar", "none", "--no-tm", "--no-run-terms", "--context", "0"]) == 0
    record = json.loads(Path("outputs/a/aligned.jsonl").read_text(encoding="utf-8").splitlines()[0])
    (term,) = record["terms"]
    assert term["status"] == "locked" or {f["check"] for f in record["qa"]} >= {"term-missing"}
    assert record["method"] != "constrained"


def test_retries_on_503_with_backoff(server):
    from pipeline.translate.engines.base import Request
    proxy = Proxy(server, fail=2)
    engine = _engine(proxy.url, grammar="none")
    try:
        (english,) = engine.translate([Request("王明回国。")])
        assert isinstance(english, str) and proxy.seen == 3 and engine.stats["retries"] == 2
    finally:
        engine.close()
        proxy.stop()


def test_an_unreachable_server_stops_before_any_output(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, {"a.md": "王明回国。\n"}, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHEN_API_KEY", SECRET)
    url = f"http://127.0.0.1:{_free_port()}/v1"
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", url,
                 "--retries", "1"]) == 1
    err = capsys.readouterr().err
    assert url in err and "the server does not answer" in err and "Traceback" not in err and SECRET not in err
    assert not Path("outputs").exists()


def test_a_server_lost_mid_run_then_a_resumed_run_equals_a_clean_one(server, tmp_path, monkeypatch, capsys):
    articles = {"a.md": "王明回国。博古说话。\n", "b.md": "张闻天写信。王明回信。\n"}
    write_project(tmp_path, articles, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHEN_API_KEY", SECRET)
    common = ["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--no-tm", "--context", "0",
              "--grammar", "none", "--parallel", "1"]
    counting = Proxy(server)
    assert main([*common, "--base-url", counting.url, "--cache", "clean.sqlite", "--out", "clean"]) == 0
    clean_calls = counting.answered
    counting.stop()
    proxy = Proxy(server, die_after=clean_calls - 1)  # lost before the last answer: the others are kept
    assert main([*common, "--base-url", proxy.url, "--cache", "c.sqlite", "--retries", "1"]) == 1
    err = capsys.readouterr().err
    assert "the server does not answer" in err and "rerun to resume" in err and "Traceback" not in err
    port = proxy.httpd.server_address[1]
    time.sleep(0.5)
    back = Proxy(server, port=port)  # the server is back at the same URL (the URL is part of the cache key)
    assert main([*common, "--base-url", back.url, "--cache", "c.sqlite"]) == 0  # resumed
    back.stop()
    run = json.loads(Path("outputs/run.json").read_text(encoding="utf-8"))
    assert run["engine_stats"]["requests"] < clean_calls  # what was finished before the loss was kept
    for name in ("a/aligned.jsonl", "b/aligned.jsonl", "a/a.en.md", "b/b.en.md"):
        assert Path("outputs", name).read_text(encoding="utf-8") == Path("clean", name).read_text(encoding="utf-8")
    for path in [*Path("outputs").rglob("*"), *Path("clean").rglob("*"), Path("c.sqlite"), Path("clean.sqlite")]:
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path  # the key is in no output, cache or log
    assert SECRET not in capsys.readouterr().err


# -- a faulty server: every class ends in one line, exit 1, no traceback, no key; the cache holds the
# -- segments finished before the fault, and nothing the fault answered

ARTICLES = {"a.md": "王明回国。博古说话。\n", "b.md": "张闻天写信。王明回信。\n"}
FINISHED = {"Wang Ming returned home.", "Bo Gu spoke."}  # the first two answers, before the fault
STOPS = {  # fault: what its one line says, after the server's URL
    "html": r'''the server's answer is not a chat completion (not JSON): "<html>\r\n<body>\x1b[1mBad gateway''',
    "no-choices": '''the server's answer is not a chat completion (no choices): "{"error": {"message": "model '''
                  '''overloaded"}}"''',
    "wrong-object": "the server's answer is not a chat completion (its object is 'error')",
    "no-message": "the server's answer is not a chat completion (no message or text)",
    "429": "the server does not answer (HTTP 429)",
    "503": "the server does not answer (HTTP 503)",
    "late": "the server does not answer (ReadTimeout",  # nothing before the timeout
    "died": "the server does not answer (",  # lost mid-run: the retry is reset or refused
    "held-open": "the server does not answer (ReadTimeout",  # a body begun, then silence
}


def _run_against(fault: str, tmp_path, monkeypatch, capsys, ok: int = 2) -> tuple[int, str, str, float]:
    """``zhen translate`` against a fake server that answers ``ok`` requests, then ``fault``: the exit
    status, the URL, stdout and stderr, seconds."""
    write_project(tmp_path, ARTICLES, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHEN_API_KEY", SECRET)
    server = Proxy(ok=ok, fault=fault)
    started = time.monotonic()
    try:
        code = main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", server.url,
                     "--no-tm", "--no-run-terms", "--context", "0", "--grammar", "none", "--parallel", "1",
                     "--retries", "1", "--timeout", "1", "--cache", "c.sqlite"])
    finally:
        server.stop()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and SECRET not in out + err
    for path in Path().rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    return code, server.url, out + err, time.monotonic() - started


def _cached() -> list[str]:
    with sqlite3.connect("c.sqlite") as db:
        return sorted(tgt for (tgt,) in db.execute("SELECT tgt FROM segments"))


@pytest.mark.parametrize("fault", list(STOPS))
def test_a_faulty_server_stops_the_run_with_one_line(fault, tmp_path, monkeypatch, capsys):
    code, url, printed, _seconds = _run_against(fault, tmp_path, monkeypatch, capsys)
    assert code == 1
    (line,) = [line for line in printed.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {url}: {STOPS[fault]}") and line.endswith("(finished segments are in the cache: "
                                                                              "rerun to resume)")
    assert set(_cached()) == FINISHED  # what was finished is kept; nothing the fault answered
    assert not [p for p in Path("outputs").iterdir() if p.is_dir()]  # no document half-written


def test_the_error_line_masks_the_key_and_escapes_control_characters(monkeypatch):
    from pipeline.translate.engines.openai import EXCERPT_CHARS, excerpt
    monkeypatch.setenv("ZHEN_API_KEY", SECRET)
    straddling = ("x" * (EXCERPT_CHARS - 5) + SECRET).encode()  # the key across the cut: no part of it shown
    assert SECRET[:5] not in excerpt(straddling) and excerpt(straddling).endswith('x[API "…')
    assert excerpt("错误\x00\r\n\x1b[31m\u2028".encode()) == r'"错误\x00\r\n\x1b[31m\u2028"'
    assert excerpt(b"\xff\xfe") == '"\ufffd\ufffd"' and excerpt(b"") == "an empty body"
    assert excerpt(("错" * 300).encode()) == '"' + "错" * EXCERPT_CHARS + '"…'  # 900 bytes, 800 of them read


def test_an_empty_content_is_an_empty_answer_not_a_server_fault(tmp_path, monkeypatch, capsys):
    """A valid completion whose content is "": the model's answer, judged on its segment (a finding)."""
    code, _url, printed, _seconds = _run_against("empty-content", tmp_path, monkeypatch, capsys)
    assert code == 0 and "error:" not in printed
    assert _cached() == sorted([*FINISHED, "", ""])
    record = json.loads(Path("outputs/b/aligned.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert record["tgt"] == "" and "empty-output" in {f["check"] for f in record["qa"]}


@pytest.mark.parametrize("fault", ["huge", "endless"])
def test_an_answer_far_over_its_budget_is_cut_at_the_cap(fault, tmp_path, monkeypatch, capsys):
    """4 MB for a one-line request, or a body that never ends: read up to the cap, judged an empty
    answer cut off; nothing over the cap is kept, cached or written."""
    from pipeline.translate.engines.openai import LEAST_ANSWER_BYTES
    code, url, printed, seconds = _run_against(fault, tmp_path, monkeypatch, capsys)
    assert code == 0 and seconds < 30
    (warning,) = [line for line in printed.splitlines() if "was cut off" in line]
    assert warning.startswith(f"warning: {url}: an answer longer than 65,536 bytes for a budget of")
    assert _cached() == sorted([*FINISHED, "", ""])
    assert max(p.stat().st_size for p in Path().rglob("*") if p.is_file()) < LEAST_ANSWER_BYTES
    record = json.loads(Path("outputs/b/aligned.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert record["tgt"] == "" and "empty-output" in {f["check"] for f in record["qa"]}


def test_a_body_trickling_past_the_timeout_is_a_timeout():
    """A byte now and then keeps each read alive: the answer as a whole must end within ``timeout``."""
    from pipeline.translate.engines.base import Request
    from pipeline.translate.engines.openai import ServerLost
    server = Proxy(fault="trickle")
    engine = _engine(server.url, grammar="none", timeout=0.5, retries=0)
    started = time.monotonic()
    try:
        with pytest.raises(ServerLost, match=r"ReadTimeout: the answer did not end in 0.5 s"):
            engine.translate([Request("王明回国。")])
    finally:
        engine.close()
        server.stop()
    assert time.monotonic() - started < 5


def test_a_faulty_model_list_stops_before_any_output(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, ARTICLES, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    server = Proxy()
    server.answer = lambda method, path, body: (200, b"<html>It works!</html>")
    try:
        code = main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", server.url,
                     "--retries", "0"])
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and not Path("outputs").exists()
    assert (f'error: {server.url}: the server\'s answer is not a model list (not JSON): "<html>It works!</html>" '
            "(is the base URL an OpenAI-compatible API?)") in err


def test_the_answers_token_probabilities_are_asked_for_where_the_server_gives_them(server):
    """The fake server gives log-probabilities when asked; llama-cpp-python's server (its model loaded
    without every position's logits) refuses the field: its answers come without them, as before."""
    from pipeline.translate.engines.base import Request
    fake = Proxy()
    try:
        engine = _engine(fake.url, grammar="none")
        [english] = engine.translate([Request("王明回国。")])
        assert engine.logprobs and english == "Wang Ming returned home."
        assert engine.answer_logprobs[english] == {"min": -8.0, "mean": -5.25, "tokens": 4}
    finally:
        fake.stop()
    real = _engine(server, grammar="none")
    [english] = real.translate([Request("王明回国。")])
    assert english and english not in real.answer_logprobs and real.logprobs is False
