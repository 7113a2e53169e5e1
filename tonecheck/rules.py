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
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from spacy.attrs import NORM
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc
from spacy.util import filter_spans

from .errors import RulePackError, UnknownPack
from .nlp import inflections, sentence_bounds, word_frequency
from .report import CATEGORIES, MODEL_CATEGORIES, SEVERITIES

PACK_FILE = "pack.yml"
MAX_EXPANSIONS = 256

_ID = r"^[a-z][a-z0-9_]*(\.[a-z0-9_'-]+)*$"
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_EXAMPLES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"bad": _STRINGS, "good": _STRINGS},
}
RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "kind", "category", "severity", "message", "examples"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": _ID},
        "kind": {"enum": ["words", "phrase", "caps", "model"]},
        "category": {"enum": list(CATEGORIES)},
        "severity": {"enum": list(SEVERITIES)},
        "message": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "suggestions": _STRINGS,
        "patterns": {**_STRINGS, "minItems": 1},
        "unless": _STRINGS,
        "words": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"anyOf": [{"type": "null"}, _STRINGS]},
        },
        "acronyms": _STRINGS,
        "emphatic": _STRINGS,
        "min_length": {"type": "integer", "minimum": 2},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "examples": {**_EXAMPLES, "required": ["bad"],
                     "properties": {"bad": {**_STRINGS, "minItems": 1}, "good": _STRINGS}},  # a rule proves itself
    },
    "allOf": [
        {"if": {"properties": {"kind": {"const": "words"}}}, "then": {"required": ["words"]}},
        {"if": {"properties": {"kind": {"const": "phrase"}}}, "then": {"required": ["patterns"]}},
        {
            "if": {"properties": {"kind": {"const": "model"}}},
            "then": {"properties": {"category": {"enum": list(MODEL_CATEGORIES)}}},
        },
    ],
}
FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {"rules": {"type": "array", "items": RULE_SCHEMA}},
}
PACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_-]*$"},
        "description": {"type": "string"},
        "extends": {"type": ["string", "null"]},
        "allow": _STRINGS,
        "disable": _STRINGS,
    },
}


@dataclass(frozen=True)
class Rule:
    """One validated rule, as written in its pack (plus where it was written, for error messages)."""

    id: str
    kind: str
    category: str
    severity: str
    message: str
    description: str = ""
    suggestions: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)
    acronyms: frozenset[str] = frozenset()
    emphatic: frozenset[str] = frozenset()  # caps: short words that shout on their own ("NO", "SO")
    min_length: int = 5
    threshold: float | None = None  # model: P(kind) at or above which it reports (None: the model's own)
    bad_examples: tuple[str, ...] = ()
    good_examples: tuple[str, ...] = ()
    source: str = ""  # "path:line"

    def describe(self) -> dict[str, Any]:
        """The public view of a rule (used by ``GET /v1/packs``)."""
        info: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "description": self.description or self.message.replace("{match}", "…"),
        }
        if self.words:
            info["words"] = sorted(self.words)
        return info


@dataclass(frozen=True)
class PackSpec:
    """A pack as resolved through ``extends``: its own metadata and the final rule list."""

    name: str
    description: str
    extends: str | None
    rules: tuple[Rule, ...]
    path: Path


@dataclass(frozen=True)
class RawMatch:
    """A rule hit in token coordinates of one Doc; :mod:`tonecheck.api` turns it into a Finding."""

    rule: Rule
    rule_id: str
    start_char: int
    end_char: int
    suggestions: tuple[str, ...]


# --------------------------------------------------------------------------- loading and validation


