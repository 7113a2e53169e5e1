"""Rule packs load whole or fail with path:line: reason; team packs extend, allow and disable."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tonecheck import Checker, RulePackError, UnknownPack, load_settings
from tonecheck.rules import CompiledPack, resolve_pack

BROKEN = Path(__file__).resolve().parent.parent / "fixtures" / "packs"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expect.txt").is_file())


@pytest.mark.parametrize("name", CASES)
def test_broken_pack_fails_with_file_line_and_reason(rules_checker, name):
    expected = (BROKEN / name / "expect.txt").read_text(encoding="utf-8").strip()
    file_name, line, reason = expected.split(":", 2)
    with pytest.raises(RulePackError) as info:
        CompiledPack(resolve_pack(BROKEN, name), rules_checker.nlp)
    message = str(info.value)
    assert re.search(rf"{re.escape(file_name)}:{line}: ", message), message
    assert reason.strip() in message


def test_broken_pack_stops_checker_load(tmp_path):
    shutil.copytree(BROKEN / "bad_level", tmp_path / "default")
    with pytest.raises(RulePackError):
        Checker.load(load_settings(env={}, use_model=False, rules_dir=tmp_path))


def test_unknown_pack_names_the_available_ones(rules_checker):
    with pytest.raises(UnknownPack, match="example-team"):
        rules_checker.check("Hello", pack="nope")


def test_team_pack_allows_and_adds(rules_checker):
    text = "Those deals are crazy! I guarantee it will arrive on Monday."
    default = {f.rule_id for f in rules_checker.check(text).findings}
    team = {f.rule_id for f in rules_checker.check(text, pack="example-team").findings}
    assert "belittling.crazy" in default and "belittling.crazy" not in team
    assert "team.promise_date" in team and "team.promise_date" not in default


def test_team_pack_disable_removes_rule(rules_checker):
    text = "Obviously, the charger is sold separately."
    assert any(f.rule_id == "condescending.obviously" for f in rules_checker.check(text).findings)
    assert not rules_checker.check(text, pack="example-team").findings


def test_describe_packs_lists_rules(rules_checker):
    packs = {p["name"]: p for p in rules_checker.describe_packs()}
    assert packs["example-team"]["extends"] == "default"
    ids = {r["id"] for r in packs["default"]["rules"]}
    assert {"banned", "isolating.only_one", "shouting.caps"} <= ids


@pytest.mark.parametrize("pattern", ["(silly me|no question is (too)? silly)", "(a|b", "a) b"])
def test_nested_or_unbalanced_parentheses_are_pattern_errors(rules_checker, pattern):
    from tonecheck.rules import PatternError, compile_pattern

    with pytest.raises(PatternError, match="parentheses"):
        compile_pattern(pattern, rules_checker.nlp)


def _one_rule_pack(tmp_path: Path, rule_yaml: str) -> Checker:
    pack = tmp_path / "default"
    pack.mkdir()
    (pack / "pack.yml").write_text("name: default\ndescription: test\n", encoding="utf-8")
    (pack / "rules.yml").write_text("rules:\n" + rule_yaml, encoding="utf-8")
    return Checker.load(load_settings(env={}, use_model=False, rules_dir=tmp_path))


def test_unless_silences_a_word_rule_in_the_same_sentence_only(tmp_path):
    checker = _one_rule_pack(tmp_path, """
  - id: banned
    kind: words
    category: banned_word
    severity: error
    message: m
    words: {dumb: []}
    unless: ["no question is a dumb question"]
    examples: {bad: ["That is <marker>dumb</marker>."]}
""")
    text = "No question is a dumb question. But that was dumb."
    findings = checker.check(text).findings
    assert [(f.rule_id, f.start) for f in findings] == [("banned.dumb", text.rindex("dumb"))]


def test_caps_emphatic_words_shout_even_when_short(tmp_path):
    checker = _one_rule_pack(tmp_path, """
  - id: shouting.caps
    kind: caps
    category: shouting
    severity: warning
    message: m
    acronyms: [UK]
    emphatic: ["NO", "SO"]
    examples: {bad: ["I said <marker>NO</marker>."]}
""")
    findings = checker.check("I said NO refunds, I'm SO done. We ship to the UK.").findings
    assert [f.text for f in findings] == ["NO", "SO"]
    assert checker.check("No, we ship to the UK.").findings == []
