"""The dev corpus (models/data/rules_dev/<category>.yml) run through the real spaCy rule layer.

Each `flag` sentence must yield at least one finding of its category, at offsets that point at the finding's
text; each `ok` sentence must yield no warning or error of that category (an `info` note is allowed, since it
never changes the verdict). A file's `known_miss` sentences (should be flagged) and `known_fp` sentences
(should not be) are what the engine cannot get right yet (see models/data/rules_data.md); they are strict
xfails, so a fix shows up here as a failure until they move to `flag` or `ok`.

All sentences are checked in one `check_many` call, so the module stays fast. The held-out set
(models/data/rules_heldout/) is deliberately not tested here: bench/rules_quality.py scores it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tonecheck import Checker, Report
from tonecheck.report import CATEGORIES

DEV_DIR = Path(__file__).resolve().parents[2] / "models" / "data" / "rules_dev"
MIN_PER_SIDE = 60
KNOWN = ("known_miss", "known_fp")


def _load_corpus() -> list[tuple[str, str, str]]:
    """(category, side, sentence) for every line of every dev file; side is flag, ok, known_miss or known_fp."""
    cases = []
    for path in sorted(DEV_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases += [(data["category"], side, text) for side in ("flag", "ok") for text in data[side]]
        cases += [(data["category"], side, text) for side in KNOWN for text in data.get(side, [])]
    return cases


CASES = _load_corpus()
KNOWN_GAP = pytest.mark.xfail(strict=True, reason="known gap: the engine cannot get this right yet")


@pytest.fixture(scope="module")
def reports(rules_checker: Checker) -> dict[str, Report]:
    texts = sorted({text for _, _, text in CASES})
    return dict(zip(texts, rules_checker.check_many(texts)))


def test_every_category_has_enough_sentences():
    for category in CATEGORIES:
        for side in ("flag", "ok"):
            n = sum(1 for c, s, _ in CASES if c == category and s == side)
            assert n >= MIN_PER_SIDE, f"{category}.{side}: {n} sentences, want >= {MIN_PER_SIDE}"


@pytest.mark.parametrize(
    ("category", "side", "text"),
    [pytest.param(*case, marks=KNOWN_GAP) if case[1] in KNOWN else case for case in CASES],
    ids=[f"{c}-{s}-{i}" for i, (c, s, _) in enumerate(CASES)],
)
def test_dev_sentence(reports, category, side, text):
    report = reports[text]
    for f in report.findings:
        assert text[f.start : f.end] == f.text, f"{f.rule_id}: offsets {f.start}:{f.end} miss {f.text!r}"
    same = [f for f in report.findings if f.category == category]
    if side in ("flag", "known_miss"):
        assert same, f"no {category} finding in {text!r}; got {[(f.rule_id, f.text) for f in report.findings]}"
    else:
        loud = [(f.rule_id, f.text) for f in same if f.severity in ("warning", "error")]
        assert not loud, f"{category} fired on near-miss {text!r}: {loud}"
