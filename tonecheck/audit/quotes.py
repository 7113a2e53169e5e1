"""The audit's view of a reply: the agent's own words, or the reason they are not judged.

The cutting itself is the library's one extractor, :mod:`tonecheck.reply` (also behind ``check``, ``/v1`` and
``/v2``), so the audit judges the same words as every other front end. This module adds what only an audit needs:
a reply of which almost nothing is left after the cut, and a reply that is not in English, become rows that say
so instead of a silent ``ok`` (see docs/audit.md, "Rows that are not judged").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..reply import extract_reply

log = logging.getLogger(__name__)

#: A reply keeps fewer than this share of its words and fewer than MIN_WORDS words: nearly nothing was judged.
MIN_KEPT_FRACTION = 0.2
MIN_WORDS = 5
#: A reply is skipped as not English when a detector gives another language at least this confidence.
MIN_LANGUAGE_CONFIDENCE = 0.9
#: Fewer words than this are too few to tell a language by.
MIN_LANGUAGE_WORDS = 3
#: Languages the detector chooses among (English plus the languages support mail most often comes in).
DETECTED_LANGUAGES = ("ENGLISH", "GERMAN", "FRENCH", "SPANISH", "ITALIAN", "DUTCH", "PORTUGUESE")

EMPTY_REASON = "empty body after removing quotes and signature"

#: Common English words that are not words of the other detected languages ("was", "has", "is", "we", "of",
#: "to", "will" are left out: Dutch, German, Spanish or Portuguese have them). A reply whose words are at least
#: ENGLISH_SHARE of these reads as English, and the detector (~1 ms a reply, a quarter of a rules-only audit)
#: is not asked: no text in a language of its list reaches that share (tests/audit/test_audit_quotes.py).
ENGLISH_ONLY = frozenset((
    "the", "and", "you", "your", "with", "this", "that", "have", "would", "please", "thanks", "thank", "our", "are",
    "be", "can", "not", "if", "what", "been", "should", "could", "from", "they", "them", "their", "there", "here",
    "which", "when", "were",
))
ENGLISH_SHARE = 0.2
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Judged:
    """The agent's words of one reply, or why they are not judged (``error``)."""

    text: str
    error: str | None = None


def strip_reply(text: str) -> str:
    """The newest reply's body without quotes or signature; "" when nothing of the agent's is left. Lines lose
    their outer whitespace (HTML-to-text indents them); ``check`` on this text judges the same words."""
    return _tidy(extract_reply(text.replace("\r\n", "\n").replace("\r", "\n")).text)


def _tidy(text: str) -> str:
    return "\n".join(line.strip() for line in text.split("\n"))


def judge(text: str, *, detect_language: bool = True) -> Judged:
    """The words the audit judges, or an error row's reason: empty, nearly nothing left, or not English."""
    reply = extract_reply(text.replace("\r\n", "\n").replace("\r", "\n"))
    words = reply.text.split()
    if not words:
        return Judged("", EMPTY_REASON)
    total = len(reply.original.split())
    if len(words) < MIN_WORDS and len(words) / total < MIN_KEPT_FRACTION:
        return Judged("", (
            f"partial: only {len(words)} of {total} words left after removing "
            f"{reply.reason or 'quotes and signature'}; not judged (check the quote cut)"
        ))
    if detect_language:
        language = _foreign_language(_tidy(reply.text), len(words))
        if language is not None:
            return Judged("", f"skipped language: the reply reads as {language}, not English; not judged")
    return Judged(_tidy(reply.text))


def _foreign_language(text: str, n_words: int) -> str | None:
    """The reply's language when it is confidently not English, else None (also when no detector is installed)."""
    if n_words < MIN_LANGUAGE_WORDS or reads_as_english(text):
        return None
    detector = _detector()
    if detector is None:
        return None
    values = detector.compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    if best.language.name == "ENGLISH" or best.value < MIN_LANGUAGE_CONFIDENCE:
        return None
    return f"{best.language.name.title()} ({best.language.iso_code_639_1.name.lower()})"


def reads_as_english(text: str) -> bool:
    """At least ENGLISH_SHARE of the words (and 3 or more) are English-only words."""
    words = _WORD.findall(text.lower())
    english = sum(word in ENGLISH_ONLY for word in words)
    return english >= 3 and english >= ENGLISH_SHARE * len(words)


@cache
def _detector() -> Any:
    """lingua's detector, built once per process (about 3 s); None when lingua is not installed."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        log.warning("lingua-language-detector is not installed: non-English replies are judged as English")
        return None
    return LanguageDetectorBuilder.from_languages(*(getattr(Language, n) for n in DETECTED_LANGUAGES)).build()
