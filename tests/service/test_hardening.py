"""Issue 10, findings 5 and 6 (service parts): cheap key checks, strict keys files, rate limits, a JSON-only
surface and an OpenAPI document that says exactly what the server accepts. Each test failed before the fix."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, assert_documented

from service import body_limit, create_app
from service.auth import KeysFileError, KeyStore, new_key, new_legacy_entry, write_keys_file
from service.openapi import document
from tonecheck import Checker, Settings

AUTH = {"Authorization": f"Bearer {ENV_KEY}"}


# ----------------------------------------------------------------------------- finding 5: keys


def test_new_keys_are_checked_with_a_fast_hash(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key, entry = new_key("plugin")
    write_keys_file(path, [entry])
    stored = json.loads(path.read_text())["keys"][0]
    assert stored["scheme"] == "sha256" and "scrypt" not in path.read_text()
    store = KeyStore((), path)
    assert store.verify(key) == "plugin"
    wrong_secret = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")  # the right id, a wrong secret
    assert store.verify(wrong_secret) is None


def test_old_scrypt_entries_still_verify_with_a_deprecation_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "keys.json"
    old_key, old_entry = new_legacy_entry("old-plugin")
    new, new_entry = new_key("new-plugin")
    write_keys_file(path, [old_entry, new_entry])
    with caplog.at_level(logging.WARNING, logger="tonecheck.service"):
        store = KeyStore((), path)
    assert store.verify(old_key) == "old-plugin" and store.verify(new) == "new-plugin"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'old-plugin'" in warnings[0] and "deprecated scrypt" in warnings[0]
    assert old_key not in warnings[0]


def _entry(**changes: str) -> dict[str, str]:
    _, entry = new_legacy_entry("broken")
    return {**entry.__dict__, **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"salt": "zz-not-hex"}, "salt"),
        ({"salt": ""}, "salt"),
        ({"scheme": "bcrypt:12"}, "unknown scheme"),
        ({"scheme": "scrypt:1000:8:1"}, "scrypt cost"),  # N not a power of two
        ({"scheme": "scrypt:1048576:8:1"}, "scrypt cost"),  # 1 GiB: hashlib refuses it on every request
        ({"scheme": "scrypt:16384:0:1"}, "scrypt cost"),
        ({"hash": "abc"}, "hash"),
        ({"key_id": "XYZ"}, "key_id"),
    ],
)
def test_a_malformed_entry_stops_start_up_naming_its_line(
    tmp_path: Path, settings: Settings, rules_checker: Checker, changes: dict[str, str], reason: str
) -> None:
    path = tmp_path / "keys.json"
    _, good = new_key("good")
    path.write_text(json.dumps({"version": 1, "keys": [good.__dict__, _entry(**changes)]}, indent=2) + "\n")
    openings = [i + 1 for i, text in enumerate(path.read_text().splitlines()) if text == "    {"]
    line = openings[1]  # the second entry's opening line
    with pytest.raises(KeysFileError, match=rf"keys\.json:{line}: .*{reason}"):
        KeyStore((), path)
    with pytest.raises(KeysFileError, match=reason):
        create_app(replace(settings, keys_file=path), checker=rules_checker)


def test_an_entry_with_unknown_fields_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [{**_entry(), "colour": "red"}]}, indent=2))
    with pytest.raises(KeysFileError, match=r"keys\.json:3: not a tonecheck key entry"):
        KeyStore((), path)


# ----------------------------------------------------------------------------- finding 5: rate limits


def _limited(settings: Settings, checker: Checker, **limits: str) -> FlaskClient:
    return create_app(replace(settings, **limits), checker=checker).test_client()


def test_per_address_limit_answers_429_json_with_retry_after(settings: Settings, rules_checker: Checker) -> None:
    client = _limited(settings, rules_checker, http_rate_limit_address="3/minute", http_rate_limit_key="off")
    statuses = [client.post("/v1/check", json={"text": "Thanks."}, headers=AUTH).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = client.post("/v1/check", json={"text": "Thanks."}, headers=AUTH)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert_documented("/v1/check", "post", 429, limited.get_json())
    other = client.post("/v1/check", json={"text": "Thanks."}, headers=AUTH, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200 and "Retry-After" not in other.headers
    for path in ("/healthz", "/readyz", "/openapi.json"):  # never limited: probes must always get through
        assert client.get(path).status_code == 200


def test_wrong_keys_count_against_the_address(settings: Settings, rules_checker: Checker) -> None:
    client = _limited(settings, rules_checker, http_rate_limit_address="2/minute", http_rate_limit_key="off")
    bad = {"Authorization": "Bearer tck_00000000_" + "A" * 43}
    assert [client.post("/v1/check", json={"text": "hi"}, headers=bad).status_code for _ in range(2)] == [401, 401]
    assert client.post("/v1/check", json={"text": "hi"}, headers=AUTH).status_code == 429


def test_per_key_limit_follows_the_key_across_addresses(settings: Settings, rules_checker: Checker) -> None:
    client = _limited(settings, rules_checker, http_rate_limit_address="off", http_rate_limit_key="2/minute")
    for address in ("10.0.0.1", "10.0.0.2"):
        response = client.get("/v1/packs", headers=AUTH, environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    third = client.get("/v1/packs", headers=AUTH, environ_base={"REMOTE_ADDR": "10.0.0.3"})
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
    lt = client.post("/v2/check", data={"text": "hi there", "language": "en", "apiKey": ENV_KEY})
    assert lt.status_code == 429  # the LanguageTool form key is the same key


def test_open_mode_has_no_rate_limits(open_settings: Settings, rules_checker: Checker) -> None:
    client = _limited(open_settings, rules_checker, http_rate_limit_address="1/minute", http_rate_limit_key="1/minute")
    assert [client.post("/v1/check", json={"text": "Thanks."}).status_code for _ in range(3)] == [200, 200, 200]


# ----------------------------------------------------------------------------- finding 6: JSON everywhere


def test_options_is_json(client: FlaskClient) -> None:
    for path in ("/v1/check", "/", "/healthz"):
        response = client.options(path)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert "OPTIONS" in response.get_json()["allow"]


@pytest.mark.parametrize("path", ["//", "//healthz", "/v1//check", "///v1/check"])
def test_double_slash_paths_are_json_404(client: FlaskClient, path: str) -> None:
    response = client.get("/", headers=AUTH, environ_overrides={"PATH_INFO": path})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_routing_redirect_is_json(client: FlaskClient) -> None:
    response = client.get("/", environ_overrides={"PATH_INFO": ""})  # absolute-form target without a path
    assert 300 <= response.status_code < 400 and response.mimetype == "application/json"
    assert response.get_json()["location"].endswith("/")


def test_chunked_body_over_the_cap_is_413_in_the_app(settings: Settings, rules_checker: Checker) -> None:
    small = replace(settings, http_max_chars=100, http_max_batch=1)
    client = create_app(small, checker=rules_checker).test_client()
    body = b'{"text": "' + b"a" * (body_limit(small) + 10) + b'"}'
    response = client.post(
        "/v1/check", input_stream=io.BytesIO(body), headers={**AUTH, "Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},  # chunked, as gunicorn marks it
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"


# ----------------------------------------------------------------------------- finding 6: the document is exact


def _schema(name: str, settings: Settings | None = None) -> jsonschema.Draft202012Validator:
    doc = document(settings)
    return jsonschema.Draft202012Validator({**doc["components"]["schemas"][name], "components": doc["components"]})


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x1c\x1d", "\u3000", "a\x00b", "\x00"])
def test_texts_the_server_refuses_are_outside_the_schema(client: FlaskClient, text: str) -> None:
    assert not _schema("CheckRequest").is_valid({"text": text})
    response = client.post("/v1/check", json={"text": text}, headers=AUTH)
    assert response.status_code == 422


@pytest.mark.parametrize("body", [{"text": "Thanks!"}, {"text": " x "}, {"text": "Thanks.", "pack": None}])
def test_bodies_the_schema_allows_are_answered_200(client: FlaskClient, body: dict[str, object]) -> None:
    assert _schema("CheckRequest").is_valid(body)
    assert client.post("/v1/check", json=body, headers=AUTH).status_code == 200
    batch = {"items": [{"id": "a", "text": body["text"]}], "pack": body.get("pack")}
    assert _schema("BatchRequest").is_valid(batch)
    assert client.post("/v1/check/batch", json=batch, headers=AUTH).status_code == 200


def test_the_document_carries_this_servers_limits(settings: Settings, rules_checker: Checker) -> None:
    small = replace(settings, http_max_chars=50, http_max_batch=3)
    client = create_app(small, checker=rules_checker).test_client()
    served = client.get("/openapi.json").get_json()
    text = served["components"]["schemas"]["CheckRequest"]["properties"]["text"]
    assert text["maxLength"] == 50
    assert served["components"]["schemas"]["BatchRequest"]["properties"]["items"]["maxItems"] == 3
    assert client.post("/v1/check", json={"text": "x" * 51}, headers=AUTH).status_code == 413


def test_enabled_only_is_read_as_languagetool_reads_it(client: FlaskClient) -> None:
    """TextChecker: enabledOnly is on for "yes" or "true", off for anything else (never an error)."""
    text = "That is asinine and you should have read the manual."
    form = {"text": text, "language": "en-US", "enabledRules": "banned"}
    for value in ("yes", "true", "false", "no", "1"):
        response = client.post("/v2/check", data={**form, "enabledOnly": value}, headers=AUTH)
        ids = {m["rule"]["id"].split(".")[0] for m in response.get_json()["matches"]}
        assert response.status_code == 200
        assert (ids == {"banned"}) == (value in ("yes", "true")), value


def test_empty_data_is_an_empty_text(client: FlaskClient) -> None:
    response = client.post("/v2/check", data={"data": "", "language": "en-US"}, headers=AUTH)
    assert response.status_code == 200 and response.get_json()["matches"] == []
    assert client.post("/v2/check", data={"data": "{", "language": "en-US"}, headers=AUTH).status_code == 400


def test_api_key_form_field_only_on_the_languagetool_endpoint(client: FlaskClient) -> None:
    refused = client.post("/v1/check", data={"text": "Thanks.", "apiKey": ENV_KEY})
    assert refused.status_code == 401
    assert client.post("/v2/check", data={"text": "Thanks.", "language": "en", "apiKey": ENV_KEY}).status_code == 200
    assert "apiKey" not in json.dumps(document()["paths"]["/v1/check"])
