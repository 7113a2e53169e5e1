"""End to end through the library (rules only): rows, agents, findings, error rows, resume and outputs."""

from __future__ import annotations

import filecmp
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import ALL_INPUTS, FIXTURES, audit, spec_for

from tonecheck import Checker
from tonecheck.audit import AuditStore, InputSpec, Item
from tonecheck.audit.core import check_outcomes
from tonecheck.audit.report import FINDING_COLUMNS, MESSAGE_COLUMNS, highlight

EXPECTED_FINDINGS = {
    # key: [(rule_id, flagged text)]
    "mid:gmail-1@acme.example": [("blaming.already_told", "As I already told you")],
    "mid:outlook-1@acme.example": [("isolating.only_one", "You're the only person")],
    "mid:latin1-1@acme.example": [("blaming.should_have", "you should have read")],
    "mid:gmailhtml-1@acme.example": [("isolating.only_one", "You are the only customer")],
    "mid:outlook-html-1@acme.example": [("isolating.only_one", "You're the only person")],
    "id:T-1": [("blaming.already_told", "As I already told you")],
    "id:501": [("isolating.only_one", "You are the only one")],
}


def test_every_message_has_one_row(full_audit: dict[str, Any]) -> None:
    rows = full_audit["messages"]
    assert len(rows) == 19
    assert [r["ordinal"] for r in rows] == [str(i) for i in range(19)]
    assert sum(r["status"] == "ok" for r in rows) == 12
    assert sum(r["status"] == "error" for r in rows) == 7
    assert list(rows[0]) == list(MESSAGE_COLUMNS)


def test_error_rows_carry_their_reasons(full_audit: dict[str, Any]) -> None:
    summary = full_audit["summary"]
    assert summary["errors"] == 7
    assert summary["error_reasons"] == {
        "bad JSON: Expecting property name enclosed in double quotes": 1,
        "bad MIME: StartBoundaryNotFoundDefect": 1,
        "empty body after removing quotes and signature": 3,
        "not an mbox file: no 'From ' separator line at the start": 1,
        "undecodable bytes for charset 'utf-8'": 1,
    }
    broken = full_audit["by_key"]["mid:broken-1@acme.example"]
    assert (broken["status"], broken["verdict"], broken["findings"]) == ("error", "", "0")


def test_findings_point_into_the_stored_text(full_audit: dict[str, Any]) -> None:
    got: dict[str, list[tuple[str, str]]] = {}
    for f in full_audit["findings"]:
        got.setdefault(f["key"], []).append((f["rule_id"], f["text"]))
    assert got == EXPECTED_FINDINGS
    assert list(full_audit["findings"][0]) == list(FINDING_COLUMNS)
    with sqlite3.connect(full_audit["out"] / "audit.sqlite") as conn:
        for key, start, end, text in conn.execute('SELECT key, start, "end", text FROM findings'):
            (stored,) = conn.execute("SELECT text FROM messages WHERE key = ?", (key,)).fetchone()
            assert stored[start:end] == text


def test_quoted_customer_words_are_never_judged(full_audit: dict[str, Any]) -> None:
    # The Apple Mail reply quotes "As I already told you twice"; the Outlook one quotes it as well.
    apple = full_audit["by_key"]["mid:apple-1@acme.example"]
    assert (apple["verdict"], apple["findings"]) == ("ok", "0")
    assert not any("idiots" in f["text"] or "useless" in f["text"] for f in full_audit["findings"])


def test_agents_are_normalised_and_counted(full_audit: dict[str, Any]) -> None:
    agents = {a["agent"]: a for a in full_audit["summary"]["agents"]}
    assert set(agents) == {
        "(unknown)", "alex@acme.example", "jamie.lee@acme.example", "kim@acme.example", "ki",
        "pat.quinn@acme.example", "sam@acme.example",
    }
    counts = {k: (a["replies_audited"], a["errors"], a["with_findings"]) for k, a in agents.items()}
    assert counts == {
        "(unknown)": (0, 2, 0),
        "alex@acme.example": (2, 0, 2),
        "jamie.lee@acme.example": (2, 2, 2),
        "kim@acme.example": (3, 1, 0),
        "ki": (0, 1, 0),  # the truncated mbox message: "From: Ki" is all that is left of it
        "pat.quinn@acme.example": (2, 1, 2),
        "sam@acme.example": (3, 0, 1),
    }
    assert agents["jamie.lee@acme.example"]["name"] == "Jamie Lee"
    assert agents["jamie.lee@acme.example"]["findings_by_category"] == {"blaming": 2}
    assert agents["pat.quinn@acme.example"]["pct_with_findings"] == 100.0
    assert agents["sam@acme.example"]["pct_with_findings"] == pytest.approx(33.3)
    assert agents["alex@acme.example"]["mean_p_rude"] is None  # rules-only run: no tone


