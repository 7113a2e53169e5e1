"""Cleaning keeps offsets into the caller's exact string, whatever it had to normalise or drop."""

from __future__ import annotations

import pytest

from tonecheck import InputError, TextTooLong
from tonecheck.clean import clean


def _finding(report, category):
    found = [f for f in report.findings if f.category == category]
    assert found, f"no {category} finding in {report.to_dict()}"
    return found[0]


@pytest.mark.parametrize(
    "text",
    [
        "Honestly that is asi\u200bnine.",  # zero-width space inside the word
        "Honestly\u00a0that is asinine.",  # non-breaking space
        "“Honestly” that is asinine.",  # curly quotes
        "\ufeffHonestly that is asinine.",  # byte-order mark
        "😀😀 Honestly that is asinine.",  # astral characters before the word
        "Ｈonestly that is ａsinine.",  # full-width letters (NFKC)
    ],
)
def test_offsets_survive_normalisation(rules_checker, text):
    report = rules_checker.check(text)
    f = _finding(report, "banned_word")
    assert text[f.start : f.end] == f.text
    assert f.text.replace("\u200b", "").lower().endswith("nine")
    assert report.text_length == len(text)


def test_curly_apostrophe_contraction_matches(rules_checker):
    text = "You’re the only person who has had this problem!"
    f = _finding(rules_checker.check(text), "isolating")
    assert text[f.start : f.end] == f.text == "You’re the only person"


def test_quoted_history_is_not_judged(rules_checker):
    text = (
        "Hi Sam,\n\nThanks for your patience, the parcel is on its way.\n\n"
        "On Tue, 3 Mar 2026 at 10:02, Sam Jones <sam@example.com> wrote:\n"
        "> This is asinine, you idiots lost my parcel!\n"
    )
    report = rules_checker.check(text)
    assert report.findings == []
    assert all(s.end <= text.index("On Tue") for s in report.sentences)


def test_gt_quoted_lines_are_skipped_but_reply_below_is_checked(rules_checker):
    text = "> you idiots\n> lost it\nSorry about that. As I already told you, it ships today."
    report = rules_checker.check(text)
    assert {f.category for f in report.findings} == {"blaming"}
    f = report.findings[0]
    assert text[f.start : f.end] == "As I already told you"


def test_outlook_header_block_ends_the_reply(rules_checker):
    text = (
        "Thanks, I've refunded it.\n\n________________________________\n"
        "From: Angry Customer <a@example.com>\nSent: Monday, March 2, 2026 9:00 AM\n"
        "To: Support\nSubject: idiots\n\nYou idiots."
    )
    assert rules_checker.check(text).findings == []


def test_html_mail_offsets_point_into_the_html(rules_checker):
    text = "<html><body><p>Hi Sam,</p><p>That request is <b>asinine</b> &amp; you know it.</p></body></html>"
    report = rules_checker.check(text)
    f = _finding(report, "banned_word")
    assert text[f.start : f.end] == "asinine"
    assert all("<" not in text[s.start : s.end] or "</b>" in text[s.start : s.end] for s in report.sentences)


def test_html_script_and_style_are_ignored(rules_checker):
    text = "<html><head><style>.idiot{color:red}</style></head><body><div>Thanks for writing!</div></body></html>"
    assert rules_checker.check(text).findings == []


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_an_input_error(rules_checker, text):
    with pytest.raises(InputError, match="empty"):
        rules_checker.check(text)


def test_binary_text_is_an_input_error(rules_checker):
    with pytest.raises(InputError, match="binary"):
        rules_checker.check("PK\x03\x04\x00\x00\x08\x00garbage")


@pytest.mark.parametrize("text", ["Thanks \ud800 for waiting", "bad decode \udcff"])
def test_lone_surrogate_is_an_input_error_not_a_crash(rules_checker, text):
    with pytest.raises(InputError, match=r"lone surrogate U\+D[8C]"):
        rules_checker.check(text)