def _line_of(node: yaml.Node | None, path: Sequence[Any]) -> int:
    """1-based line of the YAML node at ``path`` (as far down as it exists)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == step), None)
            if found is None:
                found = next((k for k, _ in node.value if k.value == step), None)
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _read_yaml(path: Path, schema: dict[str, Any]) -> tuple[Any, yaml.Node | None]:
    """Parse and schema-check one YAML file; the first problem becomes ``path:line: reason``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RulePackError(f"{path}:1: not UTF-8 text") from None
    except OSError as exc:
        raise RulePackError(f"{path}:1: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark or exc.problem_mark  # where the broken construct began, if YAML knows
        line = mark.line + 1 if mark else 1
        context = f" ({exc.context})" if exc.context else ""
        raise RulePackError(f"{path}:{line}: invalid YAML: {exc.problem}{context}") from None
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        where = list(err.absolute_path)
        field_name = ".".join(str(p) for p in where) or "(top level)"
        raise RulePackError(f"{path}:{_line_of(node, where)}: {field_name}: {_schema_message(err)}")
    return data, node


def _schema_message(err: jsonschema.ValidationError) -> str:
    if err.validator == "enum":
        return f"{err.instance!r} is not one of {', '.join(map(str, err.validator_value))}"
    if err.validator == "additionalProperties":
        return f"unknown key(s): {err.message.split('(')[-1].rstrip(')')}"
    return err.message


def _rule_from(data: dict[str, Any], source: str) -> Rule:
    examples = data.get("examples") or {}
    words = {str(w).lower(): tuple(s or ()) for w, s in (data.get("words") or {}).items()}
    return Rule(
        id=data["id"],
        kind=data["kind"],
        category=data["category"],
        severity=data["severity"],
        message=data["message"],
        description=data.get("description", ""),
        suggestions=tuple(data.get("suggestions", ())),
        patterns=tuple(data.get("patterns", ())),
        unless=tuple(data.get("unless", ())),
        words=words,
        acronyms=frozenset(a.upper() for a in data.get("acronyms", ())),
        emphatic=frozenset(a.upper() for a in data.get("emphatic", ())),
        min_length=data.get("min_length", 5),
        threshold=data.get("threshold"),
        bad_examples=tuple(examples.get("bad", ())),
        good_examples=tuple(examples.get("good", ())),
        source=source,
    )


def _load_own_rules(folder: Path) -> list[Rule]:
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        if path.name == PACK_FILE:
            continue
        data, node = _read_yaml(path, FILE_SCHEMA)
        for i, raw in enumerate(data["rules"]):
            line = _line_of(node, ["rules", i, "id"])
            if raw["id"] in seen:
                raise RulePackError(f"{path}:{line}: duplicate rule id {raw['id']!r} (first at {seen[raw['id']]})")
            seen[raw["id"]] = f"{path}:{line}"
            rules.append(_rule_from(raw, f"{path}:{line}"))
    return rules


def resolve_pack(rules_dir: Path, name: str, _chain: tuple[str, ...] = ()) -> PackSpec:
    """Read a pack and the packs it extends; apply ``allow`` and ``disable``; reject cycles and unknown ids."""
    folder = rules_dir / name
    meta_path = folder / PACK_FILE
    if not meta_path.is_file():
        known = ", ".join(available_packs(rules_dir)) or "none"
        raise UnknownPack(f"unknown rule pack {name!r} (available: {known})")
    meta, node = _read_yaml(meta_path, PACK_SCHEMA)
    if meta["name"] != name:
        line = _line_of(node, ["name"])
        raise RulePackError(f"{meta_path}:{line}: name {meta['name']!r} does not match its folder {name!r}")
    rules: list[Rule] = []
    parent = meta.get("extends")
    if parent:
        if parent in _chain or parent == name:
            raise RulePackError(f"{meta_path}:{_line_of(node, ['extends'])}: 'extends' makes a cycle: {parent!r}")
        try:
            rules = list(resolve_pack(rules_dir, parent, (*_chain, name)).rules)
        except UnknownPack as exc:
            raise RulePackError(f"{meta_path}:{_line_of(node, ['extends'])}: {exc}") from None
    own = _load_own_rules(folder)
    own_ids = {r.id for r in own}
    rules = [r for r in rules if r.id not in own_ids] + own  # a pack may override a parent's rule by id
    rules = _apply_disable(rules, meta.get("disable", []), meta_path, node)
    rules = _apply_allow(rules, meta.get("allow", []), meta_path, node)
    return PackSpec(name, meta["description"], parent, tuple(rules), folder)


def _apply_disable(rules: list[Rule], disable: list[str], path: Path, node: yaml.Node | None) -> list[Rule]:
    ids = {r.id for r in rules}
    word_ids = {f"{r.id}.{w}" for r in rules for w in r.words}
    for i, rule_id in enumerate(disable):
        if rule_id not in ids and rule_id not in word_ids:
            raise RulePackError(f"{path}:{_line_of(node, ['disable', i])}: disable: no rule {rule_id!r} to disable")
    gone = set(disable)
    kept = []
    for rule in rules:
        if rule.id in gone:
            continue
        if rule.words and any(f"{rule.id}.{w}" in gone for w in rule.words):
            words = {w: s for w, s in rule.words.items() if f"{rule.id}.{w}" not in gone}
            rule = _with_words(rule, words)
        if rule is not None:
            kept.append(rule)
    return kept


def _apply_allow(rules: list[Rule], allow: list[str], path: Path, node: yaml.Node | None) -> list[Rule]:
    allowed = {w.lower() for w in allow}
    listed = {w for r in rules for w in r.words}
    for i, word in enumerate(allow):
        if word.lower() not in listed:
            raise RulePackError(f"{path}:{_line_of(node, ['allow', i])}: allow: {word!r} is in no word list")
    kept = []
    for rule in rules:
        if rule.words and allowed & set(rule.words):
            rule = _with_words(rule, {w: s for w, s in rule.words.items() if w not in allowed})
        if rule is not None:
            kept.append(rule)
    return kept


def _with_words(rule: Rule, words: dict[str, tuple[str, ...]]) -> Rule | None:
    if not words:
        return None
    fields_ = {f: getattr(rule, f) for f in rule.__dataclass_fields__}
    fields_["words"] = words
    return Rule(**fields_)


def available_packs(rules_dir: Path) -> list[str]:
    """Pack names: every folder of ``rules_dir`` with a pack.yml."""
    if not rules_dir.is_dir():
        return []
    return sorted(p.name for p in rules_dir.iterdir() if (p / PACK_FILE).is_file())


# --------------------------------------------------------------------------- pattern notation

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


# --------------------------------------------------------------------------- the compiled pack


def _trigger(patterns: list[list[dict[str, Any]]]) -> frozenset[str] | None:
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
class _Group:
    """The compiled patterns of one pattern string, and the words that must occur for them to match."""

    rule_id: str
    matcher: Matcher
    trigger: frozenset[int] | None  # NORM hashes; None = always run
    required: tuple[frozenset[int], ...] = ()  # each set must be hit too (checked before running the Matcher)


class CompiledPack:
    """A resolved pack compiled once into matchers; ``match(doc)`` is all that runs per text."""

    def __init__(self, spec: PackSpec, nlp: Language) -> None:
        self.spec = spec
        self.rules = {r.id: r for r in spec.rules}
        self._groups: list[_Group] = []
        self._unless: dict[str, tuple[list[_Group], tuple[dict[int, list[int]], list[int]]]] = {}
        self._words = PhraseMatcher(nlp.vocab, attr="NORM")
        self._word_keys: dict[str, tuple[Rule, str]] = {}
        self._caps = [r for r in spec.rules if r.kind == "caps"]
        self._known = functools.lru_cache(maxsize=4096)(functools.partial(known_word, nlp))
        # model rules are not matched here: the Checker applies them to the tone model's sentence kinds
        self.model_rules = [r for r in spec.rules if r.kind == "model"]
        for rule in spec.rules:
            if rule.kind == "phrase":
                self._groups += self._compile(rule, rule.patterns, "patterns", nlp)
            elif rule.kind == "words":
                self._add_words(rule, nlp)
            if rule.unless:
                groups = self._compile(rule, rule.unless, "unless", nlp)
                self._unless[rule.id] = (groups, self._index(groups))
        self._group_index = self._index(self._groups)

    @staticmethod
    def _compile(rule: Rule, patterns: Iterable[str], what: str, nlp: Language) -> list[_Group]:
        groups = []
        strings = nlp.vocab.strings
        for pattern in patterns:
            try:
                compiled = compile_pattern(pattern, nlp)
                matcher = Matcher(nlp.vocab)
                matcher.add(rule.id, compiled)
            except PatternError as exc:
                raise RulePackError(f"{rule.source}: rule {rule.id!r}: {what}: {pattern!r}: {exc}") from None
            except ValueError as exc:  # spaCy rejects malformed token patterns with ValueError
                raise RulePackError(f"{rule.source}: rule {rule.id!r}: {what}: {pattern!r}: {exc}") from None
            trigger = _trigger(compiled)
            hashes = None if trigger is None else frozenset(strings.add(w) for w in trigger)
            required = tuple(frozenset(strings.add(w) for w in words) for words in required_words(compiled))
            groups.append(_Group(rule.id, matcher, hashes, required))
        return groups

    @staticmethod
    def _index(groups: list[_Group]) -> tuple[dict[int, list[int]], list[int]]:
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

    @staticmethod
    def _run(
        groups: list[_Group], index: tuple[dict[int, list[int]], list[int]], doc: Doc,
        sents: list[tuple[int, int, set[int]]],
    ) -> dict[str, list[Any]]:
        """Run each group only on the sentences that contain one of its trigger words."""
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

    def _add_words(self, rule: Rule, nlp: Language) -> None:
        for word in rule.words:
            key = f"{rule.id}.{word}"
            self._word_keys[key] = (rule, word)
            docs = []
            for form in sorted(inflections(word)):
                docs.append(nlp.make_doc(form))
            self._words.add(key, docs)

    def match(self, doc: Doc, text: str | None = None) -> list[RawMatch]:
        """Every rule hit in one Doc, in text order; one per span per rule.

        ``text`` is the Doc's text if the caller has it: ``doc.text`` rebuilds it from every token.
        """
        text = doc.text if text is None else text
        norms = doc.to_array(NORM).tolist()
        bounds = sentence_bounds(doc)
        sents = [(a, b, set(norms[a:b])) for a, b in bounds]
        starts = [a for a, _ in bounds]
        quiet: dict[str, set[int]] = {}

        def silenced(rule_id: str, token: int) -> bool:
            """True if one of the rule's ``unless`` patterns matches in the sentence holding ``token``."""
            if rule_id not in self._unless:
                return False
            if rule_id not in quiet:
                groups, index = self._unless[rule_id]
                spans = self._run(groups, index, doc, sents).get(rule_id, [])
                quiet[rule_id] = {bisect.bisect_right(starts, s.start) for s in spans}
            return bisect.bisect_right(starts, token) in quiet[rule_id]

        strings = doc.vocab.strings
        hits: list[RawMatch] = []
        for key, start, end in self._words(doc):
            rule, word = self._word_keys[strings[key]]
            if silenced(rule.id, start):
                continue
            span = doc[start:end]
            hits.append(RawMatch(rule, f"{rule.id}.{word}", span.start_char, span.end_char, rule.words[word]))
        for rule_id, spans in self._run(self._groups, self._group_index, doc, sents).items():
            rule = self.rules[rule_id]
            for span in filter_spans(spans):
                if not silenced(rule_id, span.start):
                    hits.append(RawMatch(rule, rule_id, span.start_char, span.end_char, rule.suggestions))
        for rule in self._caps:
            hits.extend(h for h in _caps_hits(doc, text, rule, self._known) if not silenced(rule.id, doc.char_span(
                h.start_char, h.end_char, alignment_mode="expand").start))
        hits.sort(key=lambda h: (h.start_char, -h.end_char, h.rule_id))
        return hits


_CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
# Capitals shout only in words English text uses: below this unigram probability (spacy-lookups-data) a word in
# capitals is an acronym or a code nobody can list in advance (TRAI, DHCP, SAML, NEFT, DDMMYYYY), not a raised
# voice. "asinine" is 2.8e-6, "urgent" 1.9e-6; "dhcp" 1.8e-7, "noc" 1.3e-7.
KNOWN_WORD_FREQUENCY = 1e-6


def known_word(nlp: Language, word: str) -> bool:
    """Whether English text uses ``word`` (lower case): by its own frequency, or, for fused forms the frequency
    table splits ("cannot", "dont", "gonna"), by every piece the tokenizer cuts it into."""
    if word_frequency(word) >= KNOWN_WORD_FREQUENCY:
        return True
    pieces = [t.lower_ for t in nlp.make_doc(word)]
    return len(pieces) > 1 and all(word_frequency(p) >= KNOWN_WORD_FREQUENCY for p in pieces)


def _caps_hits(doc: Doc, text: str, rule: Rule, known: Callable[[str], bool]) -> list[RawMatch]:
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

    for tok in doc:
        if shouty(tok):
            run.append(tok)
            continue
        if run and (tok.is_punct and tok.text in {"'", "-"} or tok.is_space and "\n" not in tok.text):
            continue
        flush()
        run = []
    flush()
    return hits
