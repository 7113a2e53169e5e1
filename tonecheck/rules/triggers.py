"""Pattern groups and their trigger words: which compiled patterns are worth running on which sentence.

Used by the ``phrase`` kind and by every rule's ``unless`` patterns: both compile pattern strings with
:func:`compile_groups` (through :class:`~.lookups.Lookups`, which may have them from the pack cache), index them
once with :func:`index_groups`, and run them per Doc with :func:`run_groups`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from ..errors import RulePackError
from ..nlp import word_frequency
from .notation import PatternError
from .schema import Rule

if TYPE_CHECKING:
    from .lookups import Lookups


class SentenceWords(NamedTuple):
    """One sentence of a Doc: its first and end token, and the NORM hashes of its tokens as a set and in order."""

    first: int
    last: int
    words: set[int]
    norms: list[int]


SentenceNorms = list[SentenceWords]
# trigger word (NORM hash) → indexes of the groups it can start, and the groups that must always run.
GroupIndex = tuple[dict[int, list[int]], list[int]]


def trigger_words(patterns: list[list[dict[str, Any]]]) -> frozenset[str] | None:
    """Words of which at least one must occur for any of ``patterns`` to match, or None if no such set exists.

    spaCy's Matcher tries every pattern at every token, so ~750 compiled patterns cost ~30 ms a draft. Each
    pattern has required tokens; the one least likely to occur in English (summed unigram frequency of its
    alternatives) is its anchor, and a sentence containing no anchor of a pattern group cannot match it, so the
    group's Matcher is skipped for that sentence.
    """
    anchors: set[str] = set()
    for pattern in patterns:
        best: tuple[float, list[str]] | None = None
        for token in pattern:
            if token.get("OP") not in (None, "+") or "NORM" not in token:
                continue
            value = token["NORM"]
            values = list(value["IN"]) if isinstance(value, dict) else [value]
            score = sum(word_frequency(v) for v in values)
            if best is None or score < best[0]:
                best = (score, values)
        if best is None:
            return None
        anchors.update(best[1])
    return frozenset(anchors)


@dataclass
class PatternGroup:
    """The compiled patterns of one pattern string, and the words that must occur for them to match."""

    rule_id: str
    matcher: Matcher
    trigger: frozenset[int] | None  # NORM hashes; None = always run
    required: tuple[frozenset[int], ...] = ()  # each set must be hit too (checked before running the Matcher)
    # tokens a match can have before and after a trigger word; None = unbounded (the whole sentence is run)
    extent: tuple[int, int] | None = None
    attrs: frozenset[str] = frozenset({"NORM"})  # the token attributes its patterns test


_COUNT = re.compile(r"\{(\d*)(,?)(\d*)\}")


def most_tokens(token: dict[str, Any]) -> int | None:
    """How many tokens one token pattern can match at most: None for ``*``, ``+`` and ``{n,}``."""
    op = token.get("OP")
    if op is None or op in ("?", "!", "1"):
        return 1
    if (count := _COUNT.fullmatch(op)) is not None:
        low, comma, high = count.groups()
        return None if comma and not high else int(high or low or 0)
    return None


def extent(patterns: list[list[dict[str, Any]]], trigger: Iterable[str] | None) -> tuple[int, int] | None:
    """The most tokens a match of any of ``patterns`` can have before and after its trigger word.

    Each pattern has a required token whose every NORM is a trigger word (its anchor, see :func:`trigger_words`),
    so a match lies within (before, after) tokens of some trigger word in the sentence. None where a pattern is
    unbounded or has no such token.
    """
    if trigger is None:
        return None
    words = set(trigger)
    most_before = most_after = 0
    for pattern in patterns:
        limits = [most_tokens(token) for token in pattern]
        if None in limits:
            return None
        best: tuple[int, int] | None = None
        for k, token in enumerate(pattern):
            value = token.get("NORM")
            values = value.get("IN", ()) if isinstance(value, dict) else [value]
            if token.get("OP") is None and value is not None and values and set(values) <= words:
                here = (sum(limits[:k]), sum(limits[k + 1 :]))  # type: ignore[arg-type]
                if best is None or max(here) < max(best):
                    best = here
        if best is None:
            return None
        most_before, most_after = max(most_before, best[0]), max(most_after, best[1])
    return most_before, most_after


def compile_groups(rule: Rule, patterns: Iterable[str], what: str, nlp: Language,
                   lookups: Lookups) -> list[PatternGroup]:
    """One group per pattern string of ``rule`` (``what`` names the YAML key, for the error message)."""
    groups = []
    strings = nlp.vocab.strings
    for pattern in patterns:
        try:
            compiled = lookups.pattern(pattern)
            matcher = Matcher(nlp.vocab)
            matcher.add(rule.id, compiled.tokens)
        except PatternError as exc:
            raise RulePackError(f"{rule.source}: rule {rule.id!r}: {what}: {pattern!r}: {exc}") from None
        except ValueError as exc:  # spaCy rejects malformed token patterns with ValueError
            raise RulePackError(f"{rule.source}: rule {rule.id!r}: {what}: {pattern!r}: {exc}") from None
        trigger = compiled.trigger
        hashes = None if trigger is None else frozenset(strings.add(w) for w in trigger)
        required = tuple(frozenset(strings.add(w) for w in words) for words in compiled.required)
        attrs = frozenset(key for tokens in compiled.tokens for token in tokens for key in token) - {"OP"}
        groups.append(PatternGroup(rule.id, matcher, hashes, required, extent(compiled.tokens, trigger), attrs))
    return groups


def index_groups(groups: list[PatternGroup]) -> GroupIndex:
    """trigger word → groups it can start, and the groups that must always run."""
    by_word: dict[int, list[int]] = {}
    always = []
    for i, group in enumerate(groups):
        if group.trigger is None:
            always.append(i)
            continue
        for word in group.trigger:
            by_word.setdefault(word, []).append(i)
    return by_word, always


class SentenceMemo:
    """Pattern-group matches per sentence, remembered by the sentence's NORM hashes (a bounded LRU, thread-safe).

    Pack patterns test nothing but NORM (checked when a pack compiles, see ``CompiledPack``), so a sentence's
    matches depend only on its sequence of NORMs. Real mail repeats itself (greetings, sign-offs, templates: a
    quarter to a third of the sentences of real agent replies) and an add-in re-checks a draft of which one
    sentence changed; those sentences skip spaCy's Matcher. ``size`` 0 keeps nothing.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, tuple[int, ...]], tuple[tuple[str, int, int], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple[str, tuple[int, ...]]) -> tuple[tuple[str, int, int], ...] | None:
        if self.size <= 0:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, tuple[int, ...]], matches: tuple[tuple[str, int, int], ...]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = matches
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def run_groups(groups: list[PatternGroup], index: GroupIndex, doc: Doc, sents: SentenceNorms,
               memo: SentenceMemo | None = None, namespace: str = "") -> dict[str, list[Any]]:
    """Run each group only on the sentences that contain one of its trigger words; spans per rule id.

    ``memo`` remembers each sentence's matches under ``namespace`` (one per set of groups sharing the memo).
    """
    found: dict[str, list[Any]] = {}
    for sent in sents:
        for rule_id, start, end in sentence_matches(groups, index, doc, sent, memo, namespace):
            found.setdefault(rule_id, []).append(doc[sent.first + start : sent.first + end])
    return found


