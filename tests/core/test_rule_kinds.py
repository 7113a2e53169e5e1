"""The rule kinds: the schema, the registry and the compiled pack agree on which kinds exist and who runs them."""

from __future__ import annotations

from tonecheck import Checker
from tonecheck.rules import RULE_SCHEMA
from tonecheck.rules.kinds import APPLIED_BY_CHECKER, MATCHED_KINDS


def test_every_kind_the_schema_accepts_is_run_by_someone() -> None:
    accepted = set(RULE_SCHEMA["properties"]["kind"]["enum"])
    assert accepted == set(MATCHED_KINDS) | set(APPLIED_BY_CHECKER)
    assert not set(MATCHED_KINDS) & set(APPLIED_BY_CHECKER)


def test_the_default_pack_fires_each_matched_kind(rules_checker: Checker) -> None:
    pack = rules_checker.pack()
    text = "Honestly, you idiots. As I already told you, this is ASININE and RIDICULOUS."
    hits = pack.match(rules_checker.nlp(text), text)
    assert {h.rule.kind for h in hits} == set(MATCHED_KINDS)
    assert hits == sorted(hits, key=lambda h: (h.start_char, -h.end_char, h.rule_id))
