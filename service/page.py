"""GET /: the draft page for reps. Plain HTML, CSS and JS from service/static; it calls /v1/check.

With auth on, the page asks for an API key and keeps it in the tab's sessionStorage (gone when the tab
closes); in open mode it hides that field.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from .state import state

page = Blueprint(
    "page", __name__, static_folder="static", static_url_path="/static", template_folder="templates"
)

# No inline script or style, nothing from elsewhere: the page talks to this server only.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


@page.get("/")
def draft() -> Any:
    current = state()
    html = render_template(
        "draft.html", auth=current.settings.auth, max_chars=current.settings.http_max_chars
    )
    return html, 200, {"Content-Security-Policy": CSP, "Cache-Control": "no-store"}
