"""The ``words`` kind: a word list (word → suggestions), matched on NORM with every inflection of each word.

"Idiots" hits ``idiot`` and "ridiculously" hits ``ridiculous``, while "class" never hits "ass". Each word is
its own finding id, ``<rule id>.<word>``, so a pack can ``disable`` one word of a list.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from ..lookups import Lookups
from ..schema import RawMatch, Rule
from ..triggers import SentenceMemo, SentenceNorms


class WordsKind:
    """Every ``words`` rule of a pack in one PhraseMatcher, keyed ``<rule id>.<word>``."""

    def __init__(self, rules: Sequence[Rule], nlp: Language, lookups: Lookups) -> None:
        self._matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self._keys: dict[str, tuple[Rule, str]] = {}
        for rule in rules:
            for word in rule.words:
                key = f"{rule.id}.{word}"
                self._keys[key] = (rule, word)
                self._matcher.add(key, [nlp.make_doc(form) for form in lookups.forms(word)])

    def match(self, doc: Doc, text: str, sents: SentenceNorms, memo: SentenceMemo) -> list[RawMatch]:
        strings = doc.vocab.strings
        hits = []
        for key, start, end in self._matcher(doc):
            rule, word = self._keys[strings[key]]
            span = doc[start:end]
            hits.append(RawMatch(rule, f"{rule.id}.{word}", span.start_char, span.end_char, rule.words[word]))
        return hits
