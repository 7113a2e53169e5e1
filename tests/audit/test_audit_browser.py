"""report.html in a real headless browser: it renders, its charts are drawn, and it asks the network for nothing.

Uses Debian's chromium driven by Playwright (never ``playwright install``). Off CI a missing browser skips
the test; with CI=true it fails, so a CI image without chromium cannot pass silently.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Any

import lxml.html
import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _need(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required on CI: apt-get install -y chromium; pip install playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Any:
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


def test_report_renders_offline_with_charts(browser: Any, full_audit: dict[str, Any]) -> None:
    report = full_audit["out"] / "report.html"
    requests: list[str] = []
    errors: list[str] = []
    page = browser.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(report.as_uri(), wait_until="load")

    assert requests == [report.as_uri()]  # the page itself and nothing else: no CDN, fonts or images
    assert errors == []
    assert page.title() == "tonecheck audit"

    for chart in ("#chart-tone svg", "#chart-categories svg"):
        box = page.locator(chart).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, chart
    bars = page.locator("#chart-categories svg g[id^='patch_']").count()
    assert bars >= len(full_audit["summary"]["findings_by_category"])  # one bar per category, plus the frame
    assert "Findings per category" in page.locator("#chart-categories").inner_text()

    agent_rows = page.locator("#agents tbody tr")
    assert agent_rows.count() == len(full_audit["summary"]["agents"])
    assert "jamie.lee@acme.example" in page.locator("#agents").inner_text()

    marks = page.locator("#worst mark")
    assert marks.count() == 7
    assert "As I already told you" in marks.all_inner_texts()
    assert page.locator("#errors tbody tr").count() == len(full_audit["summary"]["error_reasons"])
    page.close()


def test_report_has_no_external_references(full_audit: dict[str, Any]) -> None:
    page = full_audit["html"]
    for needle in ("<link", "<img", "src=", "@import", "<iframe", "<object"):
        assert needle not in page, needle
    references = re.findall(r'href="([^"]*)"', page) + re.findall(r"url\(([^)]*)\)", page)
    assert references and all(ref.startswith("#") for ref in references), references  # in-page only


def test_the_one_script_is_the_only_one_the_policy_allows(full_audit: dict[str, Any]) -> None:
    """One inline script (sorting, filtering); the page's CSP allows exactly it, by hash, and no network."""
    page = lxml.html.fromstring(full_audit["html"])
    scripts = page.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("src") is None
    (policy,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy


def _column(page: Any, index: int) -> list[str]:
    return page.eval_on_selector_all(
        "#agents tbody tr:not([hidden])", f"rows => rows.map(r => r.cells[{index}].getAttribute('data-v'))"
    )


def test_agent_table_sorts_and_filters(browser: Any, full_audit: dict[str, Any]) -> None:
    agents = full_audit["summary"]["agents"]
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((full_audit["out"] / "report.html").as_uri(), wait_until="load")

    audited = page.locator("#agents thead th", has_text="replies audited")
    audited.click()
    assert audited.get_attribute("aria-sort") == "descending"
    values = [float(v) for v in _column(page, 2)]
    assert values == sorted(values, reverse=True) and len(values) == len(agents)
    audited.click()
    assert audited.get_attribute("aria-sort") == "ascending"
    assert [float(v) for v in _column(page, 2)] == sorted(values)
    page.locator("#agents thead th", has_text="agent").first.click()
    names = page.eval_on_selector_all("#agents tbody tr", "rows => rows.map(r => r.cells[0].textContent)")
    assert names == sorted((a["agent"] for a in agents), reverse=True)

    page.fill("#agent-filter", "kim")
    expected = [a for a in agents if "kim" in f"{a['agent']} {a['name']}".lower()]
    assert page.locator("#agents tbody tr:not([hidden])").count() == len(expected) >= 1
    assert page.inner_text("#agent-count") == str(len(expected))
    page.fill("#agent-filter", "")
    page.check("#agent-flagged")
    flagged = [a for a in agents if a["flagged"]]
    assert page.locator("#agents tbody tr:not([hidden])").count() == len(flagged) < len(agents)
    assert page.eval_on_selector("#agents td.sticky", "td => getComputedStyle(td).position") == "sticky"

    page.select_option("#reply-category", "isolating")
    isolating = {f["key"] for f in full_audit["findings"] if f["category"] == "isolating"}
    assert page.locator("#by-agent .reply:not([hidden])").count() == len(isolating) == 4
    assert page.inner_text("#reply-count") == "4"
    page.select_option("#reply-category", "")
    page.select_option("#reply-verdict", "block")
    assert page.locator("#by-agent .reply:not([hidden])").count() == 0
    page.select_option("#reply-verdict", "")

    link = page.locator("#agents a.agent-link").first
    target = link.get_attribute("href")[1:]
    link.click()
    assert page.eval_on_selector(f"#{target}", "d => d.open") is True
    assert errors == []
    page.close()
