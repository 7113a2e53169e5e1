"""LanguageTool's HTTP API: POST /v2/check (form-encoded, as its clients send it) and GET /v2/languages.

A LanguageTool client pointed at this server shows tonecheck's findings; the conversion lives in
:mod:`service.languagetool`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from . import languagetool as lt
from .errors import ApiError
from .inputs import checked_text
from .state import state

v2 = Blueprint("v2", __name__, url_prefix="/v2")


@v2.post("/check")
def check() -> Any:
    form = request.form  # the key (Bearer or apiKey) was checked before: service/limits.py
    if form.get("text") is not None:
        source = lt.plain(checked_text(form["text"], "text"))
    elif form.get("data") is not None:
        # An empty data is an empty text (answered like a blank text below), not JSON that failed to parse.
        source = lt.annotated(form["data"]) if form["data"].strip() else lt.plain(form["data"])
        checked_text(source.original, "data")
        g.text_field = "data"
    else:
        raise ApiError.invalid("text", "missing required field 'text' (or 'data')")
    if "language" not in form:
        raise ApiError.invalid("language", "missing required field 'language'")
    language = lt.resolve_language(form["language"])
    keep = lt.rule_filter(
        lt.split_ids(form.get("enabledRules")),
        lt.split_ids(form.get("disabledRules")),
        _flag(form, "enabledOnly"),
        lt.split_ids(form.get("enabledCategories")),
        lt.split_ids(form.get("disabledCategories")),
    )
    g.chars = len(source.original)
    current = state()
    pack = form.get("pack") or None
    if not source.checked.strip():
        # LanguageTool answers a blank text with no matches, and editor plugins send one whenever the box is
        # empty: an error here would pop up in the rep's editor. /v1 stays strict (422 invalid_text).
        current.require_checker().pack(pack)  # an unknown pack is still a 404
        return jsonify(lt.response(source, lt.EMPTY_REPORT, language, current.rules, keep))
    (report,) = current.check_many([source.checked], pack)
    return jsonify(lt.response(source, report.to_dict(), language, current.rules, keep))


def _flag(form: Any, name: str) -> bool:
    """LanguageTool's boolean form fields: "true" or "false" (absent: false); anything else is a 422."""
    value = form.get(name, "false")
    if value not in ("true", "false"):
        raise ApiError.invalid(name, f"field '{name}' must be 'true' or 'false'")
    return value == "true"


@v2.get("/languages")
def languages() -> Any:
    """Public, like LanguageTool's: clients call it before they have sent a key."""
    return jsonify(lt.languages())
