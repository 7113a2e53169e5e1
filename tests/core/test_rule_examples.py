"""Every rule proves itself: each `bad` example fires that rule on exactly the span it marks with
`<marker>…</marker>` (as LanguageTool's grammar.xml examples do), and its `good` examples keep it silent."""

from __future__ import annotations

import pytest

from tonecheck import load_settings
from tonecheck.rules import available_packs, read_example, resolve_pack

SETTINGS = load_settings(env={})


def example_cases(model: bool) -> list[tuple[str, str, str, str, tuple[int, int] | None]]:
    """(pack, rule id, bad|good, text, marked span) for every example of every rule, of model rules or the others.

    The text is as checked (marker removed); the span is the marker's place in it (None for a good example).
    A rule's examples run in the pack that defines it: a team pack may allow words its parent bans.
    """
    cases = []
    for pack in available_packs(SETTINGS.rules_dir):
        spec = resolve_pack(SETTINGS.rules_dir, pack)
        for rule in (r for r in spec.rules if r.source.startswith(str(spec.path) + "/")):
            if (rule.kind == "model") != model:
                continue
            cases += [(pack, rule.id, "bad", t, m) for t, m in zip(rule.bad_examples, rule.bad_marks, strict=True)]
            cases += [(pack, rule.id, "good", t, None) for t in rule.good_examples]
    return cases


CASES = example_cases(model=False)  # model rules need the tone model: tests/model/test_model_findings.py


def _fired(report, rule_id: str) -> list:
    return [f for f in report.findings if f.rule_id == rule_id or f.rule_id.startswith(rule_id + ".")]


def test_every_rule_has_a_bad_example():
    for pack in available_packs(SETTINGS.rules_dir):
        for rule in resolve_pack(SETTINGS.rules_dir, pack).rules:
            assert rule.bad_examples, f"{rule.source}: rule {rule.id} has no bad example"


def test_every_bad_example_of_a_matched_rule_is_marked():
    assert CASES
    for pack, rule_id, kind, text, mark in CASES:
        assert "<marker>" not in text and "</marker>" not in text, (pack, rule_id, text)
        assert (mark is not None) == (kind == "bad"), (pack, rule_id, text)


@pytest.mark.parametrize(
    ("pack", "rule_id", "kind", "text", "mark"), CASES, ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CASES)]
)
def test_rule_example(rules_checker, pack, rule_id, kind, text, mark):
    report = rules_checker.check(text, pack=pack)
    fired = _fired(report, rule_id)
    if kind == "bad":
        spans = [(f.start, f.end) for f in fired]
        start, end = mark
        assert spans == [mark], (
            f"{rule_id} should flag {text[start:end]!r} in {text!r}, flagged {[f.text for f in fired]}"
        )
        assert fired[0].text == text[start:end]
    else:
        assert not fired, f"{rule_id} fired on good example {text!r}: {[f.text for f in fired]}"


def test_read_example_strips_the_marker_and_gives_its_span():
    assert read_example("<marker>Calm down</marker>, please.") == ("Calm down, please.", (0, 9))
    assert read_example("Please <marker>calm down</marker>.") == ("Please calm down.", (7, 16))
    assert read_example("No marker here.") == ("No marker here.", None)
    for text, reason in [
        ("<marker></marker> then", "empty marker"),
        ("Please<marker> calm down</marker>.", "must not start or end with a space"),
        ("</marker>calm<marker> down", "before <marker>"),
        ("calm down</marker>", "</marker> without its pair"),
    ]:
        with pytest.raises(ValueError, match=reason):
            read_example(text)


def test_a_model_rule_may_mark_its_bad_examples_or_not(tmp_path):
    pack = tmp_path / "default"
    pack.mkdir()
    (pack / "pack.yml").write_text("name: default\ndescription: test\n", encoding="utf-8")
    (pack / "rules.yml").write_text("""rules:
  - id: threat
    kind: model
    category: threatening
    severity: warning
    message: m
    examples:
      bad:
        - "Keep it up and <marker>you'll see what happens</marker>."
        - "Keep it up and you'll see what happens."
""", encoding="utf-8")
    (rule,) = resolve_pack(tmp_path, "default").rules
    assert rule.bad_examples == ("Keep it up and you'll see what happens.",) * 2
    assert rule.bad_marks == ((15, 38), None)
