"""A long audit or a long-running service must not grow spaCy's vocabulary with every new word it checks."""

from __future__ import annotations

import pytest

from tonecheck import Checker


def _texts(first: int, n: int) -> list[str]:
    return [f"Your order ZX{i}Q{i * 7} left the depot; ref K{i}K, parcel {i}B-{i * 3}."
            for i in range(first, first + n)]


def test_checking_new_words_leaves_spacys_strings_and_words_as_they_were(
    rules_checker: Checker, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlp = rules_checker.nlp
    rules_checker.check_many(_texts(0, 50))
    # the tokenizer warmer keeps up to the tokenizer cache size of chunks on purpose; here it is full
    monkeypatch.setattr(rules_checker._warmer, "_limit", len(rules_checker._warmer._seen))
    strings = len(nlp.vocab.strings)
    reports = rules_checker.check_many(_texts(10_000, 200))  # ~800 chunks never seen, ~650 strings without a zone
    assert len(nlp.vocab.strings) == strings
    # (spaCy's len(vocab) counts words added in a zone even after it frees them: ask for them instead)
    assert not any(word in nlp.vocab for i in range(10_000, 10_200) for word in (f"ZX{i}Q{i * 7}", f"K{i}K"))
    assert [r.text_length for r in reports] == [len(t) for t in _texts(10_000, 200)]


def test_reports_made_inside_the_zone_stay_whole_after_it(rules_checker: Checker) -> None:
    text = "You're the only person who has had this problem, ORDER QX991 is FINE!!!"
    before = rules_checker.check(text).to_dict()
    rules_checker.check_many(_texts(20_000, 50))  # more zones opened and freed in between
    after = rules_checker.check(text).to_dict()
    assert before == after and before["findings"]
    assert all(text[f["start"] : f["end"]] == f["text"] for f in after["findings"])
