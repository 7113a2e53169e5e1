"""Model findings over HTTP with the real model: marked as such on /v1, their own rule ids and tag on /v2."""

from __future__ import annotations

from flask.testing import FlaskClient
from service_helpers import assert_documented

from service import create_app
from tonecheck import Checker, Settings

THREAT = "Thanks for the photos. Keep emailing the CEO and watch how fast your warranty claim moves."


def _client(settings: Settings, tone_checker: Checker) -> FlaskClient:
    return create_app(settings, checker=tone_checker).test_client()


def test_v1_marks_model_findings(settings: Settings, tone_checker: Checker, auth: dict[str, str]) -> None:
    response = _client(settings, tone_checker).post("/v1/check", json={"text": THREAT}, headers=auth)
    body = response.get_json()
    assert response.status_code == 200
    assert_documented("/v1/check", "post", 200, body)
    model = [f for f in body["findings"] if f["source"] == "model"]
    assert model, body
    for f in model:
        assert f["rule_id"] == f"model.{f['category']}" and 0 < f["score"] <= 1
        assert THREAT[f["start"] : f["end"]] == f["text"]
    assert all(f["score"] is None for f in body["findings"] if f["source"] == "rule")


def test_v2_reports_model_findings_as_their_own_rules(settings: Settings, tone_checker: Checker,
                                                      auth: dict[str, str]) -> None:
    response = _client(settings, tone_checker).post(
        "/v2/check", data={"text": THREAT, "language": "en-US"}, headers=auth)
    assert response.status_code == 200
    matches = [m for m in response.get_json()["matches"] if m["rule"]["id"].startswith("model.")]
    assert matches, response.get_json()
    for m in matches:
        assert "tonecheck-model" in m["rule"]["tags"]
        assert THREAT[m["offset"] : m["offset"] + m["length"]] == m["context"]["text"][
            m["context"]["offset"] : m["context"]["offset"] + m["context"]["length"]]