def test_summary_totals_and_file_agree(full_audit: dict[str, Any]) -> None:
    summary = full_audit["summary"]
    assert summary == full_audit["summary_file"]
    totals = (summary["messages"], summary["audited"], summary["with_findings"], summary["findings"])
    assert totals == (19, 12, 7, 7)
    assert summary["findings_by_category"]["blaming"] == 3
    assert summary["findings_by_category"]["isolating"] == 4
    assert summary["verdicts"] == {"ok": 5, "review": 7, "block": 0}
    assert summary["tone"] is None
    assert (summary["pack"], summary["tone_model"]) == ("default", "off")
    assert summary["worst"] == list(EXPECTED_FINDINGS)  # all "review" with one finding: input order breaks ties


def test_worst_replies_rank_more_findings_first(rules_checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": "one", "agent": "a@x.example", "body": "As I already told you, it ships today."}\n'
        '{"id": "two", "agent": "b@x.example", "body": "As I already told you, calm down. It ships today."}\n',
        encoding="utf-8",
    )
    result = audit(rules_checker, InputSpec((path,)), tmp_path / "out")
    assert [result["by_key"][k]["findings"] for k in ("id:one", "id:two")] == ["1", "2"]
    assert result["summary"]["worst"] == ["id:two", "id:one"]


def test_rerun_resumes_without_auditing_again(rules_checker: Checker, full_audit: dict[str, Any],
                                              tmp_path: Path) -> None:
    out = tmp_path / "again"
    out.mkdir()
    (out / "audit.sqlite").write_bytes((full_audit["out"] / "audit.sqlite").read_bytes())
    result = audit(rules_checker, spec_for(*ALL_INPUTS), out)
    assert (result["stats"].audited, result["stats"].errors, result["stats"].skipped) == (0, 0, 19)
    for name in ("messages.csv", "findings.csv", "summary.json", "report.html"):
        assert filecmp.cmp(out / name, full_audit["out"] / name, shallow=False), name


def test_same_message_in_two_inputs_is_audited_once(rules_checker: Checker, tmp_path: Path) -> None:
    result = audit(rules_checker, spec_for("eml", "eml/outlook-html.eml"), tmp_path)
    assert result["summary"]["messages"] == 2
    assert (result["stats"].audited, result["stats"].skipped) == (2, 1)


def test_batch_size_does_not_change_results(rules_checker: Checker, full_audit: dict[str, Any],
                                            tmp_path: Path) -> None:
    result = audit(rules_checker, spec_for(*ALL_INPUTS), tmp_path, batch_size=1)
    assert result["messages"] == full_audit["messages"]
    assert result["findings"] == full_audit["findings"]


def test_too_long_text_is_an_error_row(rules_checker: Checker, tmp_path: Path) -> None:
    small = Checker(replace(rules_checker.settings, max_chars=60), rules_checker.nlp, None)
    result = audit(small, spec_for("export.jsonl"), tmp_path)
    rows = result["by_key"]
    assert rows["id:502"]["status"] == "ok"  # 44 characters
    assert rows["id:501"]["status"] == "error"
    assert rows["id:501"]["error"] == "text is 69 characters long; the limit is 60"


def test_a_text_the_checker_rejects_costs_only_that_item(rules_checker: Checker) -> None:
    good = Item(key="a", source="s", text="As I already told you, it ships today.")
    bad = Item(key="b", source="s", text="   ")
    also_good = Item(key="c", source="s", text="Calm down, it ships today.")
    outcomes = check_outcomes([(0, good), (1, bad), (2, also_good)], rules_checker, None)
    assert [(o.item.key, o.ordinal) for o in outcomes] == [("a", 0), ("b", 1), ("c", 2)]
    assert outcomes[0].report is not None and outcomes[0].report.findings
    assert outcomes[1].report is None and outcomes[1].error == "rejected by checker: text is empty"
    assert outcomes[2].report is not None
    assert outcomes[2].report.to_dict() == rules_checker.check(also_good.text).to_dict()


def test_store_commits_each_batch(rules_checker: Checker, tmp_path: Path) -> None:
    from tonecheck.audit import RunOptions, run_audit

    seen: list[int] = []

    class CountingStore(AuditStore):
        def write_batch(self, outcomes: Any, pack: str) -> None:
            super().write_batch(outcomes, pack)
            with sqlite3.connect(self.path) as other:  # a second connection sees committed rows only
                seen.append(other.execute("SELECT COUNT(*) FROM messages").fetchone()[0])

    with CountingStore(tmp_path / "db.sqlite") as store:
        stats = run_audit(spec_for("sent.mbox", "eml"), rules_checker, store, RunOptions(batch_size=2))
    assert stats.batches == len(seen) >= 3
    assert seen == sorted(seen) and seen[-1] == 10


