"""The before-request hook that guards /v1 and /v2/check: a valid key, or the explicit open mode."""

from __future__ import annotations

from flask import g, request

from .auth import bearer_token
from .errors import ApiError
from .state import state


def require_key() -> None:
    """Accept ``Authorization: Bearer <key>``; on form posts also LanguageTool's ``apiKey`` field."""
    current = state()
    if not current.settings.auth:
        g.key_name = "open"
        return
    if request.method == "OPTIONS":  # CORS preflight carries no credentials by design
        return
    presented = bearer_token(request.headers.get("Authorization"))
    if presented is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        presented = request.form.get("apiKey") or None
    name = current.keys.verify(presented)
    if name is None:
        raise ApiError.unauthorized()
    g.key_name = name
