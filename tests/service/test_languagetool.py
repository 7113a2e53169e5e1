"""LanguageTool compatibility: the adapter's offsets, /v2 with form posts, and a real LanguageTool client library."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import language_tool_python
import language_tool_python.exceptions
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
    ("form", "status", "message"),
    [
        ({"language": "en-US"}, 400, "Missing 'text' or 'data' parameter"),
        ({"text": "hi"}, 400, "Missing 'language' parameter"),
        ({"text": "hi", "language": "xx-YY"}, 400, "'xx-YY' is not a language code known"),
        ({"data": "{oops", "language": "en-US"}, 400, "field 'data' is not valid JSON"),
        ({"data": '{"annotation": ' * 50_000, "language": "en-US"}, 400, "nested too deeply"),
        ({"data": '{"annotation": [{"text": "\\udfff asinine"}]}', "language": "en-US"}, 400, "lone surrogate"),
        ({"data": '{"annotation": "x"}', "language": "en-US"}, 400, "either 'text' or an 'annotation'"),
        ({"data": '{"annotation": [{"text": 1}]}', "language": "en-US"}, 400, "data.annotation[0].text"),
        ({"data": '{"annotation": [{"nope": "x"}]}', "language": "en-US"}, 400, "data.annotation[0]"),
        ({"text": " ", "language": "en-US", "pack": "missing"}, 404, "missing"),
        ({"text": "hi", "language": "en-US", "enabledOnly": "true"}, 400, "You must specify enabled rules"),
        ({"text": "hi", "language": "en-US", "enabledOnly": "yes", "enabledRules": "a", "disabledRules": "b"}, 400,
         "You cannot specify disabled rules"),
        ({"text": "hi", "language": "en-US", "pack": "missing"}, 404, "missing"),
        ({"text": "hi", "language": "en-US", "mode": "fast"}, 400, "Mode must be one of 'textLevelOnly'"),
        ({"text": "hi", "language": "en-US", "level": "strict"}, 400, "it must be set to 'default' or 'picky'"),
        ({"text": "hi", "language": "en-US", "motherTongue": "klingon"}, 400, "'klingon' is not a language code"),
        ({"text": "hi", "language": "en-US", "preferredVariants": "en-GB"}, 400, "didn't specify 'language=auto'"),
        ({"text": "hi", "language": "auto", "preferredVariants": "en"}, 400, "expected a dash as in 'en-GB'"),
        ({"text": "hi", "language": "en", "enabled": "x"}, 400, "now called 'enabledRules'"),
    ],
)
def test_v2_errors_are_languagetool_plain_text(
    client: FlaskClient, form: dict[str, str], status: int, message: str
) -> None:
    """LanguageToolHttpHandler: "Error: <message>" as text/plain, 400 for a bad parameter, 404, 413, 403."""
    response = client.post("/v2/check", data=form, headers={"Authorization": f"Bearer {ENV_KEY}"})
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("Error: ") and message in body, body
    assert_documented("/v2/check", "post", status, body, media="text/plain")


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
    assert response.status_code == 413 and response.get_data(as_text=True).startswith("Error: ")
    data = json.dumps({"annotation": [{"markup": "<i>" * settings.http_max_chars}, {"text": "hi"}]})
    response = _post(client, data=data)
    assert response.status_code == 413 and response.mimetype == "text/plain"


def test_languages_endpoint(client: FlaskClient) -> None:
    response = client.get("/v2/languages")
    assert_documented("/v2/languages", "get", 200, response.get_json())
    listed = response.get_json()
    assert {"name": "English (US)", "code": "en", "longCode": "en-US", "checked": True} in listed
    assert {"name": "German (Germany)", "code": "de", "longCode": "de-DE", "checked": False} in listed


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
    refused = requests.post(f"{base}/v2/check", data=form, timeout=10)
    assert refused.status_code == 403 and refused.text.startswith("Error: ")  # LanguageTool's AuthException
    response = requests.post(f"{base}/v2/check", data={**form, "apiKey": file_key[0]}, timeout=10)
    assert response.status_code == 200
    assert any(m["rule"]["id"] == "banned.asinine" for m in response.json()["matches"])


# ----------------------------------------------------------------------------- LanguageTool's wire protocol

RUDE = "That is asinine and you should have read the manual."
BEARER = {"Authorization": f"Bearer {ENV_KEY}"}


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [m["rule"]["id"] for m in response.get_json()["matches"]]


def test_get_with_parameters_in_the_query_string(client: FlaskClient) -> None:
    """npm languagetool-api, the Thunderbird extension and LanguageTool for Word send GET."""
    response = client.get("/v2/check", query_string={"text": EMOJI_DRAFT, "language": "en-US"}, headers=BEARER)
    assert "banned.asinine" in _ids(response)
    assert_documented("/v2/check", "get", 200, response.get_json())


def test_post_merges_query_and_body_and_the_query_wins(client: FlaskClient) -> None:
    """languagetool-rust: POST with the parameters in the query string (LanguageToolHttpHandler.getRequestQuery)."""
    assert "banned.asinine" in _ids(client.post(f"/v2/check?language=en-US&text={RUDE}", headers=BEARER))
    merged = client.post("/v2/check?language=en-GB", data={"text": RUDE, "language": "fr"}, headers=BEARER)
    assert "banned.asinine" in _ids(merged) and merged.get_json()["language"]["code"] == "en-GB"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain; charset=utf-8", None])
def test_form_body_under_any_content_type(client: FlaskClient, content_type: str | None) -> None:
    """ltex-ls, the old browser add-on and languagetool.el label a form body as JSON, text or nothing."""
    body = urlencode({"text": RUDE, "language": "en-US", "apiKey": ENV_KEY})
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v2/check", data=body.encode(), headers=headers)
    assert "banned.asinine" in _ids(response)  # the key came from the body too


def test_api_key_in_the_query_string(settings: Settings, rules_checker: Checker) -> None:
    client = create_app(replace(settings, auth=True), checker=rules_checker).test_client()
    assert client.get("/v2/check", query_string={"text": RUDE, "language": "en", "apiKey": ENV_KEY}).status_code == 200
    assert client.get("/v2/check", query_string={"text": RUDE, "language": "en", "apiKey": "no"}).status_code == 403


def test_data_with_text_instead_of_annotation(client: FlaskClient) -> None:
    data = json.dumps({"text": EMOJI_DRAFT, "metaData": {"EmailToAddress": "sam@example.com"}})
    body = _post(client, data=data).get_json()
    (match,) = [m for m in body["matches"] if m["rule"]["id"] == "banned.asinine"]
    assert match["offset"] == _utf16(EMOJI_DRAFT[: EMOJI_DRAFT.index("asinine")])


def test_modes_split_matches_like_an_add_in_expects(client: FlaskClient) -> None:
    """Add-ins send textLevelOnly and allButTextLevelOnly separately; tonecheck has no text-level rules."""
    every = _ids(_post(client, text=RUDE))
    assert every and _ids(_post(client, text=RUDE, mode="all")) == every
    assert _ids(_post(client, text=RUDE, mode="allButTextLevelOnly")) == every
    assert _ids(_post(client, text=RUDE, mode="textLevelOnly")) == []
    assert _ids(_post(client, text=RUDE, level="picky")) == every


@pytest.mark.parametrize("value", ["yes", "true"])
def test_enabled_only_yes_or_true(client: FlaskClient, value: str) -> None:
    assert _ids(_post(client, text=RUDE, enabledRules="banned.asinine", enabledOnly=value)) == ["banned.asinine"]


def test_overlapping_findings_one_per_span_most_severe_first() -> None:
    def f(rule: str, severity: str, start: int, end: int) -> dict[str, Any]:
        return {"rule_id": rule, "severity": severity, "start": start, "end": end}

    findings = [f("a", "info", 0, 20), f("b", "error", 5, 10), f("c", "warning", 8, 30), f("d", "info", 30, 35)]
    assert [x["rule_id"] for x in lt.without_overlaps(findings)] == ["b", "d"]
    same = [f("long", "warning", 0, 9), f("short", "warning", 0, 4), f("later", "warning", 2, 6)]
    assert [x["rule_id"] for x in lt.without_overlaps(same)] == ["long"]


def test_v2_drops_overlaps_that_v1_keeps(client: FlaskClient) -> None:
    text = "Honestly, that is an asinine question and you should have read the manual, idiot."
    v1 = client.post("/v1/check", json={"text": text}, headers=BEARER).get_json()["findings"]
    spans = [(x["start"], x["end"]) for x in v1]
    overlapping = any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[i + 1 :])
    matches = _post(client, text=text).get_json()["matches"]
    ranges = sorted((m["offset"], m["offset"] + m["length"]) for m in matches)
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))
    assert overlapping == (len(matches) < len(v1))


def test_build_date_sentence_ranges_and_rule_urls(client: FlaskClient) -> None:
    text = "Hi Sam 👋! That is asinine. Bye."
    body = _post(client, text=text).get_json()
    assert isinstance(body["software"]["buildDate"], str) and body["software"]["buildDate"][:2] == "20"
    pieces = [text.encode("utf-16-le")[2 * a : 2 * b].decode("utf-16-le") for a, b in body["sentenceRanges"]]
    assert any("asinine" in p for p in pieces) and len(pieces) >= 2
    (match,) = [m for m in body["matches"] if m["rule"]["id"] == "banned.asinine"]
    (url,) = match["rule"]["urls"]
    page = client.get(url["value"].replace("http://localhost", ""))
    assert page.status_code == 200 and page.mimetype == "text/plain"
    assert "banned" in page.get_data(as_text=True) and "asinine" in page.get_data(as_text=True)
    assert client.get("/v2/rules/nope").status_code == 404


GERMAN = "Hallo Herr Müller, das ist eine dumme Frage, Sie hätten das Handbuch lesen sollen. Idiot!"
FRENCH = "Bonjour Madame, merci pour votre message, nous regardons cela et revenons vers vous demain."


@pytest.mark.parametrize(("text", "code", "name"), [(GERMAN, "de-DE", "German (Germany)"), (FRENCH, "fr", "French")])
def test_auto_detects_non_english_and_answers_without_matches(
    client: FlaskClient, text: str, code: str, name: str
) -> None:
    body = _post(client, text=text, language="auto").get_json()
    assert body["matches"] == []
    assert body["language"]["code"] == code and body["language"]["name"] == name
    detected = body["language"]["detectedLanguage"]
    assert detected["code"] == code and 0.5 <= detected["confidence"] < 1.0 and detected["source"] == "lingua"
    assert _post(client, text=text, language="de-DE").get_json()["matches"] == []  # listed, accepted, not checked


def test_auto_checks_english_with_its_preferred_variant(client: FlaskClient) -> None:
    body = _post(client, text=RUDE, language="auto", preferredVariants="en-GB,de-AT").get_json()
    assert body["language"]["code"] == "en-GB" and body["language"]["detectedLanguage"]["code"] == "en-US"
    assert "banned.asinine" in [m["rule"]["id"] for m in body["matches"]]


def test_language_tool_python_reads_our_errors_and_mother_tongue(lt_server: str) -> None:
    """Errors as JSON made it fail with KeyError('matches'); de-DE was refused before sending."""
    tool = language_tool_python.LanguageTool("en-US", remote_server=lt_server, mother_tongue="de-DE")
    try:
        assert any(m.rule_id == "banned.asinine" for m in tool.check(RUDE))
        tool.enabled_rules_only = True  # with no enabled rules: LanguageTool's 400
        with pytest.raises(language_tool_python.exceptions.LanguageToolError, match="enabled rules"):
            tool.check(RUDE)
    finally:
        tool.close()
