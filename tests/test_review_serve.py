"""`zhen review serve` in a real headless Chromium (Debian's, driven by Playwright's client), over a
run of the fake engine: the pages, editing as in a CAT tool, the memory and files it writes, the guards."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.fakes import FAKE

ARTICLE = ("# 王明\n\n"
           "**王明**回国。[博古](../Page/博古.md \"wikilink\")说话\\[1\\]。\n\n"
           "共产国际开会。张闻天写信。\n\n"
           "王明与博古见面。博古回国。\n")
GLOSSARY = ("id,zh,variants,en,type,action,forbidden,note,source,status\n"
            "wm,王明,,Wang Ming,person,transliterate,,,test,approved\n"
            "bg,博古,,Bo Gu,person,transliterate,,,test,approved\n"
            "ci,共产国际,,Comintern,organization,translate,,,test,approved\n")
TOKEN = "test-token"
WAIT_MS = 10_000


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _driver_missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[serve,test]')"
    return "" if _chromium() else "Debian chromium is not installed (.ci/run installs it)"


if _driver_missing() and not os.environ.get("ZHEN_REQUIRE_BROWSER"):
    pytest.skip(_driver_missing(), allow_module_level=True)


def _translate(root: Path, out: Path) -> None:
    assert main(["translate", str(root / "a.md"), "--glossary", str(root / "g.csv"), "--out", str(out),
                 "--tm", str(root / "tm.sqlite"), "--no-cache", *FAKE]) == 0


class Served:
    def __init__(self, root: Path):
        import uvicorn

        from pipeline.serve.server import bind, make_app

        self.root, self.outputs, self.tm = root, root / "outputs", root / "tm.sqlite"
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = make_app(self.outputs, self.tm, "127.0.0.1", self.port, token=TOKEN, reviewer="tester")
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start in 20 s"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()

    def records(self) -> list[dict]:
        return [json.loads(x) for x in (self.outputs / "a" / "aligned.jsonl").read_text(encoding="utf-8").splitlines()]

    def rendered(self) -> None:
        """Waits until the server has written the article's files again."""
        answer = self.request("GET", "/api/a/a/rendered", {"Host": f"127.0.0.1:{self.port}"})
        assert answer.status == 200 and json.loads(answer.read())["rendered"]

    def memory(self) -> dict[str, str]:
        with sqlite3.connect(self.tm) as db:
            return dict(db.execute("SELECT norm, tgt FROM entries"))

    def request(self, method: str, path: str, headers: dict, body: str = "") -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request(method, path, body=body or None, headers=headers)
        return connection.getresponse()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    (root / "a.md").write_text(ARTICLE, encoding="utf-8")
    (root / "g.csv").write_text(GLOSSARY, encoding="utf-8")
    _translate(root, root / "outputs")
    server = Served(root)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(),
                                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.alerts = []  # alert() calls: a hostile text must fire none
    tab.asked = []  # every other dialog (confirm, beforeunload), accepted
    tab.on("dialog", lambda d: ((tab.alerts if d.type == "alert" else tab.asked).append((d.type, d.message)),
                                d.accept()))
    yield tab
    context.close()


def _field(page, seg: int):
    return page.get_by_role("textbox", name=f"English of segment {seg}", exact=True)


def _row(page, seg: int):
    return page.locator(f"#seg-{seg}")


def _open(page, served: Served):
    page.goto(served.url + "/a/a")
    page.wait_for_selector("#segments")


def test_index_lists_the_article_and_opens_it(served, page):
    page.goto(served.url + "/")
    link = page.get_by_role("link", name="a — 王明")
    assert link.count() == 1
    row = page.locator("table.index tbody tr").first
    assert row.locator("td").nth(1).inner_text() == str(len(served.records()))
    link.click()
    page.wait_for_selector("#segments")
    assert page.locator("li.seg").count() == len(served.records())
    source = _row(page, 2).locator('[data-role="source"]').inner_text()
    assert "[1]" in source and "\\[1\\]" not in source  # the footnote mark as the article shows it
    assert _row(page, 2).locator("a.link", has_text="博古").count() == 1  # the link reads as a link
    assert _row(page, 1).locator("b", has_text="王明").count() == 1  # bold as bold
    assert _row(page, 1).locator(".term", has_text="王明").count() == 1  # the term highlighted
    assert "Wang Ming (locked; wm" in _row(page, 1).locator("ul.terms").inner_text()  # approved English, audit


