"""`zhen translate --backend ray` on a local Ray cluster: the same files as the local backend, an
actor that dies mid-batch is restarted and its batch retried, and the local backend never imports Ray."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.fakes import FAKE, write_project

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "ci,共产国际,,Comintern,organization,translate,,,test,approved\n")
SECRET = "sk-zhen-test-secret-0123456789"
ARTICLES = {"a.md": "王明回国。博古说话。\n\n## 生平\n\n共产国际开会。王明回国。\n",
            "b.md": "张闻天写信。王明回信。\n", "c.md": "[共产国际](../Page/共产国际.md \"wikilink\")派王明回国。\n"}

if not os.environ.get("ZHEN_REQUIRE_RAY"):
    pytest.importorskip("ray", reason="Ray not installed (pip install -e '.[ray]'; .ci/run installs it)")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import ray
    import ray.data  # noqa: F401 - its log handler keeps the stderr it first saw: not a test's captured one
    marker = tmp_path_factory.mktemp("crash") / "crashed"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "ZHEN_CRASH_MARKER": str(marker),
                                       "ZHEN_API_KEY": SECRET}})  # the actors send it to a served engine
    yield marker
    ray.shutdown()


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, ARTICLES, GLOSSARY)
    return tmp_path


def files(out: str) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(Path(out).rglob("*"))
            if p.is_file() and p.name != "run.json"}


def test_ray_backend_writes_the_local_backends_files(cluster, project, tiny_gguf):
    common = ["translate", "in", "--glossary", "g.csv", "--model", str(tiny_gguf), "--no-tm", "--no-cache",
              "--batch-size", "2"]
    assert main([*common, "--out", "local"]) == 0
    assert main([*common, "--out", "ray", "--backend", "ray", "--workers", "2"]) == 0
    local, remote = files("local"), files("ray")
    assert len(local) == 3 * 10 + 3 and remote == local  # + qa-summary.json, run-terms.csv, run-terms.xlsx


def test_ray_actors_share_an_openai_endpoint(cluster, project, server):
    """No model in the actors: each sends its requests to the one server, and the files are the
    local backend's."""
    common = ["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", server, "--grammar",
              "none", "--no-tm", "--no-cache", "--batch-size", "2"]
    assert main([*common, "--out", "local"]) == 0
    assert main([*common, "--out", "ray", "--backend", "ray", "--workers", "2"]) == 0
    assert files("ray") == files("local")
    assert json.loads(Path("ray/run.json").read_text(encoding="utf-8"))["engine"]["model"] == "tiny-gguf"


def test_a_dying_actor_is_restarted_and_its_batch_retried(cluster, project):
    assert main(["translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--no-cache", "--out", "local"]) == 0
    assert not cluster.exists()
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "tests.fakes:CrashOnceEngine", "--no-tm",
                 "--cache", "c.sqlite", "--out", "ray", "--backend", "ray", "--workers", "2"]) == 0
    assert cluster.exists()  # an actor did die mid-batch
    assert files("ray") == files("local")  # and nothing was lost
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "tests.fakes:CrashOnceEngine", "--no-tm",
                 "--cache", "c.sqlite", "--out", "again", "--backend", "ray"]) == 0
    run = (Path("again") / "run.json").read_text(encoding="utf-8")
    assert '"translated": 0' in run  # every finished batch was stored: a rerun reuses them all


def test_the_local_backend_never_imports_ray(project):
    code = ("import sys; from pipeline.cli import main; "
            "code = main(['translate', 'in', '--glossary', 'g.csv', '--engine', 'tests.fakes:FakeEngine', "
            "'--no-tm', '--no-cache']); print('ray' in sys.modules, code)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.stdout.strip().splitlines()[-1] == "False 0", run.stderr


def test_an_unreadable_article_is_named_and_the_rest_translated(cluster, project, capsys):
    Path("in/bad.md").write_bytes("王明".encode() + b"\x00")
    assert main(["translate", "in", "--glossary", "g.csv", *FAKE, "--no-tm", "--no-cache", "--out", "ray",
                 "--backend", "ray"]) == 1
    err = capsys.readouterr().err
    assert "bad.md:1: contains a NUL byte" in err and "Traceback" not in err
    assert sorted(p.name for p in Path("ray").iterdir() if p.is_dir()) == ["a", "b", "c"]


def _served(fault: str, tmp_path, monkeypatch, capsys) -> tuple[int, str, str]:
    """A Ray run whose two actors share a fake server: the requests for b's sentences get ``fault``.
    The exit status, the server's URL, stdout and stderr; no traceback and no key in them or any file."""
    pytest.importorskip("httpx")
    from tests.test_openai import Proxy
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZHEN_API_KEY", SECRET)
    write_project(tmp_path, {"a.md": "王明回国。博古说话。\n", "b.md": "张闻天写信。王明回信。\n"}, GLOSSARY)
    server = Proxy(fault=fault, fault_on="张闻天")
    try:
        code = main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", server.url,
                     "--grammar", "none", "--no-tm", "--no-run-terms", "--context", "0", "--retries", "1",
                     "--cache", "c.sqlite", "--backend", "ray", "--workers", "2", "--batch-size", "2"])
    finally:
        server.stop()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and SECRET not in out + err
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
    return code, server.url, out + err


def _cached() -> list[str]:
    import sqlite3
    with sqlite3.connect("c.sqlite") as db:
        return sorted(tgt for (tgt,) in db.execute("SELECT tgt FROM segments"))


def test_a_faulty_server_stops_a_ray_run_with_one_line(cluster, tmp_path, monkeypatch, capsys):
    """Its page (the key echoed in it) is not a chat completion: the run stops after the documents
    finished before it, each written whole, their segments in the cache."""
    code, url, printed = _served("html", tmp_path, monkeypatch, capsys)
    assert code == 1
    (line,) = [line for line in printed.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {url}: the server's answer is not a chat completion (not JSON): \"<html>")
    assert "Bearer [API key]" in line and line.endswith("(finished segments are in the cache: rerun to resume)")
    assert _cached() == ["Bo Gu spoke.", "Wang Ming returned home."]
    assert sorted(p.name for p in Path("outputs").iterdir() if p.is_dir()) == ["a"]
    assert len(Path("outputs/a/aligned.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_an_answer_far_over_its_budget_is_cut_on_the_actors_too(cluster, tmp_path, monkeypatch, capsys):
    code, _url, printed = _served("huge", tmp_path, monkeypatch, capsys)
    assert code == 0 and "error:" not in printed
    assert _cached() == ["", "Bo Gu spoke.", "Wang Ming returned home.", "Wang Ming wrote back."]  # 张闻天写信。 cut
    assert max(p.stat().st_size for p in Path().rglob("*") if p.is_file()) < 64 * 1024


def test_an_unreachable_server_stops_a_ray_run_with_one_line(cluster, tmp_path, monkeypatch, capsys):
    """The actors cannot start their engine: one line, as the local backend says it, nothing written."""
    from tests.conftest import _free_port
    write_project(tmp_path, {"a.md": "王明回国。\n"}, GLOSSARY)
    monkeypatch.chdir(tmp_path)
    url = f"http://127.0.0.1:{_free_port()}/v1"
    assert main(["translate", "in", "--glossary", "g.csv", "--engine", "openai", "--base-url", url, "--retries", "0",
                 "--backend", "ray", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {url}: the server does not answer (ConnectError") and "Traceback" not in err
    assert not Path("outputs").exists()
