"""The one highlighter: which spans get marked, and how the text around them is written."""

from __future__ import annotations

import html

from tonecheck.highlight import highlight


def _brackets(span: str, label: str) -> str:
    return f"[{label}:{span}]"


def test_marks_spans_in_reading_order_whatever_order_they_come_in() -> None:
    text = "you are wrong and rude"
    spans = [(18, 22, "b"), (8, 13, "a")]
    assert highlight(text, spans, _brackets) == "you are [a:wrong] and [b:rude]"


def test_overlapping_and_out_of_range_spans_are_not_marked() -> None:
    text = "calm down now"
    spans = [(5, 9, "inner"), (0, 9, "outer"), (10, 40, "past the end")]
    # (0, 9) comes first in reading order; (5, 9) overlaps it; (10, 40) runs past the end of the text.
    assert highlight(text, spans, _brackets) == "[outer:calm down] now"


def test_longest_span_wins_at_the_same_start() -> None:
    assert highlight("calm down", [(0, 4, "short"), (0, 9, "long")], _brackets) == "[long:calm down]"


def test_plain_text_goes_through_the_escaper_and_the_mark_gets_the_raw_span() -> None:
    def mark(span: str, _: None) -> str:
        return f"<mark>{html.escape(span)}</mark>"

    out = highlight("a<b>c d&e", [(4, 5, None), (6, 9, None)], mark, plain=html.escape)
    assert out == "a&lt;b&gt;<mark>c</mark> <mark>d&amp;e</mark>"


def test_no_spans_returns_the_text_through_plain() -> None:
    assert highlight("x < y", [], _brackets) == "x < y"
    assert highlight("x < y", [], _brackets, plain=html.escape) == "x &lt; y"