def test_a_lost_tag_is_shown_before_confirm(served, page):
    _open(page, served)
    assert _field(page, 2).input_value() == "It says Bo Gu<f1/>."  # the footnote's tag, editable
    _field(page, 2).fill("Bo Gu spoke.")
    page.wait_for_function("() => document.querySelector('#seg-2 [data-role=problems]').textContent.includes('<f1/> is missing')")


def test_ctrl_enter_confirms_moves_on_and_survives_a_reload(served, page):
    _open(page, served)
    before = served.records()[3]
    _field(page, 3).fill("The Comintern met.")
    _field(page, 3).press("Control+Enter")
    page.wait_for_function("() => document.activeElement.getAttribute('aria-label') === 'English of segment 4'")
    assert _row(page, 3).locator('[data-role="status"]').inner_text() == "confirmed"
    page.reload()
    assert _field(page, 3).input_value() == "The Comintern met."
    assert served.memory()[before["norm"]] == "The Comintern met."
    served.rendered()
    after = served.records()[3]
    assert after["tgt"] == "The Comintern met." and after["method"] == "memory"
    assert "The Comintern met." in (served.outputs / "a" / "a.en.md").read_text(encoding="utf-8")
    assert 'state="final"' in (served.outputs / "a" / "a.v12.xlf").read_text(encoding="utf-8")


def test_replacing_a_locked_terms_english_is_said_and_proposed_when_accepted(served, page):
    _open(page, served)
    _field(page, 1).fill("Chen Shaoyu returned.")
    _field(page, 1).press("Control+Enter")
    page.wait_for_function("() => document.querySelector('#seg-1').dataset.status === 'confirmed'")
    asked = " ".join(message for _type, message in page.asked)
    assert "replaces a locked term's approved English" in asked and "term-missing" in asked
    rows = (served.outputs / "glossary-proposals.csv").read_text(encoding="utf-8-sig")
    assert '"wm","王明","Chen Shaoyu' in rows and '"Wang Ming","proposed"' in rows  # the importer's aligner


def test_leaving_with_unsaved_text_asks(served, page):
    _open(page, served)
    _field(page, 0).fill("Wang Ming (unsaved)")
    page.goto(served.url + "/")  # at once, before the draft's pause
    assert ("beforeunload", "") in page.asked


def test_the_show_filter_counts_match_qa_json(served, page):
    _open(page, served)
    qa = json.loads((served.outputs / "a" / "qa.json").read_text(encoding="utf-8"))
    show = page.get_by_label("Show")
    with_findings = len(qa["segments"])
    assert f"with findings ({with_findings})" in show.inner_text()
    show.select_option("findings")
    assert page.locator("li.seg:not([hidden])").count() == with_findings
    show.select_option("unconfirmed")
    assert page.locator("li.seg:not([hidden]) [data-role=status]", has_text="confirmed").count() == 0
    page.get_by_label("Order").select_option("confidence")  # read these first: the least confident
    records = served.records()
    least = min(records, key=lambda r: (r["confidence"], r["seg"]))
    assert page.locator("li.seg").first.get_attribute("data-seg") == str(least["seg"])


def test_reject_marks_the_segment_and_takes_it_out_of_the_memory(served, page):
    _open(page, served)
    norm = served.records()[4]["norm"]
    _field(page, 4).fill("Zhang Wentian wrote.")
    _field(page, 4).press("Control+Enter")
    page.wait_for_function("() => document.querySelector('#seg-4').dataset.status === 'confirmed'")
    assert norm in served.memory()
    _row(page, 4).get_by_role("button", name="Reject").click()
    page.wait_for_function("() => document.querySelector('#seg-4').dataset.status === 'rejected'")
    assert norm not in served.memory()


