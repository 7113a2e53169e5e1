"""Text cleaning: the first stage, run before tokenising.

It validates the input, turns HTML mail into text, drops quoted earlier messages, and normalises Unicode that
would defeat matching (curly quotes, non-breaking spaces, invisible characters, compatibility forms, Cyrillic and
Greek look-alikes inside Latin words). Every
stage may change the length of the text, so :class:`CleanText` keeps, for each character it produced, the index
of the input character it came from; later stages work on ``clean.text`` and map spans back with
:meth:`CleanText.span`, so offsets in a Report always point into the caller's exact string.
"""

from __future__ import annotations

import bisect
import html
import re
import sys
import unicodedata
from dataclasses import dataclass

from .errors import InputError, TextTooLong
from .reply import extract_reply, html_quote_open

# One character in, one out: keeps offsets trivially aligned.
_ONE_TO_ONE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ",
        "\u2003": " ", "\u3000": " ", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    }
)
# Invisible characters that split words ("asi\u200bnine", "asi\u200enine") and so must go, not become spaces: every
# Unicode Default_Ignorable_Code_Point (soft hyphen, CGJ, ZWSP/ZWNJ/ZWJ, LRM/RLM, bidi embeddings and isolates,
# word joiner and invisible operators, variation selectors, BOM, Hangul fillers, tag characters, ...). Generated,
# not picked by hand, with the `regex` package (2026.11.19), which implements the Unicode property:
#     p = regex.compile(r"\p{Default_Ignorable_Code_Point}")
#     [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and p.match(chr(c))]   -> merged into ranges
# tests/core/test_clean.py compares this table with the property whenever `regex` is installed.
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_DELETE = frozenset(chr(c) for first, last in DEFAULT_IGNORABLE_RANGES for c in range(first, last + 1))

# Cyrillic and Greek letters that look like one Latin letter (the entries of Unicode's confusables.txt, UTS #39,
# whose prototype is a single ASCII letter, for the letters of these two scripts in common fonts). They are folded
# only inside a word that also has Latin letters ("аsinine" with a Cyrillic а): a wholly Cyrillic or Greek word is
# real Russian, Ukrainian or Greek and stays as it is. One character in, one out, so offsets are untouched.
CONFUSABLES = {
    # Cyrillic, lower case
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ѵ": "v", "ү": "y",
    # Cyrillic, upper case
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I", "Ԁ": "D",
    # Greek, lower case
    "α": "a", "ο": "o", "ν": "v", "ι": "i", "ρ": "p", "υ": "u", "γ": "y", "κ": "k", "χ": "x", "ϲ": "c",
    "ϳ": "j",
    # Greek, upper case
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
}
_FOLD_CONFUSABLES = str.maketrans(CONFUSABLES)
_CONFUSABLE = re.compile("[" + "".join(CONFUSABLES) + "]")
_WORD = re.compile(r"[^\W\d_]+")  # a run of letters

_HTML_HINT = re.compile(r"<\s*(html|body|div|p|br|span|table|td|a|b|i|strong|em|font|blockquote)\b[^>]*>", re.I)
_HTML_TOKEN = re.compile(r"<!--.*?-->|<[^>]*>|&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);", re.S)
_BLOCK_TAG = re.compile(r"<\s*/?\s*(br|p|div|li|tr|h[1-6]|table|ul|ol|blockquote|hr)\b", re.I)
_SKIP_OPEN = re.compile(r"<\s*(script|style|head|title)\b", re.I)

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")  # control characters other than whitespace
# spaCy's tokenizer is quadratic in the length of a whitespace-free run of punctuation or emoji (spaCy issues
# 1768, 4362): 20,000 such characters took 30-60 s. No word, URL or emoticon of a reply is this long, so longer
# runs are cut into pieces of this many characters by inserted spaces (offsets still map to the caller's text).
MAX_RUN = 32
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")