def test_bytes_are_refused_with_a_hint(rules_checker):
    with pytest.raises(InputError, match="decode"):
        rules_checker.check(b"hello")  # type: ignore[arg-type]


def test_one_megabyte_is_refused_with_the_limit(rules_checker):
    text = "Thanks for your patience. " * 40_000  # ~1 MB
    with pytest.raises(TextTooLong) as info:
        rules_checker.check(text)
    assert info.value.length == len(text) and info.value.limit == rules_checker.settings.max_chars
    assert "limit" in str(info.value)


def test_long_text_under_the_limit_is_checked(rules_checker):
    text = ("Thanks for your patience. " * 3000) + "This is asinine."
    report = rules_checker.check(text)
    f = _finding(report, "banned_word")
    assert text[f.start : f.end] == "asinine"


def test_plain_ascii_takes_the_identity_path():
    c = clean("Thanks, I'll send it today.")
    assert c.origin is None and c.text == c.original


def test_span_maps_deleted_characters_back():
    c = clean("a\u200bb c")
    assert c.text == "ab c"
    assert c.span(0, 2) == (0, 3)


def test_batch_error_names_the_bad_item(rules_checker):
    with pytest.raises(InputError, match="item 1: text is empty") as info:
        rules_checker.check_many(["Thanks!", "  ", "Hi"])
    assert info.value.index == 1


@pytest.mark.parametrize("run", ["!?.,;:" * 3334, "\U0001f600\U0001f64f" * 5000, "(!)[?]" * 3334])
def test_long_runs_are_cut_before_the_tokenizer(rules_checker, run):
    """20,000 whitespace-free punctuation or emoji characters once took spaCy's tokenizer 30-60 s (quadratic):
    such runs are cut into MAX_RUN pieces, and findings after them still point into the caller's text."""
    from tonecheck.clean import MAX_RUN

    text = run[:19_000] + " Honestly that is asinine."
    cleaned = clean(text)
    assert max(len(word) for word in cleaned.text.split()) <= MAX_RUN
    assert cleaned.text.replace(" ", "") == text.replace(" ", "")
    f = _finding(rules_checker.check(text), "banned_word")
    assert text[f.start : f.end] == f.text == "asinine"
    start, end = cleaned.span(0, len(cleaned.text))
    assert (start, end) == (0, len(text))


# --- issue 10, finding 4: invisible characters and look-alike letters must not hide a word ---------------------


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200e", "\u200f",  # LRM, RLM
        "\u202a", "\u202e",  # bidi embedding, override
        "\u2066", "\u2069",  # bidi isolates
        "\u2062",  # invisible times
        "\ufe0f", "\U000e0100",  # variation selectors (VS16, VS17)
        "\u034f",  # combining grapheme joiner
        "\U000e0041", "\U000e007f",  # tag characters
        "\u115f", "\u3164", "\uffa0",  # Hangul fillers
        "\u061c",  # Arabic letter mark
    ],
    ids=lambda ch: f"U+{ord(ch):04X}",
)
def test_default_ignorable_characters_do_not_hide_words(rules_checker, invisible):
    text = f"Honestly that is asi{invisible}nine."
    f = _finding(rules_checker.check(text), "banned_word")
    assert text[f.start : f.end] == f.text == f"asi{invisible}nine"
    assert f.start == text.index("asi")


@pytest.mark.parametrize(
    "word",
    [
        "\u0430sinine",  # Cyrillic а
        "asin\u0456ne",  # Cyrillic (Ukrainian) і
        "asinin\u0435",  # Cyrillic е
        "as\u03b9nine",  # Greek ι
        "\u0391sinine",  # Greek capital Α
    ],
)
def test_look_alike_letters_inside_latin_words_do_not_hide_them(rules_checker, word):
    text = f"Honestly that is {word}, and you know it."
    f = _finding(rules_checker.check(text), "banned_word")
    assert text[f.start : f.end] == f.text == word


