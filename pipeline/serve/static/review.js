// The review editor's behaviour. Every text from an article or a reviewer is put on the page with
// textContent / value, never as HTML. State-changing requests carry the page's per-launch token.
"use strict";
(function () {
  const token = document.querySelector('meta[name="zhen-token"]').content;
  const list = document.getElementById("segments");
  if (!list) return;
  const article = decodeURIComponent(location.pathname.split("/").pop());
  const message = document.getElementById("message");
  const DRAFT_PAUSE_MS = 800;
  let lastSource = null;  // {seg, text}: the source words last selected, for "Propose term"

  function say(text, bad) { message.textContent = text; message.classList.toggle("bad", !!bad); }
  function rowOf(el) { return el.closest("li.seg"); }
  function field(row) { return row.querySelector('[data-role="text"]'); }
  function reviewer() { return document.getElementById("reviewer").value; }
  function url(row, action) { return "/api/a/" + encodeURIComponent(article) + "/seg/" + row.dataset.seg + "/" + action; }

  async function post(row, action, body) {
    const response = await fetch(url(row, action), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Zhen-Token": token},
      body: JSON.stringify(Object.assign({who: reviewer()}, body)),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {error: "no answer"}; }
    return {status: response.status, data: data};
  }

  function setStatus(row, status, version) {
    row.dataset.status = status;
    row.dataset.version = String(version);
    row.className = row.className.replace(/status-\w+/, "status-" + status);
    row.querySelector('[data-role="status"]').textContent = status;
    countUnconfirmed();
  }

  function countUnconfirmed() {
    const open = Array.from(list.children).filter((r) => r.dataset.status !== "confirmed").length;
    document.querySelector('#show option[value="unconfirmed"]').textContent = "unconfirmed (" + open + ")";
  }

  function dirty(row) { const f = field(row); return f.value !== f.dataset.saved; }

  function showProblems(row, data) {
    const box = row.querySelector('[data-role="problems"]');
    box.textContent = "";
    const lines = (data.problems || []).slice();
    for (const change of data.term_changes || []) {
      lines.push("replaces the approved English of " + change.zh + " (" + change.current_en + ") with \u201c" + change.en + "\u201d");
    }
    if (data.unchecked) lines.push(data.unchecked);
    for (const line of lines) { const div = document.createElement("div"); div.textContent = line; box.appendChild(div); }
  }

  function showConflict(row, data) {
    const box = row.querySelector('[data-role="problems"]');
    box.textContent = "";
    const wrap = document.createElement("div"); wrap.className = "conflict";
    const head = document.createElement("div");
    head.textContent = "Conflict: " + (data.who || "someone") + " saved this segment (" + data.status + ") after you opened it. Nothing was overwritten.";
    wrap.appendChild(head);
    for (const [label, text] of [["Yours:", data.yours], ["Saved:", data.theirs]]) {
      const b = document.createElement("b"); b.textContent = label; wrap.appendChild(b);
      const pre = document.createElement("pre"); pre.textContent = text || ""; wrap.appendChild(pre);
    }
    const keep = document.createElement("button"); keep.type = "button"; keep.textContent = "Keep mine";
    keep.addEventListener("click", () => { row.dataset.version = String(data.version); wrap.remove(); saveDraft(row); });
    const take = document.createElement("button"); take.type = "button"; take.textContent = "Take the saved text";
    take.addEventListener("click", () => {
      row.dataset.version = String(data.version); field(row).value = data.theirs || ""; field(row).dataset.saved = field(row).value;
      setStatus(row, data.status, data.version); wrap.remove();
    });
    wrap.appendChild(keep); wrap.appendChild(take);
    box.appendChild(wrap);
  }

  const timers = new Map();
  function scheduleDraft(row) {
    clearTimeout(timers.get(row));
    timers.set(row, setTimeout(() => saveDraft(row), DRAFT_PAUSE_MS));
  }

  async function saveDraft(row) {
    clearTimeout(timers.get(row));
    if (!dirty(row)) return;
    const text = field(row).value;
    const {status, data} = await post(row, "draft", {text: text, version: Number(row.dataset.version)});
    if (status === 409) { showConflict(row, data); return; }
    if (status !== 200) { say(data.error || "draft not saved", true); return; }
    field(row).dataset.saved = text;
    setStatus(row, data.status, data.version);
    const checked = await post(row, "check", {text: text});
    if (checked.status === 200) showProblems(row, checked.data);
  }

  function visibleRows() { return Array.from(list.children).filter((r) => !r.hidden); }

  function focusNext(row) {
    const rows = visibleRows();
    const next = rows[rows.indexOf(row) + 1];
    if (next) { field(next).focus(); next.scrollIntoView({block: "center"}); }
  }

  async function confirmRow(row, extra) {
    clearTimeout(timers.get(row));
    const text = field(row).value;
    const body = Object.assign({text: text, version: Number(row.dataset.version)}, extra || {});
    const {status, data} = await post(row, "confirm", body);
    if (status === 409) { showConflict(row, data); return; }
    if (status === 422) {
      showProblems(row, data);
      const asks = (data.problems || []).length ? "The check found: " + data.problems.join("; ") + ".\n" : "";
      let propose = false;
      if ((data.term_changes || []).length) {
        propose = window.confirm(asks + "This correction replaces a locked term's approved English. Propose the new rendering for the term base (it stays proposed until `zhen glossary` approves it)?");
      }
      if (window.confirm(asks + "Confirm this English anyway?")) confirmRow(row, {force: true, propose: propose});
      return;
    }
    if (status !== 200) { say(data.error || "not confirmed", true); return; }
    field(row).dataset.saved = text;
    setStatus(row, data.status, data.version);
    showProblems(row, {problems: data.problems || [], unchecked: data.note});
    row.querySelector('[data-role="view"]').textContent = data.english;
    say("Segment " + row.dataset.seg + " confirmed: in the memory; the article's files are being rendered again.");
    focusNext(row);
  }

  async function rejectRow(row) {
    const {status, data} = await post(row, "reject", {version: Number(row.dataset.version)});
    if (status === 409) { showConflict(row, data); return; }
    if (status !== 200) { say(data.error || "not rejected", true); return; }
    setStatus(row, data.status, data.version);
    say("Segment " + row.dataset.seg + " rejected: it leaves the memory and is marked for retranslation.");
  }

  async function proposeTerm(row) {
    const f = field(row);
    const en = f.value.substring(f.selectionStart, f.selectionEnd).trim();
    const zh = lastSource && lastSource.seg === row.dataset.seg ? lastSource.text : "";
    if (!zh || !en) { say("Select the source words, then their English in the field, then Propose term.", true); return; }
    const {status, data} = await post(row, "propose", {zh: zh, en: en});
    if (status !== 200) { say(data.error || "not proposed", true); return; }
    say("Proposed " + zh + " \u2192 " + en + " (status proposed) in " + data.file);
  }

  async function showHistory(row) {
    const box = row.querySelector('[data-role="history"]');
    if (!box.hidden) { box.hidden = true; return; }
    const response = await fetch(url(row, "history"), {credentials: "same-origin"});
    const data = await response.json();
    box.textContent = "";
    if (!data.versions.length) box.textContent = "No saved version yet: this is the machine's English.";
    for (const v of data.versions) {
      const item = document.createElement("div");
      const head = document.createElement("div");
      head.textContent = "v" + v.version + " " + v.status + " by " + v.who + " at " + v.at + ": ";
      item.appendChild(head);
      const diff = document.createElement("div");
      for (const [op, text] of v.diff) {
        const el = document.createElement(op === "+" ? "ins" : op === "-" ? "del" : "span");
        el.textContent = text; diff.appendChild(el);
      }
      item.appendChild(diff);
      const revert = document.createElement("button"); revert.type = "button"; revert.textContent = "Revert to v" + v.version;
      revert.addEventListener("click", () => { field(row).value = v.text; saveDraft(row); field(row).focus(); });
      item.appendChild(revert);
      box.appendChild(item);
    }
    box.hidden = false;
  }

  function applyFilter() {
    const show = document.getElementById("show").value;
    let shown = 0;
    for (const row of list.children) {
      const d = row.dataset;
      const keep = show === "all" || (show === "findings" && d.findings === "1") || (show === "low" && d.low === "1") ||
        (show === "unconfirmed" && d.status !== "confirmed");
      row.hidden = !keep;
      if (keep) shown += 1;
    }
    document.getElementById("shown").textContent = shown + " shown";
    countUnconfirmed();
  }

  function applyOrder() {
    const order = document.getElementById("order").value;
    const rows = Array.from(list.children);
    const score = (r) => (r.dataset.confidence === "" ? Infinity : Number(r.dataset.confidence));
    rows.sort(order === "confidence" ? (a, b) => score(a) - score(b) || a.dataset.seg - b.dataset.seg
                                     : (a, b) => a.dataset.seg - b.dataset.seg);
    for (const r of rows) list.appendChild(r);
  }

  list.addEventListener("input", (e) => { if (e.target.matches("textarea")) scheduleDraft(rowOf(e.target)); });
  list.addEventListener("keydown", (e) => {
    if (e.target.matches("textarea") && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault(); confirmRow(rowOf(e.target));
    }
  });
  list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-action]");
    if (!button) return;
    const row = rowOf(button);
    ({confirm: () => confirmRow(row), reject: () => rejectRow(row), propose: () => proposeTerm(row),
      history: () => showHistory(row)})[button.dataset.action]();
  });
  // A button click moves focus and may clear the page selection: remember the source words first.
  document.addEventListener("selectionchange", () => {
    const sel = document.getSelection();
    if (!sel || sel.isCollapsed || !sel.anchorNode) return;
    const el = sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement;
    const source = el && el.closest('[data-role="source"]');
    if (source) lastSource = {seg: rowOf(source).dataset.seg, text: sel.toString().trim()};
  });
  document.getElementById("show").addEventListener("change", applyFilter);
  document.getElementById("order").addEventListener("change", applyOrder);
  window.addEventListener("beforeunload", (e) => {
    if (Array.from(list.children).some(dirty)) { e.preventDefault(); e.returnValue = ""; }
  });
  applyFilter();
})();
