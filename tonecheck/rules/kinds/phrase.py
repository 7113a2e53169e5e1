"""The ``phrase`` kind: token patterns in the notation of :mod:`..notation`, one finding per matched span.

Overlapping matches of one rule keep the longest (``filter_spans``); trigger words (:mod:`..triggers`) keep
each pattern off the sentences that cannot match it, and a sentence seen before (same NORMs) is not matched again.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import filter_spans

from ..lookups import Lookups
from ..schema import RawMatch, Rule
from ..triggers import SentenceMemo, SentenceNorms, compile_groups, index_groups, run_groups


class PhraseKind:
    """Every ``phrase`` rule's ``patterns``, compiled into trigger-indexed pattern groups."""

    def __init__(self, rules: Sequence[Rule], nlp: Language, lookups: Lookups) -> None:
        self._rules = {r.id: r for r in rules}
        self.groups = [g for rule in rules for g in compile_groups(rule, rule.patterns, "patterns", nlp, lookups)]
        self._index = index_groups(self.groups)

    def match(self, doc: Doc, text: str, sents: SentenceNorms, memo: SentenceMemo) -> list[RawMatch]:
        hits = []
        for rule_id, spans in run_groups(self.groups, self._index, doc, sents, memo).items():
            rule = self._rules[rule_id]
            for span in filter_spans(spans):
                hits.append(RawMatch(rule, rule_id, span.start_char, span.end_char, rule.suggestions))
        return hits
