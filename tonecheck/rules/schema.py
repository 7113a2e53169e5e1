"""What a rule pack may say: the JSON Schemas of its files and the :class:`Rule` a validated rule becomes.

A YAML key a rule kind needs is added here, in three lines that sit together: its property in
:data:`RULE_SCHEMA` (with an ``if kind ... then required`` entry if the kind cannot do without it), its field on
:class:`Rule`, and its line in :func:`rule_from`. See docs/extending.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..report import CATEGORIES, MODEL_CATEGORIES, SEVERITIES

PACK_FILE = "pack.yml"

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


MARK_OPEN, MARK_CLOSE = "<marker>", "</marker>"


def read_example(text: str) -> tuple[str, tuple[int, int] | None]:
    """An example as written → (the text without its marker, the marked span in that text, or None if unmarked).

    A bad example wraps the words its rule flags in ``<marker>…</marker>``, as LanguageTool's grammar.xml does:
    ``"<marker>Calm down</marker>, please."`` → ``("Calm down, please.", (0, 9))``. At most one marker; raises
    :class:`ValueError` (the reason, for a ``path:line:`` error) for two, an unbalanced or nested tag, an empty
    marker, or one with a space inside its edge.
    """
    opens, closes = text.count(MARK_OPEN), text.count(MARK_CLOSE)
    if opens == 0 and closes == 0:
        return text, None
    if opens != closes:
        tag = MARK_OPEN if opens > closes else MARK_CLOSE
        raise ValueError(f"unbalanced marker: {tag} without its pair")
    if opens > 1:
        raise ValueError(f"{opens} markers; mark the one span the rule flags")
    start, close = text.index(MARK_OPEN), text.index(MARK_CLOSE)
    if close < start:
        raise ValueError(f"unbalanced marker: {MARK_CLOSE} before {MARK_OPEN}")
    inner = text[start + len(MARK_OPEN) : close]
    if not inner.strip():
        raise ValueError("empty marker: it must enclose the flagged words")
    if inner != inner.strip():
        raise ValueError("the marker must not start or end with a space; put the space outside it")
    return text[:start] + inner + text[close + len(MARK_CLOSE) :], (start, start + len(inner))


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
    bad_examples: tuple[str, ...] = ()  # the text as checked: markers removed
    good_examples: tuple[str, ...] = ()
    bad_marks: tuple[tuple[int, int] | None, ...] = ()  # per bad example, the marked span (None: model, unmarked)
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


def rule_from(data: dict[str, Any], source: str) -> Rule:
    """A schema-valid rule dict as a :class:`Rule`; ``source`` is "path:line" for error messages."""
    examples = data.get("examples") or {}
    bad = [read_example(t) for t in examples.get("bad", ())]
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
        bad_examples=tuple(t for t, _ in bad),
        good_examples=tuple(examples.get("good", ())),
        bad_marks=tuple(m for _, m in bad),
        source=source,
    )
