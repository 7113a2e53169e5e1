"""The rule layer: rule packs (YAML data in ``rules/``) compiled into spaCy matchers.

A pack is a folder: ``pack.yml`` (name, description, ``extends``, ``allow``, ``disable``) plus any number of
``*.yml`` files holding ``rules:``. Four rule kinds exist, and only these live in code:

* ``words``  – a word list (word → suggestions). Matched on the tokenizer's NORM with every inflection, so
  "Idiots" hits ``idiot`` and "ridiculously" hits ``ridiculous``, while "class" never hits "ass".
* ``phrase`` – token patterns in a small notation compiled to spaCy ``Matcher`` patterns (see
  :func:`compile_pattern`), with optional ``unless`` patterns that silence a match in the same sentence.
* ``caps``   – shouting: long all-caps words or runs of capitals, minus known acronyms.
* ``model``  – a finding from the tone model's category head (threatening, blaming, dismissive, isolating,
  condescending) when P(kind) of a sentence reaches ``threshold``: the rule carries the message, suggestions and
  severity; :class:`tonecheck.api.Checker` applies it after scoring, since it needs the model, not a matcher.

Packs are validated when loaded (a JSON Schema, then the patterns themselves); any problem raises
:class:`RulePackError` as ``path:line: reason``, and a pack loads whole or not at all.

One module per concern, in the order a pack goes through them:

* :mod:`.schema`   – what a pack file may say (JSON Schemas) and the :class:`Rule` a rule becomes;
* :mod:`.load`     – reading a pack: YAML, ``extends``, ``allow``, ``disable`` (:func:`resolve_pack`);
* :mod:`.notation` – the pattern notation compiler (:func:`compile_pattern`);
* :mod:`.triggers` – pattern groups indexed by trigger words, shared by ``phrase`` and ``unless``;
* :mod:`.lookups`  – what compiling derives from spaCy's tables, kept as plain data (:class:`~.lookups.Lookups`);
* :mod:`.kinds`    – one module per matched kind (``words``, ``phrase``, ``caps``) behind one interface;
* :mod:`.cache`    – the pack cache: each pack's lookups on disk, so a warm start skips loading the tables;
* :mod:`.compiled` – :class:`CompiledPack`: every kind of a pack, plus ``unless``, run per Doc.

Adding a rule kind or a YAML key: docs/extending.md.
"""

from __future__ import annotations

from .compiled import CompiledPack
from .kinds.caps import KNOWN_WORD_FREQUENCY, known_word
from .load import available_packs, resolve_pack
from .notation import MAX_EXPANSIONS, PatternError, compile_pattern, required_words
from .schema import FILE_SCHEMA, PACK_FILE, PACK_SCHEMA, RULE_SCHEMA, PackSpec, RawMatch, Rule, read_example

__all__ = [
    "FILE_SCHEMA",
    "KNOWN_WORD_FREQUENCY",
    "MAX_EXPANSIONS",
    "PACK_FILE",
    "PACK_SCHEMA",
    "RULE_SCHEMA",
    "CompiledPack",
    "PackSpec",
    "PatternError",
    "RawMatch",
    "Rule",
    "available_packs",
    "compile_pattern",
    "known_word",
    "read_example",
    "required_words",
    "resolve_pack",
]