@dataclass(frozen=True)
class CleanText:
    """The text the rules and the model see, and the way back to the caller's offsets."""

    original: str
    text: str
    origin: tuple[int, ...] | None  # origin[i] = index in ``original`` of text[i]; None when identical
    # Spans of ``original`` that became one unit of ``text``: the character references of HTML mail ("&#x3F;"),
    # sorted. Every character decoded from one has the reference's start as its origin, and a span that ends
    # on such a character ends after the whole reference, never inside it.
    refs: tuple[tuple[int, int], ...] = ()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of ``text`` to one of ``original``."""
        if self.origin is None:
            return start, end
        if end <= start:
            pos = self.origin[start] if start < len(self.origin) else len(self.original)
            return pos, pos
        last = self.origin[end - 1]
        if self.refs:
            i = bisect.bisect_right(self.refs, (last, sys.maxsize)) - 1
            if i >= 0 and self.refs[i][0] <= last < self.refs[i][1]:
                return self.origin[start], self.refs[i][1]
        return self.origin[start], last + 1


def validate(text: object, max_chars: int) -> str:
    """Refuse what cannot be a reply, with a message that says why (never echoing the text)."""
    if isinstance(text, (bytes, bytearray)):
        raise InputError("expected text (str), got bytes: decode it as UTF-8 first")
    if not isinstance(text, str):
        raise InputError(f"expected text (str), got {type(text).__name__}")
    if len(text) > max_chars:
        raise TextTooLong(len(text), max_chars)
    if not text.strip():
        raise InputError("text is empty")
    if "\x00" in text:
        raise InputError("text contains NUL bytes: this looks like a binary file, not an email reply")
    surrogate = _SURROGATE.search(text)
    if surrogate:  # from a bad decode (surrogateescape) or a JSON "\ud800" escape: not text, and spaCy would crash
        raise InputError(
            f"text is not valid Unicode: lone surrogate U+{ord(surrogate.group()):04X} at index {surrogate.start()}"
        )
    controls = len(_CONTROL.findall(text, 0, 4096))
    if controls > max(8, len(text[:4096]) // 20):
        raise InputError("text is mostly control characters: this looks like a binary file, not an email reply")
    return text


def looks_like_html(text: str) -> bool:
    """HTML mail is detected by real tags, so a plain reply mentioning '<3' or 'a < b' stays plain."""
    return _HTML_HINT.search(text) is not None and "</" in text


def clean(text: str, *, max_chars: int = 100_000) -> CleanText:
    """Validate, then HTML → text, normalise Unicode, drop quoted history; offsets kept throughout."""
    validate(text, max_chars)
    work, origin = text, None  # origin None: positions still equal the input's (the common, cheap case)
    refs: list[tuple[int, int]] = []
    if "<" in text and looks_like_html(text):
        chars, positions, refs = _html_to_text(text)
        work, origin = "".join(chars), positions
    if not work.isascii():  # before quotes are found, so an invisible character cannot hide "> " or "wrote:"
        work, origin = _normalise(work, origin)
    work, origin = _drop_quoted(work, origin)
    if max(map(len, work.split()), default=0) > MAX_RUN:  # as _LONG_RUN.search (\S is "not isspace"), 3x faster
        work, origin = _break_long_runs(work, origin)
    return CleanText(text, work, None if origin is None else tuple(origin), tuple(refs))


def _break_long_runs(text: str, origin: list[int] | None) -> tuple[str, list[int]]:
    """Insert a space after every MAX_RUN characters of a whitespace-free run, so no token the tokenizer sees is
    longer (see MAX_RUN). An inserted space takes the origin of the character before it."""
    if origin is None:
        origin = list(range(len(text)))
    out: list[str] = []
    out_origin: list[int] = []
    prev = 0
    for match in _LONG_RUN.finditer(text):
        out.append(text[prev : match.start()])
        out_origin.extend(origin[prev : match.start()])
        for cut in range(match.start(), match.end(), MAX_RUN):
            end = min(cut + MAX_RUN, match.end())
            out.append(text[cut:end])
            out_origin.extend(origin[cut:end])
            if end < match.end():
                out.append(" ")
                out_origin.append(origin[end - 1])
        prev = match.end()
    out.append(text[prev:])
    out_origin.extend(origin[prev:])
    return "".join(out), out_origin


def _html_to_text(text: str) -> tuple[list[str], list[int], list[tuple[int, int]]]:
    """Strip tags and decode entities, keeping each output character's source index, and the span of every
    decoded character reference (see CleanText.refs).

    A library such as BeautifulSoup gives better text but loses positions; here positions are the contract,
    and mail HTML needs only tags, entities, line breaks and hidden blocks handled.
    """
    chars: list[str] = []
    origin: list[int] = []
    refs: list[tuple[int, int]] = []
    pos = 0
    skip_until: re.Pattern[str] | None = None
    for match in _HTML_TOKEN.finditer(text):
        start, end = match.span()
        if skip_until is None:
            chars.extend(text[pos:start])
            origin.extend(range(pos, start))
        token = match.group(0)
        pos = end
        if skip_until is not None:
            if skip_until.match(token):
                skip_until = None
            continue
        if token.startswith("&"):
            decoded = html.unescape(token)
            chars.extend(decoded)
            origin.extend([start] * len(decoded))
            refs.append((start, end))
        elif token.startswith("<!--"):
            continue
        elif _SKIP_OPEN.match(token) and not token.rstrip().endswith("/>"):
            name = _SKIP_OPEN.match(token).group(1)
            skip_until = re.compile(rf"<\s*/\s*{name}\b", re.I)
        elif html_quote_open().match(token):  # one list with the audit's (tonecheck.reply)
            break  # a quoted earlier message: nothing after it is the rep's reply
        elif _BLOCK_TAG.match(token):
            chars.append("\n")
            origin.append(start)
    else:
        if skip_until is None:
            chars.extend(text[pos:])
            origin.extend(range(pos, len(text)))
    return chars, origin, refs


def _drop_quoted(text: str, origin: list[int] | None) -> tuple[str, list[int] | None]:
    """Keep only the agent's own words (tonecheck.reply: quoted history, reply headers and signature go)."""
    spans = extract_reply(text).spans
    if spans == ((0, len(text)),):
        return text, origin
    if origin is None:
        origin = list(range(len(text)))
    kept = "".join(text[a:b] for a, b in spans)
    return kept, [i for a, b in spans for i in origin[a:b]]


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _normalise_char(ch: str) -> str:
    if ch in _DELETE:
        return ""
    mapped = ch.translate(_ONE_TO_ONE)
    if mapped == ch:
        mapped = " " if unicodedata.category(ch) == "Zs" else unicodedata.normalize("NFKC", ch)
    return mapped


