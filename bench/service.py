"""Load test for the HTTP service: start ``tonecheck serve`` on loopback, hit /v1/check from N client threads.

    python bench/service.py                      # N = 1, 8, 32; 15 s each; the server's default workers
    python bench/service.py --duration 5 --levels 1,8 --workers 1 --no-model
    python bench/service.py --tone-cache-size 0 --batch-window-ms 0   # every request runs the encoder; no batching

Each client sends 150-word drafts (built from a fixed set of support sentences) back to back for a bounded time
and a bounded number of requests; the script prints p50/p95/p99 latency and requests/s per level. It binds
127.0.0.1 only, runs the server in open mode (auth off, loopback, as `serve` allows), and stops it with SIGTERM.
The clients share the machine with the server, so on a small box the figures include their CPU use too.

The drafts repeat the same ten sentences, so with the server's default sentence cache (``tone_cache_size``) the
tone model scores them once and then only the rules and the HTTP path are measured; ``--tone-cache-size 0``
makes every request run the encoder. ``--batch-window-ms`` and ``--tone-cache-size`` are passed to the server
as settings only when given.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
SENTENCES = [
    "Thanks for getting in touch about your order, and sorry for the wait.",
    "I have looked at your account and can see the refund was issued yesterday.",
    "It can take three to five working days before it shows on your statement.",
    "Honestly, that is an asinine question, but here is the answer anyway.",
    "You should have read the instructions before you opened the box.",
    "If the tracking page still shows no movement tomorrow, reply here and I will chase the courier.",
    "I have also added a note so that whoever picks this up next can see the full history.",
    "As I already told you, we cannot change the delivery address after dispatch.",
    "Please let me know if there is anything else I can help with today.",
    "Kind regards, Sam from the support team.",
]


def make_drafts(count: int = 16, words: int = 150) -> list[str]:
    """``count`` different drafts of about ``words`` words, each a rotation of the sentence list."""
    drafts = []
    for i in range(count):
        out: list[str] = []
        j = i
        while len(" ".join(out).split()) < words:
            out.append(SENTENCES[j % len(SENTENCES)])
            j += 1
        drafts.append(" ".join(out))
    return drafts


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(
    port: int, workers: int | None, use_model: bool, log: IO[bytes], threads: int | None = None,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``tonecheck serve`` in open mode on loopback; ``settings`` become TONECHECK_<NAME> variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_")}
    env.update(TONECHECK_AUTH="off", TONECHECK_USE_MODEL="true" if use_model else "false")
    env.update({f"TONECHECK_{name.upper()}": value for name, value in (settings or {}).items()})
    cmd = [sys.executable, "-m", "tonecheck", "serve", "--host", HOST, "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    # The server's log goes to a file: a pipe nobody reads would fill up and stall the workers.
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: IO[bytes], timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"server exited with {proc.returncode}: {log.read().decode()[-2000:]}")
        try:
            r = requests.get(f"{base}/readyz", timeout=2)
            if r.status_code == 200:
                return r.json()
            if r.status_code == 503:
                raise SystemExit(f"server is up but not ready: {r.json()['error']['message']}")
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    raise SystemExit("server did not become ready in time")


def run_level(base: str, clients: int, duration: float, max_requests: int, drafts: list[str]) -> dict:
    """N threads sending back to back until the time or the request budget runs out."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    budget = threading.Semaphore(max_requests)
    stop_at = time.monotonic() + duration

    def client(index: int) -> None:
        nonlocal errors
        session = requests.Session()
        n = index
        while time.monotonic() < stop_at and budget.acquire(blocking=False):
            started = time.perf_counter()
            try:
                ok = session.post(f"{base}/v1/check", json={"text": drafts[n % len(drafts)]}, timeout=60).ok
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1
            n += clients
        session.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {"clients": clients, "requests": len(latencies), "errors": errors, "wall": wall, "lat": latencies}


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,8,32", help="comma-separated client counts (default 1,8,32)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per level (default 15, max 120)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request cap per level")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's default)")
    parser.add_argument("--threads", type=int, help="request threads per worker (default: serve's default)")
    parser.add_argument("--no-model", action="store_true", help="rules only (no tone model)")
    parser.add_argument("--tone-cache-size", help="the server's tone_cache_size (0: the encoder on every request)")
    parser.add_argument("--batch-window-ms", help="the server's http_batch_window_ms (0: micro-batching off)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="any other server setting, e.g. --set http_batch_exact=off (repeatable)")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    if not levels or max(levels) > 64 or min(levels) < 1 or not 0 < args.duration <= 120:
        parser.error("levels must be 1-64 clients and duration 0-120 s")

    drafts = make_drafts()
    port = free_port()
    base = f"http://{HOST}:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    settings = {"tone_cache_size": args.tone_cache_size, "http_batch_window_ms": args.batch_window_ms}
    settings = {k: v for k, v in settings.items() if v is not None}
    settings.update(item.split("=", 1) for item in args.set)
    proc = start_server(port, args.workers, not args.no_model, log, args.threads, settings)
    try:
        ready = wait_ready(base, proc, log)
        for draft in drafts:  # warm every worker's caches and the connection path
            requests.post(f"{base}/v1/check", json={"text": draft}, timeout=60).raise_for_status()
        words = statistics.mean(len(d.split()) for d in drafts)
        print(
            f"tonecheck service benchmark: {base}, workers={args.workers or 'default'}, model={ready['model']}, "
            f"{words:.0f}-word drafts, {args.duration:g} s per level, cpu_count={os.cpu_count()}, "
            f"threads={args.threads or 'default'}, settings={settings or 'defaults'}"
        )
        print(f"{'clients':>7} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        for clients in levels:
            r = run_level(base, clients, args.duration, args.max_requests, drafts)
            lat = [x * 1000 for x in r["lat"]]
            print(
                f"{clients:>7} {r['requests']:>8} {r['errors']:>6} {r['requests'] / r['wall']:>7.1f} "
                f"{percentile(lat, 50):>7.1f} {percentile(lat, 95):>7.1f} {percentile(lat, 99):>7.1f}",
                flush=True,
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        log.close()
        print(f"server stopped with exit status {code}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
