"""The review editor as a Starlette application: two pages, a small JSON API, and the guards.

Guards, for a server any web page in the reviewer's browser could try to reach: a request whose Host
is not this server's is refused (DNS rebinding); a state-changing request needs the per-launch token
the page carries and must come from this origin; every response forbids inline script and framing;
every text from an article or a reviewer reaches the page escaped (Jinja2 autoescape, the static
page's escaping markup renderer, ``textContent`` in the script).
"""
from __future__ import annotations

import difflib
import getpass
import hmac
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.errors import ZhenError
from pipeline.formats.html_review import marked_html
from pipeline.formats.review_rows import segment_id
from pipeline.markup import strip_tags
from pipeline.review.importer import term_proposals
from pipeline.review.memory import Entry, TranslationMemory
from pipeline.review.proposals import FILENAME as PROPOSALS_FILE, add_proposals
from pipeline.serve.articles import (Article, RenderError, Renderer, article_folders, confidence, editable,
                                     low_confidence, read_article)
from pipeline.serve.state import CONFIRMED, DRAFT, REJECTED, SERVE_FILE, Conflict, ReviewState
from pipeline.translate.methods import Method

HERE = Path(__file__).parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
TOKEN_HEADER = "x-zhen-token"
MAX_TEXT = 20_000  # characters of English one segment may be given
RENDER_WAIT_S = 60


@dataclass
class Settings:
    outputs: Path
    memory: Path
    token: str
    hosts: frozenset[str]        # Host header values this server answers to ("127.0.0.1:8765", …)
    reviewer: str = field(default_factory=getpass.getuser)
    proposals: Path | None = None


class Editor:
    """What the routes share: the output folder's articles, the renderer and the review state."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.renderer = Renderer(settings.outputs, on_written=self.replace)
        self.state = ReviewState(TranslationMemory(settings.memory, shared=True))
        self._articles: dict[str, Article] = {}
        self._lock = threading.Lock()
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)

    def article(self, name: str) -> Article:
        """The article folder named ``name`` (only a folder of this output folder), read again when
        a run rewrote it."""
        folder = self.settings.outputs / name
        if "/" in name or name.startswith(".") or folder not in article_folders(self.settings.outputs):
            raise LookupError(name)
        with self._lock:
            known = self._articles.get(name)
        if known is None or known.stamp != _stamp_of(folder):
            known = read_article(folder)
            with self._lock:
                self._articles[name] = known
        return known

    def prepare(self, article: Article) -> None:
        """The article analysed again in the background, so its first check or confirm need not wait,
        and the files of confirms a stopped or killed server did not write yet written now."""
        def analyse() -> None:
            try:
                self.renderer.rebuilt(article)
            except ZhenError:
                return  # said at the first check: the files cannot be rendered here
            for seg, change in self.behind(article).items():
                self.renderer.schedule(article, seg, change)
        threading.Thread(target=analyse, daemon=True).start()

    def behind(self, article: Article) -> dict[int, tuple[str, object]]:
        """Segments whose confirmed English the article's files do not hold yet."""
        changes: dict[int, tuple[str, object]] = {}
        for record, state in zip(article.records, self.state.states(article.name, article.records)):
            if state.status == CONFIRMED and state.text and (record["method"] != Method.MEMORY or
                                                             strip_tags(state.text) != record["tgt"]):
                changes[record["seg"]] = ("reviewed", state.text)
        return changes

    def replace(self, article: Article) -> None:
        with self._lock:
            self._articles[article.name] = article

    @property
    def proposals_path(self) -> Path:
        return self.settings.proposals or self.settings.outputs / PROPOSALS_FILE


def _stamp_of(folder: Path) -> tuple:
    info = (folder / "aligned.jsonl").stat()
    return info.st_mtime_ns, info.st_size


# --- guards -----------------------------------------------------------------------------------------

