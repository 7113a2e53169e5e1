"""The audit's SQLite store: written batch by batch, so a killed audit loses at most the batch in flight.

One row per message in ``messages`` (audited or error), one row per finding in ``findings``. A message's
``key`` (Message-ID, else export id, else content hash) is the primary key: a restart skips every key already
stored as ``ok``, so nothing is audited twice; an ``error`` row is tried again and replaced when the new attempt
gives another result. ``ordinal`` is the message's position in the input stream; reports sort
by it, so an interrupted-then-resumed audit writes the same files as an uninterrupted one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..report import Report
from .sources import Item

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    key TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL,
    source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    agent TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    error TEXT,
    pack TEXT,
    text TEXT NOT NULL,
    verdict TEXT,
    tone_label TEXT,
    p_polite REAL,
    p_neutral REAL,
    p_rude REAL,
    n_findings INTEGER NOT NULL DEFAULT 0,
    report_json TEXT
);
CREATE INDEX IF NOT EXISTS messages_ordinal ON messages (ordinal);
CREATE TABLE IF NOT EXISTS findings (
    key TEXT NOT NULL REFERENCES messages (key),
    idx INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    message TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    finding_source TEXT NOT NULL DEFAULT 'rule',
    score REAL,
    PRIMARY KEY (key, idx)
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL REFERENCES messages (key),
    target TEXT NOT NULL CHECK (target IN ('finding', 'verdict')),
    idx INTEGER,
    rule_id TEXT,
    category TEXT,
    verdict TEXT,
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    why TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_key ON feedback (key);
"""
# Columns added after the first release: (table, column, declaration). A database made before them gets them on
# open, so an audit started with an older tonecheck still resumes.
_ADDED_COLUMNS = (
    ("findings", "finding_source", "TEXT NOT NULL DEFAULT 'rule'"),
    ("findings", "score", "REAL"),
)


@dataclass(frozen=True)
class Outcome:
    """What to store for one item: its report, or the error that replaced it."""

    item: Item
    ordinal: int
    report: Report | None = None
    error: str | None = None
    replaces_error: bool = False  # the key is stored as an error row: replace that row (and any findings)


@dataclass(frozen=True)
class Mark:
    """One dispute: a finding (``target`` "finding", ``idx`` its index in the message) or a verdict marked wrong."""

    key: str
    target: str
    marked_by: str
    marked_at: str
    why: str
    idx: int | None = None
    rule_id: str | None = None
    category: str | None = None
    verdict: str | None = None


