"""LanguageTool's HTTP API: POST /v2/check (form-encoded, as its clients send it) and GET /v2/languages.

A LanguageTool client pointed at this server shows tonecheck's findings; the conversion lives in
:mod:`service.languagetool`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from . import languagetool as lt
from .auth_hooks import require_key
from .errors import ApiError
from .inputs import checked_text
from .state import state

v2 = Blueprint("v2", __name__, url_prefix="/v2")


@v2.post("/check")
def check() -> Any:
    require_key()
    form = request.form
    if form.get("text") is not None:
        source = lt.plain(checked_text(form["text"], "text"))
    elif form.get("data") is not None:
        source = lt.annotated(form["data"])
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
        form.get("enabledOnly", "false").strip().lower() == "true",
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


@v2.get("/languages")
def languages() -> Any:
    """Public, like LanguageTool's: clients call it before they have sent a key."""
    return jsonify(lt.languages())
