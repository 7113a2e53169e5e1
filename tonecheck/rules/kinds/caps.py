"""The ``caps`` kind: shouting, i.e. one long all-caps word or a run of all-caps words, minus acronyms."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy
from spacy.attrs import IS_ALPHA, IS_UPPER, LENGTH, ORTH
from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc

from ...nlp import word_frequency
from ..lookups import Lookups
from ..schema import RawMatch, Rule
from ..triggers import SentenceMemo, SentenceNorms


class CapsKind:
    """Every ``caps`` rule of a pack; a word counts as shouted only if English text uses it (:func:`known_word`)."""

    def __init__(self, rules: Sequence[Rule], nlp: Language, lookups: Lookups) -> None:
        self._rules = list(rules)
        frequent = lookups.frequent(KNOWN_WORD_FREQUENCY)  # from the pack cache: no unigram table at run time
        self._known = functools.lru_cache(maxsize=4096)(functools.partial(known_word, nlp, frequent=frequent))
        # ORTH hashes of each rule's emphatic words, for finding where a shouted run can start
        self._emphatic = {rule.id: emphatic_hashes(rule) for rule in rules}

    def match(self, doc: Doc, text: str, sents: SentenceNorms, memo: SentenceMemo) -> list[RawMatch]:
        return [hit for rule in self._rules
                for hit in _caps_hits(doc, text, rule, self._known, self._emphatic[rule.id])]


def emphatic_hashes(rule: Rule) -> numpy.ndarray:
    return numpy.fromiter((hash_string(word) for word in rule.emphatic), dtype=numpy.uint64)


_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
# Capitals shout only in words English text uses: below this unigram probability (spacy-lookups-data) a word in
# capitals is an acronym or a code nobody can list in advance (TRAI, DHCP, SAML, NEFT, DDMMYYYY), not a raised
# voice. "asinine" is 2.8e-6, "urgent" 1.9e-6; "dhcp" 1.8e-7, "noc" 1.3e-7.
KNOWN_WORD_FREQUENCY = 1e-6


def known_word(nlp: Language, word: str, frequent: Callable[[str], bool] | None = None) -> bool:
    """Whether English text uses ``word`` (lower case): by its own frequency, or, for fused forms the frequency
    table splits ("cannot", "dont", "gonna"), by every piece the tokenizer cuts it into.

    ``frequent`` answers "at least KNOWN_WORD_FREQUENCY" for one word; by default it asks the unigram table.
    """
    frequent = frequent or _frequent_in_table
    if frequent(word):
        return True
    pieces = [t.lower_ for t in nlp.make_doc(word)]
    return len(pieces) > 1 and all(frequent(p) for p in pieces)


def _frequent_in_table(word: str) -> bool:
    return word_frequency(word) >= KNOWN_WORD_FREQUENCY


def _caps_hits(doc: Doc, text: str, rule: Rule, known: Callable[[str], bool],
               emphatic: numpy.ndarray) -> list[RawMatch]:
    """Shouting: one long all-caps word, or a run of all-caps words; acronyms and 'I' don't count."""
    if not any(m.group() not in rule.acronyms for m in _CAPS_WORD.finditer(text)):
        return []  # the common case: no capitals worth a look, so no per-token loop
    hits: list[RawMatch] = []
    run: list[Any] = []

    def shouty(tok: Any) -> bool:
        if tok.text in ("I", "A"):
            return bool(run)  # "I" and "A" continue a shouted run ("I SAID") but never start one
        if tok.text in rule.emphatic:
            return True
        return (
            tok.is_alpha and tok.is_upper and len(tok) >= 2 and tok.text not in rule.acronyms
            and known(tok.lower_)
        )

    def flush() -> None:
        if not run:
            return
        letters = sum(len(t) for t in run)
        loud = len(run) >= 2 and letters >= 6 or max(len(t) for t in run) >= rule.min_length
        if loud or any(t.text in rule.emphatic for t in run):
            hits.append(RawMatch(rule, rule.id, run[0].idx, run[-1].idx + len(run[-1]), rule.suggestions))

    # A run starts only at a token that is shouty on its own, and such a token is upper-case letters or one of
    # the emphatic words: read those positions from arrays, and build Token objects only from there on.
    position = 0
    for start in _possible_starts(doc, emphatic):
        if start < position:
            continue
        position = start
        while position < len(doc):
            tok = doc[position]
            if shouty(tok):
                run.append(tok)
            elif not (run and (tok.is_punct and tok.text in {"'", "-"} or tok.is_space and "\n" not in tok.text)):
                break
            position += 1
        flush()
        run = []
    return hits


def _possible_starts(doc: Doc, emphatic: numpy.ndarray) -> list[int]:
    """Tokens that could start a shouted run: alphabetic, upper case and 2+ characters, or emphatic."""
    flags = doc.to_array([IS_ALPHA, IS_UPPER, LENGTH, ORTH])
    capitals = (flags[:, 0] == 1) & (flags[:, 1] == 1) & (flags[:, 2] >= 2)
    if len(emphatic):
        capitals |= numpy.isin(flags[:, 3], emphatic)
    return numpy.flatnonzero(capitals).tolist()