def test_propose_term_writes_a_proposed_row(served, page):
    _open(page, served)
    page.evaluate("""() => {
        const source = document.querySelector('#seg-5 [data-role=source]');
        const walker = document.createTreeWalker(source, NodeFilter.SHOW_TEXT);
        let node; while ((node = walker.nextNode()) && !node.data.includes('见面')) {}
        const range = document.createRange(); const at = node.data.indexOf('见面');
        range.setStart(node, at); range.setEnd(node, at + 2);
        const sel = document.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    }""")
    page.wait_for_timeout(100)  # selectionchange is delivered asynchronously
    field = _field(page, 5)
    field.fill("Wang Ming met Bo Gu.")
    field.evaluate("f => { f.setSelectionRange(10, 13); }")  # "met"
    _row(page, 5).get_by_role("button", name="Propose term").click()
    page.wait_for_function("() => document.getElementById('message').textContent.startsWith('Proposed')")
    rows = (served.outputs / "glossary-proposals.csv").read_text(encoding="utf-8-sig")
    assert '"见面","met"' in rows and '"proposed"' in rows


def test_two_tabs_editing_one_segment_conflict(served, browser):
    first, second = browser.new_page(), browser.new_page()
    for tab in (first, second):
        tab.set_default_timeout(WAIT_MS)
        _open(tab, served)
    _field(first, 6).fill("Bo Gu returned to China.")
    _field(first, 6).press("Control+Enter")
    first.wait_for_function("() => document.querySelector('#seg-6').dataset.status === 'confirmed'")
    _field(second, 6).fill("Bo Gu came home.")
    _field(second, 6).press("Control+Enter")
    conflict = second.locator("#seg-6 .conflict")
    conflict.wait_for()
    shown = conflict.inner_text()
    assert "Bo Gu came home." in shown and "Bo Gu returned to China." in shown
    assert served.memory()[served.records()[6]["norm"]] == "Bo Gu returned to China."
    first.close()
    second.close()


def test_a_hostile_text_is_shown_as_text_and_fires_nothing(served, page):
    hostile = "<img src=x onerror=alert(1)> Wang Ming met Bo Gu."
    _open(page, served)
    _field(page, 5).fill(hostile)
    _field(page, 5).press("Control+Enter")  # its problems are asked about; the dialog is accepted
    page.wait_for_function("() => document.querySelector('#seg-5').dataset.status === 'confirmed'")
    served.rendered()
    page.reload()
    _row(page, 5).get_by_role("button", name="History").click()
    page.locator("#seg-5 .history ins").first.wait_for()
    assert _field(page, 5).input_value() == hostile
    assert hostile in _row(page, 5).locator('[data-role="view"]').inner_text()
    assert page.locator("#segments img").count() == 0
    page.wait_for_timeout(300)
    assert page.alerts == []


def test_a_foreign_host_and_a_tokenless_post_are_refused(served):
    host = f"127.0.0.1:{served.port}"
    assert served.request("GET", "/", {"Host": f"attacker.example:{served.port}"}).status == 421
    assert served.request("GET", "/", {"Host": host}).status == 200
    body = json.dumps({"text": "x", "version": 0})
    post = "/api/a/a/seg/0/draft"
    same = {"Host": host, "Origin": f"http://{host}", "Content-Type": "application/json"}
    assert served.request("POST", post, same, body).status == 403
    assert served.request("POST", post, {**same, "X-Zhen-Token": "wrong"}, body).status == 403
    assert served.request("POST", post, {**same, "X-Zhen-Token": TOKEN, "Origin": "http://attacker.example"},
                          body).status == 403
    page = served.request("GET", "/a/a", {"Host": host})
    assert "script-src 'self'" in page.getheader("Content-Security-Policy") and "<script>" not in page.read().decode()


def test_rerendered_files_equal_a_fresh_render_of_the_same_memory(served):
    served.rendered()
    fresh = served.root / "fresh"
    _translate(served.root, fresh)
    for name in sorted(p.name for p in (served.outputs / "a").iterdir()):
        assert (served.outputs / "a" / name).read_bytes() == (fresh / "a" / name).read_bytes(), name


def test_importing_the_rendered_files_adds_no_memory_rows(served, capsys):
    served.rendered()
    before = served.memory()
    assert main(["review", "import", str(served.outputs / "a" / "a.v12.xlf"), "--outputs", str(served.outputs),
                 "--tm", str(served.tm), "--proposals", str(served.root / "p.csv")]) == 0
    assert served.memory() == before  # the confirmed rows, the reviewer's tags included, as they were
