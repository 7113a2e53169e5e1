"""tonecheck's HTTP service: a thin Flask layer over :class:`tonecheck.Checker`.

``create_app`` builds everything; nothing happens at import. Each surface is a blueprint: the JSON API
(service/api.py), the LanguageTool adapter (service/v2.py) and the draft page (service/page.py). In production
gunicorn calls ``create_app()`` once per worker (see service/command.py), so each worker loads the model and
rule packs once at start and warms them up before its first request.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from tonecheck import Checker, Settings, load_settings
from tonecheck.errors import ModelUnavailable

from . import errors, limits, requestlog
from .auth import KeyStore
from .state import ServiceState

log = logging.getLogger("tonecheck.service")
BODY_SLACK = 64 * 1024  # JSON punctuation, ids and field names on top of the texts themselves


def create_app(settings: Settings | None = None, checker: Checker | None = None) -> Flask:
    """Build the app.

    ``settings`` default to :func:`load_settings` (TOML via TONECHECK_CONFIG, then TONECHECK_* variables).
    Pass ``checker`` to share one loaded Checker between apps (tests); otherwise one is loaded and warmed up.
    """
    settings = settings or load_settings()
    app = Flask(__name__)
    limit = body_limit(settings)
    app.config.update(MAX_CONTENT_LENGTH=limit, MAX_FORM_MEMORY_SIZE=limit)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the Report's field order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # "//" and "/v1//check" are unknown paths (a JSON 404), not HTML redirects to the merged path.
    app.url_map.merge_slashes = False

    load_error = None
    if checker is None:
        checker, load_error = _load_checker(settings)
    app.extensions["tonecheck"] = ServiceState(
        settings=settings,
        checker=checker,
        keys=KeyStore(settings.api_keys, settings.keys_file),
        load_error=load_error,
        rules=_rule_index(checker),
    )
    if settings.auth and not app.extensions["tonecheck"].keys.configured:
        log.warning("auth is on but no API keys are configured: every /v1 and /v2/check request will get 401")

    requestlog.init_app(app)
    limits.init_app(app, settings)
    errors.register(app)
    _register_blueprints(app)
    _init_cors(app, settings)
    return app


def body_limit(settings: Settings) -> int:
    """The request body cap in bytes, derived from the text and batch limits."""
    # Worst case per character: a 4-byte character written as a 12-byte JSON escape pair (\ud83d\ude00).
    return settings.http_max_chars * 12 * max(1, settings.http_max_batch) + BODY_SLACK


def _load_checker(settings: Settings) -> tuple[Checker | None, str | None]:
    """Load and warm up. No model: the app stays up but not ready (503); a broken pack stops start-up."""
    try:
        checker = Checker.load(settings)
    except ModelUnavailable as exc:
        log.error("tone model unavailable: %s", exc)
        return None, str(exc)
    checker.load_all_packs()
    checker.warm_up()
    packs = ",".join(checker.pack_names())
    log.info("checker loaded: packs=%s model=%s", packs, checker.classifier is not None)
    return checker, None


def _rule_index(checker: Checker | None) -> dict[str, dict[str, Any]]:
    """Rule id -> its public description, for LanguageTool's rule.description."""
    if checker is None:
        return {}
    return {rule["id"]: rule for pack in checker.describe_packs() for rule in pack["rules"]}


def _register_blueprints(app: Flask) -> None:
    from .api import bp, v1
    from .page import page
    from .v2 import v2

    for blueprint in (bp, v1, v2, page):
        app.register_blueprint(blueprint)


def _init_cors(app: Flask, settings: Settings) -> None:
    """Browser plugins on the configured origins only; with none configured, no CORS headers at all."""
    if not settings.cors_origins:
        return
    from flask_cors import CORS

    CORS(
        app,
        resources={r"/v1/*": {}, r"/v2/*": {}},
        origins=list(settings.cors_origins),
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
    )
