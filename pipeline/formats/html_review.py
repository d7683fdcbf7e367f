"""review.html: a self-contained, offline side-by-side review page. Everything shown is escaped."""
from __future__ import annotations

import hashlib
import re
from html import escape

from pipeline.document import Segment
from pipeline.formats import Output, writer
from pipeline.formats.report import read_first
from pipeline.formats.review_rows import confidence_cell, segment_id, worst
from pipeline.markup import TAG

STYLE = """
body{font:14px/1.5 system-ui,"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"WenQuanYi Zen Hei",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em} table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:.4em .6em;vertical-align:top;text-align:left}
th{background:#dde4ee;position:sticky;top:0}
td.zh{width:38%} td.en{width:38%} td.id{white-space:nowrap;color:#666;font-size:.85em}
a.term{background:#fff1b8;color:inherit;text-decoration:none;border-bottom:1px dotted #a80}
a.term.missing,span.term.missing{background:#f8d0d0}
span.term{background:#fff1b8} a.link{color:#0645ad} sup.mark{color:#666;font-size:.75em}
tr.error td.qa{background:#fbe3e3} tr.warning td.qa{background:#fdf1dc}
ul.qa{margin:0;padding-left:1.1em;font-size:.85em}
.filter{margin:.8em 0} .hidden{display:none}
"""
SCRIPT = """
const box=document.getElementById('only-findings');
function apply(){for(const r of document.querySelectorAll('tbody#segments tr')){
  r.classList.toggle('hidden', box.checked && !r.dataset.findings);}}
box.addEventListener('change',apply);
if(location.hash==='#findings'){box.checked=true;}
apply();
"""


def _anchor(term_id: str) -> str:
    return "term-" + hashlib.sha1(term_id.encode("utf-8")).hexdigest()[:12]


def _term_open(term: dict, inside_link: bool) -> str:
    css = "term" + ("" if term["status"] == "locked" else " missing")
    if inside_link:  # an anchor cannot hold another: the term is marked, the link stays the link
        return f'<span class="{css}" title="{escape(term["tgt"])}">'
    return f'<a class="{css}" href="#{_anchor(term["id"])}" title="{escape(term["tgt"])}">'


SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f]")  # browsers drop these from a URL before its scheme is read


def safe_url(url: str) -> bool:
    """A URL a page may link to: http(s), mailto or relative. ``javascript:``, ``data:``,
    ``vbscript:`` and every other scheme are not, however spelled ("Java\tScript:", " data:")."""
    scheme = _SCHEME.match(_IGNORED_IN_URL.sub("", url).lower())
    return scheme is None or scheme.group(1) in SAFE_SCHEMES


_MARKDOWN_ESCAPE = re.compile(r"\\(.)")


def _markup_html(tag: dict, role: str) -> str:
    """A tag of the text as HTML: a link as a link (only to a ``safe_url``: any other is shown as
    text), bold as bold, any other mark as a small sign."""
    if tag["kind"] == "link":
        target = tag.get("target") or ""
        if not safe_url(target):
            return "</span>" if role == "close" else f'<span class="link unsafe" title="{escape(target)}">'
        return "</a>" if role == "close" else f'<a class="link" href="{escape(target)}" title="{escape(target)}">'
    if tag["kind"] == "emphasis":
        return "</b>" if role == "close" else "<b>"
    shown = _MARKDOWN_ESCAPE.sub(r"\1", tag["open"]) if tag["kind"] == "footnote" else tag["open"]  # \[1\] reads [1]
    return f'<sup class="mark" title="{escape(tag["open"])}">{escape(shown)}</sup>' if role == "point" else ""


def marked_html(tagged: str, keys: list[int], ranges: list[tuple[int, int, dict]], tags: dict[str, dict]) -> str:
    """``tagged`` text as HTML: its inline tags as markup, the characters whose key falls in a
    term's range marked as that term. ``keys``: each text character's position in ``ranges``' terms."""
    out: list[str] = []
    state = {"term": None, "closer": "", "links": 0, "i": 0}

    def close_term() -> None:
        out.append(state["closer"])
        state["term"], state["closer"] = None, ""

    def chars(piece: str) -> None:
        for char in piece:
            key = keys[state["i"]] if state["i"] < len(keys) else -1
            hit = next((r for r in ranges if r[0] <= key < r[1]), None)
            if hit is not state["term"]:
                close_term()
                if hit is not None:
                    out.append(_term_open(hit[2], state["links"] > 0))
                    state["term"], state["closer"] = hit, "</span>" if state["links"] else "</a>"
            out.append(escape(char))
            state["i"] += 1

    pos = 0
    for m in TAG.finditer(tagged):
        chars(tagged[pos:m.start()])
        pos = m.end()
        tag = tags.get(m.group(2) + m.group(3))
        if tag is None:
            continue
        role = "close" if m.group(1) else "point" if m.group(4) else "open"
        close_term()  # a term's mark never straddles a tag: HTML elements must nest
        out.append(_markup_html(tag, role))
        if tag["kind"] == "link" and role != "point":
            state["links"] += 1 if role == "open" else -1
    chars(tagged[pos:])
    close_term()
    return "".join(out)


