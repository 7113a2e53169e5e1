"""What one app (one gunicorn worker) holds: settings, the loaded Checker, the key store.

It lives in ``app.extensions["tonecheck"]``, never in a module global, so tests can build many apps in one
process that share one Checker.

The check slot and the time budget (``http_check_budget_s``): a worker runs one check at a time. A request waits
at most the budget for the slot, then runs its check on a thread of its own and waits at most the budget for
it. Past either limit the request gets a JSON 503 (``check_busy`` or ``check_over_budget``) and its thread is
free again. A Python thread cannot be killed, so a check that ran over goes on in the background to its end,
holding the slot: meanwhile that worker's other checks get ``check_busy`` after waiting the budget, while
``/healthz``, ``/readyz`` and error answers stay prompt. There is never more than one such check per worker.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from tonecheck import Checker, Report, Settings
from tonecheck.errors import ModelUnavailable

from .auth import KeyStore
from .errors import ApiError

log = logging.getLogger("tonecheck.service")


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
        """The one call every route makes: the whole request's texts in one batch, within the time budget."""
        checker = self.require_checker()
        budget = self.settings.http_check_budget_s
        if budget <= 0:
            with self.lock, _timed():
                return checker.check_many(texts, pack=pack)
        if not self.lock.acquire(timeout=budget):
            raise ApiError(
                503,
                "check_busy",
                f"this worker is still finishing a check that ran past the time budget (http_check_budget_s = "
                f"{budget:g} s); no slot came free within {budget:g} s. Retry later",
                headers={"Retry-After": str(max(1, math.ceil(budget)))},
            )
        with _timed():
            deadline = time.perf_counter() + budget
            future = _in_own_thread(self.lock, checker.check_many, texts, pack=pack)
            try:
                reports = future.result(timeout=max(0.0, deadline - time.perf_counter()))
            except FutureTimeout:
                reports = None
            # Strict: a check that only finished after the deadline (code that holds the GIL can keep this thread
            # from waking up in time) is over budget too, so no 200 ever comes from a check longer than the budget.
            if reports is not None and time.perf_counter() <= deadline:
                return reports
        log.warning(
            "request_id=%s check over budget (%g s): chars=%d items=%d; %s",
            g.get("request_id"), budget, sum(map(len, texts)), len(texts),
            "it finished late" if reports is not None else "it finishes in the background",
        )
        raise ApiError(
            503,
            "check_over_budget",
            f"the check ran past its time budget (http_check_budget_s = {budget:g} s) and was abandoned; "
            "split the text or the batch, or retry later",
            headers={"Retry-After": str(max(1, math.ceil(budget)))},
        )

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no check runs (the slot is free); False if one still runs after ``timeout`` seconds."""
        if not self.lock.acquire(timeout=timeout):
            return False
        self.lock.release()
        return True


def _in_own_thread(slot: threading.Lock, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
    """Run ``fn`` on a new daemon thread that releases ``slot`` (already held) when ``fn`` returns or raises."""
    future: Future[Any] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the waiting request, which re-raises it
            slot.release()
            future.set_exception(exc)
        else:
            slot.release()
            future.set_result(result)

    try:
        threading.Thread(target=run, name="tonecheck-check", daemon=True).start()
    except BaseException:
        slot.release()
        raise
    return future


@contextmanager
def _timed() -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        g.check_ms = (time.perf_counter() - started) * 1000


def state() -> ServiceState:
    return current_app.extensions["tonecheck"]