class AuditStore:
    """A thin wrapper over one sqlite3 connection; the only code that writes the audit database."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(str(path), timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")  # readers (reports, tests) never block the writer
        self.conn.execute("PRAGMA synchronous=NORMAL")
        with self.conn:
            self.conn.executescript(_SCHEMA)
            for table, column, declaration in _ADDED_COLUMNS:
                present = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def bind(self, settings: dict[str, str]) -> None:
        """Record what the results depend on (pack, tone model) at the first run; refuse to mix later.

        Resuming with another pack or with the model switched would silently mix two kinds of result in one
        report, so it is an InputError (exit 2) that names the stored value.
        """
        with self.conn:
            for name, value in settings.items():
                row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
                if row is None:
                    self.conn.execute("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))
                elif row[0] != value:
                    raise InputError(
                        f"{self.path}: this database holds an audit with {name}={row[0]!r}, not {value!r}; "
                        "use the same options to resume, or another --db / --out for a new audit"
                    )

    def settings(self) -> dict[str, str]:
        """What bind() recorded (pack, tone_model), for the summary."""
        rows = self.conn.execute("SELECT name, value FROM meta WHERE name != 'schema_version' ORDER BY name")
        return dict(rows.fetchall())

    def known_keys(self) -> set[str]:
        """Every key already stored (ok and error rows)."""
        return {row[0] for row in self.conn.execute("SELECT key FROM messages")}

    def stored_errors(self) -> dict[str, str]:
        """Key → reason of every error row: a rerun tries these again (ok rows are skipped)."""
        return dict(self.conn.execute("SELECT key, COALESCE(error, '') FROM messages WHERE status = 'error'"))

    def write_batch(self, outcomes: Sequence[Outcome], pack: str) -> None:
        """Store a batch in one transaction: after a kill, a batch is either all there or not at all."""
        with self.conn:
            for outcome in outcomes:
                self._insert(outcome, pack)

    def _insert(self, outcome: Outcome, pack: str) -> None:
        item, report = outcome.item, outcome.report
        error = outcome.error if report is None else None
        tone = report.tone if report is not None else None
        scores = tone.scores if tone is not None else {}
        if outcome.replaces_error:
            self.conn.execute(
                "DELETE FROM findings WHERE key IN (SELECT key FROM messages WHERE key = ? AND status = 'error')",
                (item.key,),
            )
            self.conn.execute("DELETE FROM messages WHERE key = ? AND status = 'error'", (item.key,))
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO messages (key, ordinal, source, message_id, agent, agent_name, sent_at,"
            " subject, status, error, pack, text, verdict, tone_label, p_polite, p_neutral, p_rude,"
            " n_findings, report_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.key, outcome.ordinal, item.source, item.message_id, item.agent, item.agent_name,
                item.sent_at, item.subject, "ok" if report is not None else "error", error, pack,
                item.text, report.verdict if report else None, tone.label if tone else None,
                _round(scores.get("polite")), _round(scores.get("neutral")), _round(scores.get("rude")),
                len(report.findings) if report else 0,
                json.dumps(report.to_dict(), ensure_ascii=False) if report else None,
            ),
        )
        if cur.rowcount == 0 or report is None:
            return
        self.conn.executemany(
            'INSERT INTO findings (key, idx, rule_id, category, severity, start, "end", text, message,'
            " suggestions, finding_source, score)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (item.key, i, f.rule_id, f.category, f.severity, f.start, f.end, f.text, f.message,
                 json.dumps(f.suggestions, ensure_ascii=False), f.source, _round(f.score))
                for i, f in enumerate(report.findings)
            ],
        )

    # ----------------------------------------------------------------- feedback (tonecheck audit review)

    def add_mark(self, mark: Mark) -> int:
        """Store one dispute (a finding or a verdict marked as wrong) and return its id. Only the key, the
        finding's index, its rule and category or the verdict, and who/when/why are kept: no mail text."""
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO feedback (key, target, idx, rule_id, category, verdict, marked_by, marked_at, why)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (mark.key, mark.target, mark.idx, mark.rule_id, mark.category, mark.verdict, mark.marked_by,
                 mark.marked_at, mark.why),
            )
        return int(cur.lastrowid or 0)

    def withdraw_mark(self, mark_id: int) -> bool:
        """Delete one dispute by id; False when there is none with that id."""
        with self.conn:
            return self.conn.execute("DELETE FROM feedback WHERE id = ?", (mark_id,)).rowcount > 0

    def marks(self) -> Iterator[dict[str, Any]]:
        """Every dispute with its message's ordinal, source, message id, agent and send date, in the order made."""
        yield from self._rows(
            "SELECT f.id, f.marked_at, f.marked_by, f.why, f.target, f.key, m.ordinal, m.source, m.message_id,"
            " m.agent, m.sent_at, f.idx, f.rule_id, f.category, f.verdict"
            " FROM feedback f JOIN messages m USING (key) ORDER BY f.id"
        )

    # ----------------------------------------------------------------- reading, for the report

    def messages(self) -> Iterator[dict[str, Any]]:
        """All message rows in input order."""
        yield from self._rows("SELECT * FROM messages ORDER BY ordinal, key")

    def findings(self) -> Iterator[dict[str, Any]]:
        """All findings with their message's agent, source and send date, in input order."""
        yield from self._rows(f"{_FINDINGS} ORDER BY m.ordinal, f.key, f.idx")

    def findings_of(self, key: str) -> list[dict[str, Any]]:
        """One message's findings, as :meth:`findings` gives them (the primary key makes this an index lookup)."""
        return list(self._rows(f"{_FINDINGS} WHERE f.key = ? ORDER BY f.idx", (key,)))

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))


_FINDINGS = ("SELECT m.ordinal, m.source, m.message_id, m.agent, m.sent_at, f.*"
             " FROM findings f JOIN messages m USING (key)")


def _round(value: float | None) -> float | None:
    """Scores are stored at report precision, so CSVs of a resumed run match an uninterrupted one exactly."""
    return None if value is None else round(float(value), 4)
