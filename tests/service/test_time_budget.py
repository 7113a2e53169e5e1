"""The per-check time budget (``http_check_budget_s``, issue 10): a check that runs past it fails that one request
with a JSON 503 naming the setting, the worker's check slot stays taken until the abandoned check ends, and the
worker checks normally again afterwards."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from flask import Flask
from service_helpers import ENV_KEY, assert_documented

from service import create_app
from service.state import ServiceState
from tonecheck import Checker, Settings, load_settings

AUTH = {"Authorization": f"Bearer {ENV_KEY}"}
SENTENCE = "Thanks for writing in about the refund; I have passed your order to the billing team today. "


def _state(app: Flask) -> ServiceState:
    return app.extensions["tonecheck"]


def _long_draft(settings: Settings) -> str:
    return (SENTENCE * (settings.http_max_chars // len(SENTENCE)))[: settings.http_max_chars]


def test_budget_is_a_setting_read_from_the_environment() -> None:
    assert load_settings(env={}).http_check_budget_s == 30.0
    assert load_settings(env={"TONECHECK_HTTP_CHECK_BUDGET_S": "2.5"}).http_check_budget_s == 2.5


def test_a_check_past_the_budget_gets_a_json_503_naming_the_limit(
    settings: Settings, rules_checker: Checker, caplog: pytest.LogCaptureFixture
) -> None:
    # A millisecond: no check of a 20,000-character draft finishes that fast, so this one really runs over.
    app = create_app(replace(settings, http_check_budget_s=0.001), checker=rules_checker)
    text = _long_draft(settings)
    with caplog.at_level(logging.WARNING, logger="tonecheck.service"):
        response = app.test_client().post("/v1/check", json={"text": text}, headers=AUTH)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "check_over_budget"
    assert "http_check_budget_s = 0.001 s" in error["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert_documented("/v1/check", "post", 503, response.get_json())
    logged = [r.getMessage() for r in caplog.records if "over budget" in r.getMessage()]
    assert len(logged) == 1 and f"chars={len(text)} items=1" in logged[0] and SENTENCE.strip() not in logged[0]

    # The abandoned check ends in the background and frees the slot; then the same worker checks normally.
    state = _state(app)
    assert state.wait_idle(timeout=120)
    state.settings = replace(state.settings, http_check_budget_s=120.0)
    again = app.test_client().post("/v1/check", json={"text": text}, headers=AUTH)
    assert again.status_code == 200 and again.get_json()["text_length"] == len(text)


def test_a_batch_past_the_budget_fails_as_one_request(settings: Settings, rules_checker: Checker) -> None:
    app = create_app(replace(settings, http_check_budget_s=0.001), checker=rules_checker)
    items = [{"id": str(i), "text": _long_draft(settings)[:5000]} for i in range(4)]
    response = app.test_client().post("/v1/check/batch", json={"items": items}, headers=AUTH)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "check_over_budget"
    assert_documented("/v1/check/batch", "post", 503, response.get_json())
    assert _state(app).wait_idle(timeout=120)


def test_while_the_slot_is_taken_a_request_waits_at_most_the_budget_then_gets_503_busy(
    settings: Settings, rules_checker: Checker
) -> None:
    app = create_app(replace(settings, http_check_budget_s=0.2), checker=rules_checker)
    client = app.test_client()
    state = _state(app)
    state.lock.acquire()  # what a check still running past its budget holds
    try:
        response = client.post("/v1/check", json={"text": "Please send the invoice."}, headers=AUTH)
    finally:
        state.lock.release()
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "check_busy" and "http_check_budget_s = 0.2 s" in error["message"]
    assert response.headers["Retry-After"] == "1"
    assert_documented("/v1/check", "post", 503, response.get_json())
    # Health and readiness do not need the slot.
    assert client.get("/readyz").status_code == 200

    state.settings = replace(state.settings, http_check_budget_s=120.0)
    assert client.post("/v1/check", json={"text": "Please send the invoice."}, headers=AUTH).status_code == 200


def test_library_errors_inside_the_check_thread_keep_their_status(settings: Settings, rules_checker: Checker) -> None:
    client = create_app(settings, checker=rules_checker).test_client()
    response = client.post("/v1/check", json={"text": "hello", "pack": "no-such-pack"}, headers=AUTH)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_pack"
    response = client.post("/v1/check", json={"text": "bad\x00text"}, headers=AUTH)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_text"


def test_budget_zero_runs_the_check_on_the_request_thread(settings: Settings, rules_checker: Checker) -> None:
    app = create_app(replace(settings, http_check_budget_s=0), checker=rules_checker)
    response = app.test_client().post("/v1/check", json={"text": _long_draft(settings)}, headers=AUTH)
    assert response.status_code == 200 and response.get_json()["text_length"] == len(_long_draft(settings))
