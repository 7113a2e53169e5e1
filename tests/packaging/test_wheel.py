"""The wheel as a user installs it: built from the source tree, installed into a fresh venv outside the checkout,
and driven through its console script (check, serve until /healthz answers, audit), from a folder that is not the
checkout, so nothing can come from the source tree by accident.

The fresh venv gets the dependencies (torch, spaCy, Flask, ...) from this test run's own environment through a
.pth line, so the test works offline and does not copy torch; the wheel itself is installed with
``--no-deps --no-index``. Building needs setuptools >= 70.1 in this environment (the ``dev`` extra).
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "tonecheck", "service", "rules", "models/tone")
DRAFT = "As I already told you, this is ASININE. You're the only person who has had this problem!\n"
GENERIC_NAMES = {"service", "models", "rules", "tests", "bench"}


def _setup_packages() -> tuple[list[str], dict[str, str]]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    packages = cfg["options"]["packages"].split()
    mapping = dict(line.split("=") for line in cfg["options"]["package_dir"].strip().splitlines())
    return packages, {k.strip(): v.strip() for k, v in mapping.items()}


def test_setup_cfg_lists_every_package_under_tonecheck() -> None:
    packages, mapping = _setup_packages()
    found = set(find_packages(str(ROOT), include=["tonecheck", "tonecheck.*"]))
    assert found <= set(packages), f"add to setup.cfg [options] packages: {sorted(found - set(packages))}"
    for name, folder in mapping.items():
        assert name.startswith("tonecheck.") and (ROOT / folder).is_dir()
    assert not find_packages(str(ROOT / "service")), "service/ subpackages must be listed and mapped"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONECHECK_") and k != "PYTHONPATH"}
    env["TONECHECK_CACHE_DIR"] = os.environ["TONECHECK_CACHE_DIR"]  # the run's pack cache (tests/conftest.py)
    env.update(PYTHONUNBUFFERED="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def _run(cmd: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=_env(**env), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with the freshly built wheel installed; returns its bin/ folder."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for name in SOURCES:  # a copy, so the build leaves no build/ or stale files in the checkout
        target = src / name
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                  "-w", str(base / "dist"), str(src)], cwd=base)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (base / "dist").glob("tonecheck-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"tonecheck", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "tonecheck/packs/default/pack.yml" in names and "tonecheck/tone_model/model.safetensors" in names
    assert "tonecheck/service/templates/draft.html" in names

    venv = base / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    assert made.returncode == 0, made.stderr
    site = Path(_run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=base).stdout.strip())
    # dependencies from this environment, after the venv's own site-packages (where the wheel goes)
    (site / "zz_tonecheck_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    before = set(os.listdir(site))
    done = _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                 "--no-index", str(wheel)], cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr
    added = {n for n in set(os.listdir(site)) - before if not n.endswith(".dist-info")}
    assert added == {"tonecheck"}, f"top-level names installed besides tonecheck: {sorted(added)}"
    return venv / "bin"


def test_installed_package_finds_its_own_data_and_nothing_generic(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import importlib.util, json, tonecheck, tonecheck.service, tonecheck.settings as s\n"
        "print(json.dumps({'pkg': tonecheck.__file__, 'service': tonecheck.service.__file__,\n"
        "  'rules': str(s.Settings().rules_dir), 'model': str(s.Settings().model_dir),\n"
        f"  'generic': [n for n in {sorted(GENERIC_NAMES)!r} if importlib.util.find_spec(n)]}}))"
    )
    result = _run([str(installed / "python"), "-c", probe], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    venv = str(installed.parent)
    for key in ("pkg", "service", "rules", "model"):
        assert found[key].startswith(venv), (key, found[key])
    assert found["rules"].endswith("tonecheck/packs") and found["model"].endswith("tonecheck/tone_model")
    assert found["generic"] == []


def test_installed_check_with_the_tone_model(installed: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT, encoding="utf-8")
    result = _run([str(installed / "tonecheck"), "check", str(draft), "--format", "json"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {f["rule_id"] for f in report["findings"]} >= {"banned.asinine", "isolating.only_one"}
    assert report["tone"] is not None and report["verdict"] == "block"
    assert _run([str(installed / "tonecheck"), "check", "--pack", "example-team", "--no-model", str(draft)],
                cwd=tmp_path).returncode == 1


def test_installed_audit(installed: Path, tmp_path: Path) -> None:
    mbox = ROOT / "tests" / "audit" / "fixtures" / "sent.mbox"
    result = _run([str(installed / "tonecheck"), "audit", str(mbox), "--out", str(tmp_path / "out"), "--no-model"],
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert summary["messages"] > 0 and (tmp_path / "out" / "report.html").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_installed_serve_answers_healthz_and_the_draft_page(installed: Path, tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [str(installed / "tonecheck"), "serve", "--port", str(port), "--workers", "1", "--threads", "1"],
        cwd=tmp_path, env=_env(TONECHECK_AUTH="off"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"serve exited with {proc.returncode}: {proc.communicate()[0]}"
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:  # not listening yet
                pass
            assert time.monotonic() < deadline, "no /healthz within 90 s"
            time.sleep(0.3)
        status, page = _get(f"{base}/")  # the draft page: templates and static files shipped in the wheel
        assert status == 200 and b"<html" in page.lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
