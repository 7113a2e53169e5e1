"""What one app (one gunicorn worker) holds: settings, the loaded Checker, the key store.

It lives in ``app.extensions["tonecheck"]``, never in a module global, so tests can build many apps in one
process that share one Checker.

The check slot and the time budget (``http_check_budget_s``): a worker runs one check at a time. A request waits
at most the budget for the slot, then runs its check on a thread of its own and waits at most the budget for
it. Past either limit the request gets a JSON 503 (``check_busy`` or ``check_over_budget``) and its thread is
free again. A Python thread cannot be killed, so a check that ran over goes on in the background to its end,
holding the slot: meanwhile that worker's other checks get ``check_busy`` after waiting the budget, while
``/healthz``, ``/readyz`` and error answers stay prompt. There is never more than one such check per worker.

With micro-batching on (``http_batch_window_ms`` > 0, service/batcher.py) the requests that arrive together share
one check: a request waits at most the budget for the check that takes its texts to start (else ``check_busy``,
and it is withdrawn), then at most the budget from that start (else ``check_over_budget``).
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
from .batcher import Batcher
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
    batcher: Batcher | None = None  # built from the settings unless given; None = each request checked alone

    def __post_init__(self) -> None:
        if self.batcher is None and self.checker is not None and batching(self.settings, self.checker):
            self.batcher = Batcher(
                self.checker, self.lock,
                window_s=self.settings.http_batch_window_ms / 1000, max_texts=self.settings.http_batch_max_texts,
            )

    def require_checker(self) -> Checker:
        if self.checker is None:
            raise ModelUnavailable(self.load_error or "the checker is not loaded")
        return self.checker

    def check_many(self, texts: Sequence[str], pack: str | None) -> list[Report]:
        """The one call every route makes: the whole request's texts in one batch, within the time budget."""
        checker = self.require_checker()
        if self.batcher is not None:
            return self._check_batched(self.batcher, texts, pack)
        budget = self.settings.http_check_budget_s
        if budget <= 0:
            with self.lock, _timed():
                return checker.check_many(texts, pack=pack)
        if not self.lock.acquire(timeout=budget):
            raise _busy(budget)
        with _timed():
            deadline = time.perf_counter() + budget
            future = _in_own_thread(self.lock, checker.check_many, texts, pack=pack)
            reports = _result_by(future, deadline)
            if reports is not None:
                return reports
        raise _over_budget(budget, texts, future.done())

    def _check_batched(self, batcher: Batcher, texts: Sequence[str], pack: str | None) -> list[Report]:
        """Through the micro-batcher: the same budget, counted from the start of the pass that takes the texts."""
        budget = self.settings.http_check_budget_s
        job = batcher.submit(texts, pack)
        if not batcher.wait_started(job, budget if budget > 0 else None) and batcher.cancel(job):
            raise _busy(budget)
        with _timed():
            if budget <= 0:
                return job.future.result()
            reports = _result_by(job.future, job.started_at + budget)
            if reports is not None:
                return reports
        raise _over_budget(budget, texts, job.future.done())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no check runs (the slot is free); False if one still runs after ``timeout`` seconds."""
        if not self.lock.acquire(timeout=timeout):
            return False
        self.lock.release()
        return True


def batching(settings: Settings, checker: Checker) -> bool:
    """Whether requests that arrive together share one check: on, and exact unless inexact merges are allowed."""
    if settings.http_batch_window_ms <= 0:
        return False
    exact = checker.classifier is None or checker.classifier.batch_invariant
    return exact or not settings.http_batch_exact


def _result_by(future: Future[list[Report]], deadline: float) -> list[Report] | None:
    """The future's reports if they came by ``deadline`` (perf_counter), else None; its error is raised.

    Strict: a check that only finished after the deadline (code that holds the GIL can keep this thread from waking
    up in time) counts as late too, so no 200 ever comes from a check longer than the budget.
    """
    try:
        reports = future.result(timeout=max(0.0, deadline - time.perf_counter()))
    except FutureTimeout:
        return None
    return reports if time.perf_counter() <= deadline else None


def _busy(budget: float) -> ApiError:
    return ApiError(
        503,
        "check_busy",
        f"this worker is still finishing a check that ran past the time budget (http_check_budget_s = "
        f"{budget:g} s); no slot came free within {budget:g} s. Retry later",
        headers={"Retry-After": str(max(1, math.ceil(budget)))},
    )


def _over_budget(budget: float, texts: Sequence[str], finished: bool) -> ApiError:
    """The 503 for a check past the budget, logged with sizes only (never the text)."""
    log.warning(
        "request_id=%s check over budget (%g s): chars=%d items=%d; %s",
        g.get("request_id"), budget, sum(map(len, texts)), len(texts),
        "it finished late" if finished else "it finishes in the background",
    )
    return ApiError(
        503,
        "check_over_budget",
        f"the check ran past its time budget (http_check_budget_s = {budget:g} s) and was abandoned; "
        "split the text or the batch, or retry later",
        headers={"Retry-After": str(max(1, math.ceil(budget)))},
    )


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
