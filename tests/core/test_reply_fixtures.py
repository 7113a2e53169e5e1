"""The reply extractor on public quoted-reply fixtures (tests/fixtures/replies/, sources in SOURCE.md).

Every case not in known_misses.txt must match its expected reply; every listed miss must still miss, so a fix
shows up as a failure that asks for the list to shrink.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import replies  # noqa: E402  (bench/replies.py: the cases and the per-source comparison)

KNOWN = {
    line.split()[0]: line.split(maxsplit=1)[1]
    for line in (replies.FIXTURES / "known_misses.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}
CASES = replies.cases()


def test_fixture_set_is_large_and_known_misses_exist() -> None:
    assert len(CASES) >= 100
    ids = {case for case, _, _ in CASES}
    assert set(KNOWN) <= ids, set(KNOWN) - ids
    assert (len(CASES) - len(KNOWN)) / len(CASES) >= 0.95  # issue 12's target


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c for c, _, _ in CASES])
def test_reply_fixture(case: str, text: str, expected: str) -> None:
    matched = replies.matches(case, text, expected)
    if case in KNOWN:
        assert not matched, f"{case} now matches: remove it from known_misses.txt ({KNOWN[case]})"
    else:
        assert matched, f"{case}: extracted reply differs from {case}.expected.txt"
