"""The front that ``tonecheck serve`` runs: slow clients cost a coroutine, never a thread.

gunicorn's ``asgi`` worker reads every connection on one asyncio event loop. This module is the ASGI
application it calls: it waits for the whole request (headers, then the body up to the size cap) on the loop,
and only a complete request is handed to the Flask app (:func:`service.create_app`), on a small pool of real
threads. A client that sends its headers or body a byte at a time holds a few kilobytes and a coroutine,
not one of the threads that run checks (issue 10, finding 3: 12 slow connections used to take all 8 gthread
threads).

``GET /healthz`` is answered here, on the event loop, without a thread and without the check lock, so it
answers while every thread is busy with checks. A body over the cap is refused here with the service's JSON
413 before it is read to the end, whether it was sent with Content-Length or chunked.

Nothing here looks at the text: this is transport only.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

HEALTH_PATH = "/healthz"
_GONE = object()
_JSON = (b"content-type", b"application/json")


class BufferedFront:
    """ASGI app: buffer each request on the event loop, then run the WSGI app on one of ``threads`` threads."""

    def __init__(self, wsgi_app: WsgiApp, *, threads: int, body_limit: int) -> None:
        self.wsgi_app = wsgi_app
        self.body_limit = body_limit
        self.threads = max(1, threads)
        self._pool: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:  # created in the worker, after gunicorn's fork
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="tonecheck")
        return self._pool

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: not offered
            return
        if scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await _send_json(send, 200, {"status": "ok"}, scope["method"] == "HEAD", _request_id(scope))
            return
        body = await self._read_body(scope, receive)
        if body is _GONE:  # the client hung up mid-request: nobody to answer
            return
        if body is None:
            await _send_json(send, 413, _too_large(self.body_limit, _request_id(scope)), False, _request_id(scope))
            return
        assert isinstance(body, bytes)
        environ = wsgi_environ(scope, body)
        loop = asyncio.get_running_loop()
        status, headers, chunks = await loop.run_in_executor(self.pool, _run_wsgi, self.wsgi_app, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | object | None:
        """The whole body; None when it is (or is declared) larger than the cap; _GONE if the client left."""
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.body_limit:
            return None
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _GONE
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                return None
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(parts)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._pool is not None:
                    await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown, True)
                await send({"type": "lifespan.shutdown.complete"})
                return


def wsgi_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """PEP 3333 environ for a fully read request. The body is in memory, so its length is always known."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    # WSGI carries the path as latin-1 decoded bytes; ASGI gives it decoded from UTF-8.
    path = scope.get("path", "/").encode("utf-8").decode("latin-1")
    root = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root,
        "PATH_INFO": path[len(root):] if root and path.startswith(root) else path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_LENGTH" or name == "TRANSFER_ENCODING":
            continue  # the body is already read whole: CONTENT_LENGTH above is its real size
        key = name if name == "CONTENT_TYPE" else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def _run_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
    """Call the WSGI app in a pool thread and collect its whole response."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"] = int(status.split(" ", 1)[0])
        started["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return lambda data: chunks.append(data)

    chunks: list[bytes] = []
    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started["status"], started["headers"], chunks


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _request_id(scope: Scope) -> str:
    incoming = _header(scope, b"x-request-id") or ""
    ok = 0 < len(incoming) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-") for c in incoming)
    return incoming if ok else uuid.uuid4().hex


def _too_large(limit: int, request_id: str) -> dict[str, Any]:
    """The service's 413 (the ``Error`` shape of service/errors.py)."""
    message = f"request body too large (the limit is {limit} bytes)"
    return {"error": {"status": 413, "code": "too_large", "message": message, "field": None, "request_id": request_id}}


async def _send_json(send: Send, status: int, body: dict[str, Any], head: bool, request_id: str) -> None:
    payload = json.dumps(body).encode("utf-8")
    headers = [_JSON, (b"content-length", str(len(payload)).encode()), (b"x-request-id", request_id.encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else payload})