def sentence_matches(groups: list[PatternGroup], index: GroupIndex, doc: Doc, sent: SentenceWords,
                     memo: SentenceMemo | None = None, namespace: str = "") -> tuple[tuple[str, int, int], ...]:
    """(rule id, start, end) of every match of ``groups`` in one sentence, tokens counted from its start."""
    by_word, always = index
    todo = set(always)
    for word in by_word.keys() & sent.words:  # walks the smaller side (not so words.intersection(by_word))
        todo.update(by_word[word])
    if not todo:
        return ()
    key = (namespace, tuple(sent.norms))
    if memo is not None and (known := memo.get(key)) is not None:
        return known
    matches = tuple(_run(groups, sorted(todo), doc, sent))
    if memo is not None:
        memo.put(key, matches)
    return matches


def _run(groups: list[PatternGroup], todo: list[int], doc: Doc, sent: SentenceWords) -> Iterator[tuple[str, int, int]]:
    """The Matchers of groups ``todo`` on one sentence.

    A group's Matcher runs only on the tokens around its trigger words (:func:`windows`): spaCy's Matcher starts
    every pattern at every token of what it is given and builds a Token object per token, so giving it a
    40-token sentence for a 5-token phrase was most of the rule layer's time.
    """
    for i in todo:
        group = groups[i]
        if any(words.isdisjoint(sent.words) for words in group.required):
            continue
        for first, last in windows(group, sent):
            for _, start, end in group.matcher(doc[first:last]):
                yield group.rule_id, first - sent.first + start, first - sent.first + end


def windows(group: PatternGroup, sent: SentenceWords) -> list[tuple[int, int]]:
    """The token ranges of ``sent`` a group's patterns can match in, merged where they overlap.

    Any match lies within the group's :func:`extent` of a trigger word, so a range per trigger word, as far back
    and forward as that, holds every match; a match wholly inside a range is a match in the sentence and the
    other way round, so the spans found are the same as on the whole sentence.
    """
    if group.extent is None or group.trigger is None:
        return [(sent.first, sent.last)]
    (before, after), trigger = group.extent, group.trigger
    merged: list[tuple[int, int]] = []
    for offset, word in enumerate(sent.norms):
        if word not in trigger:
            continue
        position = sent.first + offset
        start, end = max(sent.first, position - before), min(sent.last, position + after + 1)
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
