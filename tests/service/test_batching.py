"""Micro-batching (service/batcher.py, setting ``http_batch_window_ms``): requests that arrive together in one worker
share one library pass, each still gets exactly its own report or its own error, and 0 turns it off.

To make requests "arrive together" without timing luck, a test holds the worker's check slot (what a running pass
holds), queues the requests from threads, and lets go: the next pass then takes them all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from service_helpers import ENV_KEY, IN_CI

from service import create_app
from service.state import ServiceState
from tonecheck import Checker, Settings, load_settings
from tonecheck.classify import ToneClassifier
from tonecheck.errors import ModelUnavailable

AUTH = {"Authorization": f"Bearer {ENV_KEY}"}
DRAFTS = [
    "Thanks for getting in touch about your order, and sorry for the wait. The refund went out yesterday.",
    "Honestly, that is an asinine question, but here is the answer anyway.",
    "You should have read the instructions before you opened the box. As I already told you, we can't help.",
    "I have added a note so whoever picks this up next sees the history. Kind regards, Sam.",
    "Please let me know if there is anything else I can help with today!",
    "If the tracking page still shows no movement tomorrow, reply here and I will chase the courier.",
]


class GroupSpy:
    """The real Checker, recording each shared pass (the sizes of the requests it merged)."""

    def __init__(self, inner: Checker, poison: str | None = None) -> None:
        self.inner = inner
        self.poison = poison  # a text whose presence makes a whole pass fail, as a model bug would
        self.passes: list[tuple[int, ...]] = []

    def check_groups(self, groups: Sequence[Sequence[str]], **kw: Any) -> Any:
        self.passes.append(tuple(len(g) for g in groups))
        if self.poison and any(self.poison in t for g in groups for t in g):
            raise RuntimeError("the model failed on this pass")
        return self.inner.check_groups(groups, **kw)

    def check_many(self, texts: Sequence[str], **kw: Any) -> Any:
        if self.poison and any(self.poison in t for t in texts):
            raise RuntimeError("the model failed on this text")
        return self.inner.check_many(texts, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _state(app: Flask) -> ServiceState:
    return app.extensions["tonecheck"]


def _together(app: Flask, requests: Sequence[Callable[[Any], Any]]) -> list[Any]:
    """Run the requests from threads while the check slot is held, release it once all are queued; responses."""
    state = _state(app)
    assert state.batcher is not None
    responses: list[Any] = [None] * len(requests)

    def call(i: int) -> None:
        responses[i] = requests[i](app.test_client())

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(requests))]
    with state.lock:
        for n, t in enumerate(threads, start=1):
            t.start()  # one at a time, each queued before the next starts: the arrival order is the list's
            deadline = time.monotonic() + 10
            while len(state.batcher._queue) < n and time.monotonic() < deadline:
                time.sleep(0.002)
            assert len(state.batcher._queue) == n, "the requests did not all queue"
    for t in threads:
        t.join(timeout=30)
    return responses


def _post(text: str, **extra: Any) -> Callable[[Any], Any]:
    return lambda client: client.post("/v1/check", json={"text": text, **extra}, headers=AUTH)


def _batching_app(settings: Settings, checker: Any, **changes: Any) -> Flask:
    return create_app(replace(settings, http_batch_window_ms=1.0, **changes), checker=checker)


def test_requests_arriving_together_share_one_pass_and_get_their_own_reports(
    settings: Settings, rules_checker: Checker
) -> None:
    spy = GroupSpy(rules_checker)
    app = _batching_app(settings, spy)
    batch_item = {"items": [{"id": "x", "text": DRAFTS[0]}, {"id": "y", "text": DRAFTS[1]}]}
    calls = [_post(d) for d in DRAFTS] + [lambda c: c.post("/v1/check/batch", json=batch_item, headers=AUTH)]
    responses = _together(app, calls)

    assert spy.passes == [(1,) * len(DRAFTS) + (2,)]  # one pass for all seven requests, in arrival order
    assert [r.status_code for r in responses] == [200] * len(calls)
    assert [r.get_json() for r in responses[:-1]] == [rules_checker.check(d).to_dict() for d in DRAFTS]
    batch = responses[-1].get_json()["results"]
    assert [r["report"] for r in batch] == [rules_checker.check(d).to_dict() for d in DRAFTS[:2]]


@pytest.fixture(scope="module")
def fp32_checker(request: pytest.FixtureRequest) -> Checker:
    """The shipped tone model in fp32 (whose scores do not depend on the rest of the pass), without its cache."""
    try:
        checker: Checker = request.getfixturevalue("checker")
    except ModelUnavailable as exc:
        if IN_CI:
            raise
        pytest.skip(f"tone model not built: {exc}")
    settings = replace(checker.settings, model_variant="fp32", tone_cache_size=0)
    classifier = ToneClassifier.load(settings.model_dir, variant="fp32", threads=settings.threads)
    fresh = Checker(settings, checker.nlp, classifier)
    fresh.pack()
    return fresh


def test_with_the_fp32_model_shared_passes_give_byte_identical_reports(
    settings: Settings, fp32_checker: Checker
) -> None:
    spy = GroupSpy(fp32_checker)
    app = _batching_app(replace(settings, use_model=True), spy)
    responses = _together(app, [_post(d) for d in DRAFTS])
    assert spy.passes == [(1,) * len(DRAFTS)]
    lone = [fp32_checker.check(d).to_dict() for d in DRAFTS]
    assert [r.get_json() for r in responses] == lone
    assert all(r["tone"] is not None for r in lone)  # the model really scored these drafts


def test_with_the_int8_model_requests_are_merged_only_when_inexact_merges_are_allowed(
    settings: Settings, tone_checker: Checker
) -> None:
    """The shipped int8 model quantises a pass's activations with one scale, so a merged pass is not byte-identical
    to lone checks; by default (``http_batch_exact``) such a worker checks each request alone."""
    classifier = tone_checker.classifier
    assert classifier is not None and not classifier.batch_invariant
    saved, classifier.cache_size = classifier.cache_size, 0
    try:
        merged = [r.to_dict() for (r,) in tone_checker.check_groups([[d] for d in DRAFTS])]  # type: ignore[misc]
        lone = [tone_checker.check(d).to_dict() for d in DRAFTS]
    finally:
        classifier.cache_size = saved
    assert merged != lone  # why the default refuses to merge: if this ever holds, revisit http_batch_exact

    exact = create_app(replace(settings, http_batch_window_ms=1.0), checker=tone_checker)
    assert _state(exact).batcher is None
    spy = GroupSpy(tone_checker)
    inexact = _batching_app(settings, spy, http_batch_exact=False)
    responses = _together(inexact, [_post(d) for d in DRAFTS])
    assert spy.passes == [(1,) * len(DRAFTS)] and [r.status_code for r in responses] == [200] * len(DRAFTS)


def test_a_failing_request_gets_its_error_and_its_neighbours_succeed(
    settings: Settings, rules_checker: Checker
) -> None:
    spy = GroupSpy(rules_checker, poison="POISON")
    app = _batching_app(settings, spy)
    calls = [
        _post(DRAFTS[0]),
        _post("bad\x00text"),  # the library rejects it: 422 for that request alone
        _post(DRAFTS[1], pack="no-such-pack"),  # its own pass (another pack) fails: 404 for it alone
        _post("this text breaks the POISON model"),  # fails the shared pass: each request is retried alone
        _post(DRAFTS[2]),
    ]
    responses = _together(app, calls)
    assert [r.status_code for r in responses] == [200, 422, 404, 500, 200]
    assert responses[1].get_json()["error"]["code"] == "invalid_text"
    assert responses[2].get_json()["error"]["code"] == "unknown_pack"
    assert responses[0].get_json() == rules_checker.check(DRAFTS[0]).to_dict()
    assert responses[4].get_json() == rules_checker.check(DRAFTS[2]).to_dict()
    assert spy.passes[0] == (1, 1, 1, 1)  # the default pack's four requests shared the pass that failed


def test_a_lone_request_does_not_wait_for_the_window(settings: Settings, rules_checker: Checker) -> None:
    app = create_app(replace(settings, http_batch_window_ms=5000.0), checker=rules_checker)
    started = time.perf_counter()
    response = _post(DRAFTS[0])(app.test_client())
    assert response.status_code == 200
    assert time.perf_counter() - started < 2.5  # the window only applies while other requests are queued


def test_window_zero_turns_batching_off(settings: Settings, rules_checker: Checker) -> None:
    spy = GroupSpy(rules_checker)
    app = create_app(replace(settings, http_batch_window_ms=0), checker=spy)  # type: ignore[arg-type]
    assert _state(app).batcher is None
    assert _post(DRAFTS[0])(app.test_client()).get_json() == rules_checker.check(DRAFTS[0]).to_dict()
    assert spy.passes == []  # checked alone, through check_many
    assert load_settings(env={}).http_batch_window_ms > 0  # on by default
    assert load_settings(env={"TONECHECK_HTTP_BATCH_WINDOW_MS": "0"}).http_batch_window_ms == 0


def test_a_request_withdrawn_for_check_busy_is_never_checked(settings: Settings, rules_checker: Checker) -> None:
    spy = GroupSpy(rules_checker)
    app = _batching_app(settings, spy, http_check_budget_s=0.2)
    state = _state(app)
    with state.lock:  # a pass that ran past its budget still holds the slot
        response = _post(DRAFTS[0])(app.test_client())
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "check_busy"
    assert state.batcher is not None and not state.batcher._queue
    assert _post(DRAFTS[1])(app.test_client()).status_code == 200
    assert spy.passes == [(1,)]  # only the second request was checked


def test_the_pass_thread_ends_when_the_queue_is_empty(settings: Settings, rules_checker: Checker) -> None:
    """Nothing to stop at shutdown: the thread that runs passes exists only while there is work."""
    app = _batching_app(settings, rules_checker)
    responses = _together(app, [_post(d) for d in DRAFTS[:3]])
    assert [r.status_code for r in responses] == [200] * 3
    deadline = time.monotonic() + 5
    while any(t.name == "tonecheck-batch" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "tonecheck-batch" for t in threading.enumerate())
    assert _state(app).wait_idle(timeout=1)  # and the check slot is free
