"""Checker.check_items: the stream every front end checks through, context beside each text, errors per item."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tonecheck import Checker
from tonecheck.errors import InputError, TextTooLong, UnknownPack

GOOD = ["Calm down, it ships Monday.", "Thanks for waiting, it's fixed.", "This is ASININE."]


def test_results_come_in_order_with_their_context_and_match_check(rules_checker: Checker) -> None:
    items = [(text, f"msg-{i}") for i, text in enumerate(GOOD)]
    out = list(rules_checker.check_items(items, batch_size=2))
    assert [context for context, _ in out] == ["msg-0", "msg-1", "msg-2"]
    assert [r.to_dict() for _, r in out] == [rules_checker.check(text).to_dict() for text in GOOD]


def test_a_bad_text_costs_only_itself(rules_checker: Checker) -> None:
    texts = [GOOD[0], "   ", GOOD[1], "a\x00b", GOOD[2], "x" * (rules_checker.settings.max_chars + 1)]
    out = list(rules_checker.check_items(((t, i) for i, t in enumerate(texts)), batch_size=4))
    assert [context for context, _ in out] == list(range(6))
    errors = {context: outcome for context, outcome in out if isinstance(outcome, InputError)}
    assert sorted(errors) == [1, 3, 5]
    assert isinstance(errors[5], TextTooLong)
    for index, exc in errors.items():
        # the message a single check gives (no "item N:" prefix) and the item's position in the whole stream
        with pytest.raises(InputError) as single:
            rules_checker.check(texts[index])
        assert str(exc) == str(single.value)
        assert exc.index == index
    reports = [outcome for _, outcome in out if not isinstance(outcome, InputError)]
    assert [r.to_dict() for r in reports] == [rules_checker.check(t).to_dict() for t in GOOD]


def test_a_batch_of_only_bad_texts_yields_only_errors(rules_checker: Checker) -> None:
    out = list(rules_checker.check_items([("", "a"), (" \n", "b")], batch_size=8))
    assert [(context, type(outcome)) for context, outcome in out] == [("a", InputError), ("b", InputError)]


def test_items_are_read_one_batch_at_a_time(rules_checker: Checker) -> None:
    read: list[int] = []

    def endless() -> Iterator[tuple[str, int]]:
        n = 0
        while True:
            read.append(n)
            yield f"Reply {n}: thanks for your patience.", n
            n += 1

    stream = rules_checker.check_items(endless(), batch_size=3)
    assert next(stream)[0] == 0
    assert len(read) == 3  # only the first batch was pulled from the input
    assert [next(stream)[0] for _ in range(3)] == [1, 2, 3]
    assert len(read) == 6


def test_the_pack_is_resolved_before_any_item_is_read(rules_checker: Checker) -> None:
    with pytest.raises(UnknownPack):
        next(rules_checker.check_items(iter([("hello", 1)]), pack="no-such-pack"))


def test_batch_size_must_be_positive(rules_checker: Checker) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        next(rules_checker.check_items([("hello", 1)], batch_size=0))


def test_with_the_model_the_rest_of_a_batch_is_one_check_many_call(checker: Checker) -> None:
    texts = ["Had you read the manual, you'd know.", "", "I'm sorry about the delay, I'll fix it today."]
    out = list(checker.check_items(((t, i) for i, t in enumerate(texts)), batch_size=3))
    assert isinstance(out[1][1], InputError)
    # the bad text dropped out and the other two were scored together, exactly as check_many scores them
    expected = checker.check_many(texts[::2])
    assert [r.to_dict() for _, r in out[::2]] == [r.to_dict() for r in expected]
    assert all(r.tone is not None for _, r in out[::2])
