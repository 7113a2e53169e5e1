"""report.html as a QA lead's triage page, and the period filter and baseline comparison (real audits, rules only
unless a test needs the tone model). The HTML is read with lxml, as a browser would see its elements."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from audit_helpers import CLI_FIELD_ARGS, FIXTURES, audit, read_outputs

from tonecheck import Checker, Settings, load_settings
from tonecheck.audit import AuditStore, InputSpec, write_outputs
from tonecheck.audit.report import WORST_SHOWN, Period
from tonecheck.cli import Environment, main
from tonecheck.errors import InputError

FIXTURE_DAYS = ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]


def page(result: dict[str, Any]) -> Any:
    return lxml.html.fromstring(result["html"])


def tile(doc: Any, name: str) -> str:
    (b,) = doc.xpath(f"//div[@id='tile-{name}']/b")
    return b.text_content()


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> InputSpec:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return InputSpec((path,))


def test_tiles_count_review_block_and_flagged(full_audit: dict[str, Any]) -> None:
    summary, doc = full_audit["summary"], page(full_audit)
    assert summary["verdicts"] == {"ok": 5, "review": 7, "block": 0}
    assert (summary["flagged"], summary["pct_flagged"]) == (7, 58.3)
    assert summary["pct_verdicts"] == {"ok": 41.7, "review": 58.3, "block": 0.0}
    assert tile(doc, "flagged") == "7 · 58.3%"
    assert tile(doc, "review") == "7 · 58.3%"
    assert tile(doc, "block") == "0 · 0.0%"
    assert tile(doc, "ok") == "5 · 41.7%"
    assert summary["statuses"] == {"error": 7, "ok": 12}
    assert summary["thresholds"] == {"review_rude": Settings.review_rude, "block_rude": Settings.block_rude}
    assert full_audit["summary_file"] == summary


def test_agent_table_has_verdict_columns_sticky_names_and_worst_agents_first(full_audit: dict[str, Any]) -> None:
    doc = page(full_audit)
    heads = [th.text_content() for th in doc.xpath("//table[@id='agents']/thead/tr/th")]
    assert heads[:7] == ["agent", "name", "replies audited", "errors", "review", "block", "% flagged"]
    assert "sortable" in doc.xpath("//table[@id='agents']/@class")[0]
    rows = doc.xpath("//table[@id='agents']/tbody/tr")
    assert all("sticky" in r.xpath("td")[0].get("class") for r in rows)
    agents = {a["agent"]: a for a in full_audit["summary"]["agents"]}
    shown = [r.xpath("td")[0].text_content() for r in rows]
    reviews = [agents[a]["verdicts"]["review"] for a in shown]
    assert reviews == sorted(reviews, reverse=True)  # no blocks here: most reviews first
    jamie = rows[shown.index("jamie.lee@acme.example")]
    cells = [td.text_content() for td in jamie.xpath("td")]
    assert cells[2:7] == ["2", "2", "2", "0", "100.0%"]
    assert jamie.get("data-flagged") == "2" and "jamie lee" in jamie.get("data-search")
    assert agents["jamie.lee@acme.example"]["pct_flagged"] == 100.0
    # the sort key is in data-v: a number, or empty for "—" (sorted last)
    assert [td.get("data-v") for td in jamie.xpath("td")[2:7]] == ["2", "2", "2", "0", "100.0"]


def test_every_flagged_reply_is_reachable_under_its_agent(rules_checker: Checker, tmp_path: Path) -> None:
    rows = [
        {"id": f"r{i}", "agent": f"agent{i % 3}@acme.example", "sent_at": "2026-04-01",
         "body": f"As I already told you, order {i} ships Monday."}
        for i in range(33)
    ]
    result = audit(rules_checker, write_jsonl(tmp_path / "many.jsonl", rows), tmp_path / "out", batch_size=8)
    doc = page(result)
    assert len(doc.xpath("//div[@id='worst']/div[@class='reply']")) == WORST_SHOWN
    groups = doc.xpath("//div[@id='by-agent']/details")
    assert len(groups) == 3
    reachable = {card.get("data-key") for card in doc.xpath("//div[@id='by-agent']//div[@class='reply']")}
    assert reachable == {f"id:r{i}" for i in range(33)}
    for group in groups:  # the agent table links each flagged agent to its group
        assert doc.xpath(f"//table[@id='agents']//a[@href='#{group.get('id')}']")
    card = doc.xpath("//div[@id='by-agent']//div[@data-key='id:r0']")[0]
    assert (card.get("data-verdict"), card.get("data-categories"), card.get("data-model-only")) == (
        "review", " blaming ", "0")
    assert card.xpath(".//mark")[0].text_content() == "As I already told you"


def test_messages_csv_carries_the_judged_text(full_audit: dict[str, Any]) -> None:
    rows = full_audit["by_key"]
    with sqlite3.connect(full_audit["out"] / "audit.sqlite") as conn:
        stored = dict(conn.execute("SELECT key, text FROM messages"))
    assert {k: r["text"] for k, r in rows.items()} == stored
    gmail = rows["mid:gmail-1@acme.example"]
    assert "As I already told you" in gmail["text"] and "wrote:" not in gmail["text"]
    assert list(gmail).index("text") == 19 and int(gmail["chars"]) == len(gmail["text"])  # columns only grow


def test_trend_has_one_period_per_send_day(full_audit: dict[str, Any]) -> None:
    trend = full_audit["summary"]["trend"]
    assert trend["bucket"] == "day"
    assert [p["period"] for p in trend["periods"]] == FIXTURE_DAYS
    assert sum(p["audited"] for p in trend["periods"]) + trend["undated"] == full_audit["summary"]["audited"]
    assert sum(p["flagged"] for p in trend["periods"]) == 7 and trend["undated"] == 0
    by_day = {p["period"]: p for p in trend["periods"]}
    assert (by_day["2026-03-04"]["audited"], by_day["2026-03-04"]["review"]) == (2, 2)
    assert by_day["2026-03-04"]["pct_flagged"] == 100.0
    doc = page(full_audit)
    assert len(doc.xpath("//table[@id='trend']/tbody/tr")) == len(FIXTURE_DAYS)
    points = doc.xpath("//figure[@id='chart-trend']//*[local-name()='g'][@id='trend-flagged']//*[local-name()='use']")
    assert len(points) == len(FIXTURE_DAYS)  # one marker per period of the fixture data


def test_trend_uses_weeks_over_a_longer_span(rules_checker: Checker, tmp_path: Path) -> None:
    days = ["2026-01-05", "2026-01-07", "2026-01-21", "2026-02-16", "2026-03-01"]
    rows = [{"id": str(i), "agent": "kim@acme.example", "sent_at": f"{d}T09:00:00Z",
             "body": "As I already told you, it ships." if i % 2 else "Thanks, it ships today."}
            for i, d in enumerate(days)]
    result = audit(rules_checker, write_jsonl(tmp_path / "t.jsonl", rows), tmp_path / "out")
    trend = result["summary"]["trend"]
    assert trend["bucket"] == "week"
    weeks = [p["period"] for p in trend["periods"]]
    assert weeks[0] == "2026-01-05" and weeks[-1] == "2026-02-23" and len(weeks) == 8  # Mondays, gaps kept
    assert [p["audited"] for p in trend["periods"]] == [2, 0, 1, 0, 0, 0, 1, 1]
    assert trend["periods"][0]["pct_flagged"] == 50.0 and trend["periods"][1]["pct_flagged"] is None


def test_period_limits_every_output(full_audit: dict[str, Any], tmp_path: Path) -> None:
    with AuditStore(full_audit["out"] / "audit.sqlite") as store:
        summary = write_outputs(store, tmp_path / "late", period=Period("2026-03-05", "2026-03-06"))
    late = read_outputs(tmp_path / "late")
    assert {m["key"] for m in late["messages"]} == {"id:T-1", "id:T-2", "id:T-3", "id:501", "id:502"}
    assert {f["key"] for f in late["findings"]} == {"id:T-1", "id:501"}
    assert summary["period"] == {"since": "2026-03-05", "until": "2026-03-06", "outside": 14}
    assert [p["period"] for p in summary["trend"]["periods"]] == ["2026-03-05", "2026-03-06"]
    assert (summary["audited"], summary["errors"], summary["flagged"]) == (4, 1, 2)
    assert "2026-03-05" in lxml.html.fromstring(late["html"]).xpath("//p[@id='period']")[0].text_content()
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        Period("March")
    with pytest.raises(InputError, match="after"):
        Period("2026-03-06", "2026-03-05")


def test_baseline_comparison_per_verdict_category_and_agent(full_audit: dict[str, Any], tmp_path: Path) -> None:
    with AuditStore(full_audit["out"] / "audit.sqlite") as store:
        write_outputs(store, tmp_path / "early", period=Period(until="2026-03-04"))
        summary = write_outputs(store, tmp_path / "late", period=Period(since="2026-03-05"),
                                baseline=tmp_path / "early")
    c = summary["compare"]
    assert c["baseline"] == str(tmp_path / "early")
    assert c["baseline_period"]["until"] == "2026-03-04"
    assert c["totals"]["audited"] == {"before": 8, "after": 4, "change": -4}
    assert c["totals"]["flagged"] == {"before": 5, "after": 2, "change": -3}
    assert c["totals"]["pct_flagged"] == {"before": 62.5, "after": 50.0, "change": -12.5}
    assert c["verdicts"]["review"] == {"before": 5, "after": 2, "change": -3}
    assert c["findings_by_category"]["isolating"] == {"before": 3, "after": 1, "change": -2}
    assert c["findings_by_category"]["blaming"] == {"before": 2, "after": 1, "change": -1}
    agents = {a["agent"]: a for a in c["agents"]}
    assert agents["alex@acme.example"]["pct_flagged"] == {"before": 100.0, "after": 100.0, "change": 0.0}
    assert agents["jamie.lee@acme.example"]["replies_audited"] == {"before": 1, "after": 1, "change": 0}
    doc = lxml.html.fromstring((tmp_path / "late" / "report.html").read_text("utf-8"))
    assert len(doc.xpath("//table[@id='compare-agents']/tbody/tr")) == len(c["agents"])
    # a summary.json written before pct_flagged existed still compares (rate from its verdicts)
    old = json.loads((tmp_path / "early" / "summary.json").read_text("utf-8"))
    for key in ("pct_flagged", "flagged", "pct_verdicts", "trend", "period"):
        old.pop(key)
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    with AuditStore(full_audit["out"] / "audit.sqlite") as store:
        again = write_outputs(store, tmp_path / "late2", period=Period(since="2026-03-05"),
                              baseline=tmp_path / "old.json")
    assert again["compare"]["totals"]["pct_flagged"] == c["totals"]["pct_flagged"]
    with AuditStore(full_audit["out"] / "audit.sqlite") as store, pytest.raises(InputError, match="summary.json"):
        write_outputs(store, tmp_path / "x", baseline=tmp_path / "nowhere")


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=False))
    return main(argv, env), err.getvalue()


def test_cli_period_and_baseline(tmp_path: Path) -> None:
    inputs = [str(FIXTURES / "sent.mbox"), str(FIXTURES / "export.csv"), str(FIXTURES / "export.jsonl")]
    db = str(tmp_path / "all.sqlite")
    code, _ = _cli(["audit", *inputs, "--db", db, "--out", str(tmp_path / "march-3-4"), "--until", "2026-03-04",
                    *CLI_FIELD_ARGS])
    assert code == 0
    code, _ = _cli(["audit", *inputs, "--db", db, "--out", str(tmp_path / "march-5-6"), "--since", "2026-03-05",
                    "--baseline", str(tmp_path / "march-3-4"), *CLI_FIELD_ARGS])
    assert code == 0
    summary = json.loads((tmp_path / "march-5-6" / "summary.json").read_text("utf-8"))
    assert summary["period"]["since"] == "2026-03-05"
    assert summary["compare"]["totals"]["audited"]["before"] > 0
    code, err = _cli(["audit", *inputs, "--out", str(tmp_path / "bad"), "--since", "5 March"])
    assert code == 2 and "YYYY-MM-DD" in err
    code, err = _cli(["audit", *inputs, "--out", str(tmp_path / "bad"), "--baseline", str(tmp_path / "none")])
    assert code == 2 and "summary.json" in err and not (tmp_path / "bad" / "audit.sqlite").exists()


def test_hostile_agent_and_subject_stay_text(rules_checker: Checker, tmp_path: Path) -> None:
    evil = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    rows = [{"id": "x1", "agent": evil, "subject": evil, "sent_at": "2026-03-01", "body": "As I already told you."}]
    result = audit(rules_checker, write_jsonl(tmp_path / "x.jsonl", rows), tmp_path / "out")
    doc = page(result)
    assert doc.xpath("//img") == [] and len(doc.xpath("//script")) == 1
    assert doc.xpath("//*[@onerror]") == []
    assert evil.lower() in doc.xpath("//div[@id='by-agent']//summary")[0].text_content()


def test_model_verdicts_are_explained(checker: Checker, tmp_path: Path) -> None:
    rows = [
        {"id": "s1", "agent": "pat@acme.example", "sent_at": "2026-03-02", "body": "Wow, great job breaking it again."},
        {"id": "s2", "agent": "pat@acme.example", "sent_at": "2026-03-02",
         "body": "Thanks for the photos. Oh sure, because reading the manual was too hard for you."},
        {"id": "r1", "agent": "pat@acme.example", "sent_at": "2026-03-03",
         "body": "Are you stupid? Read the manual before wasting my time again."},
        {"id": "p1", "agent": "kim@acme.example", "sent_at": "2026-03-03",
         "body": "Thank you so much for your patience. I've refunded the order."},
    ]
    result = audit(checker, write_jsonl(tmp_path / "m.jsonl", rows), tmp_path / "out")
    doc = page(result)
    rule_keys = {f["key"] for f in result["findings"] if f["finding_source"] == "rule"}
    model_only = [m for m in result["messages"] if m["verdict"] != "ok" and m["key"] not in rule_keys]
    assert model_only, "no reply was flagged by the tone model alone"
    for m in model_only:
        (card,) = doc.xpath(f"//div[@id='by-agent']//div[@data-key='{m['key']}']")
        assert card.get("data-model-only") == "1"
        why = card.xpath(".//div[@class='why']")[0].text_content()
        assert why.startswith("Tone model alone")
        assert f"P(rude) {float(m['p_rude']):.2f}" in why
        assert "Highest-scoring sentence" in why
        own = [f for f in result["findings"] if f["key"] == m["key"]]
        if own:
            # the category head flagged spans: those are what the card highlights, each marked as the model's
            assert {f["finding_source"] for f in own} == {"model"}
            marks = card.xpath(".//pre/mark")
            assert {x.text_content() for x in marks} <= {m["text"][int(f["start"]) : int(f["end"])] for f in own}
            assert marks and all(x.get("class") in ("error", "warning", "info") for x in marks)
            assert all("(tone model, P=" in li.text_content() for li in card.xpath(".//ul[@class='f']/li"))
        else:
            (sentence,) = card.xpath(".//mark[@class='model']")
            assert sentence.text_content() in m["text"] and sentence.text_content().strip() in why
    # the tone chart: log count scale, with the review and block thresholds drawn
    chart = doc.xpath("//figure[@id='chart-tone']")[0]
    assert "replies (log scale)" in chart.text_content()
    settings = checker.settings
    assert f"review ≥ {settings.review_rude:.2f}" in chart.text_content()
    assert f"block ≥ {settings.block_rude:.2f}" in chart.text_content()
    for gid in ("threshold-review", "threshold-block"):
        assert chart.xpath(f".//*[local-name()='g'][@id='{gid}']")


def test_findings_read_from_the_store_equal_findings_csv_grouped_by_message(full_audit: dict[str, Any]) -> None:
    """The report reads each message's findings from the store on demand instead of holding them all; what it
    reads, by key and in bulk, is findings.csv's rows (neutralising aside)."""
    from tonecheck.audit.feedback import Disputes
    from tonecheck.audit.report import StoredFindings

    with AuditStore(full_audit["out"] / "audit.sqlite") as store:
        stored = StoredFindings(store, Period(), Disputes.load(store))
        bulk = list(stored.values())
        keys = [rows[0]["key"] for rows in bulk]
        assert keys == list(stored) and len(stored) == len(keys) > 3
        assert all(stored[k] == rows for k, rows in zip(keys, bulk, strict=True))
        assert stored.get("no such key", []) == [] and "no such key" not in stored
        assert stored.get(keys[0]) and keys[0] in stored
        assert StoredFindings(store, Period(until="1900-01-01"), Disputes()).get(keys[0], []) == []
    flat = [(r["key"], r["rule_id"], r["start"]) for rows in bulk for r in rows]
    csv_rows = [(r["key"], r["rule_id"], r["start"]) for r in full_audit["findings"]]
    assert [(k, rule, str(start)) for k, rule, start in flat] == csv_rows
