"""Issue 10, finding 3 and the transport half of finding 6, against ``tonecheck serve`` as it runs in production.

Slow senders must not take the threads that run checks, ``/healthz`` must answer while they are connected, and
a body over the cap is a JSON 413 whether it comes with Content-Length or chunked. The server runs with one
worker and two threads, so two stalled connections were enough to freeze it before the fix (gthread workers
block a thread on a half-sent request).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
KEY = "slow-client-test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
MAX_CHARS, MAX_BATCH = 1000, 2
BODY_LIMIT = MAX_CHARS * 12 * MAX_BATCH + 64 * 1024  # service.body_limit for these settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_")}
    env.update(
        TONECHECK_API_KEYS=KEY, TONECHECK_USE_MODEL="false", TONECHECK_HTTP_MAX_CHARS=str(MAX_CHARS),
        TONECHECK_HTTP_MAX_BATCH=str(MAX_BATCH), PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tonecheck", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"server exited early with {proc.returncode}: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "server did not become ready"
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.3)
        yield base, port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stalled(port: int, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(first_bytes)
    return sock


def test_stalled_senders_do_not_take_the_threads(server: tuple[str, int]) -> None:
    base, port = server
    body_start = b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    stalled = [_stalled(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") for _ in range(6)]
    stalled += [_stalled(port, body_start) for _ in range(6)]  # headers done, body trickling
    try:
        time.sleep(0.5)  # let the worker accept them all
        health = requests.get(f"{base}/healthz", timeout=10)
        assert health.status_code == 200 and health.json() == {"status": "ok"}
        check = requests.post(f"{base}/v1/check", json={"text": "That is asinine."}, headers=AUTH, timeout=10)
        assert check.status_code == 200
        assert [f["text"] for f in check.json()["findings"]] == ["asinine"]
    finally:
        for sock in stalled:
            sock.close()


def test_health_is_json_with_a_request_id(server: tuple[str, int]) -> None:
    base, _ = server
    response = requests.get(f"{base}/healthz", headers={"X-Request-ID": "probe-1"}, timeout=10)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"] == "probe-1"


def test_chunked_body_over_the_cap_is_413_json(server: tuple[str, int]) -> None:
    base, _ = server

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(BODY_LIMIT // 4096 + 2):
            yield b"a" * 4096
        yield b'"}'

    response = requests.post(
        f"{base}/v1/check", data=chunks(), headers={**AUTH, "Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_large"


def test_declared_length_over_the_cap_is_413_json(server: tuple[str, int]) -> None:
    base, _ = server
    response = requests.post(
        f"{base}/v1/check", data=b"x" * (BODY_LIMIT + 1), headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_chunked_body_within_the_cap_is_checked(server: tuple[str, int]) -> None:
    base, _ = server
    parts = iter([b'{"text": "That is ', b'asinine."}'])
    response = requests.post(
        f"{base}/v1/check", data=parts, headers={**AUTH, "Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 200 and response.json()["findings"][0]["text"] == "asinine"


def test_the_worker_still_serves_after_clients_vanish_mid_request(server: tuple[str, int]) -> None:
    base, port = server
    for _ in range(5):
        _stalled(port, b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"te").close()
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
