"""The before-request hooks that guard /v1 and /v2/check: a valid key, or the explicit open mode.

Two steps, so that the rate limiter can sit between them (see :func:`service.limits.init_app`):
:func:`identify_key` notes which key a request carries (``g.key_name``, None when it has no valid one) and
never refuses anything; :func:`require_key` then refuses a request without one. Checking a key costs a hash
and a constant-time compare (microseconds), so a flood of wrong keys is cheap to refuse and is counted by
the per-address limit before it is refused.
"""

from __future__ import annotations

from flask import g, request

from .auth import bearer_token
from .errors import ApiError
from .state import state
from .v2 import parameters as lt_parameters

# Endpoints that need a key when auth is on. /v2/languages, health, the document and the page are public.
PROTECTED = frozenset({"v1.check", "v1.check_batch", "v1.packs", "v2.check"})
# LanguageTool clients send the key as the parameter ``apiKey``; only the LanguageTool endpoint takes it.
# /v1 is JSON only, so a key in a form body there is never looked at (the request gets 401).
FORM_KEY_ENDPOINTS = frozenset({"v2.check"})


def protected() -> bool:
    return request.endpoint in PROTECTED


def identify_key() -> None:
    """Note the request's key name in ``g.key_name`` ("open" in open mode; None: no valid key)."""
    if not protected():
        return
    current = state()
    if not current.settings.auth:
        g.key_name = "open"
        return
    presented = bearer_token(request.headers.get("Authorization"))
    if presented is None and request.endpoint in FORM_KEY_ENDPOINTS:
        # LanguageTool reads apiKey from the query string or the body whatever its Content-Type: service/v2.py
        presented = lt_parameters().get("apiKey") or None
    g.key_name = current.keys.verify(presented)


def require_key() -> None:
    """Refuse a protected request without a valid key (401). CORS preflights carry no credentials by design."""
    if not protected() or not state().settings.auth or request.method == "OPTIONS":
        return
    if g.get("key_name") is None:
        raise ApiError.unauthorized()