class Guard:
    """ASGI middleware: Host check on every request, token and same origin on every other than GET."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope["method"], headers)
        if refusal:
            response = JSONResponse({"error": refusal}, status_code=403 if "Host" not in refusal else 421)
            return await _secured(response)(scope, receive, send)

        async def send_secured(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + _security_headers()
            await send(message)
        return await self.app(scope, receive, send_secured)

    def refusal(self, method: str, headers: dict[str, str]) -> str:
        if headers.get("host", "") not in self.settings.hosts:
            return "Host not served here"
        if method in SAFE_METHODS:
            return ""
        if not hmac.compare_digest(headers.get(TOKEN_HEADER, "").encode(), self.settings.token.encode()):
            return "missing or wrong token: reload the page"
        origin = headers.get("origin")
        if origin is not None:
            return "" if origin.removeprefix("http://") in self.settings.hosts else "cross-origin request"
        return "" if headers.get("sec-fetch-site") == "same-origin" else "not a same-origin request"


def _security_headers() -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"), (b"cache-control", b"no-store")]


def _secured(response: Response) -> Response:
    for name, value in _security_headers():
        response.headers[name.decode()] = value.decode()
    return response


# --- pages ------------------------------------------------------------------------------------------

def index(request: Request) -> Response:
    editor: Editor = request.app.state.editor
    rows = []
    for folder in article_folders(editor.settings.outputs):
        try:
            article = editor.article(folder.name)
        except ZhenError:
            continue
        rows.append({"name": article.name, "title": article.title,
                     **article.counts(editor.state.confirmed_count(article.name, article.records))})
    page = editor.templates.get_template("index.html").render(
        articles=rows, outputs=str(editor.settings.outputs), token=editor.settings.token)
    return HTMLResponse(page)


def _segment_view(record: dict, state, audit: dict) -> dict:
    start = record["src_start"]
    tags = {t["tag"]: t for t in record.get("tags", [])}
    plain = record.get("plain") or record["src"]
    # Source characters are keyed by their offset in the segment (as the static page keys them).
    keys = _plain_keys(record)
    source = marked_html(record.get("src_tagged") or plain, keys,
                         [(t["src_start"] - start, t["src_end"] - start, t) for t in record["terms"]], tags)
    english = marked_html(record.get("tgt_tagged") or record["tgt"], list(range(len(record["tgt"]))),
                          [(t["tgt_start"], t["tgt_end"], t) for t in record["terms"] if t["status"] == "locked"],
                          tags)
    text = state.text if state.status in (DRAFT, CONFIRMED) and state.text else editable(record)
    terms = list({(t["src"], t["id"], t["status"]): {
        "src": t["src"], "approved": t.get("approved", t["tgt"]), "tgt": t["tgt"], "status": t["status"], "id": t["id"],
        "audit": audit.get(t["id"], {})} for t in record["terms"]}.values())  # a term met twice: listed once
    tag_notes = [{"tag": t["tag"], "kind": t["kind"], "target": t.get("target") or "", "placed": t["placed"]}
                 for t in record.get("tags", []) if t.get("placed") not in ("edge", "anchor")]
    return {"seg": record["seg"], "kind": record["kind"], "source": Markup(source), "english": Markup(english),
            "text": text, "status": state.status, "version": state.version, "who": state.who,
            "qa": record["qa"], "findings": bool(record["qa"]), "low": low_confidence(record),
            "confidence": confidence(record), "terms": terms, "tags": tag_notes, "method": record["method"]}


def _plain_keys(record: dict) -> list[int]:
    """Each plain-text character's offset in the segment's source, where the record lets it be found
    (the source read left to right); terms are highlighted by these offsets."""
    src, plain = record["src"], record.get("plain") or record["src"]
    keys, pos = [], 0
    for char in plain:
        found = src.find(char, pos)
        if found < 0:
            keys.append(-1)
            continue
        keys.append(found)
        pos = found + 1
    return keys


def _audit(records: list[dict]) -> dict[str, dict]:
    audit: dict[str, dict] = {}
    for record in records:
        for t in record["terms"]:
            entry = audit.setdefault(t["id"], {"locked": 0, "missing": 0})
            entry[t["status"]] = entry.get(t["status"], 0) + 1
    return audit


def article_page(request: Request) -> Response:
    editor: Editor = request.app.state.editor
    try:
        article = editor.article(request.path_params["name"])
    except (LookupError, ZhenError):
        return HTMLResponse("no such article", status_code=404)
    editor.prepare(article)
    states = editor.state.states(article.name, article.records)
    audit = _audit(article.records)
    segments = [_segment_view(r, s, audit) for r, s in zip(article.records, states)]
    qa = article.qa()
    counts = {"all": len(segments), "findings": len(qa["segments"]), "low": sum(s["low"] for s in segments),
              "unconfirmed": sum(s["status"] != CONFIRMED for s in segments)}
    page = editor.templates.get_template("article.html").render(
        article=article, segments=segments, counts=counts, token=editor.settings.token,
        reviewer=editor.settings.reviewer, summary=qa["summary"])
    return HTMLResponse(page)


# --- API --------------------------------------------------------------------------------------------

async def _body(request: Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValueError("a JSON object was expected")
    text = data.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
        raise ValueError("text must be a string of at most %d characters" % MAX_TEXT)
    return data


def _target(request: Request) -> tuple[Editor, Article, dict]:
    editor: Editor = request.app.state.editor
    article = editor.article(request.path_params["name"])
    seg = int(request.path_params["seg"])
    if not 0 <= seg < len(article.records):
        raise LookupError(seg)
    return editor, article, article.records[seg]


def _who(editor: Editor, data: dict) -> str:
    who = data.get("who")
    return who.strip()[:80] if isinstance(who, str) and who.strip() else editor.settings.reviewer


def _problems(editor: Editor, article: Article, record: dict, text: str) -> dict:
    """What the run's verification says about ``text`` (terms, numbers, tags), and the locked terms
    whose approved English it replaces."""
    try:
        verdict = editor.renderer.check(article, record["seg"], text)
    except RenderError as exc:
        return {"problems": [], "term_changes": [], "unchecked": str(exc)}
    problems = [f"the tag {p}" for p in verdict.tag_problems]
    problems += [f"{f.check}: {f.message}" for f in verdict.defects]
    problems += [f"term-missing: {o.match.term.key} must read {o.expected!r}" for o in verdict.outcomes
                 if o.status == "missing"]
    changes = term_proposals(record, strip_tags(text), segment_id(article.name, record["seg"]))
    changes = list({(c["id"], c["en"]): c for c in changes}.values())  # a term met twice: one proposal
    return {"problems": list(dict.fromkeys(problems)), "term_changes": changes}


def _conflict(exc: Conflict, text: str) -> JSONResponse:
    current = exc.current
    return JSONResponse({"error": "conflict", "yours": text, "theirs": current.text, "version": current.version,
                         "status": current.status, "who": current.who, "at": current.updated}, status_code=409)


def _api(handler):
    """Errors as JSON: an unknown article or segment 404, a bad request body 400."""
    async def route(request: Request) -> Response:
        try:
            return await handler(request)
        except LookupError:
            return JSONResponse({"error": "no such article or segment"}, status_code=404)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return route


@_api
async def check(request: Request) -> Response:
    editor, article, record = _target(request)
    data = await _body(request)
    return JSONResponse(_problems(editor, article, record, data.get("text") or ""))


@_api
async def draft(request: Request) -> Response:
    editor, article, record = _target(request)
    data = await _body(request)
    text = data.get("text") or ""
    try:
        new = editor.state.save(article.name, record, int(data.get("version", -1)), DRAFT, text, _who(editor, data))
    except Conflict as exc:
        return _conflict(exc, text)
    return JSONResponse({"version": new.version, "status": new.status})


@_api
async def confirm(request: Request) -> Response:
    editor, article, record = _target(request)
    data = await _body(request)
    text = (data.get("text") or "").strip()
    if not text:
        raise ValueError("an empty English cannot be confirmed: reject the segment instead")
    found = _problems(editor, article, record, text)
    if (found["problems"] or found["term_changes"]) and not data.get("force"):
        return JSONResponse({"error": "check", **found}, status_code=422)
    sid = segment_id(article.name, record["seg"])
    decision = "approve" if strip_tags(text) == record["tgt"] and record["method"] != Method.MEMORY else "fix"
    entry = Entry(record["norm"], record["src"], text, decision, sid, article.manifest.get("run_id", ""), SERVE_FILE)
    try:
        new = editor.state.save(article.name, record, int(data.get("version", -1)), CONFIRMED, text,
                                _who(editor, data), entry=entry)
    except Conflict as exc:
        return _conflict(exc, text)
    if data.get("propose") and found["term_changes"]:
        add_proposals(editor.proposals_path, found["term_changes"])
    editor.renderer.schedule(article, record["seg"], ("reviewed", text))
    return JSONResponse({"version": new.version, "status": new.status, "rendering": True,
                         "note": found.get("unchecked", ""), "english": strip_tags(text), "problems": found["problems"]})


@_api
async def rendered(request: Request) -> Response:
    """Waits (a bounded while) until the article's corrections are written; says whether they are."""
    editor: Editor = request.app.state.editor
    article = editor.article(request.path_params["name"])
    done = await run_in_threadpool(editor.renderer.wait, article.name, RENDER_WAIT_S)
    return JSONResponse({"rendered": done, "error": editor.renderer.errors.get(article.name, "")})


