"""The openai engine against a real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's server
running the tiny GGUF, started and stopped here; a proxy in front of it for failures (503s, a server
that dies mid-run)."""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="llama-cpp-python's [server] extra")

from pipeline.cli import main  # noqa: E402
from tests.conftest import _free_port  # noqa: E402
from tests.fakes import write_project  # noqa: E402

SECRET = "sk-zhen-test-secret-0123456789"
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n")


class Proxy:
    """Forwards to the server; answers 503 to the first ``fail`` chat requests; after ``die_after``
    answered chat requests it stops listening (a server lost mid-run)."""

    def __init__(self, target: str, fail: int = 0, die_after: int | None = None, port: int = 0):
        self.target, self.fail, self.die_after = target, fail, die_after
        self.seen = self.answered = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self, method: str):
                import httpx
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                chat = self.path.endswith("/chat/completions")
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
                response = httpx.request(method, proxy.target + self.path.removeprefix("/v1"), content=body,
                                         headers={"Content-Type": "application/json"}, timeout=120)
                if chat:
                    proxy.answered += 1
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
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
    url = f"http://127.0.0.1:{_free_port()}/v1"
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", url,
                 "--retries", "1"]) == 1
    err = capsys.readouterr().err
    assert url in err and "the server does not answer" in err and "Traceback" not in err
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