def _normalise(text: str, origin: list[int] | None) -> tuple[str, list[int] | None]:
    """Unicode clean-up of the non-ASCII characters only; one may become none (zero-width) or several ('…').
    Then Cyrillic and Greek look-alikes inside Latin words are folded (one for one)."""
    text, origin = _normalise_chars(text, origin)
    if _CONFUSABLE.search(text):
        text = _WORD.sub(_fold_word, text)
    return text, origin


def _fold_word(match: re.Match[str]) -> str:
    """A word with Latin letters and look-alikes of them from another script gets the Latin letters throughout."""
    word = match.group()
    if word.isascii() or not _CONFUSABLE.search(word) or not any(_is_latin(ch) for ch in word):
        return word
    return word.translate(_FOLD_CONFUSABLES)


def _is_latin(ch: str) -> bool:
    return ch.isascii() or (ch not in CONFUSABLES and unicodedata.name(ch, "").startswith("LATIN "))


def _normalise_chars(text: str, origin: list[int] | None) -> tuple[str, list[int] | None]:
    changes = [
        (m.start(), mapped)
        for m in _NON_ASCII.finditer(text)
        if (mapped := _normalise_char(m.group())) != m.group()
    ]
    if not changes:
        return text, origin
    if all(len(mapped) == 1 for _, mapped in changes):  # same length: positions are untouched
        chars = list(text)
        for pos, mapped in changes:
            chars[pos] = mapped
        return "".join(chars), origin
    if origin is None:
        origin = list(range(len(text)))
    out: list[str] = []
    out_origin: list[int] = []
    prev = 0
    for pos, mapped in changes:
        out.append(text[prev:pos])
        out_origin.extend(origin[prev:pos])
        out.append(mapped)
        out_origin.extend([origin[pos]] * len(mapped))
        prev = pos + 1
    out.append(text[prev:])
    out_origin.extend(origin[prev:])
    return "".join(out), out_origin
