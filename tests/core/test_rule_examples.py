"""Every rule proves itself: its `bad` examples fire that rule, its `good` examples keep it silent."""

from __future__ import annotations

import pytest

from tonecheck import load_settings
from tonecheck.rules import available_packs, resolve_pack

SETTINGS = load_settings(env={})


def example_cases(model: bool) -> list[tuple[str, str, str, str]]:
    """(pack, rule id, bad|good, text) for every example of every rule, of model rules or of the others.

    A rule's examples run in the pack that defines it: a team pack may allow words its parent bans.
    """
    cases = []
    for pack in available_packs(SETTINGS.rules_dir):
        spec = resolve_pack(SETTINGS.rules_dir, pack)
        for rule in (r for r in spec.rules if r.source.startswith(str(spec.path) + "/")):
            if (rule.kind == "model") != model:
                continue
            cases += [(pack, rule.id, "bad", t) for t in rule.bad_examples]
            cases += [(pack, rule.id, "good", t) for t in rule.good_examples]
    return cases


CASES = example_cases(model=False)  # model rules need the tone model: tests/model/test_model_findings.py


def _fired(report, rule_id: str) -> list:
    return [f for f in report.findings if f.rule_id == rule_id or f.rule_id.startswith(rule_id + ".")]


def test_every_rule_has_a_bad_example():
    for pack in available_packs(SETTINGS.rules_dir):
        for rule in resolve_pack(SETTINGS.rules_dir, pack).rules:
            assert rule.bad_examples, f"{rule.source}: rule {rule.id} has no bad example"


@pytest.mark.parametrize(
    ("pack", "rule_id", "kind", "text"), CASES, ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_example(rules_checker, pack, rule_id, kind, text):
    report = rules_checker.check(text, pack=pack)
    fired = _fired(report, rule_id)
    if kind == "bad":
        assert fired, f"{rule_id} did not fire on bad example {text!r}"
        for f in fired:
            assert text[f.start : f.end] == f.text
    else:
        assert not fired, f"{rule_id} fired on good example {text!r}: {[f.text for f in fired]}"
