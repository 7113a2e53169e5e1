"""The Thunderbird add-in's pages in headless Chromium: the built popup and options page, served over loopback
HTTP, with a stubbed ``messenger``/``browser`` object (storage, tabs, compose, permissions) injected before the
page's scripts run, against a live tonecheck service (auth on, CORS listing the pages' origin).

Needs node (to build the add-in), /usr/bin/chromium and playwright: without them it skips on a dev box and fails
in CI (CI=true), as tests/service/test_page.py does.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from service import create_app
from tonecheck import Checker, load_settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"
KEY = "addin-test-key-0123456789"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DRAFT_HTML = (
    "<html><head><meta charset='utf-8'></head><body><p>Hi Sam 👋, thanks for writing.</p>"
    "<p>Honestly, that is an asinine question.</p><blockquote>you idiots</blockquote></body></html>"
)


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is missing")
    pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """clients/build.js's Thunderbird folder, served on a loopback port: its origin."""
    if shutil.which("node") is None:
        _missing("node")
    out = tmp_path_factory.mktemp("clients-build") / "build"
    script = "const { build } = await import('./build.js'); build({ out: process.env.TONECHECK_BUILD_OUT });"
    subprocess.run(
        ["node", "--input-type=module", "-e", script],
        cwd=ROOT / "clients",
        check=True,
        env={**os.environ, "TONECHECK_BUILD_OUT": str(out)},
    )
    handler = functools.partial(_QuietHandler, directory=str(out / "thunderbird"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def service(addin: str, rules_checker: Checker) -> Iterator[str]:
    """A live tonecheck (auth on, one key) that lets the add-in pages' origin call it."""
    settings = load_settings(env={}, use_model=False, api_keys=(KEY,), cors_origins=(addin,))
    server = make_server("127.0.0.1", 0, create_app(settings, checker=rules_checker), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        _missing(CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# The MailExtension API surface the pages use, recording what they do in window.__tc.
STUB = """
const tc = window.__tc = Object.assign({ set: [], asked: [] }, %s);
window.messenger = window.browser = {
  storage: { local: {
    get: async (keys) => Object.fromEntries(keys.filter((k) => k in tc.stored).map((k) => [k, tc.stored[k]])),
    set: async (values) => { Object.assign(tc.stored, values); },
  } },
  tabs: { query: async () => [{ id: 7, type: "messageCompose" }] },
  compose: {
    getComposeDetails: async (id) => { if (id !== 7) throw new Error("wrong tab"); return { ...tc.compose }; },
    setComposeDetails: async (id, details) => { tc.set.push({ id, ...details }); Object.assign(tc.compose, details); },
  },
  permissions: { request: async (p) => { tc.asked.push(p); return true; } },
};
"""


def open_page(browser: Any, url: str, state: dict[str, Any]) -> Any:
    page = browser.new_page()
    page.add_init_script(STUB % json.dumps(state))
    page.goto(url)
    return page


def test_popup_shows_findings_and_apply_edits_the_html_draft(browser: Any, addin: str, service: str) -> None:
    state = {"stored": {"serviceUrl": service, "apiKey": KEY}, "compose": {"isPlainText": False, "body": DRAFT_HTML}}
    page = open_page(browser, addin + "/popup.html", state)
    mark = page.locator("mark.finding", has_text="asinine")
    mark.wait_for(timeout=15_000)
    assert "sev-error" in (mark.get_attribute("class") or "")
    assert "belittles" in (mark.get_attribute("title") or "")
    assert page.locator(".verdict").inner_text().startswith("tonecheck: block")
    assert "idiots" not in page.locator(".draft").inner_text()  # quoted history is not checked
    item = page.locator(".findings li", has_text="asinine")
    assert "belittles" in item.locator(".message").inner_text()
    item.locator("button.apply", has_text="unexpected").click()
    page.wait_for_function("window.__tc.set.length === 1")
    written = page.evaluate("window.__tc.set[0]")
    assert written["id"] == 7
    assert written["body"] == DRAFT_HTML.replace("an asinine question", "an unexpected question")
    assert page.locator("mark.finding", has_text="asinine").count() == 0
    assert "an unexpected question" in page.locator(".draft").inner_text()
    assert "applied" in page.locator("#status").inner_text()
    page.close()


def test_popup_plain_text_draft_and_a_wrong_key(browser: Any, addin: str, service: str) -> None:
    body = "Hi 👋🏽 Sam, that is an asinine question.\n\nOn Mon, Pat wrote:\n> asinine"
    state = {"stored": {"serviceUrl": service, "apiKey": KEY}, "compose": {"isPlainText": True, "plainTextBody": body}}
    page = open_page(browser, addin + "/popup.html", state)
    page.locator(".findings li button.apply", has_text="unusual").first.click()
    page.wait_for_function("window.__tc.set.length === 1")
    expected = body.replace("an asinine question", "an unusual question")
    assert page.evaluate("window.__tc.set[0].plainTextBody") == expected
    page.close()

    state["stored"]["apiKey"] = "not-the-key"
    page = open_page(browser, addin + "/popup.html", state)
    page.wait_for_function("document.getElementById('status').textContent.includes('API key')")
    assert page.locator("mark.finding").count() == 0
    page.close()


def test_options_page_validates_and_stores_the_settings(browser: Any, addin: str, service: str) -> None:
    page = open_page(browser, addin + "/options.html", {"stored": {}, "compose": {}})
    page.fill("input[name=serviceUrl]", "http://tone.example.com")
    page.fill("input[name=apiKey]", KEY)
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('status').textContent.includes('mixed content')")
    assert page.evaluate("window.__tc.stored") == {}
    assert page.get_attribute("input[name=serviceUrl]", "aria-invalid") == "true"

    page.fill("input[name=serviceUrl]", service + "/")
    page.click("button[type=submit]")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('saved')")
    stored = page.evaluate("window.__tc.stored")
    assert stored["serviceUrl"] == service and stored["apiKey"] == KEY
    assert page.evaluate("window.__tc.asked") == [{"origins": [service + "/*"]}]
    page.close()

    # the saved settings are what the page shows next time
    page = open_page(browser, addin + "/options.html", {"stored": stored, "compose": {}})
    page.wait_for_function(f"document.querySelector('input[name=serviceUrl]').value === {json.dumps(service)}")
    page.close()
