"""The model category layer, end to end with the shipped model: what issue 9 promised a rep would see.

Every sentence here is new wording (none is in models/data); the misses are the issue's own examples of what the
rule layer could not enumerate, and the two real replies are curt-but-fine brand replies the old model called rude.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from tonecheck import Checker
from tonecheck.report import MODEL_CATEGORIES, Report
from tonecheck.rules import resolve_pack

ROOT = Path(__file__).resolve().parents[2]

# (sentence, the category a rep should be shown) from issue 9's "What the misses look like".
ISSUE_MISSES = [
    ("Carry on like this and you won't be ordering from us again.", "threatening"),
    ("I'd be careful about opening a dispute over this.", "threatening"),
    ("We've noted your account details for our records, should this go further.", "threatening"),
    ("Think twice before posting that review.", "threatening"),
    ("Nothing more I can add.", "dismissive"),
    ("This conversation is over.", "dismissive"),
    ("Writing in again won't get a different answer.", "dismissive"),
    ("Had you read the confirmation, you'd have seen the date.", "blaming"),
    ("That happened because you skipped the update.", "blaming"),
    ("We can't refund it, seeing as you ignored the first email.", "blaming"),
    ("It works for everybody else.", "isolating"),
    ("No other customer has needed help with this.", "isolating"),
    ("Let me spell it out.", "condescending"),
    ("Any adult could follow these steps.", "condescending"),
    ("Calm down, it's only a parcel.", "condescending"),
]

# Known misses of the shipped model, kept as tests that fail loudly once they pass (strict xfail), so a retrained
# model that fixes one must move it up: (text, what should happen). Also listed in models/README.md.
KNOWN_MISSES = [
    ("Post that review and see what it does for your account with us.", "threatening"),  # P(rude) low, neutral
]

# Former known misses and false alarms that a retrain fixed: kept so they stay fixed.
FORMER_MISSES = [
    ("That's a matter for your card issuer.", "dismissive"),  # issue 9's deflection, caught since the 20-writer retrain
    # caught since int8 quantises per token (issue 14): the same model in fp32 already caught it (condescending)
    ("I'll go slowly so you can keep up this time.", "condescending"),
]
FORMER_FALSE_ALARMS = [
    "Other customers have reported the same issue, and our engineers are working on a fix.",  # was model.isolating
]

REAL_FINE_REPLIES = [
    "Give it a try. -Tara",
    "That's the best kind of trick-or-treating. All treats, my friend. -Becky",
]


def _categories(report: Report) -> set[str]:
    return {f.category for f in report.findings}


@pytest.mark.parametrize(("text", "category"), ISSUE_MISSES, ids=[t for t, _ in ISSUE_MISSES])
def test_issue_misses_are_caught(checker: Checker, text: str, category: str) -> None:
    """Each gives a finding of the named category (rule or model) or, failing that, a rude tone."""
    report = checker.check(text)
    assert category in _categories(report) or report.tone.label == "rude", report.to_dict()


@pytest.mark.xfail(strict=True, reason="known miss of the shipped model (models/README.md, Known misses)")
@pytest.mark.parametrize(("text", "category"), KNOWN_MISSES, ids=[t for t, _ in KNOWN_MISSES])
def test_known_misses_still_missed(checker: Checker, text: str, category: str) -> None:
    assert category in _categories(checker.check(text))


@pytest.mark.parametrize(("text", "category"), FORMER_MISSES, ids=[t for t, _ in FORMER_MISSES])
def test_former_misses_stay_caught(checker: Checker, text: str, category: str) -> None:
    assert category in _categories(checker.check(text))


@pytest.mark.parametrize("text", REAL_FINE_REPLIES + FORMER_FALSE_ALARMS)
def test_fine_replies_are_left_alone(checker: Checker, text: str) -> None:
    report = checker.check(text)
    assert report.findings == [], report.to_dict()
    assert report.tone.label != "rude", report.tone


def _model_examples() -> list[tuple[str, str, bool]]:
    spec = resolve_pack(ROOT / "rules", "default")
    return [(r.category, text, bad) for r in spec.rules if r.kind == "model"
            for bad, texts in ((True, r.bad_examples), (False, r.good_examples)) for text in texts]


@pytest.mark.parametrize(("category", "text", "bad"), _model_examples())
def test_model_rule_examples(checker: Checker, category: str, text: str, bad: bool) -> None:
    """The model rules' own examples: bad ones get a finding of their category (a rule of the category may take
    the sentence over: it names the exact words), good ones none of it."""
    found = category in _categories(checker.check(text))
    assert found is bad


def test_model_finding_carries_its_contract_fields(checker: Checker) -> None:
    text = "Hi Sam,\n\nKeep emailing the CEO and watch how fast your warranty claim moves.\n\nBest,\nAlex"
    report = checker.check(text)
    model = [f for f in report.findings if f.source == "model"]
    assert model, report.to_dict()
    for f in model:
        assert f.rule_id == f"model.{f.category}" and f.category in MODEL_CATEGORIES
        assert text[f.start : f.end] == f.text and f.text.strip() == f.text and f.text
        assert 0.0 < f.score <= 1.0
        assert f.score >= checker.classifier.kind_thresholds[f.category]
        assert f.suggestions and "{match}" not in f.message
    as_json = [f for f in report.to_dict()["findings"] if f["source"] == "model"]
    assert [f["score"] for f in as_json] == pytest.approx([f.score for f in model], abs=1e-4)
    assert all(f.score is None for f in report.findings if f.source == "rule")


def test_a_rule_of_the_same_category_takes_the_sentence_over(checker: Checker) -> None:
    """The isolating rule names the exact words; the model does not add a second isolating finding there."""
    report = checker.check("You're the only person who has had this problem!")
    isolating = [f for f in report.findings if f.category == "isolating"]
    assert [f.source for f in isolating] == ["rule"], report.to_dict()


def test_model_span_stays_inside_its_sentence(checker: Checker) -> None:
    text = "Thanks for the photos. Big words can be tricky, so here it is in plain English."
    report = checker.check(text)
    second = text.index("Big")
    assert any(f.source == "model" for f in report.findings), report.to_dict()
    for f in (f for f in report.findings if f.source == "model"):
        assert second <= f.start < f.end <= len(text)
        assert text[f.start : f.end] == f.text


@pytest.fixture()
def team_rules(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "rules" / "default", tmp_path / "default")
    return tmp_path


def _team_checker(checker: Checker, rules_dir: Path, pack: dict) -> Checker:
    (rules_dir / "team").mkdir()
    rules = pack.pop("rules", None)
    spec = {"name": "team", "description": "A team pack over the default.", "extends": "default", **pack}
    (rules_dir / "team" / "pack.yml").write_text(yaml.safe_dump(spec))
    if rules:
        (rules_dir / "team" / "own.yml").write_text(yaml.safe_dump({"rules": rules}))
    return Checker(replace(checker.settings, rules_dir=rules_dir), checker.nlp, checker.classifier)


THREAT = "Keep emailing the CEO and watch how fast your warranty claim moves."


def test_a_pack_can_switch_a_model_category_off(checker: Checker, team_rules: Path) -> None:
    assert any(f.rule_id == "model.threatening" for f in checker.check(THREAT).findings)
    team = _team_checker(checker, team_rules, {"disable": ["model.threatening"]})
    assert not any(f.rule_id == "model.threatening" for f in team.check(THREAT, pack="team").findings)


def test_a_pack_can_set_threshold_and_severity_per_category(checker: Checker, team_rules: Path) -> None:
    base = next(f for f in checker.check(THREAT).findings if f.rule_id == "model.threatening")
    strict = {"id": "model.threatening", "kind": "model", "category": "threatening", "severity": "error",
              "message": "Threat.", "threshold": 0.999999,
              "examples": {"bad": ["Keep it up and you'll find your orders stop going through."]}}
    team = _team_checker(checker, team_rules, {"rules": [strict]})
    assert base.score < 0.999999
    assert not any(f.rule_id == "model.threatening" for f in team.check(THREAT, pack="team").findings)


def test_a_pack_can_raise_a_model_category_to_error(checker: Checker, team_rules: Path) -> None:
    loud = {"id": "model.threatening", "kind": "model", "category": "threatening", "severity": "error",
            "message": "Threat: {match}", "examples": {"bad": ["Keep it up and you'll find your orders stop."]}}
    team = _team_checker(checker, team_rules, {"rules": [loud]})
    report = team.check(THREAT, pack="team")
    found = [f for f in report.findings if f.rule_id == "model.threatening"]
    assert found and found[0].severity == "error" and report.verdict == "block"
    assert found[0].message == f"Threat: {found[0].text}"


def test_without_the_model_there_are_no_model_findings(rules_checker: Checker) -> None:
    report = rules_checker.check(THREAT)
    assert all(f.source == "rule" for f in report.findings)
