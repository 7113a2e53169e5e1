"""/v1/check's offsets=utf16: UTF-16 positions added beside the code-point ones, for JavaScript add-ins."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, assert_documented

DRAFT = "Hi 👋🏽 Sam! 🙂 Honestly, that is an asinine question."
AUTH = {"Authorization": f"Bearer {ENV_KEY}"}


def _js_slice(text: str, start: int, end: int) -> str:
    """What String.prototype.slice returns: it counts UTF-16 code units."""
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


@pytest.mark.parametrize(("url", "body"), [("/v1/check", {"offsets": "utf16"}), ("/v1/check?offsets=utf16", {})])
def test_utf16_offsets_slice_like_javascript(client: FlaskClient, url: str, body: dict[str, str]) -> None:
    response = client.post(url, json={"text": DRAFT, **body}, headers=AUTH)
    assert response.status_code == 200
    assert_documented("/v1/check", "post", 200, response.get_json())
    (finding,) = [f for f in response.get_json()["findings"] if f["rule_id"] == "banned.asinine"]
    assert DRAFT[finding["start"] : finding["end"]] == "asinine"  # code points, unchanged
    assert _js_slice(DRAFT, finding["start_utf16"], finding["end_utf16"]) == "asinine"
    assert finding["start_utf16"] == finding["start"] + 3


def test_default_is_unchanged_and_a_bad_value_is_refused(client: FlaskClient) -> None:
    plain = client.post("/v1/check", json={"text": DRAFT}, headers=AUTH).get_json()
    assert all("start_utf16" not in f for f in plain["findings"]) and plain["findings"]
    bad = client.post("/v1/check", json={"text": DRAFT, "offsets": "bytes"}, headers=AUTH)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "offsets"
