"""A request id for every request and one log line per response: ids, status, sizes, timings; never text.

The line is built only from the route, the method, byte counts and timings, so no code path can put an email
body (or a query string that might hold one) into the log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("tonecheck.service")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_HEADER = "X-Request-ID"


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _CLIENT_ID.match(incoming) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
    log.info(
        "request_id=%s method=%s route=%s status=%d in_bytes=%d out_bytes=%s chars=%s items=%s "
        "check_ms=%s total_ms=%.1f key=%s",
        g.get("request_id"),
        request.method,
        route,
        response.status_code,
        request.content_length or 0,
        response.calculate_content_length() if not response.is_streamed else "-",
        g.get("chars", "-"),
        g.get("items", "-"),
        f"{g.check_ms:.1f}" if "check_ms" in g else "-",
        elapsed_ms,
        g.get("key_name", "-"),
    )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    _ensure_handler()


def _ensure_handler() -> None:
    """Under a bare ``gunicorn 'service:create_app()'`` nobody configures logging; the request log still goes out."""
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
