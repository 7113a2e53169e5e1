"""The shipped tone model, loaded once per test session (fp32 and the int8 variant the product uses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tonecheck.classify import ToneClassifier

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "tone"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return MODEL_DIR


@pytest.fixture(scope="session")
def tone_int8() -> ToneClassifier:
    return ToneClassifier.load(MODEL_DIR, variant="int8", threads=1)


@pytest.fixture(scope="session")
def tone_fp32() -> ToneClassifier:
    return ToneClassifier.load(MODEL_DIR, variant="fp32", threads=1)
