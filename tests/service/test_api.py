"""The JSON API against the real app and the real rule packs: every endpoint, every error, the OpenAPI contract."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, assert_documented

from service import create_app
from service.openapi import document
from tonecheck import Checker, Settings

DRAFT = "Thanks for writing. Honestly, that is an asinine question, but here is the answer."


def _error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert a JSON error of the documented shape (never HTML) and return its inner object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    jsonschema.Draft202012Validator({**document()["components"]["schemas"]["Error"]}).validate(body)
    assert body["error"]["status"] == status
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    if field is not None:
        assert body["error"]["field"] == field
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "<html" not in text.lower()
    return body["error"]


# ----------------------------------------------------------------------------- /v1/check


def test_check_returns_the_library_report(client: FlaskClient, auth: dict[str, str], rules_checker: Checker) -> None:
    response = client.post("/v1/check", json={"text": DRAFT}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body == rules_checker.check(DRAFT).to_dict()
    (finding,) = [f for f in body["findings"] if f["text"] == "asinine"]
    assert DRAFT[finding["start"] : finding["end"]] == "asinine"
    assert body["verdict"] == "block"
    assert_documented("/v1/check", "post", 200, body)


def test_check_offsets_are_python_indices_with_emoji(client: FlaskClient, auth: dict[str, str]) -> None:
    text = "Hi 😀😀 that is asinine."
    finding = client.post("/v1/check", json={"text": text}, headers=auth).get_json()["findings"][0]
    assert text[finding["start"] : finding["end"]] == "asinine"


def test_check_with_tone_model_matches_schema(tone_checker: Checker, settings: Settings) -> None:
    client = create_app(replace(settings, use_model=True), checker=tone_checker).test_client()
    body = client.post("/v1/check", json={"text": DRAFT}, headers={"Authorization": "Bearer " + settings.api_keys[0]})
    report = body.get_json()
    assert report["tone"]["label"] in {"polite", "neutral", "rude"}
    assert all(s["tone"] is not None for s in report["sentences"])
    assert_documented("/v1/check", "post", 200, report)


def test_check_with_named_pack(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/check", json={"text": DRAFT, "pack": "default"}, headers=auth)
    assert response.status_code == 200


def test_unknown_pack_is_404_naming_the_field(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/check", json={"text": DRAFT, "pack": "no-such-pack"}, headers=auth)
    error = _error(response, 404, "pack")
    assert error["code"] == "unknown_pack"
    assert_documented("/v1/check", "post", 404, response.get_json())


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, None),
        (b"\xff\xfe", 400, None),
        ("[1, 2]", 422, "(body)"),
        ("{}", 422, "text"),
        ('{"text": 42}', 422, "text"),
        ('{"text": null}', 422, "text"),
        ('{"text": "fine", "pack": 3}', 422, "pack"),
        ('{"text": ""}', 422, "text"),
        ('{"text": "   \\n "}', 422, "text"),
        ('{"text": "a\\u0000b"}', 422, "text"),
        ('{"text": "\\ud800 asinine"}', 422, "text"),
        ("[" * 100_000, 400, None),
    ],
)
def test_check_rejects_bad_bodies(
    client: FlaskClient, auth: dict[str, str], body: str | bytes, status: int, field: str | None
) -> None:
    response = client.post("/v1/check", data=body, headers={**auth, "Content-Type": "application/json"})
    _error(response, status, field)
    assert_documented("/v1/check", "post", status, response.get_json())


def test_text_over_the_limit_is_413(client: FlaskClient, auth: dict[str, str], settings: Settings) -> None:
    text = "a" * (settings.http_max_chars + 1)
    response = client.post("/v1/check", json={"text": text}, headers=auth)
    error = _error(response, 413, "text")
    assert error["code"] == "text_too_long"
    at_limit = "a " * (settings.http_max_chars // 2)
    assert client.post("/v1/check", json={"text": at_limit}, headers=auth).status_code == 200


def test_http_limit_is_configurable(settings: Settings, rules_checker: Checker) -> None:
    client = create_app(replace(settings, http_max_chars=10), checker=rules_checker).test_client()
    headers = {"Authorization": "Bearer " + settings.api_keys[0]}
    _error(client.post("/v1/check", json={"text": "x" * 11}, headers=headers), 413, "text")


def test_body_over_the_size_limit_is_a_json_413(settings: Settings, rules_checker: Checker) -> None:
    client = create_app(replace(settings, http_max_chars=10, http_max_batch=1), checker=rules_checker).test_client()
    headers = {"Authorization": "Bearer " + settings.api_keys[0], "Content-Type": "application/json"}
    response = client.post("/v1/check", data="x" * 200_000, headers=headers)
    _error(response, 413)


def test_wrong_method_is_405_with_allow(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/check", headers=auth)
    _error(response, 405)
    assert "POST" in response.headers["Allow"]
    assert_documented("/v1/check", "post", 405, response.get_json())
    lt = client.delete("/v2/check")  # /v2 errors are LanguageTool's text/plain "Error: ..."
    assert lt.status_code == 405 and lt.mimetype == "text/plain" and lt.get_data(as_text=True).startswith("Error: ")
    _error(client.post("/healthz"), 405)


def test_unknown_path_is_json_404(client: FlaskClient) -> None:
    assert _error(client.get("/v1/nothing-here"), 404)["code"] == "not_found"
    lt = client.get("/v2/nope")
    assert lt.status_code == 404 and lt.get_data(as_text=True).startswith("Error: ")


# ----------------------------------------------------------------------------- /v1/check/batch


class CountingChecker:
    """The real Checker, counting how the service calls it."""

    def __init__(self, inner: Checker) -> None:
        self.inner = inner
        self.calls: list[tuple[str, Any]] = []

    def check(self, text: str, **kw: Any) -> Any:
        self.calls.append(("check", 1))
        return self.inner.check(text, **kw)

    def check_many(self, texts: Any, **kw: Any) -> Any:
        texts = list(texts)
        self.calls.append(("check_many", len(texts)))
        return self.inner.check_many(texts, **kw)

    def check_groups(self, groups: Any, **kw: Any) -> Any:
        """The micro-batcher's call (service/batcher.py): one pass over several requests' texts."""
        groups = [list(g) for g in groups]
        self.calls.append(("check_groups", tuple(map(len, groups))))
        return self.inner.check_groups(groups, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_batch_is_one_check_many_call_in_order(settings: Settings, rules_checker: Checker) -> None:
    spy = CountingChecker(rules_checker)
    client = create_app(settings, checker=spy).test_client()  # type: ignore[arg-type]
    items = [
        {"id": "a", "text": "That is asinine."},
        {"id": "b", "text": "Thanks, happy to help."},
        {"id": "c", "text": "What a stupid idea, honestly."},
    ]
    response = client.post(
        "/v1/check/batch", json={"items": items}, headers={"Authorization": "Bearer " + settings.api_keys[0]}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [r["id"] for r in body["results"]] == ["a", "b", "c"]
    assert [r["report"] for r in body["results"]] == [rules_checker.check(i["text"]).to_dict() for i in items]
    assert body["results"][0]["report"]["verdict"] == "block"
    assert body["results"][1]["report"]["findings"] == []
    assert spy.calls == [("check_groups", (3,))]  # the batch's texts in one pass, as one request's group
    assert_documented("/v1/check/batch", "post", 200, body)


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({}, 422, "items"),
        ({"items": "text"}, 422, "items"),
        ({"items": []}, 422, "items"),
        ({"items": ["hello"]}, 422, "items[0]"),
        ({"items": [{"id": "a", "text": "ok"}, {"text": "no id"}]}, 422, "items[1].id"),
        ({"items": [{"id": 1, "text": "ok"}]}, 422, "items[0].id"),
        ({"items": [{"id": "a"}]}, 422, "items[0].text"),
        ({"items": [{"id": "a", "text": "ok"}, {"id": "b", "text": " "}]}, 422, "items"),
        ({"items": [{"id": "a", "text": "ok"}], "pack": "nope"}, 404, "pack"),
    ],
)
def test_batch_errors_name_the_field(
    client: FlaskClient, auth: dict[str, str], payload: dict[str, Any], status: int, field: str
) -> None:
    response = client.post("/v1/check/batch", json=payload, headers=auth)
    _error(response, status, field)
    assert_documented("/v1/check/batch", "post", status, response.get_json())


def test_batch_item_too_long_is_413(client: FlaskClient, auth: dict[str, str], settings: Settings) -> None:
    items = [{"id": "a", "text": "fine"}, {"id": "b", "text": "x" * (settings.http_max_chars + 1)}]
    _error(client.post("/v1/check/batch", json={"items": items}, headers=auth), 413, "items[1].text")


def test_too_many_batch_items_is_413(client: FlaskClient, auth: dict[str, str], settings: Settings) -> None:
    items = [{"id": str(i), "text": "hello"} for i in range(settings.http_max_batch + 1)]
    error = _error(client.post("/v1/check/batch", json={"items": items}, headers=auth), 413, "items")
    assert str(settings.http_max_batch) in error["message"]


def test_batch_error_message_names_the_bad_item(client: FlaskClient, auth: dict[str, str]) -> None:
    items = [{"id": "a", "text": "ok"}, {"id": "b", "text": ""}]
    error = _error(client.post("/v1/check/batch", json={"items": items}, headers=auth), 422, "items")
    assert "item 1" in error["message"]


# ----------------------------------------------------------------------------- packs, health, readiness, 503


def test_packs_lists_rules(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/packs", headers=auth)
    assert response.status_code == 200
    packs = {p["name"]: p for p in response.get_json()["packs"]}
    assert "default" in packs
    assert any("asinine" in r.get("words", []) for r in packs["default"]["rules"])
    assert_documented("/v1/packs", "get", 200, response.get_json())


def test_health_and_ready(client: FlaskClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    assert_documented("/healthz", "get", 200, health.get_json())
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert "default" in ready.get_json()["packs"]
    assert_documented("/readyz", "get", 200, ready.get_json())


def test_missing_model_means_not_ready_and_503(settings: Settings, tmp_path: Any) -> None:
    broken = replace(settings, use_model=True, model_dir=tmp_path / "no-model")
    client = create_app(broken).test_client()  # loads for real, and fails to find the model
    headers = {"Authorization": "Bearer " + settings.api_keys[0]}
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert _error(ready, 503)["code"] == "model_unavailable"
    assert_documented("/readyz", "get", 503, ready.get_json())
    response = client.post("/v1/check", json={"text": DRAFT}, headers=headers)
    assert "models.train" in _error(response, 503)["message"]
    assert_documented("/v1/check", "post", 503, response.get_json())
    _error(client.post("/v1/check/batch", json={"items": [{"id": "a", "text": "x"}]}, headers=headers), 503)
    _error(client.get("/v1/packs", headers=headers), 503)
    lt = client.post("/v2/check", data={"text": DRAFT, "language": "en-US"}, headers=headers)
    assert lt.status_code == 503 and lt.get_data(as_text=True).startswith("Error: ")


class ExplodingChecker(CountingChecker):
    def check_many(self, texts: Any, **kw: Any) -> Any:
        raise RuntimeError(f"bug while handling {list(texts)[0]!r}")

    def check_groups(self, groups: Any, **kw: Any) -> Any:
        raise RuntimeError(f"bug while handling {list(groups[0])[0]!r}")


def test_a_bug_is_a_bare_json_500_and_the_log_has_no_text(
    settings: Settings, rules_checker: Checker, caplog: pytest.LogCaptureFixture
) -> None:
    client = create_app(settings, checker=ExplodingChecker(rules_checker)).test_client()  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="tonecheck.service"):
        response = client.post(
            "/v1/check", json={"text": "secret customer words"}, headers={"Authorization": "Bearer " + ENV_KEY}
        )
    error = _error(response, 500)
    assert "secret" not in error["message"]
    assert "RuntimeError" in caplog.text and "secret customer words" not in caplog.text


# ----------------------------------------------------------------------------- logging, request ids


def test_log_line_has_ids_sizes_timings_and_no_text(
    client: FlaskClient, auth: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tonecheck.service"):
        response = client.post("/v1/check", json={"text": DRAFT}, headers={**auth, "X-Request-ID": "abc-123"})
        client.post("/v2/check", data={"text": DRAFT, "language": "en-US", "apiKey": ENV_KEY})
    assert response.headers["X-Request-ID"] == "abc-123"
    lines = [r.getMessage() for r in caplog.records if "route=" in r.getMessage()]
    assert len(lines) == 2
    assert "request_id=abc-123" in lines[0] and "status=200" in lines[0] and f"chars={len(DRAFT)}" in lines[0]
    assert "total_ms=" in lines[0] and "check_ms=" in lines[0] and "in_bytes=" in lines[0]
    assert "key=env" in lines[0]
    assert "asinine" not in caplog.text and "Thanks for writing" not in caplog.text
    assert ENV_KEY not in caplog.text


def test_a_hostile_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "has spaces; and <angle> brackets"})
    assert response.headers["X-Request-ID"] != "has spaces; and <angle> brackets"
    assert len(response.headers["X-Request-ID"]) == 32


# ----------------------------------------------------------------------------- OpenAPI


def test_openapi_documents_every_route(client: FlaskClient, app: Any) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    def templated(rule: str) -> str:  # werkzeug's /v2/rules/<rule_id> is OpenAPI's /v2/rules/{rule_id}
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)

    routes = {templated(r.rule) for r in app.url_map.iter_rules() if not r.rule.startswith("/static")}
    assert routes == set(doc["paths"])
    for path, ops in doc["paths"].items():
        rule_methods = {m for r in app.url_map.iter_rules() if templated(r.rule) == path for m in r.methods}
        assert {m.upper() for m in ops} <= rule_methods, path
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema), name
