"""Shared fixtures: the real spaCy pipeline, rule packs and tone model, each loaded once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tonecheck import Checker, load_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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
