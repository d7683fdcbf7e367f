"""Read reviewed aligned.xlsx / .tsv / .csv files, validate them whole, and plan the memory changes.

Tolerates what spreadsheets do: reordered or renamed-by-case columns, added note columns, deleted
rows, CSV saved with `;`. Refuses, naming file and row: unknown segment ids, a file from another
run, unknown decisions, a fix without English, an id twice.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ZhenError
from pipeline.formats import jsonl
from pipeline.formats.review_rows import DECISIONS, parse_segment_id
from pipeline.tables import Table, read_csv, read_xlsx
from pipeline.review.memory import Entry
from pipeline.verify import occurrences

ALIASES = {"id": ("id", "segment id", "segment", "seg id"),
           "reviewed_en": ("reviewed_en", "reviewed en", "reviewed english", "reviewed"),
           "decision": ("decision",), "run": ("run", "run id", "run_id")}
DECISION_WORDS = {"approve": "approve", "approved": "approve", "ok": "approve", "fix": "fix",
                  "fixed": "fix", "reject": "reject", "rejected": "reject"}


class ReviewError(ZhenError):
    """A review file that cannot be imported as it is."""


@dataclass
class Plan:
    upserts: list[Entry] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    proposals: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # accepted, but worth saying
    counts: dict[str, int] = field(default_factory=lambda: {"approve": 0, "fix": 0, "reject": 0, "unreviewed": 0})


def read_review_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path, preferred=("segments",))
    if suffix in (".xlf", ".xliff"):
        from pipeline.formats.xliff import read_review
        return read_review(path)
    return read_csv(path)


def _columns(table: Table) -> dict[str, str]:
    lowered = {h.strip().lower(): h for h in table.header}
    found = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in lowered:
                found[name] = lowered[alias]
                break
    missing = [n for n in ALIASES if n not in found]
    if missing:
        raise ReviewError(f"lacks column(s) {', '.join(missing)}; header is {', '.join(table.header)}",
                          path=table.path, line=1, hint="was the header row deleted or renamed?")
    return found


class _Outputs:
    """aligned.jsonl records and run ids of the translated documents, loaded on demand."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[str, tuple[str, list[dict]] | None] = {}

    def get(self, doc: str) -> tuple[str, list[dict]] | None:
        if doc not in self.cache:
            folder = self.root / doc
            try:
                manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                records = jsonl.read(folder / "aligned.jsonl")  # JSON lines end at \n only, never at U+2028
                self.cache[doc] = (manifest["run_id"], records)
            except (OSError, ValueError, KeyError):
                self.cache[doc] = None
        return self.cache[doc]


def _words(text: str) -> list[re.Match]:
    return list(re.finditer(r"\w+(?:['’-]\w+)*|[^\w\s]", text))


def proposed_rendering(record: dict, term: dict, reviewed: str) -> str:
    """What the reviewer wrote where the locked term stood, by aligning the two Englishes word by word."""
    before, after = _words(record["tgt"]), _words(reviewed)
    inside = [i for i, m in enumerate(before) if m.start() < term["tgt_end"] and m.end() > term["tgt_start"]]
    if not inside or not after:
        return ""
    lo, hi = inside[0], inside[-1] + 1
    new_lo = new_hi = None
    matcher = difflib.SequenceMatcher(None, [m.group() for m in before], [m.group() for m in after], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if new_lo is None and i1 <= lo < i2:
            new_lo = j1 + (lo - i1) if tag == "equal" else j1
        if i1 < hi <= i2:
            new_hi = j1 + (hi - i1) if tag == "equal" else j2
    if new_lo is None or new_hi is None or new_hi <= new_lo:
        return ""
    return reviewed[after[new_lo].start():after[new_hi - 1].end()]


def term_proposals(record: dict, reviewed: str, where: str) -> list[dict]:
    out = []
    for term in record["terms"]:
        if term["status"] != "locked" or term.get("action") == "keep" or occurrences(reviewed, term["tgt"], singular_too=True):
            continue
        out.append({"id": term["id"], "zh": term["src"], "en": proposed_rendering(record, term, reviewed),
                    "current_en": term.get("approved", term["tgt"]), "status": "proposed",
                    "note": f"reviewer changed the rendering in {where}: {reviewed!r}", "source": where})
    return out


def plan_import(paths: list[Path], outputs: Path) -> Plan:
    plan = Plan()
    known = _Outputs(outputs)
    seen: dict[str, str] = {}
    for path in paths:
        table = read_review_table(path)
        columns = _columns(table)
        for row_number, cells in table.rows:
            where = f"{table.path}:{row_number}"
            raw_id = cells[columns["id"]].strip()
            decision = cells[columns["decision"]].strip().lower()
            reviewed = cells[columns["reviewed_en"]].strip()
            if not decision and not reviewed or decision == "xliff:draft" and not reviewed:
                plan.counts["unreviewed"] += 1
                continue
            parsed = parse_segment_id(raw_id)
            loaded = known.get(parsed[0]) if parsed else None
            if parsed is None or loaded is None or parsed[1] >= len(loaded[1]):
                plan.errors.append(f"{where}: unknown segment id {raw_id!r} (no such segment under {outputs})")
                continue
            run_id, records = loaded
            if cells[columns["run"]].strip() != run_id:
                plan.errors.append(f"{where}: from another run: the file says run {cells[columns['run']]!r}, "
                                   f"{outputs / parsed[0]} is run {run_id!r}; export a fresh sheet")
                continue
            if raw_id in seen:
                plan.errors.append(f"{where}: segment {raw_id} also appears at {seen[raw_id]}")
                continue
            seen[raw_id] = where
            if decision.startswith("xliff:"):  # a CAT tool's state: a changed target is a fix
                machine = records[parsed[1]]["tgt"]
                decision = "fix" if reviewed != machine else "approve" if decision == "xliff:final" else ""
                if not decision:
                    plan.counts["unreviewed"] += 1
                    continue
            decided = DECISION_WORDS.get(decision)
            if decided is None:
                plan.errors.append(f"{where}: decision {decision!r} is not one of {', '.join(DECISIONS)}")
                continue
            if decided == "fix" and not reviewed:
                plan.errors.append(f"{where}: decision 'fix' needs the corrected English in reviewed_en")
                continue
            if decided == "fix" and reviewed == records[parsed[1]]["tgt"]:
                plan.notes.append(f"{where}: 'fix' with the machine's own English: taken as an approval")
                decided = "approve"
            if decided == "approve" and reviewed and reviewed != records[parsed[1]]["tgt"]:
                plan.errors.append(f"{where}: 'approve' with a different reviewed_en: use 'fix' to change it")
                continue
            record = records[parsed[1]]
            plan.counts[decided] += 1
            if decided == "reject":
                plan.deletions.append(record["norm"])
                continue
            english = reviewed if decided == "fix" else record["tgt"]
            plan.upserts.append(Entry(record["norm"], record["src"], english, decided, raw_id, run_id, str(path)))
            if decided == "fix":
                plan.proposals += term_proposals(record, english, raw_id)
    return plan
