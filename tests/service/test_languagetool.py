"""LanguageTool compatibility: the adapter's offsets, /v2 with form posts, and a real LanguageTool client library."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import language_tool_python
import pytest
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, assert_documented

from service import create_app
from service import languagetool as lt
from tonecheck import Checker, Settings

EMOJI_DRAFT = "Hi 👋🏽 Sam! 🙂 Honestly, that is an asinine question."


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _post(client: FlaskClient, **form: str) -> Any:
    return client.post("/v2/check", data={"language": "en-US", **form}, headers={"Authorization": f"Bearer {ENV_KEY}"})


# ----------------------------------------------------------------------------- adapter units


def test_utf16_offsets_count_astral_characters_twice() -> None:
    u16 = lt.Utf16("a😀b")
    assert [u16(i) for i in range(4)] == [0, 1, 3, 4]
    plain = lt.Utf16("abc")
    assert plain(2) == 2


def test_annotated_text_maps_checked_spans_to_the_original() -> None:
    parts = [{"markup": "<p>"}, {"text": "Hi, "}, {"markup": "<br/>", "interpretAs": "\n"}, {"text": "x"}]
    data = {"annotation": parts}
    source = lt.annotated(json.dumps(data))
    assert source.original == "<p>Hi, <br/>x"
    assert source.checked == "Hi, \nx"
    assert source.to_original(0, 2) == (3, 5)  # "Hi"
    assert source.to_original(5, 6) == (12, 13)  # "x" after the markup
    assert source.to_original(4, 6) == (7, 13)  # from the interpreted newline: starts at the markup


# ----------------------------------------------------------------------------- /v2/check over the test client


def test_form_post_gets_languagetool_shape_at_utf16_offsets(client: FlaskClient) -> None:
    response = _post(client, text=EMOJI_DRAFT)
    assert response.status_code == 200
    body = response.get_json()
    assert_documented("/v2/check", "post", 200, body)
    (match,) = [m for m in body["matches"] if m["rule"]["id"] == "banned.asinine"]
    start = EMOJI_DRAFT.index("asinine")
    assert match["offset"] == _utf16(EMOJI_DRAFT[:start]) == start + 3  # three astral characters before it
    assert match["length"] == 7
    assert [r["value"] for r in match["replacements"]] == ["unexpected", "unusual"]
    assert match["rule"]["category"] == {"id": "BANNED_WORD", "name": "Banned word"}
    assert match["rule"]["issueType"] == "style"
    assert match["rule"]["description"]
    assert "asinine" in match["message"] and match["shortMessage"]
    ctx = match["context"]
    assert ctx["text"].encode("utf-16-le")[2 * ctx["offset"] : 2 * (ctx["offset"] + ctx["length"])].decode(
        "utf-16-le"
    ) == "asinine"
    assert "asinine question" in match["sentence"]
    assert body["language"]["code"] == "en-US"
    assert body["tonecheck"]["verdict"] == "block"


def test_context_is_cut_with_ellipses_on_long_text(client: FlaskClient) -> None:
    text = "We looked into it all morning and afternoon. " * 3 + "That request is asinine. " + "Bye now. " * 10
    (match,) = _post(client, text=text).get_json()["matches"]
    ctx = match["context"]
    assert ctx["text"].startswith("...") and ctx["text"].endswith("...")
    assert ctx["text"][ctx["offset"] : ctx["offset"] + ctx["length"]] == "asinine"


def test_annotated_data_markup_counts_toward_offsets_but_is_not_checked(client: FlaskClient) -> None:
    data = {
        "annotation": [
            {"markup": '<p class="stupid">'},
            {"text": "Hello 😀, that is "},
            {"markup": "<b>"},
            {"text": "asinine"},
            {"markup": "</b>"},
            {"text": "."},
            {"markup": "</p>", "interpretAs": "\n\n"},
        ]
    }
    original = "".join(p.get("text", p.get("markup", "")) for p in data["annotation"])
    body = _post(client, data=json.dumps(data)).get_json()
    assert [m["rule"]["id"] for m in body["matches"]] == ["banned.asinine"]  # "stupid" sits in markup
    (match,) = body["matches"]
    assert match["offset"] == _utf16(original[: original.index("asinine")])
    assert match["length"] == 7


def test_disabled_and_enabled_rules_filter_matches(client: FlaskClient) -> None:
    text = "That is asinine and you should have read the manual."
    all_ids = {m["rule"]["id"] for m in _post(client, text=text).get_json()["matches"]}
    assert "banned.asinine" in all_ids and len(all_ids) >= 2
    without = {m["rule"]["id"] for m in _post(client, text=text, disabledRules="banned").get_json()["matches"]}
    assert without == all_ids - {"banned.asinine"}
    only = _post(client, text=text, enabledRules="banned.asinine", enabledOnly="true").get_json()["matches"]
    assert [m["rule"]["id"] for m in only] == ["banned.asinine"]
    no_cat = _post(client, text=text, disabledCategories="BANNED_WORD").get_json()["matches"]
    assert "banned.asinine" not in {m["rule"]["id"] for m in no_cat}


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"language": "en-US"}, 422, "text"),
        ({"text": "hi"}, 422, "language"),
        ({"text": "hi", "language": "de-DE"}, 422, "language"),
        ({"data": "{oops", "language": "en-US"}, 400, None),
        ({"data": '{"annotation": ' * 50_000, "language": "en-US"}, 400, None),
        ({"data": '{"annotation": [{"text": "\\udfff asinine"}]}', "language": "en-US"}, 422, "data"),
        ({"data": '{"annotation": "x"}', "language": "en-US"}, 422, "data"),
        ({"data": '{"annotation": [{"text": 1}]}', "language": "en-US"}, 422, "data.annotation[0].text"),
        ({"data": '{"annotation": [{"nope": "x"}]}', "language": "en-US"}, 422, "data.annotation[0]"),
        ({"text": " ", "language": "en-US", "pack": "missing"}, 404, "pack"),
        ({"text": "hi", "language": "en-US", "enabledOnly": "true"}, 422, "enabledRules"),
        ({"text": "hi", "language": "en-US", "pack": "missing"}, 404, "pack"),
    ],
)
def test_v2_errors_are_json(client: FlaskClient, form: dict[str, str], status: int, field: str | None) -> None:
    response = client.post("/v2/check", data=form, headers={"Authorization": f"Bearer {ENV_KEY}"})
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["field"] == field
    assert_documented("/v2/check", "post", status, response.get_json())


@pytest.mark.parametrize(
    "form",
    [{"text": ""}, {"text": " \n\t "}, {"data": '{"annotation": [{"markup": "<p></p>"}, {"text": "  "}]}'}],
)
def test_blank_text_gets_no_matches_like_languagetool(client: FlaskClient, form: dict[str, str]) -> None:
    """Editor plugins check an empty box; LanguageTool answers 200 with no matches, and so do we (not /v1)."""
    response = _post(client, **form)
    assert response.status_code == 200
    body = response.get_json()
    assert_documented("/v2/check", "post", 200, body)
    assert body["matches"] == [] and body["tonecheck"] == {"verdict": "ok", "tone": None}
    strict = client.post("/v1/check", json={"text": " "}, headers={"Authorization": f"Bearer {ENV_KEY}"})
    assert strict.status_code == 422 and strict.get_json()["error"]["code"] == "invalid_text"


def test_v2_text_too_long_is_413(client: FlaskClient, settings: Settings) -> None:
    response = _post(client, text="a" * (settings.http_max_chars + 1))
    assert response.status_code == 413 and response.get_json()["error"]["field"] == "text"
    data = json.dumps({"annotation": [{"markup": "<i>" * settings.http_max_chars}, {"text": "hi"}]})
    response = _post(client, data=data)
    assert response.status_code == 413 and response.get_json()["error"]["field"] == "data"


def test_languages_endpoint(client: FlaskClient) -> None:
    response = client.get("/v2/languages")
    assert_documented("/v2/languages", "get", 200, response.get_json())
    assert {"name": "English (US)", "code": "en", "longCode": "en-US"} in response.get_json()


# ----------------------------------------------------------------------------- a real LanguageTool client


@pytest.fixture()
def lt_server(open_settings: Settings, rules_checker: Checker, live_server: Any) -> str:
    """LanguageTool clients send no bearer header; open mode on loopback, as a local install would run."""
    return live_server(create_app(open_settings, checker=rules_checker))


def test_language_tool_python_client_sees_findings_at_the_right_offsets(lt_server: str) -> None:
    tool = language_tool_python.LanguageTool("en-US", remote_server=lt_server)
    try:
        matches = tool.check(EMOJI_DRAFT)
    finally:
        tool.close()
    (match,) = [m for m in matches if m.rule_id == "banned.asinine"]
    # The client converts LanguageTool's UTF-16 offsets back to Python indices; right only if ours were UTF-16.
    assert EMOJI_DRAFT[match.offset : match.offset + match.error_length] == "asinine"
    assert match.replacements == ["unexpected", "unusual"]
    assert match.category == "BANNED_WORD"
    assert "asinine" in match.message


def test_language_tool_python_rule_switches(lt_server: str) -> None:
    text = "That is asinine and you should have read the manual."
    tool = language_tool_python.LanguageTool("en-GB", remote_server=lt_server)
    try:
        tool.disabled_rules.add("banned")
        ids = {m.rule_id for m in tool.check(text)}
    finally:
        tool.close()
    assert ids and "banned.asinine" not in ids


def test_languagetool_client_with_api_key_form_field(
    settings: Settings, rules_checker: Checker, live_server: Any, file_key: tuple[str, Any]
) -> None:
    """What LanguageTool clients with credentials send: form fields username and apiKey, over real HTTP."""
    import requests

    base = live_server(create_app(replace(settings, auth=True), checker=rules_checker))
    form = {"text": EMOJI_DRAFT, "language": "en-US", "username": "rep@example.com"}
    assert requests.post(f"{base}/v2/check", data=form, timeout=10).status_code == 401
    response = requests.post(f"{base}/v2/check", data={**form, "apiKey": file_key[0]}, timeout=10)
    assert response.status_code == 200
    assert any(m["rule"]["id"] == "banned.asinine" for m in response.json()["matches"])
