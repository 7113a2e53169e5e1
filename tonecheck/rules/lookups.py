"""What compiling a pack derives from spaCy's tokenizer and spacy-lookups-data, kept as plain data.

Compiling the default pack spends most of its time here, not in spaCy's matchers: loading the unigram table
(a million words of gzip JSON) to pick each pattern's trigger words, loading the lemma table to inflect words,
tokenizing every pattern. All of it depends only on the pattern strings and words and on those versions, so
:class:`Lookups` records each answer as JSON-ready data; :mod:`.cache` keeps that on disk per pack, and a pack
compiled from a filled ``Lookups`` never loads either table. Results are the same either way: a saved answer is
the one computed before, and anything missing is computed now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spacy.language import Language

from ..nlp import frequent_words, inflections, unlisted_frequency
from .notation import compile_pattern, required_words
from .triggers import trigger_words

TokenPatterns = list[list[dict[str, Any]]]


@dataclass(frozen=True)
class CompiledPattern:
    """One pattern string compiled: its Matcher token patterns and the words any match needs."""

    tokens: TokenPatterns
    trigger: list[str] | None  # one of these must occur (None: no such set; always run)
    required: list[list[str]]  # one word of each list must occur, rarest list first


@dataclass(frozen=True)
class FrequentWords:
    """``word_frequency(word) >= threshold`` without the unigram table (see :func:`tonecheck.nlp.frequent_words`)."""

    threshold: float
    listed: frozenset[str]
    shadowed: frozenset[str]

    def __call__(self, word: str) -> bool:
        if word in self.listed:
            return True
        return word not in self.shadowed and unlisted_frequency(word) >= self.threshold


class Lookups:
    """Compile-time answers for one pack, from ``saved`` data (a cache entry) where it has them, else computed.

    ``added`` says whether anything was computed, i.e. whether the data is worth writing back.
    """

    def __init__(self, nlp: Language, saved: Mapping[str, Any] | None = None) -> None:
        saved = saved or {}
        self._nlp = nlp
        self._patterns: dict[str, dict[str, Any]] = dict(saved.get("patterns", {}))
        self._forms: dict[str, list[str]] = dict(saved.get("forms", {}))
        self._frequent: dict[str, Any] | None = saved.get("frequent")
        self.added = False

    def pattern(self, pattern: str) -> CompiledPattern:
        """A pattern string compiled; raises :class:`~.notation.PatternError` for a bad one (never saved)."""
        entry = self._patterns.get(pattern)
        if entry is None:
            tokens = compile_pattern(pattern, self._nlp)
            trigger = trigger_words(tokens)
            entry = {
                "tokens": tokens,
                "trigger": None if trigger is None else sorted(trigger),
                "required": [sorted(words) for words in required_words(tokens)],
            }
            self._patterns[pattern] = entry
            self.added = True
        return CompiledPattern(entry["tokens"], entry["trigger"], entry["required"])

    def forms(self, word: str) -> list[str]:
        """Every surface form of a word-list entry (:func:`tonecheck.nlp.inflections`), sorted."""
        if word not in self._forms:
            self._forms[word] = sorted(inflections(word))
            self.added = True
        return self._forms[word]

    def frequent(self, threshold: float) -> FrequentWords:
        """Whether a word is at least ``threshold`` frequent in English, as a predicate that needs no table."""
        entry = self._frequent
        if entry is None or entry["threshold"] != threshold:
            listed, shadowed = frequent_words(threshold)
            entry = {"threshold": threshold, "listed": sorted(listed), "shadowed": sorted(shadowed)}
            self._frequent = entry
            self.added = True
        return FrequentWords(threshold, frozenset(entry["listed"]), frozenset(entry["shadowed"]))

    def to_data(self) -> dict[str, Any]:
        """Everything answered so far, as JSON-ready data that ``Lookups(nlp, data)`` reads back."""
        data: dict[str, Any] = {"patterns": self._patterns, "forms": self._forms}
        if self._frequent is not None:
            data["frequent"] = self._frequent
        return data


def is_lookups_data(data: Any) -> bool:
    """Whether ``data`` has the shape :meth:`Lookups.to_data` writes: a cache file is checked before it is used."""
    if not isinstance(data, dict) or not set(data) <= {"patterns", "forms", "frequent"}:
        return False
    patterns, forms, frequent = data.get("patterns", {}), data.get("forms", {}), data.get("frequent")
    if not isinstance(patterns, dict) or not isinstance(forms, dict):
        return False
    if not all(_is_pattern_entry(entry) for entry in patterns.values()):
        return False
    if not all(_is_strings(value) for value in forms.values()):
        return False
    return frequent is None or (
        isinstance(frequent, dict) and isinstance(frequent.get("threshold"), float)
        and _is_strings(frequent.get("listed")) and _is_strings(frequent.get("shadowed"))
    )


def _is_pattern_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or set(entry) != {"tokens", "trigger", "required"}:
        return False
    tokens, trigger, required = entry["tokens"], entry["trigger"], entry["required"]
    return (
        isinstance(tokens, list) and bool(tokens)
        and all(isinstance(p, list) and all(_is_token(t) for t in p) for p in tokens)
        and (trigger is None or _is_strings(trigger))
        and isinstance(required, list) and all(_is_strings(words) for words in required)
    )


def _is_token(token: Any) -> bool:
    """A token pattern as :func:`~.notation.compile_pattern` writes one: NORM (a word or {"IN": words}), OP."""
    if not isinstance(token, dict) or not set(token) <= {"NORM", "OP"}:
        return False
    norm, op = token.get("NORM", ""), token.get("OP", "")
    norm_ok = isinstance(norm, str) or (isinstance(norm, dict) and set(norm) == {"IN"} and _is_strings(norm["IN"]))
    return norm_ok and isinstance(op, str)


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
