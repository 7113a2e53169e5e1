"""Shared fixtures: the real spaCy pipeline, rule packs and tone model, each loaded once per test run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tonecheck import Checker, load_settings, settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def pack_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Compiled packs are cached in a folder of this test run, never in the user's ~/.cache/tonecheck.

    Settings built from ``env={}`` get the folder through ``user_cache_dir()``; processes the tests start inherit
    ``TONECHECK_CACHE_DIR`` (a test that strips ``TONECHECK_*`` from a child's environment passes it on itself).
    """
    folder = tmp_path_factory.mktemp("tonecheck-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "USER_CACHE_DIR", folder)
        patch.setenv("TONECHECK_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="session")
def rules_checker() -> Checker:
    """Rules only (no tone model): for tests where tone is irrelevant."""
    return Checker.load(load_settings(env={}, use_model=False))


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The real product: rules plus the shipped tone model."""
    return Checker.load(load_settings(env={}))


@pytest.fixture()
def fixtures() -> Path:
    return FIXTURES