@_api
async def reject(request: Request) -> Response:
    editor, article, record = _target(request)
    data = await _body(request)
    try:
        new = editor.state.save(article.name, record, int(data.get("version", -1)), REJECTED, editable(record),
                                _who(editor, data), forget=True)
    except Conflict as exc:
        return _conflict(exc, data.get("text") or "")
    machine = editor.state.machine_record(article.name, record["seg"], record["norm"])
    rendering = machine is not None
    if rendering:  # the files go back to the machine's English, as the next run gives it (a confirm
        # of this segment still waiting to be written is replaced)
        editor.renderer.schedule(article, record["seg"], ("restore", machine))
    return JSONResponse({"version": new.version, "status": new.status, "rendering": rendering})


@_api
async def propose(request: Request) -> Response:
    editor, article, record = _target(request)
    data = await _body(request)
    zh, en = str(data.get("zh", "")).strip(), str(data.get("en", "")).strip()
    if not zh or not en or len(zh) > 100 or len(en) > 200:
        raise ValueError("select the source words and their English first")
    if zh not in (record.get("plain") or "") and zh not in record["src"]:
        raise ValueError(f"{zh!r} is not in segment {record['seg']}'s source")
    sid = segment_id(article.name, record["seg"])
    current = next((t.get("approved", t["tgt"]) for t in record["terms"] if t["src"] == zh), "")
    row = {"id": "", "zh": zh, "en": en, "current_en": current, "status": "proposed",
           "note": f"proposed in zhen review serve by {_who(editor, data)}", "source": sid}
    add_proposals(editor.proposals_path, [row])
    return JSONResponse({"proposed": row, "file": str(editor.proposals_path)})


