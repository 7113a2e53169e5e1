"""report.html in headless Chromium: paging through an agent's flagged replies, and the dispute action, whose
copied command is then run through ``tonecheck.cli.main`` and leaves the disputed finding out of the counts."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_audit_browser import ARGS, CHROMIUM, _need
from test_audit_feedback import run


@pytest.fixture(scope="module")
def chromium() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        _need("chromium is not installed")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def test_paging_and_dispute_command(chromium: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    rows = [{"id": f"r{i}", "agent": "pat@acme.example", "sent_at": f"2026-04-{1 + i % 3:02d}",
             "body": f"As I already told you, order {i} ships Monday."} for i in range(33)]
    export = tmp_path / "many.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out dir"  # a space: the command must quote the folder
    code, _, err = run(["audit", str(export), "--out", str(out)])
    assert code == 0, err

    context = chromium.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / "report.html").as_uri(), wait_until="load")
    page.locator("#by-agent details summary").first.click()
    visible = "#by-agent .reply:not([hidden])"
    keys = page.eval_on_selector_all(visible, "cs => cs.map(c => c.getAttribute('data-key'))")
    assert len(keys) == 25
    assert page.inner_text("#by-agent .page-info") == "page 1 of 2 (33 replies)"
    page.click("#by-agent .pager .next")
    more = page.eval_on_selector_all(visible, "cs => cs.map(c => c.getAttribute('data-key'))")
    assert len(more) == 8 and page.is_disabled("#by-agent .pager .next")
    assert set(keys) | set(more) == {f"id:r{i}" for i in range(33)}  # every flagged reply is reachable
    page.click("#by-agent .pager .prev")
    assert page.eval_on_selector_all(visible, "cs => cs.map(c => c.getAttribute('data-key'))") == keys

    card = page.locator(f"#by-agent .reply[data-key='{keys[0]}']")
    card.locator("li button.dispute").click()
    assert page.is_visible("#dispute-panel")
    page.fill("#dispute-by", "Dana O'Neil")
    page.fill("#dispute-why", "quoting the ticket; not blaming")
    command = page.inner_text("#dispute-command")
    assert command.startswith(f"tonecheck audit review '{out}' --message id:{keys[0][3:]} --finding 1 ")
    page.click("#dispute-copy")
    expect(page.locator("#dispute-copied")).to_have_text("copied")  # polls the DOM; no eval under the CSP
    assert page.evaluate("navigator.clipboard.readText()") == command
    assert errors == []
    context.close()

    words = shlex.split(command)
    assert words[:3] == ["tonecheck", "audit", "review"]
    before = json.loads((out / "summary.json").read_text("utf-8"))
    code, _, err = run(words[1:])
    assert code == 0, err
    after = json.loads((out / "summary.json").read_text("utf-8"))
    assert after["findings"] == before["findings"] - 1
    assert after["feedback"]["by_rule"]["blaming.already_told"]["disputed"] == 1
    marks = (out / "feedback.csv").read_text("utf-8")
    assert "Dana O'Neil" in marks and "quoting the ticket; not blaming" in marks
