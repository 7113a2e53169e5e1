"""Reading request bodies: JSON objects, typed fields, the HTTP length limit; each failure names its field.

Only shape and size are checked here; whether a text can be checked (empty, binary) is the library's call.
"""

from __future__ import annotations

import json
from typing import Any

from flask import g, request

from tonecheck.errors import TextTooLong

from .errors import ApiError
from .state import state


def json_object() -> dict[str, Any]:
    """The body as a JSON object: 400 if it is not JSON at all, 422 if it is JSON but not an object."""
    raw = request.get_data(cache=True)
    cap = request.max_content_length
    if request.content_length is None and cap is not None and len(raw) >= cap:
        # A chunked body is cut at the cap by werkzeug without an error; cut JSON is not "malformed", it is big.
        raise ApiError(413, "too_large", f"request body too large (the limit is {cap} bytes)")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError.malformed("request body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ApiError.malformed(f"request body is not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise ApiError.malformed("request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise ApiError.invalid("(body)", "request body must be a JSON object")
    return body


def required_str(obj: dict[str, Any], key: str, field: str) -> str:
    if key not in obj:
        raise ApiError.invalid(field, f"missing required field '{field}'")
    value = obj[key]
    if not isinstance(value, str):
        raise ApiError.invalid(field, f"field '{field}' must be a string, not {_json_type(value)}")
    return value


def optional_str(obj: dict[str, Any], key: str, field: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError.invalid(field, f"field '{field}' must be a string, not {_json_type(value)}")
    return value


def checked_text(value: str, field: str) -> str:
    """Enforce the service's text limit (often below the library's) before any work is done."""
    limit = state().settings.http_max_chars
    g.text_field = field
    if len(value) > limit:
        raise TextTooLong(len(value), limit)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # JSON may escape a lone surrogate (\ud800); it is not text
        raise ApiError.invalid(field, f"field '{field}' is not valid Unicode (lone surrogate)") from None
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}.get(
        type(value), "a string"
    )