def test_report_escapes_mail_text(rules_checker: Checker, tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"id": "x1", "agent": "kim@acme.example", "body": "<script>alert(1)</script> As I already told you, '
        'no & never."}\n',
        encoding="utf-8",
    )
    result = audit(rules_checker, InputSpec((path,)), tmp_path / "out")
    page = result["html"]
    assert page.count("<script") == 1  # the report's own script only (test_audit_browser checks it)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<mark class="warning" title="blaming.already_told: ' in page


def test_highlight_marks_spans_and_skips_overlaps() -> None:
    spans = [
        {"start": 0, "end": 5, "severity": "error", "rule_id": "r1", "message": "m<1>"},
        {"start": 3, "end": 8, "severity": "warning", "rule_id": "r2", "message": "m2"},
        {"start": 8, "end": 10, "severity": "info", "rule_id": "r3", "message": "m3"},
    ]
    assert highlight("a<b>c d e&f", spans) == (
        '<mark class="error" title="r1: m&lt;1&gt;">a&lt;b&gt;c</mark> d <mark class="info" title="r3: m3">'
        "e&amp;</mark>f"
    )


def test_default_db_lives_in_out(full_audit: dict[str, Any]) -> None:
    assert (full_audit["out"] / "audit.sqlite").is_file()
    assert FIXTURES.is_dir()


def test_progress_bar_when_asked(rules_checker: Checker, tmp_path: Path) -> None:
    import io

    from tonecheck.audit import RunOptions, run_audit

    stream = io.StringIO()
    with AuditStore(tmp_path / "db.sqlite") as store:
        run_audit(spec_for("sent.mbox"), rules_checker, store, RunOptions(batch_size=4, progress=stream))
    shown = stream.getvalue()
    assert "auditing" in shown and "8/8" in shown and "msg/s" in shown


def test_resuming_with_another_pack_or_model_setting_is_refused(rules_checker: Checker, full_audit: dict[str, Any],
                                                               tmp_path: Path) -> None:
    from tonecheck.audit import RunOptions, run_audit
    from tonecheck.errors import InputError

    db = tmp_path / "audit.sqlite"
    db.write_bytes((full_audit["out"] / "audit.sqlite").read_bytes())
    with AuditStore(db) as store:
        store.conn.execute("UPDATE meta SET value = 'other' WHERE name = 'pack'")
        store.conn.commit()
        with pytest.raises(InputError, match="pack='other'"):
            run_audit(spec_for("eml"), rules_checker, store, RunOptions())
        assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 19
        rows = dict(store.conn.execute("SELECT name, value FROM meta"))
    assert rows["tone_model"] == "off"


def test_cp1252_metadata_reaches_the_store(rules_checker: Any, tmp_path: Path) -> None:
    """A cp1252 export ("José Peña" in the agent, subject and id columns) once crashed the audit in SQLite on
    every run; now every row is stored, the names decoded as Windows-1252, and an undecodable body is an error
    row that keeps its metadata."""
    path = tmp_path / "legacy.csv"
    path.write_bytes(
        b"id,agent,sent_at,subject,body\n"
        b"T-\xe91,Jos\xe9 Pe\xf1a,2026-03-01 \x96 09:00,R\xe9clamation,As I already told you, it ships Monday.\n"
        b"T-2,Jos\xe9 Pe\xf1a,2026-03-02,Hi,Caf\xe9 is closed.\n"
        b"T-3,Kim,2026-03-03,Hi,Thanks for waiting.\n"
    )
    out = tmp_path / "out"
    result = audit(rules_checker, InputSpec((path,)), out)
    rows = result["by_key"]
    assert set(rows) == {"id:T-\u00e91", "id:T-2", "id:T-3"}
    first = rows["id:T-\u00e91"]
    assert (first["agent"], first["agent_name"], first["subject"]) == ("josé peña", "José Peña", "Réclamation")
    assert first["status"] == "ok"
    assert first["sent_at"] == "2026-03-01 \u2013 09:00"
    assert [f["rule_id"] for f in result["findings"]] == ["blaming.already_told"]
    assert (rows["id:T-2"]["status"], rows["id:T-2"]["agent_name"]) == ("error", "José Peña")
    assert rows["id:T-2"]["error"] == "undecodable bytes (not UTF-8) in the reply text"
    again = audit(rules_checker, InputSpec((path,)), out)  # a rerun resumes instead of crashing at the row
    assert again["stats"].audited == 0 and len(again["messages"]) == 3
