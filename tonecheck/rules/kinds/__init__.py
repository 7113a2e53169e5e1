"""The rule kinds that match text, one module each, behind one small interface.

A kind is a class built once per pack from that pack's rules of the kind, ``Kind(rules, nlp, lookups)`` (compile
everything there: a bad pattern fails the load, never a user's draft; ask ``lookups`` (:class:`..lookups.Lookups`)
for anything derived from spaCy's tables, so a cached pack skips it), with one method run per Doc,
``match(doc, text, sents, memo) -> list[RawMatch]``. :class:`~tonecheck.rules.compiled.CompiledPack` runs every kind,
then applies each rule's ``unless`` and sorts, so a kind never deals with either.

``model`` is a kind too, but it matches nothing here: :class:`tonecheck.api.Checker` applies model rules to the
tone model's sentence scores. Adding a kind: docs/extending.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from spacy.language import Language
from spacy.tokens import Doc

from ..lookups import Lookups
from ..schema import RawMatch, Rule
from ..triggers import SentenceMemo, SentenceNorms
from .caps import CapsKind
from .phrase import PhraseKind
from .words import WordsKind


class RuleKind(Protocol):
    """What :class:`~tonecheck.rules.compiled.CompiledPack` needs of a kind."""

    def __init__(self, rules: Sequence[Rule], nlp: Language, lookups: Lookups) -> None: ...

    def match(self, doc: Doc, text: str, sents: SentenceNorms, memo: SentenceMemo) -> list[RawMatch]: ...


# kind name (the YAML ``kind:``) → its class; hits are gathered in this order before sorting.
MATCHED_KINDS: dict[str, type[RuleKind]] = {"words": WordsKind, "phrase": PhraseKind, "caps": CapsKind}
# kinds the Checker applies after scoring instead (see tonecheck/api.py, Checker._model_findings).
APPLIED_BY_CHECKER = ("model",)
