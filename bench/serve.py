"""`zhen review serve` under load, on loopback only: the article page of an output folder's largest
article, confirms one after another, and reviewers saving at once.

    python bench/serve.py OUTPUTS [--confirms 200] [--reviewers 4] [--loops 25] [--screenshot PNG]

OUTPUTS is a finished run's output folder (translate the largest corpus article with the fake
engine: `zhen translate ../shared/corpus/张闻天.md --engine tests.fakes:FakeEngine --no-cache
--out /tmp/zbench`). It is copied first, with a fresh translation memory, so nothing of yours
changes. Every loop is bounded; the figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.serve.articles import article_folders, editable  # noqa: E402
from pipeline.serve.server import bind, make_app  # noqa: E402

TOKEN = "bench"


class Server:
    def __init__(self, outputs: Path, memory: Path):
        import uvicorn

        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        app = make_app(outputs, memory, "127.0.0.1", self.port, token=TOKEN, reviewer="bench")
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | str, float]:
        host = f"127.0.0.1:{self.port}"
        headers = {"Host": host, "Origin": f"http://{host}", "X-Zhen-Token": TOKEN, "Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read().decode("utf-8")
        seconds = time.perf_counter() - started
        connection.close()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(data) if is_json else data, seconds


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def page_opens(server: Server, name: str, repeats: int = 5) -> list[float]:
    return [server.call("GET", f"/a/{name}")[2] for _ in range(repeats)]


def browser_open(server: Server, name: str, screenshot: Path | None) -> float | None:
    """Seconds from navigation to the load event in headless Chromium (None without one)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = shutil.which("chromium")
    if not chromium:
        return None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        url = f"http://127.0.0.1:{server.port}/a/{name}"
        page.goto(url)  # warm: the article read and analysed once
        started = time.perf_counter()
        page.goto(url, wait_until="load")
        seconds = time.perf_counter() - started
        if screenshot is not None:
            page.get_by_label("Show").select_option("findings")
            field = page.locator("li.seg:not([hidden]) textarea").first
            field.click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(screenshot))
        browser.close()
    return seconds


def confirms(server: Server, name: str, records: list[dict], count: int) -> tuple[list[float], int]:
    """``count`` confirms one after another, each a new English for the next segment in turn."""
    versions = {r["seg"]: 0 for r in records}
    seconds, failed = [], 0
    for i in range(count):
        record = records[i % len(records)]
        text = f"{editable(record)} ({i})"
        status, data, took = server.call("POST", f"/api/a/{name}/seg/{record['seg']}/confirm",
                                         {"text": text, "version": versions[record["seg"]], "force": True})
        if status == 200:
            versions[record["seg"]] = data["version"]
            seconds.append(took)
        else:
            failed += 1
    return seconds, failed