def _row(record: dict, segment: Segment) -> str:
    start = record["src_start"]
    tags = {t["tag"]: t for t in record.get("tags", [])}
    source = marked_html(record.get("src_tagged") or segment.plain, [o - segment.start for o in segment.plain_offsets],
                     [(t["src_start"] - start, t["src_end"] - start, t) for t in record["terms"]], tags)
    english = marked_html(record.get("tgt_tagged") or record["tgt"], list(range(len(record["tgt"]))),
                      [(t["tgt_start"], t["tgt_end"], t) for t in record["terms"] if t["status"] == "locked"], tags)
    findings = "".join(f"<li>{escape(f['severity'])}: {escape(f['check'])} — {escape(f['message'])}</li>"
                       for f in record["qa"])
    level = worst(record)
    attrs = f' class="{level}" data-findings="1"' if record["qa"] else ""
    sid = escape(segment_id(record["doc"], record["seg"]))
    shown = confidence_cell(record)
    confidence = f'<br><span class="confidence">confidence {escape(shown)}</span>' if shown else ""
    return (f'<tr id="seg-{record["seg"]}"{attrs}><td class="id">{sid}<br>{escape(record["kind"])}{confidence}</td>'
            f'<td class="zh" lang="zh">{source}</td><td class="en" lang="en">{english}</td>'
            f'<td class="qa"><ul class="qa">{findings}</ul></td></tr>')


def _audit(records: list[dict]) -> str:
    terms: dict[str, dict] = {}
    for record in records:
        for t in record["terms"]:
            entry = terms.setdefault(t["id"], {"src": set(), "tgt": t["tgt"], "locked": 0, "missing": 0, "segs": []})
            entry["src"].add(t["src"])
            entry[t["status"]] = entry.get(t["status"], 0) + 1
            entry["segs"].append(record["seg"])
    rows = []
    for term_id, e in sorted(terms.items()):
        links = " ".join(f'<a href="#seg-{s}">{s}</a>' for s in dict.fromkeys(e["segs"]))
        rows.append(f'<tr id="{_anchor(term_id)}"><td>{escape(term_id)}</td><td lang="zh">'
                    f'{escape(" / ".join(sorted(e["src"])))}</td><td>{escape(e["tgt"])}</td>'
                    f'<td>{e["locked"]}</td><td>{e["missing"]}</td><td>{links}</td></tr>')
    return "".join(rows)


def _read_first(records: list[dict]) -> str:
    """Links to the segments of lowest confidence (``report.read_first``), least confident first."""
    by_seg = {r["seg"]: r for r in records}
    links = [f'<li><a href="#seg-{seg}">{escape(segment_id(by_seg[seg]["doc"], seg))}</a> '
             f'(confidence {escape(confidence_cell(by_seg[seg]))})</li>' for seg in read_first(records)]
    return f'<h2>Read these first</h2><ol class="read-first">{"".join(links)}</ol>' if links else ""


def html_text(records: list[dict], segments: list[Segment], title: str, signature: str) -> str:
    with_findings = sum(bool(r["qa"]) for r in records)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} — review</title>
<style>{STYLE}</style></head><body>
<h1>{escape(title)}</h1>
<p class="signature">{escape(signature)}</p>
<p>{len(records)} segments, {with_findings} with QA findings.</p>
{_read_first(records)}
<label class="filter"><input type="checkbox" id="only-findings"> show only segments with findings</label>
<table><thead><tr><th>segment</th><th>source</th><th>English</th><th>QA</th></tr></thead>
<tbody id="segments">{"".join(_row(r, s) for r, s in zip(records, segments))}</tbody></table>
<h2>Term audit</h2>
<table id="audit"><thead><tr><th>entry</th><th>source</th><th>English</th><th>locked</th><th>missing</th>
<th>segments</th></tr></thead><tbody>{_audit(records)}</tbody></table>
<script>{SCRIPT}</script>
</body></html>
"""


@writer("review-html", "review.html")
def review_html(out: Output) -> str:
    return html_text(out.records, list(out.doc.segments), out.doc.doc_id, out.manifest["signature"])
