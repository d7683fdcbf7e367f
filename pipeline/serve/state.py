"""Review state beside the translation memory, in the same SQLite file: each segment's status, draft
and version, and every version a reviewer saved. A confirm writes the memory row, the status and
the history row in one transaction, so a kill at any moment leaves all three as before or all as after.

The version number of a segment goes up with every save (draft, confirm, reject); a save that names
an older version than the stored one is a conflict (another tab saved first) and changes nothing.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from pipeline.review.memory import Entry, TranslationMemory
from pipeline.serve.articles import editable
from pipeline.translate.methods import Method

SCHEMA = ("""
CREATE TABLE IF NOT EXISTS review_segments (
    doc TEXT NOT NULL,          -- the article's output folder name
    seg INTEGER NOT NULL,       -- the segment's number in aligned.jsonl
    norm TEXT NOT NULL,         -- its normalized source: a state for another source is stale
    status TEXT NOT NULL,       -- draft | confirmed | rejected
    version INTEGER NOT NULL,
    text TEXT NOT NULL,         -- the reviewer's latest English (the draft, or what was confirmed)
    who TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (doc, seg)
)""", """
CREATE TABLE IF NOT EXISTS review_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL, seg INTEGER NOT NULL, version INTEGER NOT NULL,
    status TEXT NOT NULL,       -- machine (the run's English, kept on the first save) | confirmed | rejected
    text TEXT NOT NULL, who TEXT NOT NULL, at TEXT NOT NULL,
    record TEXT NOT NULL DEFAULT ''   -- version 0: the run's whole aligned record, for a reject to restore
)""")

MACHINE, DRAFT, CONFIRMED, REJECTED = "machine", "draft", "confirmed", "rejected"
STATUSES = (MACHINE, DRAFT, CONFIRMED, REJECTED)
SERVE_FILE = "zhen review serve"  # the memory's `file` column for rows this editor wrote


@dataclass(frozen=True)
class SegmentState:
    status: str
    version: int
    text: str = ""
    who: str = ""
    updated: str = ""


class Conflict(Exception):
    """Another save came first: both texts go back to the reviewer."""

    def __init__(self, current: SegmentState):
        super().__init__("conflict")
        self.current = current


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ReviewState:
    """One connection to the memory's file, shared by the server's threads one at a time."""

    def __init__(self, memory: TranslationMemory):
        self.memory = memory
        self.db = memory.db
        self.lock = threading.Lock()
        with self.lock, self.db:
            for statement in SCHEMA:
                self.db.execute(statement)

    def states(self, doc: str, records: list[dict]) -> list[SegmentState]:
        """Each record's state: a stored one for the same source, else confirmed where the run took
        the English from the memory, else machine."""
        with self.lock:
            stored = {seg: SegmentState(status, version, text, who, updated) for seg, norm_, status, version, text, who,
                      updated in self.db.execute("SELECT seg, norm, status, version, text, who, updated FROM "
                                                 "review_segments WHERE doc = ?", (doc,))
                      if records[seg:seg + 1] and records[seg]["norm"] == norm_}
        return [stored.get(r["seg"]) or SegmentState(CONFIRMED if r["method"] == Method.MEMORY else MACHINE, 0)
                for r in records]

    def state(self, doc: str, record: dict) -> SegmentState:
        row = self.db.execute("SELECT norm, status, version, text, who, updated FROM review_segments "
                              "WHERE doc = ? AND seg = ?", (doc, record["seg"])).fetchone()
        if row is None or row[0] != record["norm"]:
            return SegmentState(CONFIRMED if record["method"] == "memory" else MACHINE, 0)
        return SegmentState(*row[1:])

    def save(self, doc: str, record: dict, version: int, status: str, text: str, who: str,
             entry: Entry | None = None, forget: bool = False) -> SegmentState:
        """The new state, if ``version`` is the stored one (else ``Conflict``); with a confirm's
        memory ``entry`` (or ``forget``: a reject takes the source out of the memory) and a history
        row, all in one transaction."""
        with self.lock, self.db:
            current = self.state(doc, record)
            if version != current.version:
                raise Conflict(current)
            new = SegmentState(status, version + 1, text, who, _now())
            self.db.execute("INSERT INTO review_segments VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(doc, seg) DO "
                            "UPDATE SET norm=excluded.norm, status=excluded.status, version=excluded.version, "
                            "text=excluded.text, who=excluded.who, updated=excluded.updated",
                            (doc, record["seg"], record["norm"], new.status, new.version, new.text, who, new.updated))
            if status != DRAFT:
                self._history(doc, record, new, who)
            if entry is not None or forget:
                self.memory.stage([entry] if entry is not None else [], [record["norm"]] if forget else [])
            return new

    def _history(self, doc: str, record: dict, new: SegmentState, who: str) -> None:
        seen = self.db.execute("SELECT COUNT(*) FROM review_history WHERE doc = ? AND seg = ?",
                               (doc, record["seg"])).fetchone()[0]
        if not seen and record["method"] != "memory":  # the run's English, the version every diff is against
            self.db.execute("INSERT INTO review_history (doc, seg, version, status, text, who, at, record) VALUES "
                            "(?, ?, 0, ?, ?, ?, ?, ?)", (doc, record["seg"], MACHINE, editable(record), "zhen translate",
                                                         new.updated, json.dumps(record, ensure_ascii=False)))
        self.db.execute("INSERT INTO review_history (doc, seg, version, status, text, who, at) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?)", (doc, record["seg"], new.version, new.status, new.text, who, new.updated))

    def history(self, doc: str, seg: int) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT version, status, text, who, at FROM review_history WHERE doc = ? AND "
                                   "seg = ? ORDER BY id", (doc, seg)).fetchall()
        return [{"version": v, "status": s, "text": t, "who": w, "at": a} for v, s, t, w, a in rows]

    def machine_record(self, doc: str, seg: int, norm: str) -> dict | None:
        """The run's record of the segment from before its first review, if this editor kept it."""
        with self.lock:
            row = self.db.execute("SELECT record FROM review_history WHERE doc = ? AND seg = ? AND status = ? "
                                  "AND record != '' ORDER BY id LIMIT 1", (doc, seg, MACHINE)).fetchone()
        record = json.loads(row[0]) if row else None
        return record if record is not None and record["norm"] == norm else None

    def confirmed_count(self, doc: str, records: list[dict]) -> int:
        return sum(s.status == CONFIRMED for s in self.states(doc, records))
