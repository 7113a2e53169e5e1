"""Micro-batching: the check requests that arrive together in one worker share one spaCy pass and one model pass.

A worker checks one thing at a time (its check slot, ``ServiceState.lock``), so under load its request threads
used to queue for the slot and each ran a pass of its own. Here they queue their texts instead, and one pass
checks everything queued (:meth:`tonecheck.Checker.check_groups`), which is cheaper per text than separate passes.

The batching is "natural": there is no fixed delay. A request that finds the slot free starts a pass at once on
a new thread, alone or with whatever is queued, so a lone request waits for nothing. Requests that arrive while
a pass runs queue up, and when the pass ends the same thread takes them (up to ``max_texts`` texts) into the
next one. Only then, under load, does it wait up to ``window_s`` for more requests to join (clients whose answers
were just sent come straight back). With the queue empty it gives the slot back and ends, so no thread lingers
and nothing has to be stopped at shutdown.

A request's outcome is its own: an invalid text fails its request with the error ``check_many`` would raise, and
if a whole pass fails, each of its requests is checked again alone, so one bad request never fails the others.
The time budget still holds per request (service/state.py): a queued request can be withdrawn until its pass
starts (:meth:`Batcher.cancel`), and its budget for the check counts from the start of that pass.

A worker gets a batcher only where merging keeps every report byte-identical to a lone check (rules only, or the
fp32 model), unless ``http_batch_exact`` is off: see :func:`service.state.batching`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from tonecheck import Checker, Report

_RETRY_S = 0.05  # how often a waiting request retries to start a pass when the slot was held by someone else


@dataclass(eq=False)
class Job:
    """One request's texts, and where its reports (or its error) arrive."""

    texts: Sequence[str]
    pack: str | None
    future: Future[list[Report]] = field(default_factory=Future)
    started: threading.Event = field(default_factory=threading.Event)
    started_at: float = 0.0  # time.perf_counter() when its pass began
    state: str = "queued"  # queued -> running, or queued -> cancelled


class Batcher:
    """Per app (per worker): queues requests' texts and runs them in shared passes while holding ``slot``."""

    def __init__(self, checker: Checker, slot: threading.Lock, *, window_s: float, max_texts: int) -> None:
        self.checker = checker
        self.slot = slot
        self.window_s = max(0.0, window_s)
        self.max_texts = max(1, max_texts)
        self.passes = 0  # passes run, for tests and logs: fewer passes than requests means requests were merged
        self._queue: deque[Job] = deque()
        self._cond = threading.Condition()

    def submit(self, texts: Sequence[str], pack: str | None) -> Job:
        """Queue a request's texts; start a pass now if the slot is free."""
        job = Job(list(texts), pack)
        with self._cond:
            self._queue.append(job)
            self._cond.notify_all()  # a runner waiting out the window counts the new texts
        self._try_lead()
        return job

    def wait_started(self, job: Job, timeout: float | None) -> bool:
        """Wait until ``job``'s pass has begun; False after ``timeout`` seconds (None: no limit).

        While it waits it retries to start a pass itself, which matters only when the slot was held by something
        other than a pass (a runner always takes the queue before it gives the slot back).
        """
        deadline = None if timeout is None else time.perf_counter() + timeout
        while True:
            left = _RETRY_S if deadline is None else min(_RETRY_S, deadline - time.perf_counter())
            if left <= 0 and not job.started.is_set():
                return False
            if job.started.wait(max(0.0, left)):
                return True
            self._try_lead()

    def cancel(self, job: Job) -> bool:
        """Withdraw a request whose pass has not begun; False if it has (then its result will still come)."""
        with self._cond:
            if job.state != "queued":
                return False
            self._queue.remove(job)
            job.state = "cancelled"
            return True

    # ----------------------------------------------------------------- running passes

    def _try_lead(self) -> None:
        """Take the free slot and the queue, and run passes on a new thread until the queue is empty."""
        with self._cond:
            if not self._queue or not self.slot.acquire(blocking=False):
                return
            batch = self._take()
        try:
            threading.Thread(target=self._run, args=(batch,), name="tonecheck-batch", daemon=True).start()
        except BaseException as exc:
            self.slot.release()
            _fail(batch, exc)
            raise

    def _take(self) -> list[Job]:
        """Queued jobs in arrival order, up to ``max_texts`` texts (always at least one job). Holds the cond."""
        batch: list[Job] = []
        texts = 0
        while self._queue and (not batch or texts + len(self._queue[0].texts) <= self.max_texts):
            job = self._queue.popleft()
            texts += len(job.texts)
            job.state, job.started_at = "running", time.perf_counter()
            job.future.set_running_or_notify_cancel()
            job.started.set()
            batch.append(job)
        return batch

    def _next(self) -> list[Job]:
        """The next batch, waiting up to the window for more requests while some are queued; [] frees the slot."""
        with self._cond:
            if self._queue and self.window_s > 0:
                deadline = time.perf_counter() + self.window_s
                while self._queued_texts() < self.max_texts and (left := deadline - time.perf_counter()) > 0:
                    self._cond.wait(left)
            if not self._queue:
                self.slot.release()  # under the cond, so a request queued after this check finds the slot free
                return []
            return self._take()

    def _queued_texts(self) -> int:
        return sum(len(job.texts) for job in self._queue)

    def _run(self, batch: list[Job]) -> None:
        try:
            while batch:
                self._check(batch)
                batch = self._next()
        except BaseException as exc:  # a bug here must not strand the slot or leave requests waiting forever
            _fail(batch, exc)
            self.slot.release()
            raise

    def _check(self, batch: list[Job]) -> None:
        """One pass per rule pack among the batch's requests; every job gets its reports or its error."""
        self.passes += 1
        packs: dict[str | None, list[Job]] = {}
        for job in batch:
            packs.setdefault(job.pack, []).append(job)
        for pack, jobs in packs.items():
            try:
                outcomes = self.checker.check_groups([job.texts for job in jobs], pack=pack)
            except Exception:
                # Something failed the whole pass: check each request alone, so only the one(s) at fault fail.
                outcomes = [self._alone(job) for job in jobs]
            for job, outcome in zip(jobs, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)

    def _alone(self, job: Job) -> list[Report] | Exception:
        try:
            return self.checker.check_many(job.texts, pack=job.pack)
        except Exception as exc:  # handed to that request alone, which re-raises it
            return exc


def _fail(batch: Sequence[Job], exc: BaseException) -> None:
    for job in batch:
        if not job.future.done():
            job.future.set_exception(exc)
