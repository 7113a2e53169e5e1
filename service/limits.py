"""Rate limits per client address and per API key (Flask-Limiter), answered with a JSON 429 and Retry-After.

Both limits apply to the protected endpoints (/v1/*, /v2/check) while auth is on; open mode (loopback only, one
user) has none. The per-address limit counts every such request, with a valid key or not, so a client trying
keys is slowed down too; the per-key limit counts requests that carry a valid key, from wherever they come.

Counters live in ``http_rate_limit_storage``: ``memory://`` (the default) keeps them in each gunicorn worker,
so with N workers a client gets up to N times the configured rate, depending on which worker the kernel hands
its connections to. ``redis://host:6379`` (with the ``redis`` package installed) shares them between workers
and machines, making the limits exact.
"""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask_limiter import ApplicationLimit, Limiter

from tonecheck import Settings

from .auth_hooks import identify_key, protected, require_key

OFF = {"", "off", "none", "0"}


def client_address() -> str:
    """The peer's address. Behind a reverse proxy this is the proxy: see docs/service.md, Production."""
    return request.remote_addr or "unknown"


def key_name() -> str:
    return g.get("key_name") or ""


def _retry_after_on_429_only(response: Response) -> Response:
    """Flask-Limiter puts Retry-After on every limited response; it means "wait" only on a 429 (or our 503s)."""
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
        if g.get("retry_after"):  # an error's own, e.g. check_busy's (service/errors.py keeps it in g)
            response.headers["Retry-After"] = g.retry_after
    elif int(response.headers.get("Retry-After", "0") or 0) < 1:
        response.headers["Retry-After"] = "1"
    return response


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Install the key hooks around the limiter: identify the key, count, then refuse a missing key."""
    app.before_request(identify_key)
    limiter = None
    limits = []
    if settings.auth and settings.http_rate_limit_address.strip().lower() not in OFF:
        limits.append(
            ApplicationLimit(
                settings.http_rate_limit_address,
                key_function=client_address,
                scope="address",
                exempt_when=lambda: not protected(),
            )
        )
    if settings.auth and settings.http_rate_limit_key.strip().lower() not in OFF:
        limits.append(
            ApplicationLimit(
                settings.http_rate_limit_key,
                key_function=key_name,
                scope="key",
                exempt_when=lambda: not protected() or not g.get("key_name"),
            )
        )
    if limits:
        app.after_request(_retry_after_on_429_only)  # runs after the limiter's own header hook
        limiter = Limiter(
            key_func=client_address,
            app=app,
            application_limits=limits,
            storage_uri=settings.http_rate_limit_storage,
            strategy="moving-window",
            headers_enabled=True,
            key_prefix="tonecheck",
        )
    app.before_request(require_key)
    return limiter