def test_look_alikes_count_in_phrases_too(rules_checker):
    text = "Y\u043eu're the \u043enly pers\u043en who has had this problem!"  # Cyrillic о three times
    f = _finding(rules_checker.check(text), "isolating")
    assert text[f.start : f.end] == f.text == text[:22]


@pytest.mark.parametrize(
    "text",
    [
        "Это просто ерунда, а не ответ на мой вопрос.",  # Russian: а, е, о, р, с, у, х all stay Cyrillic
        "Αυτό είναι ο κόσμος μας, όχι ο δικός σας.",  # Greek
        "Наш iPhone-сервис и Windows работают.",  # Latin words in Cyrillic text stay apart
    ],
)
def test_wholly_cyrillic_or_greek_words_stay_as_they_are(text):
    assert clean(text).text == text


def test_default_ignorable_table_matches_the_unicode_property():
    """The table in clean.py was generated from `regex`'s \\p{Default_Ignorable_Code_Point}; keep them equal."""
    regex = pytest.importorskip("regex")
    from tonecheck.clean import _DELETE

    prop = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    expected = {chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and prop.match(chr(c))}
    assert expected == _DELETE, "regenerate DEFAULT_IGNORABLE_RANGES in tonecheck/clean.py (see its comment)"


# --- issue 10, finding 6: a span never ends inside a character reference of HTML mail ---------------------------


def test_html_span_never_ends_inside_a_character_reference(rules_checker):
    text = "<p>&#x3F;&#x3F;&#x3F;</p>"
    report = rules_checker.check(text)
    assert [f.text for f in report.findings] == ["&#x3F;&#x3F;&#x3F;"]
    assert [text[s.start : s.end] for s in report.sentences] == ["&#x3F;&#x3F;&#x3F;"]


def test_html_word_ending_in_a_character_reference_is_flagged_whole(rules_checker):
    text = "<html><body><p>Honestly that is asinin&#101;&nbsp;&amp; silly.</p></body></html>"
    f = _finding(rules_checker.check(text), "banned_word")
    assert text[f.start : f.end] == f.text == "asinin&#101;"


def test_span_of_a_decoded_reference_covers_the_reference():
    c = clean("<p>a &lt;&lt; b</p>")
    i = c.text.index("<<")
    assert c.original[slice(*c.span(i, i + 1))] == "&lt;"
    assert c.original[slice(*c.span(i, i + 2))] == "&lt;&lt;"
    assert c.original[slice(*c.span(i - 2, i + 2))] == "a &lt;&lt;"


@pytest.mark.parametrize(
    "text",
    [
        "Sorry about that.\n\u200e> you idiots lost it\n",  # an invisible mark before the quote marker
        "Sorry about that.\n\nOn Tue, Sam <s@example.com> wr\u2066ote:\n> you idiots lost it\n",
    ],
)
def test_invisible_characters_do_not_hide_quoted_history(rules_checker, text):
    assert rules_checker.check(text).findings == []


@pytest.mark.parametrize(
    "text",
    ["x" * 33, "x" * 32, "a " + "y" * 40 + " b", "z" * 20 + "\u2003" + "z" * 20, "z" * 20 + "\u200b" + "z" * 20,
     "w" * 20 + "\x1c" + "w" * 20, "v" * 20 + "\u00a0" + "v" * 20, "u" * 30 + "\u3000", "ok words only"],
)
def test_long_runs_are_found_as_the_pattern_finds_them(text):
    """clean() tests for a run longer than MAX_RUN with str.split, not the slower _LONG_RUN scan: both must
    agree on every kind of whitespace (and on a zero-width space, which is not whitespace)."""
    from tonecheck.clean import _LONG_RUN, MAX_RUN

    assert (max(map(len, text.split()), default=0) > MAX_RUN) == bool(_LONG_RUN.search(text))
    assert all(len(token) <= MAX_RUN for token in clean(text).text.split())