WORD = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(before: str, after: str) -> list[list[str]]:
    """[op, text] runs turning ``before`` into ``after`` word by word (op: = + -)."""
    a, b = WORD.findall(before), WORD.findall(after)
    out: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(["=", "".join(a[i1:i2])])
            continue
        if i2 > i1:
            out.append(["-", "".join(a[i1:i2])])
        if j2 > j1:
            out.append(["+", "".join(b[j1:j2])])
    return out


@_api
async def history(request: Request) -> Response:
    editor, article, record = _target(request)
    versions = editor.state.history(article.name, record["seg"])
    machine = versions[0]["text"] if versions else editable(record)
    for version in versions:
        version["diff"] = word_diff(machine, version["text"])
    return JSONResponse({"machine": machine, "versions": versions})


def create_app(settings: Settings) -> Starlette:
    seg = "/api/a/{name}/seg/{seg:int}"
    routes = [Route("/", index), Route("/a/{name}", article_page),
              Route(f"{seg}/check", check, methods=["POST"]), Route(f"{seg}/draft", draft, methods=["POST"]),
              Route(f"{seg}/confirm", confirm, methods=["POST"]), Route(f"{seg}/reject", reject, methods=["POST"]),
              Route(f"{seg}/propose", propose, methods=["POST"]), Route(f"{seg}/history", history),
              Route("/api/a/{name}/rendered", rendered),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    app = Starlette(routes=routes)
    app.state.editor = Editor(settings)
    app.add_middleware(Guard, settings=settings)
    return app
