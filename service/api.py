"""The JSON API: /v1/check, /v1/check/batch, /v1/packs, plus /healthz, /readyz and /openapi.json.

Routes parse, call :meth:`ServiceState.check_many` once, and return ``Report.to_dict()`` unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from .errors import ApiError, error_body
from .inputs import checked_text, json_object, optional_str, required_str
from .languagetool import Utf16
from .openapi import document
from .state import state

bp = Blueprint("api", __name__)
v1 = Blueprint("v1", __name__, url_prefix="/v1")  # keys and rate limits: service/limits.py


@v1.post("/check")
def check() -> Any:
    body = json_object()
    text = checked_text(required_str(body, "text", "text"), "text")
    pack = optional_str(body, "pack", "pack")
    query, field = request.args.get("offsets"), optional_str(body, "offsets", "offsets")
    for value in (query, field):
        if value is not None and value not in ("codepoints", "utf16"):
            raise ApiError.invalid("offsets", "offsets (field or query parameter) must be 'codepoints' or 'utf16'")
    offsets = field or query or "codepoints"
    g.chars = len(text)
    (report,) = state().check_many([text], pack)
    result = report.to_dict()
    if offsets == "utf16":  # JavaScript slices strings by UTF-16 code units: add, never replace, start/end
        u16 = Utf16(text)
        for finding in result["findings"]:
            finding["start_utf16"], finding["end_utf16"] = u16(finding["start"]), u16(finding["end"])
    return jsonify(result)


@v1.post("/check/batch")
def check_batch() -> Any:
    body = json_object()
    items = body.get("items")
    if not isinstance(items, list):
        raise ApiError.invalid("items", "field 'items' must be an array of {\"id\": str, \"text\": str}")
    if not items:
        raise ApiError.invalid("items", "field 'items' must hold at least one item")
    limit = state().settings.http_max_batch
    if len(items) > limit:
        raise ApiError.too_large("items", f"{len(items)} items in one batch; the limit is {limit}")
    pack = optional_str(body, "pack", "pack")
    ids, texts = [], []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ApiError.invalid(f"items[{i}]", f"items[{i}] must be an object with 'id' and 'text'")
        ids.append(required_str(item, "id", f"items[{i}].id"))
        texts.append(checked_text(required_str(item, "text", f"items[{i}].text"), f"items[{i}].text"))
    g.text_field = "items"  # the library names the bad item's index in its message
    g.chars, g.items = sum(map(len, texts)), len(texts)
    reports = state().check_many(texts, pack)
    return jsonify({"results": [{"id": i, "report": r.to_dict()} for i, r in zip(ids, reports, strict=True)]})


@v1.get("/packs")
def packs() -> Any:
    return jsonify({"packs": state().require_checker().describe_packs()})


@bp.get("/healthz")
def healthz() -> Any:
    """Process up: answers even while the model is missing, so an orchestrator can tell the two apart."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    current = state()
    checker = current.checker
    if checker is None or not checker.ready:
        message = current.load_error or "the checker is not ready"
        response = jsonify(error_body(503, "model_unavailable", message))
        response.status_code = 503
        return response
    return jsonify(
        {"status": "ready", "packs": checker.pack_names(), "model": checker.classifier is not None}
    )


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document(state().settings))
