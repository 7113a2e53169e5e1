"""The pattern notation of ``phrase`` rules (and every rule's ``unless``), compiled to spaCy Matcher patterns.

Compiling happens once, when a pack is loaded; nothing here runs per text.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from spacy.language import Language

from ..nlp import inflections, word_frequency

MAX_EXPANSIONS = 256

_UNIT = re.compile(r"\(([^()]*)\)(\?)?|(\S+)")
_WILDCARD = re.compile(r"^_(\{\d*,\d*\}|\?|\*|\+)?$")


class PatternError(ValueError):
    """A pattern string that cannot be compiled."""


def compile_pattern(pattern: str, nlp: Language) -> list[list[dict[str, Any]]]:
    """Compile one pattern string into spaCy Matcher token patterns.

    Notation (units separated by spaces, matched case-insensitively on NORM, so "you're" also matches
    "you are", "youre" and "you’re"):

    * ``word`` – that word (spaCy-tokenised: "don't" is two tokens);  ``a|b|c`` – any one of them;
    * ``(no one|nobody)`` – alternatives of several words;  a trailing ``?`` makes any unit optional;
    * ``<blame>`` – any inflection of the word (blames, blamed, blaming);
    * ``_`` – any one token; ``_?``, ``_{0,3}`` – optional or bounded gaps of any tokens.
    """
    units = [m for m in _UNIT.finditer(pattern.strip())]
    if not units:
        raise PatternError("empty pattern")
    if any(m.group(3) is not None and ("(" in m.group(3) or ")" in m.group(3)) for m in units):
        raise PatternError("nested or unbalanced parentheses: groups hold plain alternatives only")
    options: list[list[list[dict[str, Any]]]] = []
    for m in units:
        group, optional, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None and _WILDCARD.match(bare):
            quant = _WILDCARD.match(bare).group(1)
            token: dict[str, Any] = {"OP": quant} if quant else {}
            options.append([[token]])
            continue
        if bare is not None and bare.endswith("?") and len(bare) > 1:
            bare, optional = bare[:-1], "?"
        alternatives = (group if group is not None else bare).split("|")
        options.append(_unit_options(alternatives, bool(optional), nlp, pattern))
    total = 1
    for opts in options:
        total *= len(opts)
    if total > MAX_EXPANSIONS:
        raise PatternError(f"expands to {total} patterns (limit {MAX_EXPANSIONS}); split it")
    patterns = [[tok for seq in combo for tok in seq] for combo in itertools.product(*options)]
    patterns = [p for p in patterns if any(t.get("OP") not in ("?", "*") for t in p)]
    if not patterns:
        raise PatternError("matches the empty string")
    return patterns


def required_words(patterns: list[list[dict[str, Any]]]) -> list[frozenset[str]]:
    """Word sets that every compiled pattern needs one of, i.e. necessary conditions for any match.

    A token that is required (no ``?``/``*``) at the same position in every expansion contributes the union
    of its alternatives; since all expansions keep the units in order, position-by-unit is approximated by
    collecting, per pattern, its required tokens and keeping the sets that every pattern has (by value).
    """
    per_pattern = []
    for pattern in patterns:
        sets = set()
        for token in pattern:
            if token.get("OP") in (None, "+") and "NORM" in token:
                value = token["NORM"]
                sets.add(frozenset(value["IN"]) if isinstance(value, dict) else frozenset([value]))
        per_pattern.append(sets)
    common = set.intersection(*per_pattern) if per_pattern else set()
    return sorted(common, key=lambda s: sum(word_frequency(w) for w in s))


def _norms(text: str, nlp: Language) -> list[set[str]]:
    """Per token, the strings it may appear as on NORM: its norm and its lower-case form.

    Both are needed because spaCy's norm depends on context: "'ve" alone norms to "have", but inside
    "should've" it keeps "'ve".
    """
    return [{t.norm_, t.lower_} for t in nlp.tokenizer(text) if not t.is_space]


def _token(values: set[str]) -> dict[str, Any]:
    return {"NORM": {"IN": sorted(values)}} if len(values) > 1 else {"NORM": next(iter(values))}


def _unit_options(
    alternatives: list[str], optional: bool, nlp: Language, pattern: str
) -> list[list[dict[str, Any]]]:
    singles: set[str] = set()
    multis: list[list[dict[str, Any]]] = []
    for alt in alternatives:
        alt = alt.strip()
        if not alt:
            raise PatternError(f"empty alternative in {pattern!r}")
        if alt.startswith("<") and alt.endswith(">") and len(alt) > 2:
            for form in inflections(alt[1:-1]):
                norms = _norms(form, nlp)
                if len(norms) == 1:
                    singles |= norms[0]
            continue
        norms = _norms(alt, nlp)
        if len(norms) == 1:
            singles |= norms[0]
        elif norms:
            multis.append([_token(n) for n in norms])
    opts: list[list[dict[str, Any]]] = []
    if singles:
        single = _token(singles)
        if optional and not multis:
            return [[{**single, "OP": "?"}]]
        opts.append([single])
    opts.extend(multis)
    if optional:
        opts.append([])
    return opts
