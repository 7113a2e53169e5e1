"""LanguageTool's HTTP API as its own server speaks it: /v2/check (GET or POST), /v2/languages, /v2/rules/<id>.

A LanguageTool client pointed at this server shows tonecheck's findings; the conversion lives in
:mod:`service.languagetool`. What is mirrored from LanguageTool's server (languagetool-org/languagetool,
languagetool-server/src/main/java/org/languagetool/server/):

* parameters (LanguageToolHttpHandler.getRequestQuery): the query string, and on POST also the raw body parsed
  as ``application/x-www-form-urlencoded`` whatever its Content-Type (JSON-labelled, text/plain or none); a
  query parameter wins over a body one of the same name. A multipart body (which LanguageTool cannot read) is
  still accepted, as before.
* errors (LanguageToolHttpHandler.handle's catch block): ``text/plain`` ``Error: <message>``; a bad parameter is
  400 (IllegalArgumentException/BadRequestException), a missing or wrong key 403 (AuthException), a text over
  the limit 413 (TextTooLongException). Others keep their status: unknown pack 404, 405, 429 (the rate limit,
  with Retry-After; LanguageTool's RequestLimiter answers 403), 503, 500.
* ``mode``, ``level``, ``enabledOnly``, ``motherTongue``, ``preferredVariants``: ServerTools.getMode/getLevel,
  TextChecker.checkText and V2TextChecker.getPreferredVariants (see :func:`service.languagetool.options`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from . import languagetool as lt
from .errors import ApiError
from .inputs import checked_text
from .state import state

v2 = Blueprint("v2", __name__, url_prefix="/v2")
_MULTIPART = "multipart/form-data"
_DETECTOR = "tonecheck.language_detector"


def parameters() -> dict[str, str]:
    """The request's LanguageTool parameters (computed once per request, also read by the key hook)."""
    if "lt_params" not in g:
        g.lt_params = _read_parameters()
    return g.lt_params


def _read_parameters() -> dict[str, str]:
    params: dict[str, str] = {}
    if request.method == "POST":
        if request.mimetype == _MULTIPART:
            params.update(request.form.items())
        else:
            raw = request.get_data(cache=True, parse_form_data=False)
            cap = request.max_content_length
            if request.content_length is None and cap is not None and len(raw) >= cap:
                raise ApiError(413, "too_large", f"request body too large (the limit is {cap} bytes)")
            try:
                params.update(parse_query(raw.decode("utf-8")))
            except UnicodeDecodeError:
                raise ApiError.malformed("request body is not UTF-8") from None
    params.update(parse_query(request.query_string.decode("latin-1")))  # POST requests can have a query too
    return params


def parse_query(query: str) -> dict[str, str]:
    """LanguageToolHttpHandler.getParameterMap: split on '&', pairs without '=' ignored, the last one wins."""
    params = {}
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep:
            params[unquote_plus(name)] = unquote_plus(value)
    return params


@v2.route("/check", methods=["GET", "POST"])
def check() -> Any:
    params = parameters()  # the key (Bearer or apiKey) was checked before: service/auth_hooks.py
    opts = lt.options(params)
    if params.get("text") is not None:
        source = lt.plain(checked_text(params["text"], "text"))
    else:
        data = params["data"]  # options() refused a request with neither
        # An empty data is an empty text (answered like a blank text below), not JSON that failed to parse.
        source = lt.annotated(data) if data.strip() else lt.plain(data)
        checked_text(source.original, "data")
        g.text_field = "data"
    keep = lt.rule_filter(
        opts.enabled_rules, opts.disabled_rules, opts.enabled_only, opts.enabled_categories, opts.disabled_categories
    )
    g.chars = len(source.original)
    current = state()
    detected = lt.detect(_detector(), source.checked)
    language = lt.used_language(opts.language, detected, opts.preferred_variants)
    rule_url = url_for("v2.rule", rule_id="RULE_ID", _external=True).replace("RULE_ID", "{}")
    if not source.checked.strip() or not lt.is_checked(language) or opts.mode == "textLevelOnly":
        # LanguageTool answers a blank text with no matches, and editor plugins send one whenever the box is
        # empty: an error here would pop up in the rep's editor. /v1 stays strict (422 invalid_text).
        # A language tonecheck does not check gets no matches, and no text-level rules exist here.
        current.require_checker().pack(opts.pack)  # an unknown pack is still a 404
        return jsonify(lt.response(source, lt.EMPTY_REPORT, language, detected, current.rules, keep, rule_url))
    (report,) = current.check_many([source.checked], opts.pack)
    return jsonify(lt.response(source, report.to_dict(), language, detected, current.rules, keep, rule_url))


def _detector() -> Any:
    """One language detector per app, built on first use (lingua keeps its models loaded across detectors)."""
    detector = current_app.extensions.get(_DETECTOR)
    if detector is None:
        detector = current_app.extensions[_DETECTOR] = lt.build_detector()
    return detector


@v2.get("/languages")
def languages() -> Any:
    """Public, like LanguageTool's: clients call it before they have sent a key."""
    return jsonify(lt.languages())


@v2.get("/rules/<rule_id>")
def rule(rule_id: str) -> Any:
    """The page a match's ``rule.urls`` points to (public): the rule's message, description and words."""
    rules = state().rules
    info = rules.get(rule_id) or rules.get(rule_id.split(".", 1)[0])
    if info is None:
        raise ApiError(404, "not_found", "no such rule")
    return Response(lt.rule_page(info), mimetype="text/plain")


@v2.after_app_request
def _languagetool_errors(response: Response) -> Response:
    """Every error under /v2 as LanguageTool's server sends it: ``text/plain`` ``Error: ...`` (see module doc)."""
    if not request.path.startswith("/v2/") or response.status_code < 400 or not response.is_json:
        return response
    body = response.get_json(silent=True) or {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return response
    status = lt.ERROR_STATUS.get(response.status_code, response.status_code)
    response.set_data(f"Error: {error.get('message', 'error')}")
    response.mimetype = "text/plain"
    response.status_code = status
    if status == 403:
        response.headers.pop("WWW-Authenticate", None)  # LanguageTool's 403 asks for no scheme
    return response