def reviewers(server: Server, name: str, records: list[dict], people: int, loops: int) -> dict:
    """``people`` threads, each drafting then confirming its own segments in a loop, and all of them
    one shared segment (conflicts expected there). Returns what was acknowledged, for checking."""
    acknowledged: dict[int, list[tuple[int, str]]] = {}
    conflicts = [0]
    errors: list[str] = []
    lock = threading.Lock()
    shared = records[0]["seg"]

    def save(seg: int, action: str, text: str, versions: dict[int, int]) -> None:
        for _attempt in range(2):  # a 409 gives the stored version: saved again over it, as "Keep mine" does
            status, data, _ = server.call("POST", f"/api/a/{name}/seg/{seg}/{action}",
                                          {"text": text, "version": versions.get(seg, 0), "force": True})
            if status not in (200, 409):
                with lock:
                    errors.append(f"{action} seg {seg}: HTTP {status} {data}")
                return
            versions[seg] = data["version"]
            if status == 200:
                if action == "confirm":
                    with lock:
                        acknowledged.setdefault(seg, []).append((data["version"], text))
                return
            with lock:
                conflicts[0] += 1

    def work(person: int) -> None:
        own = [r for r in records[1:] if r["seg"] % people == person][:5] or records[1:2]
        versions: dict[int, int] = {}
        for i in range(loops):
            for seg in (own[i % len(own)]["seg"], shared):
                text = f"reviewer {person} pass {i} on {seg}."
                save(seg, "draft", text, versions)
                save(seg, "confirm", text, versions)

    threads = [threading.Thread(target=work, args=(p,)) for p in range(people)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return {"acknowledged": acknowledged, "conflicts": conflicts[0], "errors": errors,
            "seconds": time.perf_counter() - started}


def lost(memory: Path, outputs: Path, name: str, acknowledged: dict) -> list[str]:
    """Acknowledged confirms missing from the history, and segments whose memory row and file are
    not their last acknowledged English."""
    import sqlite3

    from urllib.parse import unquote

    name = unquote(name)
    records = {json.loads(x)["seg"]: json.loads(x) for x in
               (outputs / name / "aligned.jsonl").read_text(encoding="utf-8").splitlines()}
    problems = []
    with sqlite3.connect(memory) as db:
        history = set(db.execute("SELECT seg, version, text FROM review_history WHERE doc = ? AND status = 'confirmed'",
                                 (name,)))
        entries = dict(db.execute("SELECT norm, tgt FROM entries"))
    for seg, saves in acknowledged.items():
        problems += [f"seg {seg} v{v} not in the history" for v, text in saves if (seg, v, text) not in history]
        last = max(saves)[1]
        if entries.get(records[seg]["norm"]) != last:
            problems.append(f"seg {seg}: memory holds {entries.get(records[seg]['norm'])!r}, last confirm {last!r}")
        if records[seg]["tgt"] != last:
            problems.append(f"seg {seg}: aligned.jsonl holds {records[seg]['tgt']!r}, last confirm {last!r}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outputs", type=Path)
    parser.add_argument("--confirms", type=int, default=200)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--loops", type=int, default=25)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="zhen-serve-bench-"))
    try:
        outputs = work / "outputs"
        shutil.copytree(args.outputs, outputs)
        memory = work / "memory.sqlite"
        folder = max(article_folders(outputs), key=lambda f: (f / "aligned.jsonl").stat().st_size)
        records = [json.loads(x) for x in (folder / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]
        name = quote(folder.name)  # as it stands in a URL
        server = Server(outputs, memory)
        try:
            print(f"article {name}: {len(records)} segments")
            opens = page_opens(server, name)
            print(f"article page over HTTP: first {opens[0] * 1000:.0f} ms, then median "
                  f"{statistics.median(opens[1:]) * 1000:.0f} ms ({len(opens) - 1} loads)")
            loaded = browser_open(server, name, args.screenshot)
            if loaded is not None:
                print(f"article page in headless Chromium, navigation to load event: {loaded * 1000:.0f} ms")
            seconds, failed = confirms(server, name, records, args.confirms)
            print(f"{len(seconds)} confirms ({failed} failed): p50 {percentile(seconds, 0.5) * 1000:.0f} ms, "
                  f"p95 {percentile(seconds, 0.95) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms")
            crowd = reviewers(server, name, records, args.reviewers, args.loops)
            saved = sum(len(v) for v in crowd["acknowledged"].values())
            print(f"{args.reviewers} reviewers × {args.loops} loops in {crowd['seconds']:.1f} s: {saved} confirms "
                  f"acknowledged, {crowd['conflicts']} saves answered 409 (conflict: nothing overwritten), "
                  f"{len(crowd['errors'])} errors" + "".join(f"\n  {e}" for e in crowd["errors"][:5]))
            server.call("GET", f"/api/a/{name}/rendered")  # the files written before they are compared
        finally:
            server.stop()
        problems = lost(memory, outputs, name, crowd["acknowledged"])
        print(f"lost: {len(problems)}" + "".join(f"\n  {p}" for p in problems[:10]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
