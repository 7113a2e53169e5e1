"""API keys (environment list and hashed keys file), open mode, and CORS for configured origins only."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, assert_documented

from service import create_app
from service.auth import KeyStore, bearer_token, new_key, read_keys_file, write_keys_file
from tonecheck import Checker, Settings

BODY = {"text": "Thanks for your patience."}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": f"Basic {ENV_KEY}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer {ENV_KEY}x"},
        {"Authorization": "Bearer tck_00000000_" + "A" * 43},
    ],
)
def test_no_valid_key_is_401_json(client: FlaskClient, headers: dict[str, str]) -> None:
    for response in (
        client.post("/v1/check", json=BODY, headers=headers),
        client.post("/v1/check/batch", json={"items": [{"id": "a", "text": "hi"}]}, headers=headers),
        client.get("/v1/packs", headers=headers),
    ):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_documented("/v1/check", "post", 401, response.get_json())
    # /v2 answers as LanguageTool's server does for an AuthException: 403, text/plain "Error: ..."
    lt = client.post("/v2/check", data={"text": "hi", "language": "en-US"}, headers=headers)
    assert lt.status_code == 403 and lt.mimetype == "text/plain"
    assert lt.get_data(as_text=True).startswith("Error: missing or invalid API key")


def test_env_key_and_hashed_file_key_both_work(client: FlaskClient, file_key: tuple[str, Path]) -> None:
    key, _ = file_key
    for token in (ENV_KEY, key):
        assert client.post("/v1/check", json=BODY, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.post("/v1/check", json=BODY, headers={"Authorization": f"bearer  {token} "}).status_code == 200


def test_languagetool_form_fields_carry_the_key(client: FlaskClient, file_key: tuple[str, Path]) -> None:
    form = {"text": "That is asinine.", "language": "en-US", "username": "rep@example.com"}
    assert client.post("/v2/check", data={**form, "apiKey": file_key[0]}).status_code == 200
    assert client.post("/v2/check", data={**form, "apiKey": "nope"}).status_code == 403
    assert client.post("/v2/check", data=form, headers={"Authorization": f"Bearer {ENV_KEY}"}).status_code == 200


def test_public_endpoints_need_no_key(client: FlaskClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/v2/languages", "/"):
        assert client.get(path).status_code == 200, path


def test_removing_a_key_from_the_file_revokes_it_at_once(
    settings: Settings, rules_checker: Checker, tmp_path: Path
) -> None:
    path = tmp_path / "keys.json"
    key_a, entry_a = new_key("a")
    key_b, entry_b = new_key("b")
    write_keys_file(path, [entry_a, entry_b])
    client = create_app(replace(settings, api_keys=(), keys_file=path), checker=rules_checker).test_client()
    assert client.post("/v1/check", json=BODY, headers={"Authorization": f"Bearer {key_a}"}).status_code == 200
    write_keys_file(path, [entry_b])
    assert client.post("/v1/check", json=BODY, headers={"Authorization": f"Bearer {key_a}"}).status_code == 401
    assert client.post("/v1/check", json=BODY, headers={"Authorization": f"Bearer {key_b}"}).status_code == 200


def test_keys_file_stores_only_hashes(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    key1, entry1 = new_key("one")
    key2, entry2 = new_key("two")
    write_keys_file(path, [entry1, entry2])
    raw = path.read_text()
    assert key1 not in raw and key2 not in raw
    assert key1.split("_")[-1] not in raw
    assert entry1.scheme == entry2.scheme == "sha256" and entry1.hash != entry2.hash
    assert (path.stat().st_mode & 0o777) == 0o600
    stored = read_keys_file(path)
    store = KeyStore((), path)
    assert store.verify(key1) == "one" and store.verify(key2) == "two"
    assert store.verify(key1[:-1] + ("A" if key1[-1] != "A" else "B")) is None
    assert [s.name for s in stored] == ["one", "two"]


def test_bearer_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc  ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token(None) is None and bearer_token("Bearer") is None


def test_open_mode_needs_no_key(open_settings: Settings, rules_checker: Checker) -> None:
    client = create_app(open_settings, checker=rules_checker).test_client()
    assert client.post("/v1/check", json=BODY).status_code == 200
    assert client.post("/v2/check", data={"text": "hi there", "language": "en"}).status_code == 200


def test_auth_on_without_keys_refuses_everything(settings: Settings, rules_checker: Checker) -> None:
    client = create_app(replace(settings, api_keys=(), keys_file=None), checker=rules_checker).test_client()
    assert client.post("/v1/check", json=BODY, headers={"Authorization": "Bearer anything"}).status_code == 401


# ----------------------------------------------------------------------------- CORS


def test_cors_only_for_configured_origins(settings: Settings, rules_checker: Checker) -> None:
    plugin = "https://plugin.example.com"
    client = create_app(replace(settings, cors_origins=(plugin,)), checker=rules_checker).test_client()
    headers = {"Authorization": f"Bearer {ENV_KEY}"}
    allowed = client.post("/v1/check", json=BODY, headers={**headers, "Origin": plugin})
    assert allowed.headers["Access-Control-Allow-Origin"] == plugin
    other = client.post("/v1/check", json=BODY, headers={**headers, "Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options(
        "/v1/check",
        headers={
            "Origin": plugin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == plugin
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_no_cors_headers_when_no_origin_is_configured(client: FlaskClient) -> None:
    response = client.post(
        "/v1/check", json=BODY, headers={"Authorization": f"Bearer {ENV_KEY}", "Origin": "https://a.example"}
    )
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_broken_keys_file_stops_start_but_not_a_running_server(tmp_path: Path) -> None:
    from service.auth import KeysFileError

    path = tmp_path / "keys.json"
    path.write_text("{broken")
    with pytest.raises(KeysFileError, match="keys.json"):
        KeyStore((), path)
    key, entry = new_key("a")
    write_keys_file(path, [entry])
    store = KeyStore((), path)
    path.write_text('{"keys": "half-written"}')
    assert store.verify(key) == "a"  # keeps the keys it had
