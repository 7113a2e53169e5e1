"""Service fixtures: a fresh app per test from the real factory, sharing the session's loaded Checker.

Apps run with auth on and two keys (one from the environment list, one hashed in a keys file), so every test
exercises the production path unless it asks for open mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from service_helpers import ENV_KEY, IN_CI
from werkzeug.serving import make_server

from service import create_app
from service.auth import new_key, write_keys_file
from tonecheck import Checker, Settings, load_settings
from tonecheck.errors import ModelUnavailable


@pytest.fixture(scope="session")
def file_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A key stored only as a hash in a keys file: (the key, the file)."""
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    key, entry = new_key("plugin")
    write_keys_file(path, [entry])
    return key, path


@pytest.fixture()
def settings(file_key: tuple[str, Path]) -> Settings:
    return load_settings(env={}, use_model=False, api_keys=(ENV_KEY,), keys_file=file_key[1])


@pytest.fixture()
def app(settings: Settings, rules_checker: Checker) -> Flask:
    return create_app(settings, checker=rules_checker)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {ENV_KEY}"}


@pytest.fixture()
def tone_checker(request: pytest.FixtureRequest) -> Checker:
    """The real model: skipped on a dev box without a built model, a failure in CI."""
    try:
        return request.getfixturevalue("checker")
    except ModelUnavailable as exc:
        if IN_CI:
            raise
        pytest.skip(f"tone model not built: {exc}")


@pytest.fixture()
def open_settings(settings: Settings) -> Settings:
    return replace(settings, auth=False)


@pytest.fixture()
def live_server() -> Iterator[Any]:
    """Start an app on a free loopback port in a thread: ``live_server(app) -> base URL``."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=5)
