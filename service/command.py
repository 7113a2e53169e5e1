"""``tonecheck serve`` (gunicorn in front of :func:`service.create_app`) and ``tonecheck keys`` (API keys).

``serve`` sizes gunicorn for a small box: one worker per core (each holds its own model and spaCy pipeline,
~650 MB, with one torch thread, so workers never fight over cores). Each worker is gunicorn's asyncio ``asgi``
worker running :class:`service.front.BufferedFront`: connections are read on the event loop and only complete
requests reach the few threads that run the Flask app, so slow senders cannot take those threads, and
``/healthz`` is answered on the loop. It binds 127.0.0.1 unless told otherwise, refuses to expose an open
(auth off) server beyond loopback, and stops gracefully on SIGTERM (in-flight requests finish, exit 0).

Commands return :class:`~tonecheck.status.ExitStatus` and raise ``ToneCheckError`` for errors; ``tonecheck.cli.main``
prints the message and picks the exit status, as for every other subcommand.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from dataclasses import replace
from typing import Any

from tonecheck.errors import ToneCheckError
from tonecheck.settings import Settings, load_settings
from tonecheck.status import ExitStatus

from .auth import NAME_RE, KeyStore, describe, new_key, read_keys_file, write_keys_file


def add_parser(subparsers: Any) -> None:
    """Register ``serve`` and ``keys`` on the ``tonecheck`` command."""
    serve = subparsers.add_parser(
        "serve",
        help="run the HTTP service (gunicorn)",
        description="Run the HTTP service under gunicorn. Binds 127.0.0.1:8080 unless told otherwise; "
        "stops cleanly on SIGTERM.",
    )
    serve.add_argument("--host", help="address to bind (default: http_host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: http_port, 8080)")
    serve.add_argument("--workers", type=int, help="worker processes (default: one per CPU core)")
    serve.add_argument("--threads", type=int, help="threads per worker (default: http_threads, 4)")
    # The same setting as `tonecheck --config FILE serve`; SUPPRESS keeps a global --config when this one is absent.
    serve.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                       help="settings file (TOML), as tonecheck --config FILE serve")
    serve.set_defaults(func=run_serve)

    keys = subparsers.add_parser("keys", help="manage API keys in the keys file (stores salted hashes only)")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    add = keys_sub.add_parser("add", help="create a key; it is printed once and only its hash is stored")
    add.add_argument("name", help="who the key is for, e.g. outlook-plugin")
    lst = keys_sub.add_parser("list", help="list key names, ids and creation times")
    remove = keys_sub.add_parser("remove", help="revoke a key by name")
    remove.add_argument("name")
    for p, func in ((add, run_keys_add), (lst, run_keys_list), (remove, run_keys_remove)):
        p.add_argument("--keys-file", metavar="PATH", help="keys file (default: TONECHECK_KEYS_FILE)")
        p.set_defaults(func=func)


# ----------------------------------------------------------------------------- serve


def serve_settings(args: argparse.Namespace, env: Any) -> Settings:
    """Settings for the workers: file/env settings (loaded by cli.main), then flags; one torch thread per worker."""
    settings = env.settings or load_settings()
    overrides: dict[str, Any] = {
        "http_host": args.host,
        "http_port": args.port,
        "http_workers": args.workers,
        "http_threads": args.threads,
    }
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    return replace(settings, threads=settings.threads or 1)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(settings: Settings) -> str | None:
    """Why this configuration must not start, or None."""
    if not settings.auth and not is_loopback(settings.http_host):
        return (
            f"refusing to serve {settings.http_host} with auth off: open mode is for loopback only; "
            "bind 127.0.0.1 or turn auth on (TONECHECK_AUTH=on) with keys"
        )
    if settings.auth and not KeyStore(settings.api_keys, settings.keys_file).configured:
        return (
            "auth is on but no API keys are configured: add one with `tonecheck keys add NAME` "
            "(and set TONECHECK_KEYS_FILE), set TONECHECK_API_KEYS, or run locally with TONECHECK_AUTH=off"
        )
    if not 0 < settings.http_port < 65536:
        return f"invalid port {settings.http_port}"
    return None


def gunicorn_options(settings: Settings, cpu_count: int | None = None) -> dict[str, Any]:
    """gunicorn settings: a worker per core, asyncio (asgi) workers, no access log (ours carries no text).

    ``threads`` is not gunicorn's here (the asgi worker has none): it sizes the pool of threads each worker's
    front hands complete requests to (:class:`service.front.BufferedFront`).
    """
    workers = settings.http_workers or max(1, cpu_count if cpu_count is not None else (os.cpu_count() or 1))
    host = settings.http_host
    bind_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {
        "bind": f"{bind_host}:{settings.http_port}",
        "workers": workers,
        "worker_class": "asgi",
        "threads": max(1, settings.http_threads),  # the front's pool; not passed to gunicorn (see load_config)
        "worker_connections": 1000,  # open connections per worker; an idle or slow one costs a coroutine
        "timeout": 120,  # a worker loads the model before its first heartbeat; also the longest wait for body data
        "asgi_lifespan": "on",
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": None,  # gunicorn's access log carries query strings; ours carries ids, sizes and timings
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "tonecheck",
        "preload_app": False,  # each worker builds its own app and model after the fork
        "control_socket_disable": True,  # gunicorn >= 25: no runtime control socket under $HOME
    }


def run_serve(args: argparse.Namespace, env: Any) -> int:
    settings = serve_settings(args, env)
    reason = refusal(settings)
    if reason:
        raise ToneCheckError(reason)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
    )
    options = gunicorn_options(settings)
    env.stderr.write(
        f"tonecheck: serving on http://{options['bind']} with {options['workers']} worker(s) x "
        f"{options['threads']} thread(s); auth {'on' if settings.auth else 'OFF (open mode)'}\n"
    )
    env.stderr.flush()
    _GunicornApp(settings, options).run()  # returns only through SystemExit from gunicorn's arbiter
    return ExitStatus.OK


class _GunicornApp:
    """Builds gunicorn's BaseApplication lazily, so importing this module does not import gunicorn."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        from gunicorn.app.base import BaseApplication

        class App(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in options.items():
                    if key == "threads":  # ours (the front's pool), not the asgi worker's
                        continue
                    if key in self.cfg.settings:  # older gunicorn lacks some (control_socket_disable)
                        self.cfg.set(key, value)

            def load(self) -> Any:
                from . import body_limit, create_app
                from .front import BufferedFront

                return BufferedFront(
                    create_app(settings), threads=options["threads"], body_limit=body_limit(settings)
                )

        self._app = App()

    def run(self) -> None:
        self._app.run()


# ----------------------------------------------------------------------------- keys


def _keys_path(args: argparse.Namespace, env: Any) -> Any:
    from pathlib import Path

    settings = env.settings or load_settings()
    path = Path(args.keys_file).expanduser() if args.keys_file else settings.keys_file
    if path is None:
        raise ToneCheckError("no keys file: pass --keys-file PATH or set keys_file (TONECHECK_KEYS_FILE)")
    return path


def run_keys_add(args: argparse.Namespace, env: Any) -> int:
    path = _keys_path(args, env)
    if not NAME_RE.match(args.name):
        raise ToneCheckError("key names are 1-64 letters, digits, '.', '_' or '-'")
    entries = read_keys_file(path)
    if any(e.name == args.name for e in entries):
        raise ToneCheckError(f"a key named {args.name!r} exists; remove it first")
    key, entry = new_key(args.name)
    write_keys_file(path, [*entries, entry])
    env.stdout.write(key + "\n")
    env.stderr.write(f"tonecheck: key {args.name!r} added to {path}; copy it now, it is not shown again\n")
    return ExitStatus.OK


def run_keys_list(args: argparse.Namespace, env: Any) -> int:
    path = _keys_path(args, env)
    for entry in read_keys_file(path):
        info = describe(entry)
        env.stdout.write(f"{info['name']}\t{info['id']}\t{info['created']}\n")
    return ExitStatus.OK


def run_keys_remove(args: argparse.Namespace, env: Any) -> int:
    path = _keys_path(args, env)
    entries = read_keys_file(path)
    kept = [e for e in entries if e.name != args.name]
    if len(kept) == len(entries):
        raise ToneCheckError(f"no key named {args.name!r} in {path}")
    write_keys_file(path, kept)
    env.stderr.write(f"tonecheck: key {args.name!r} removed; running servers stop accepting it at once\n")
    return ExitStatus.OK
