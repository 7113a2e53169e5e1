"""The real thing: ``tonecheck serve`` starts gunicorn on a loopback port, answers over HTTP, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
KEY = "gunicorn-test-key-0123456789"
DRAFT = "Sorry for the wait. That is an asinine question, but I will answer it."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited early with {proc.returncode}"
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # listening, but no worker has booted yet
            pass
        time.sleep(0.3)
    raise AssertionError("server did not become ready")


def test_serve_runs_gunicorn_on_loopback_and_stops_on_sigterm() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_")}
    env["TONECHECK_CACHE_DIR"] = os.environ["TONECHECK_CACHE_DIR"]  # the run's pack cache (tests/conftest.py)
    # Rules only keeps this test quick; tone scoring is covered through the app factory.
    env.update(TONECHECK_API_KEYS=KEY, TONECHECK_USE_MODEL="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tonecheck", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc)
        response = requests.post(
            f"{base}/v1/check", json={"text": DRAFT}, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
        )
        assert response.status_code == 200
        assert [f["text"] for f in response.json()["findings"]] == ["asinine"]
        assert requests.post(f"{base}/v1/check", json={"text": DRAFT}, timeout=10).status_code == 401
        lt = requests.post(f"{base}/v2/check", data={"text": DRAFT, "language": "en-US", "apiKey": KEY}, timeout=10)
        assert lt.json()["matches"][0]["offset"] == DRAFT.index("asinine")
        bad = requests.post(f"{base}/v1/check", data="{", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/json"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            raise AssertionError("server did not stop within 60 s of SIGTERM") from None
    assert proc.returncode == 0, output
    assert "Listening at: http://127.0.0.1:" in output
    assert "route=/v1/check status=200" in output  # our log line made it out of the worker
    assert "asinine question" not in output and KEY not in output
