"""What one app (one gunicorn worker) holds: settings, the loaded Checker, the key store.

It lives in ``app.extensions["tonecheck"]``, never in a module global, so tests can build many apps in one
process that share one Checker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from tonecheck import Checker, Report, Settings
from tonecheck.errors import ModelUnavailable

from .auth import KeyStore


@dataclass
class ServiceState:
    settings: Settings
    checker: Checker | None
    keys: KeyStore
    load_error: str | None = None
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule id -> describe() of the rule
    # One check at a time per worker: CPU-bound work gains nothing from threads, and the threads stay free to
    # answer health checks and read slow uploads.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def require_checker(self) -> Checker:
        if self.checker is None:
            raise ModelUnavailable(self.load_error or "the checker is not loaded")
        return self.checker

    def check_many(self, texts: Sequence[str], pack: str | None) -> list[Report]:
        """The one call every route makes: the whole request's texts in one batch."""
        checker = self.require_checker()
        with self.lock, _timed():
            return checker.check_many(texts, pack=pack)


@contextmanager
def _timed() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        g.check_ms = (time.perf_counter() - started) * 1000


def state() -> ServiceState:
    return current_app.extensions["tonecheck"]
