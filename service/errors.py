"""Every failure of the HTTP service becomes one JSON error body here, through one table.

Library errors (:mod:`tonecheck.errors`) map to a status in :data:`ERROR_TABLE`; HTTP-level problems (bad
JSON, a wrong field, a missing key) are :class:`ApiError`; werkzeug's own (404, 405, 413) keep their status.
Whatever the cause, the body is ``{"error": {"status", "code", "message", "field", "request_id"}}``, never an
HTML page or a traceback. Messages come from our code or from ``ToneCheckError``, never quoting user text.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from tonecheck.errors import (
    InputError,
    ModelUnavailable,
    RulePackError,
    TextTooLong,
    ToneCheckError,
    UnknownPack,
)

log = logging.getLogger("tonecheck.service")

# (library exception, HTTP status, error code): first match wins, so subclasses come first.
ERROR_TABLE: tuple[tuple[type[ToneCheckError], int, str], ...] = (
    (UnknownPack, 404, "unknown_pack"),
    (RulePackError, 500, "rule_pack_error"),
    (ModelUnavailable, 503, "model_unavailable"),
    (TextTooLong, 413, "text_too_long"),
    (InputError, 422, "invalid_text"),
    (ToneCheckError, 500, "internal_error"),
)

# Which request field a library error is about, when the route has not said (see ``g.text_field``).
_DEFAULT_FIELD = {UnknownPack: "pack", TextTooLong: "text", InputError: "text"}


class ApiError(Exception):
    """An HTTP-level failure raised by a route or a hook: status, stable code, message, field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    @classmethod
    def malformed(cls, message: str) -> ApiError:
        return cls(400, "malformed_request", message)

    @classmethod
    def invalid(cls, field: str, message: str) -> ApiError:
        return cls(422, "invalid_field", message, field)

    @classmethod
    def too_large(cls, field: str, message: str) -> ApiError:
        return cls(413, "too_large", message, field)

    @classmethod
    def unauthorized(cls) -> ApiError:
        return cls(
            401,
            "unauthorized",
            "missing or invalid API key: send 'Authorization: Bearer <key>' (on /v2 also: form field apiKey)",
            headers={"WWW-Authenticate": 'Bearer realm="tonecheck"'},
        )


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one error shape (documented as ``Error`` in the OpenAPI document)."""
    return {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "field": field,
            "request_id": g.get("request_id"),
        }
    }


def _respond(status: int, code: str, message: str, field: str | None, headers: dict[str, str]) -> Response:
    response = jsonify(error_body(status, code, message, field))
    response.status_code = status
    for name, value in headers.items():
        response.headers[name] = value
    if "Retry-After" in headers:
        g.retry_after = headers["Retry-After"]  # Flask-Limiter rewrites the header; service/limits.py restores it
    return response


def classify(exc: ToneCheckError) -> tuple[int, str]:
    """(status, code) for a library error, from :data:`ERROR_TABLE`."""
    return next((status, code) for kind, status, code in ERROR_TABLE if isinstance(exc, kind))


def _library_field(exc: ToneCheckError) -> str | None:
    if isinstance(exc, UnknownPack):
        return g.get("pack_field", "pack")
    for kind, field in _DEFAULT_FIELD.items():
        if isinstance(exc, kind):
            return g.get("text_field", field)
    return None


def _handle_api_error(exc: ApiError) -> Response:
    return _respond(exc.status, exc.code, exc.message, exc.field, exc.headers)


def _handle_library_error(exc: ToneCheckError) -> Response:
    status, code = classify(exc)
    if status >= 500:
        log.error("request_id=%s library error %s: %s", g.get("request_id"), type(exc).__name__, exc)
    return _respond(status, code, str(exc), _library_field(exc), {})


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    400: "malformed_request",
    429: "rate_limited",
}


def _handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, (exc.name or "error").lower().replace(" ", "_"))
    message = {
        404: "no such endpoint; see /openapi.json",
        405: "method not allowed on this endpoint",
        413: "request body too large",
        429: f"rate limit exceeded ({exc.description}); retry after the Retry-After header's seconds",
    }.get(status, exc.description or exc.name or "error")
    headers = {}
    if getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # type: ignore[attr-defined]
    return _respond(status, code, message, None, headers)


def _handle_unexpected(exc: Exception) -> Response:
    """A bug: log where it happened (frames only; the message may quote input) and answer a bare 500."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("request_id=%s unhandled %s\n%s", g.get("request_id"), type(exc).__name__, frames)
    return _respond(500, "internal_error", "internal error; quote the request id when reporting it", None, {})


def _json_only(response: Response) -> Response:
    """Responses Flask makes itself, made JSON: OPTIONS (an empty text/html 200) and routing redirects."""
    if response.mimetype == "application/json" or request.method == "HEAD":
        return response
    if request.method == "OPTIONS" and response.status_code == 200:
        allowed = [m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()]
        response.set_data(json.dumps({"allow": allowed}))
        response.mimetype = "application/json"
    elif 300 <= response.status_code < 400 and "Location" in response.headers:
        response.set_data(json.dumps({"location": response.headers["Location"]}))
        response.mimetype = "application/json"
    return response


def _refuse_empty_segments() -> None:
    """A path with '//' names no endpoint: 404, not whatever werkzeug would make of the merged path."""
    if "//" in request.environ.get("PATH_INFO", ""):  # request.path would strip leading slashes
        raise ApiError(404, "not_found", "no such endpoint; see /openapi.json")


def register(app: Flask) -> None:
    """Install the handlers; Flask picks the most specific registered class for each exception."""
    app.before_request(_refuse_empty_segments)
    app.after_request(_json_only)
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(ToneCheckError, _handle_library_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)
