"""Properties of cleaning and offsets over generated text (hypothesis; derandomised and bounded, so it runs in
seconds and fails the same way on every machine).

For any text: every finding's ``text == input[start:end]``, every span lies within the input, no span of HTML
mail ends inside a character reference, and invisible characters change nothing the rules see.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tonecheck import InputError
from tonecheck.clean import DEFAULT_IGNORABLE_RANGES, clean

PROPERTY = settings(
    derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow],
)

_WORDS = [
    "asinine", "idiot", "Thanks", "sorry", "you", "the", "only", "person", "As I already told you", "calm down",
    "You're the only person who has had this problem", "STOP", "SHOUTING", "obviously", "crap", "wrote:",
]
_INVISIBLE = [chr(first) for first, _ in DEFAULT_IGNORABLE_RANGES] + ["\u200e", "\u2066", "\ufe0f", "\u200d"]
_ODD = [
    "\u0430", "\u0435", "\u043e", "\u03bf", "\u03b1", "\u0456",  # look-alikes
    "Это", "ответ", "ο κόσμος",  # real Cyrillic and Greek
    "\u00a0", "\u2019", "\u2026", "\ufb01", "\uff21", "😀", "\U0001f44d\U0001f3fd", "é", "e\u0301",
    "&amp;", "&#x3F;", "&#63;", "&nbsp;", "&lt;", "&NotEqualTilde;", "&bogus;", "&#xZZ;",
    "<p>", "</p>", "<br>", "<b>", "</b>", "<div>", "</div>", "<!-- c -->", "<style>x</style>",
    "\n", "\n> ", "\r\n", " ", "  ", "\t", ".", "!", "?", "???", "!!!", ",", "'", '"', "-", "(", ")", "a" * 40,
]
_INVISIBLE_SET = frozenset(chr(c) for first, last in DEFAULT_IGNORABLE_RANGES for c in range(first, last + 1))
_PIECES = st.sampled_from(_WORDS + _INVISIBLE + _ODD) | st.text(max_size=6)
TEXTS = st.lists(_PIECES, min_size=1, max_size=40).map("".join)
_REFERENCE = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _check(checker, text):
    try:
        return checker.check(text)
    except InputError:  # empty, binary or not valid Unicode: refused, which is fine
        return None


@PROPERTY
@given(TEXTS)
def test_every_span_points_into_the_callers_text(rules_checker, text):
    report = _check(rules_checker, text)
    if report is None:
        return
    assert report.text_length == len(text)
    for f in report.findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert f.text == text[f.start : f.end]
    for s in report.sentences:
        assert 0 <= s.start <= s.end <= len(text)
    if "<" in text:  # HTML mail: no span may end inside a character reference of the original
        inside = {i for m in _REFERENCE.finditer(text) for i in range(m.start() + 1, m.end())}
        assert not any(f.end in inside or f.start in inside for f in report.findings)
        assert not any(s.end in inside or s.start in inside for s in report.sentences)


@PROPERTY
@given(TEXTS)
def test_origin_map_is_ordered_and_in_bounds(text):
    try:
        cleaned = clean(text)
    except InputError:
        return
    if cleaned.origin is None:  # nothing was added or dropped: positions are the input's
        assert len(cleaned.text) == len(text)
        return
    assert len(cleaned.origin) == len(cleaned.text)
    assert all(0 <= o < len(text) for o in cleaned.origin)
    assert all(a <= b for a, b in zip(cleaned.origin, cleaned.origin[1:]))
    start, end = cleaned.span(0, len(cleaned.text)) if cleaned.text else (0, 0)
    assert 0 <= start <= end <= len(text)


_ASCII_WORDS = st.lists(
    st.sampled_from(_WORDS + [" ", ". ", ", ", "\n", "!", "\n> ", "\nOn Tue, Sam <s@example.com> wrote:\n"]),
    min_size=1, max_size=25,
).map("".join)


@PROPERTY
@given(_ASCII_WORDS, st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_INVISIBLE)), max_size=12))
def test_invisible_characters_change_nothing_the_rules_see(rules_checker, text, insertions):
    """Default-ignorable characters dropped anywhere into a reply leave the same findings on the same words."""
    if not text.strip():
        return
    chars = list(text)
    for at, ch in sorted(insertions, reverse=True):
        chars.insert(at % (len(chars) + 1), ch)
    noisy = "".join(chars)
    assert clean(noisy).text == clean(text).text
    plain, hidden = rules_checker.check(text), rules_checker.check(noisy)
    assert [f.rule_id for f in hidden.findings] == [f.rule_id for f in plain.findings]
    for f in hidden.findings:
        assert f.text == noisy[f.start : f.end]
        assert "".join(ch for ch in f.text if ch not in _INVISIBLE_SET) in text

