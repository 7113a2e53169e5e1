"""``tonecheck keys`` and ``tonecheck serve``'s checks, through the real CLI entry point with in-memory streams."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from service.auth import KeyStore
from service.command import gunicorn_options, is_loopback, refusal
from tonecheck import Settings, load_settings
from tonecheck.cli import Environment, main


def _run(argv: list[str], settings: Settings | None = None, environ: dict[str, str] | None = None,
         ) -> tuple[int, str, str]:
    """main([...]) in process; with ``environ`` given, main loads the settings itself (from it and --config)."""
    env = Environment(
        stdin=io.BytesIO(), stdout=io.StringIO(), stderr=io.StringIO(), stdout_isatty=False,
        settings=None if environ is not None else settings or load_settings(env={}), environ=environ,
    )
    code = main(argv, env)
    return code, env.stdout.getvalue(), env.stderr.getvalue()  # type: ignore[attr-defined]


def test_keys_add_prints_once_and_stores_a_hash(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "keys.json"
    code, out, err = _run(["keys", "add", "outlook-plugin", "--keys-file", str(path)])
    assert code == 0
    key = out.strip()
    assert key.startswith("tck_") and len(key) > 40
    assert "not shown again" in err and key not in err
    assert key not in path.read_text()
    assert KeyStore((), path).verify(key) == "outlook-plugin"

    code, out, _ = _run(["keys", "list", "--keys-file", str(path)])
    assert code == 0 and out.startswith("outlook-plugin\t")
    assert key not in out and json.loads(path.read_text())["keys"][0]["hash"] not in out

    code, _, err = _run(["keys", "add", "outlook-plugin", "--keys-file", str(path)])
    assert code == 2 and "exists" in err


def test_keys_remove_revokes(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    _, key_a, _ = _run(["keys", "add", "a", "--keys-file", str(path)])
    _, key_b, _ = _run(["keys", "add", "b", "--keys-file", str(path)])
    assert _run(["keys", "remove", "a", "--keys-file", str(path)])[0] == 0
    store = KeyStore((), path)
    assert store.verify(key_a.strip()) is None and store.verify(key_b.strip()) == "b"
    code, _, err = _run(["keys", "remove", "a", "--keys-file", str(path)])
    assert code == 2 and "no key named" in err
    assert _run(["keys", "list", "--keys-file", str(path)])[1].count("\n") == 1


def test_keys_file_from_settings_and_its_absence(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    code, out, _ = _run(["keys", "add", "ci"], replace(load_settings(env={}), keys_file=path))
    assert code == 0 and KeyStore((), path).verify(out.strip()) == "ci"
    code, _, err = _run(["keys", "add", "ci"], replace(load_settings(env={}), keys_file=None))
    assert code == 2 and "--keys-file" in err
    code, _, err = _run(["keys", "add", "bad name!", "--keys-file", str(path)])
    assert code == 2


def test_broken_keys_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{not json")
    code, _, err = _run(["keys", "list", "--keys-file", str(path)])
    assert code == 2 and str(path) in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
     ("0.0.0.0", False), ("::", False), ("10.1.2.3", False), ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_open_mode_beyond_loopback() -> None:
    open_settings = load_settings(env={"TONECHECK_AUTH": "off"})
    code, _, err = _run(["serve", "--host", "0.0.0.0", "--port", "8099"], open_settings)
    assert code == 2 and "auth off" in err
    assert refusal(replace(open_settings, http_host="127.0.0.1")) is None


def test_serve_refuses_auth_without_keys() -> None:
    code, _, err = _run(["serve", "--port", "8099"], load_settings(env={}))
    assert code == 2 and "no API keys" in err
    assert refusal(load_settings(env={"TONECHECK_API_KEYS": "k1,k2"})) is None


def test_gunicorn_options_for_a_two_core_box() -> None:
    options = gunicorn_options(load_settings(env={}), cpu_count=2)
    assert options["bind"] == "127.0.0.1:8080"
    assert options["workers"] == 2 and options["worker_class"] == "asgi" and options["threads"] == 4
    assert options["accesslog"] is None and options["preload_app"] is False
    ipv6 = gunicorn_options(replace(load_settings(env={}), http_host="::1", http_port=9000, http_workers=3))
    assert ipv6["bind"] == "[::1]:9000" and ipv6["workers"] == 3


def test_serve_settings_merge_file_then_flags(tmp_path: Path) -> None:
    import argparse

    from service.command import serve_settings

    config = tmp_path / "tonecheck.toml"
    config.write_text('[tonecheck]\nhttp_port = 9100\nhttp_workers = 3\nauth = false\ncors_origins = ["https://a.example"]\n')
    args = argparse.Namespace(host=None, port=9200, workers=None, threads=None)
    settings = serve_settings(args, Environment(settings=load_settings(config, env={})))
    assert settings.http_port == 9200  # the flag wins over the file
    assert settings.http_workers == 3 and settings.auth is False and settings.cors_origins == ("https://a.example",)
    assert settings.threads == 1  # one torch thread per worker
    assert gunicorn_options(settings)["bind"] == "127.0.0.1:9200"


# ----------------------------------------------------------------------------- `tonecheck --config FILE serve|keys`


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tonecheck.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_config_before_serve_is_read(tmp_path: Path) -> None:
    # open mode beyond loopback, from the file only: serve refuses before starting anything
    config = _config(tmp_path, '[tonecheck]\nauth = false\nhttp_host = "0.0.0.0"\n')
    code, out, err = _run(["--config", config, "serve", "--port", "8099"], environ={})
    assert (code, out) == (2, "")
    assert err.startswith("tonecheck: error: refusing to serve 0.0.0.0 with auth off")
    # the same file after the subcommand (docs/service.md), and with `=`
    assert _run(["serve", "--config", config], environ={})[2] == err
    assert _run([f"--config={config}", "serve"], environ={})[2] == err


def test_config_before_serve_help(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "auth = false\n")
    code, _, _ = _run(["--config", config, "serve", "--help"], environ={})
    assert code == 0 and "--workers" in capsys.readouterr().out


def test_serve_flags_win_over_config_before_serve(tmp_path: Path) -> None:
    config = _config(tmp_path, '[tonecheck]\nauth = false\nhttp_host = "0.0.0.0"\n')
    code, _, err = _run(["--config", config, "serve", "--host", "10.0.0.1"], environ={})
    assert code == 2 and "refusing to serve 10.0.0.1" in err


def test_config_before_keys_names_the_keys_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    config = _config(tmp_path, f"[tonecheck]\nkeys_file = {str(keys)!r}\n")
    code, out, err = _run(["--config", config, "keys", "add", "ci"], environ={})
    assert code == 0, err
    assert KeyStore((), keys).verify(out.strip()) == "ci"
    code, out, _ = _run(["--config", config, "keys", "list"], environ={})
    assert code == 0 and out.startswith("ci\t")
    code, _, err = _run(["--config", config, "keys", "remove", "nobody"], environ={})
    assert code == 2 and err == f"tonecheck: error: no key named 'nobody' in {keys}\n"


def test_config_from_environment_for_keys(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    config = _config(tmp_path, f"keys_file = {str(keys)!r}\n")
    code, _, err = _run(["keys", "add", "ci"], environ={"TONECHECK_CONFIG": config})
    assert code == 0, err and keys.is_file()
    code, _, err = _run(["keys", "list"], environ={"TONECHECK_CONFIG": config, "TONECHECK_KEYS_FIEL": "x"})
    assert code == 2 and "TONECHECK_KEYS_FIEL" in err and "did you mean TONECHECK_KEYS_FILE?" in err
