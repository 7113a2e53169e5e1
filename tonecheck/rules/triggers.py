"""Pattern groups and their trigger words: which compiled patterns are worth running on which sentence.

Used by the ``phrase`` kind and by every rule's ``unless`` patterns: both compile pattern strings with
:func:`compile_groups` (through :class:`~.lookups.Lookups`, which may have them from the pack cache), index them
once with :func:`index_groups`, and run them per Doc with :func:`run_groups`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from ..errors import RulePackError
from ..nlp import word_frequency
from .notation import PatternError
from .schema import Rule

if TYPE_CHECKING:
    from .lookups import Lookups

# Per sentence of a Doc: first token, end token, and the NORM hashes of its tokens.
SentenceNorms = list[tuple[int, int, set[int]]]
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
        groups.append(PatternGroup(rule.id, matcher, hashes, required))
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


def run_groups(groups: list[PatternGroup], index: GroupIndex, doc: Doc, sents: SentenceNorms) -> dict[str, list[Any]]:
    """Run each group only on the sentences that contain one of its trigger words; spans per rule id."""
    by_word, always = index
    found: dict[str, list[Any]] = {}
    for first, last, norms in sents:
        todo = set(always)
        for word in norms:  # not norms.intersection(by_word): that walks every key of by_word
            hit = by_word.get(word)
            if hit:
                todo.update(hit)
        if not todo:
            continue
        sent = doc[first:last]
        for i in sorted(todo):
            group = groups[i]
            if any(words.isdisjoint(norms) for words in group.required):
                continue
            for _, start, end in group.matcher(sent):
                found.setdefault(group.rule_id, []).append(doc[first + start : first + end])
    return found
