"""Disputes and feedback (``tonecheck audit review``), coaching pages and per-agent trends, on real rules-only
audits of the fixture mail, run through ``tonecheck.cli.main`` as a user would."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from audit_helpers import CLI_FIELD_ARGS, FIXTURES, read_outputs

from tonecheck import load_settings
from tonecheck.audit.feedback import FEEDBACK_COLUMNS
from tonecheck.cli import Environment, main

GMAIL = "mid:gmail-1@acme.example"  # jamie.lee: review, one finding (blaming.already_told)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=out, stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=False))
    return main(argv, env), out.getvalue(), err.getvalue()


def audit_cli(out: Path, *extra: str) -> dict[str, Any]:
    inputs = [str(FIXTURES / n) for n in ("sent.mbox", "eml", "export.csv", "export.jsonl")]
    code, _, err = run(["audit", *inputs, "--out", str(out), *CLI_FIELD_ARGS, *extra])
    assert code == 0, err
    return read_outputs(out)


def feedback_rows(out: Path) -> list[dict[str, str]]:
    with (out / "feedback.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("feedback") / "out"
    return {"out": out, **audit_cli(out)}


def test_a_fresh_audit_has_an_empty_feedback_csv(audited: dict[str, Any]) -> None:
    assert (audited["out"] / "feedback.csv").read_text("utf-8").strip() == ",".join(FEEDBACK_COLUMNS)
    fb = audited["summary_file"]["feedback"]
    assert (fb["marks"], fb["findings_disputed"], fb["verdicts_disputed"]) == (0, 0, {"review": 0, "block": 0})
    assert all(f["disputed"] == "0" for f in audited["findings"])
    assert {f["finding"] for f in audited["findings"] if f["key"] == GMAIL} == {"1"}


def test_disputes_leave_the_counts_are_exported_and_can_be_withdrawn(audited: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in ("audit.sqlite", "summary.json"):
        (out / name).write_bytes((audited["out"] / name).read_bytes())
    before = audited["summary_file"]
    review_keys = [m["key"] for m in audited["messages"] if m["verdict"] == "review" and m["key"] != GMAIL]
    other = review_keys[0]
    other_agent = audited["by_key"][other]["agent"]

    code, _, err = run(["audit", "review", str(out), "--message", GMAIL, "--finding", "1",
                        "--by", "Dana (QA)", "--why", "=quoting the customer's ticket, not blaming"])
    assert code == 0, err
    assert f"mark 1 stored: finding 1 of {GMAIL} disputed by Dana (QA)" in err
    code, _, err = run(["audit", "review", str(out), "--message", other, "--verdict", "--by", "rep",
                        "--why", "a plain status update"])
    assert code == 0, err

    after = read_outputs(out)
    s = after["summary_file"]
    # the disputed finding is out of every finding count...
    assert s["findings"] == before["findings"] - 1
    assert s["findings_by_category"]["blaming"] == before["findings_by_category"]["blaming"] - 1
    jamie_before = next(a for a in before["agents"] if a["agent"] == "jamie.lee@acme.example")
    jamie = next(a for a in s["agents"] if a["agent"] == "jamie.lee@acme.example")
    assert jamie["findings"] == jamie_before["findings"] - 1
    # ...and the disputed verdict counts as ok: review, flagged and the agent's figures drop by one
    assert s["verdicts"]["review"] == before["verdicts"]["review"] - 1
    assert s["verdicts"]["ok"] == before["verdicts"]["ok"] + 1
    assert s["flagged"] == before["flagged"] - 1 and s["audited"] == before["audited"]
    agent = next(a for a in s["agents"] if a["agent"] == other_agent)
    agent_before = next(a for a in before["agents"] if a["agent"] == other_agent)
    assert agent["flagged"] == agent_before["flagged"] - 1
    assert sum(p["flagged"] for p in s["trend"]["periods"]) == s["flagged"]

    fb = s["feedback"]
    assert (fb["marks"], fb["findings_disputed"], fb["verdicts_disputed"]) == (2, 1, {"review": 1, "block": 0})
    assert fb["by_rule"]["blaming.already_told"]["disputed"] == 1
    assert list(fb["by_rule"])[0] == "blaming.already_told"  # the most disputed rule leads
    assert fb["by_category"]["blaming"]["disputed"] == 1
    assert fb["by_category"]["blaming"]["findings"] == before["findings_by_category"]["blaming"]

    rows = feedback_rows(out)
    assert list(rows[0]) == list(FEEDBACK_COLUMNS)
    first, second = rows
    assert (first["id"], first["target"], first["key"], first["finding"], first["rule_id"], first["category"],
            first["severity"], first["text"], first["marked_by"], first["verdict"]) == (
        "1", "finding", GMAIL, "1", "blaming.already_told", "blaming", "warning", "As I already told you",
        "Dana (QA)", "review")
    assert first["why"] == "'=quoting the customer's ticket, not blaming"  # the CSV formula guard applies
    assert first["agent"] == "jamie.lee@acme.example" and first["marked_at"].endswith("Z")
    assert (second["target"], second["key"], second["finding"], second["why"]) == (
        "verdict", other, "", "a plain status update")

    gmail = after["by_key"][GMAIL]
    assert (gmail["findings"], gmail["disputed_findings"], gmail["verdict_disputed"]) == ("0", "1", "0")
    assert after["by_key"][other]["verdict_disputed"] == "1" and after["by_key"][other]["verdict"] == "review"
    disputed = [f for f in after["findings"] if f["disputed"] == "1"]
    assert [(f["key"], f["finding"]) for f in disputed] == [(GMAIL, "1")]
    assert len(after["findings"]) == len(audited["findings"])  # the row stays, marked

    doc = lxml.html.fromstring(after["html"])
    assert doc.xpath("//table[@id='feedback-rules']//td[1]/text()")[0] == "blaming.already_told"
    assert doc.xpath(f"//div[@data-key='{GMAIL}']//li[@class='disputed']")
    cards = doc.xpath(f"//div[@data-key='{other}']")  # in the worst list and under its agent
    assert cards and all("verdict disputed, counted as ok" in c.text_content() for c in cards)

    code, listing, _ = run(["audit", "review", str(out), "--list"])
    assert code == 0
    lines = listing.splitlines()
    assert lines[0].split("\t")[:4] == ["id", "marked_at", "marked_by", "target"]
    assert lines[1].split("\t")[2:6] == ["Dana (QA)", "finding", GMAIL, "1"]

    code, _, err = run(["audit", "review", str(out), "--withdraw", "2"])
    assert code == 0, err
    s = read_outputs(out)["summary_file"]
    assert s["verdicts"] == {**before["verdicts"], "review": before["verdicts"]["review"]}
    assert s["feedback"]["marks"] == 1 and len(feedback_rows(out)) == 1


def test_the_store_keeps_no_mail_text_for_a_mark(audited: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "audit.sqlite").write_bytes((audited["out"] / "audit.sqlite").read_bytes())
    code, _, err = run(["audit", "review", str(out), "--message", GMAIL, "--finding", "1", "--by", "a",
                        "--why", "b", "--no-update"])
    assert code == 0, err
    with sqlite3.connect(out / "audit.sqlite") as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(feedback)")]
        row = conn.execute("SELECT * FROM feedback").fetchone()
    assert columns == ["id", "key", "target", "idx", "rule_id", "category", "verdict", "marked_by", "marked_at",
                       "why"]
    assert row[:7] == (1, GMAIL, "finding", 0, "blaming.already_told", "blaming", "review")
    assert not (out / "report.html").exists()  # --no-update writes nothing but the mark


@pytest.mark.parametrize(("args", "message"), [
    (["--message", "mid:nope", "--verdict"], "no message with key 'mid:nope'"),
    (["--message", GMAIL, "--finding", "7"], "no finding 7 (the reply has 1)"),
    (["--message", GMAIL], "say what is wrong: --finding N or --verdict"),
])
def test_bad_marks_are_usage_errors(audited: dict[str, Any], args: list[str], message: str) -> None:
    code, _, err = run(["audit", "review", str(audited["out"]), *args, "--by", "a", "--why", "b"])
    assert code == 2 and message in err


def test_an_ok_verdict_cannot_be_disputed_and_who_and_why_are_required(audited: dict[str, Any]) -> None:
    ok = next(m["key"] for m in audited["messages"] if m["verdict"] == "ok")
    code, _, err = run(["audit", "review", str(audited["out"]), "--message", ok, "--verdict", "--by", "a",
                        "--why", "b"])
    assert code == 2 and "only a review or block verdict can be disputed" in err
    code, _, err = run(["audit", "review", str(audited["out"]), "--message", GMAIL, "--finding", "1"])
    assert code == 2 and "a mark needs --by, --why" in err
    code, _, err = run(["audit", "review", str(audited["out"].parent / "missing"), "--list"])
    assert code == 2 and "no audit store here" in err


def test_each_agent_has_a_trend_on_the_audits_periods(audited: dict[str, Any]) -> None:
    s = audited["summary_file"]
    periods = [p["period"] for p in s["trend"]["periods"]]
    for agent in s["agents"]:
        assert [p["period"] for p in agent["trend"]] == periods
        assert sum(p["flagged"] for p in agent["trend"]) == agent["flagged"]
    doc = lxml.html.fromstring(audited["html"])
    jamie = doc.xpath("//details[contains(@data-search, 'jamie.lee@acme.example')]")[0]
    (table,) = jamie.xpath(".//table[@class='agent-trend']")
    assert [th.text_content() for th in table.xpath(".//th")][1:] == periods


def test_coaching_pages_are_per_agent_and_escape_mail(tmp_path: Path) -> None:
    rows = [
        {"id": "h1", "agent": "Eve <x>/../evil@acme.example", "sent_at": "2026-04-01",
         "body": "As I already told you, <script>alert(1)</script> & <img src=x onerror=alert(2)>"},
        {"id": "h2", "agent": "ok@acme.example", "sent_at": "2026-04-02", "body": "Thanks, it ships Monday."},
    ]
    export = tmp_path / "x.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, _, err = run(["audit", str(export), "--out", str(tmp_path / "out"), "--coaching"])
    assert code == 0, err
    pages = sorted(p.name for p in (tmp_path / "out" / "coaching").iterdir())
    assert len(pages) == 2 and "ok@acme.example.html" in pages
    evil = next(p for p in pages if p != "ok@acme.example.html")
    assert "_evil@acme.example-" in evil and ".." not in evil and "/" not in evil  # no path from the address
    text = (tmp_path / "out" / "coaching" / evil).read_text("utf-8")
    assert "<script>" not in text and "<img" not in text and "&lt;script&gt;" in text
    doc = lxml.html.fromstring(text)
    assert doc.xpath("//mark")[0].text_content() == "As I already told you"
    assert "To recap:" in doc.text_content()  # the rule's suggestions
    assert doc.xpath("//table[@id='trend']//tr")
    assert "script-src" not in doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    ok = (tmp_path / "out" / "coaching" / "ok@acme.example.html").read_text("utf-8")
    assert "Nothing flagged" in ok
    without = tmp_path / "plain"
    assert run(["audit", str(export), "--out", str(without)])[0] == 0
    assert not (without / "coaching").exists()  # only with --coaching
