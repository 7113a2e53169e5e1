"""Soak test for the HTTP service: normal, hostile and slow clients at once against a real ``tonecheck serve``.

    python bench/soak.py                                  # 32 clients, 60 s, tone model on
    python bench/soak.py --duration 20 --no-model         # rules only
    python bench/soak.py --clients 32 --hostile 6 --slow 6 --workers 2

It starts ``tonecheck serve`` (gunicorn, the production front) on a free loopback port in open mode, waits for
/readyz, then runs for ``--duration`` seconds:

* normal clients post 150-word support drafts to /v1/check back to back (bench/service.py's drafts);
* hostile clients post the worst-case texts of bench/hostile.py at the service's length limit, one after another;
* slow clients open raw sockets and send each request a few bytes at a time (headers and body), as a slowloris
  would, then read the answer;
* one prober asks GET /healthz every 100 ms.

It prints errors (per kind of client: exceptions, timeouts and non-200 answers), p50/p95/p99 latency of the
normal requests and /healthz p50/p99. It is a benchmark: it prints figures and asserts nothing. The server is
stopped with SIGTERM at the end. The clients share the machine with the server, so on a small box the figures
include their CPU use too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import requests

HERE = Path(__file__).resolve().parent


def _sibling(name: str) -> ModuleType:
    """bench/<name>.py, loaded by path (``bench/service.py`` would otherwise clash with the ``service`` package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_service = _sibling("service")
hostile = _sibling("hostile")
HOST = bench_service.HOST


class Tally:
    """Thread-safe counters and latencies per kind of client."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {}
        self.outcomes: dict[str, Counter[str]] = {}

    def add(self, kind: str, outcome: str, seconds: float) -> None:
        with self.lock:
            self.outcomes.setdefault(kind, Counter())[outcome] += 1
            if outcome == "200":
                self.latency.setdefault(kind, []).append(seconds)


def normal_client(base: str, index: int, drafts: list[str], stop_at: float, tally: Tally) -> None:
    session = requests.Session()
    n = index
    while time.monotonic() < stop_at:
        _post(session, base, {"text": drafts[n % len(drafts)]}, "normal", tally)
        n += 1
    session.close()


def hostile_client(base: str, index: int, texts: list[str], stop_at: float, tally: Tally) -> None:
    session = requests.Session()
    n = index
    while time.monotonic() < stop_at:
        _post(session, base, {"text": texts[n % len(texts)]}, "hostile", tally)
        n += 1
    session.close()


def _post(session: requests.Session, base: str, body: dict[str, str], kind: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        response = session.post(f"{base}/v1/check", json=body, timeout=60)
        outcome = str(response.status_code)
        if response.status_code != 200:
            outcome += f" {response.json().get('error', {}).get('code', '?')}"
    except requests.Timeout:
        outcome = "timeout"
    except requests.RequestException as exc:
        outcome = type(exc).__name__
    tally.add(kind, outcome, time.perf_counter() - started)


def slow_client(port: int, index: int, drafts: list[str], stop_at: float, tally: Tally, pause: float) -> None:
    """Send whole requests a few bytes at a time on a raw socket, then read the answer."""
    n = index
    while time.monotonic() < stop_at:
        body = json.dumps({"text": drafts[n % len(drafts)][:300]}).encode()
        head = (
            f"POST /v1/check HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        request = head + body
        started = time.perf_counter()
        try:
            with socket.create_connection((HOST, port), timeout=60) as sock:
                for i in range(0, len(request), 8):
                    sock.sendall(request[i:i + 8])
                    time.sleep(pause)
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
            status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "no answer"
        except TimeoutError:
            status = "timeout"
        except OSError as exc:
            status = type(exc).__name__
        tally.add("slow", status, time.perf_counter() - started)
        n += 1


def health_prober(base: str, stop_at: float, tally: Tally) -> None:
    session = requests.Session()
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            outcome = str(session.get(f"{base}/healthz", timeout=10).status_code)
        except requests.Timeout:
            outcome = "timeout"
        except requests.RequestException as exc:
            outcome = type(exc).__name__
        elapsed = time.perf_counter() - started
        tally.add("healthz", outcome, elapsed)
        time.sleep(max(0.0, 0.1 - elapsed))
    session.close()


def percentile(values: list[float], q: float) -> float:
    return bench_service.percentile(values, q) if values else float("nan")


def report(tally: Tally, duration: float, counts: dict[str, int]) -> None:
    print("\n| clients | kind | requests | errors | answers | p50 ms | p95 ms | p99 ms |")
    print("|---:|---|---:|---:|---|---:|---:|---:|")
    for kind in ("normal", "hostile", "slow", "healthz"):
        outcomes = tally.outcomes.get(kind, Counter())
        lat = [1000 * s for s in tally.latency.get(kind, [])]
        total = sum(outcomes.values())
        errors = total - outcomes.get("200", 0)
        answers = ", ".join(f"{k}: {v}" for k, v in outcomes.most_common()) or "-"
        print(
            f"| {counts.get(kind, 1)} | {kind} | {total} | {errors} | {answers} | {percentile(lat, 50):.1f} | "
            f"{percentile(lat, 95):.1f} | {percentile(lat, 99):.1f} |"
        )
    normal = tally.latency.get("normal", [])
    health = [1000 * s for s in tally.latency.get("healthz", [])]
    all_errors = sum(sum(c.values()) - c.get("200", 0) for c in tally.outcomes.values())
    print(
        f"\nerrors: {all_errors}; normal: {len(normal) / duration:.1f} req/s, p50/p95/p99 "
        f"{percentile([1000 * s for s in normal], 50):.0f}/{percentile([1000 * s for s in normal], 95):.0f}/"
        f"{percentile([1000 * s for s in normal], 99):.0f} ms; /healthz p50 {percentile(health, 50):.1f} ms, "
        f"p99 {percentile(health, 99):.1f} ms, max {max(health, default=float('nan')):.1f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60, max 600)")
    parser.add_argument("--clients", type=int, default=32, help="all clients together (default 32)")
    parser.add_argument("--hostile", type=int, default=6, help="of which hostile-input clients (default 6)")
    parser.add_argument("--slow", type=int, default=6, help="of which slow-sending clients (default 6)")
    parser.add_argument("--pause", type=float, default=0.05, help="slow clients: seconds between 8-byte sends")
    parser.add_argument("--chars", type=int, default=20_000, help="hostile text length (default: http_max_chars)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's default)")
    parser.add_argument("--no-model", action="store_true", help="rules only (no tone model)")
    args = parser.parse_args(argv)
    normal = args.clients - args.hostile - args.slow
    if normal < 1 or min(args.hostile, args.slow) < 0 or not 0 < args.duration <= 600:
        parser.error("need at least one normal client (clients > hostile + slow) and a duration of 0-600 s")

    drafts = bench_service.make_drafts()
    texts = list(hostile.cases(args.chars).values())
    port = bench_service.free_port()
    base = f"http://{HOST}:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = bench_service.start_server(port, args.workers, not args.no_model, log)
    try:
        ready = bench_service.wait_ready(base, proc, log)
        print(
            f"soak: {base} model={ready['model']} clients={args.clients} (normal {normal}, hostile {args.hostile}, "
            f"slow {args.slow}) duration={args.duration:g}s hostile texts={len(texts)} x {args.chars} chars",
            flush=True,
        )
        tally = Tally()
        stop_at = time.monotonic() + args.duration
        threads = [threading.Thread(target=health_prober, args=(base, stop_at, tally))]
        threads += [threading.Thread(target=normal_client, args=(base, i, drafts, stop_at, tally))
                    for i in range(normal)]
        threads += [threading.Thread(target=hostile_client, args=(base, i, texts, stop_at, tally))
                    for i in range(args.hostile)]
        threads += [threading.Thread(target=slow_client, args=(port, i, drafts, stop_at, tally, args.pause))
                    for i in range(args.slow)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        report(tally, wall, {"normal": normal, "hostile": args.hostile, "slow": args.slow})
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
