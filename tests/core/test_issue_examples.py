"""The examples the product card names: caught with the right category, and the must-nots stay clean."""

from __future__ import annotations

import pytest

MUST = [
    ("You're the only person who has had this problems this often!", "isolating"),
    ("No one else has reported this issue.", "isolating"),
    ("We have never had a complaint about this before.", "isolating"),
    ("As I already told you, the refund takes five days.", "blaming"),
    ("You should have read the instructions.", "blaming"),
    ("We will take legal action.", "threatening"),
    ("Our widgets are the most popular around, so I don't know why you have a problem with them.", "dismissive"),
    ("There is nothing we can do.", "dismissive"),
    ("Calm down.", "condescending"),
    ("This is ASININE", "banned_word"),
    ("This is ASININE", "shouting"),
]
MUST_NOT = [
    "Sorry about the missing items. I'll send them out to you today.",
    "You're not the only one: several customers reported this and we are fixing it.",
    "I understand how frustrating this is.",
]


@pytest.mark.parametrize(("text", "category"), MUST)
def test_must_catch(rules_checker, text, category):
    report = rules_checker.check(text)
    assert category in {f.category for f in report.findings}
    assert report.verdict in {"review", "block"}


@pytest.mark.parametrize("text", MUST_NOT)
def test_must_not_flag(rules_checker, text):
    report = rules_checker.check(text)
    assert report.findings == []
    assert report.verdict == "ok"


def test_banned_word_span_and_suggestions(rules_checker):
    text = "Honestly, this request is asinine."
    report = rules_checker.check(text)
    (finding,) = [f for f in report.findings if f.category == "banned_word"]
    assert finding.rule_id == "banned.asinine"
    assert (finding.start, finding.end) == (26, 33)
    assert text[finding.start : finding.end] == "asinine"
    assert finding.severity == "error" and finding.suggestions
    assert report.verdict == "block"


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [("Asinine.", "banned.asinine"), ("What idiots.", "banned.idiot"),
     ("That is ridiculously slow?", "banned.ridiculous"), ("STUPIDEST thing", "banned.stupid")],
)
def test_word_rules_are_inflection_and_case_aware(rules_checker, text, rule_id):
    assert rule_id in {f.rule_id for f in rules_checker.check(text).findings}


@pytest.mark.parametrize("text", ["Your class starts Monday.", "We ship to Scunthorpe daily.", "I'll assess it.",
                                  "Thanks for the passport photo.", "Hello there!"])
def test_word_rules_do_not_match_inside_words(rules_checker, text):
    assert rules_checker.check(text).findings == []
