"""The result types every front end shares, and the verdict that combines rules and tone.

Offsets are Python ``str`` indices into the exact text the caller passed, so a mail plugin can highlight
``text[start:end]`` without re-running any cleaning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CATEGORIES = (
    "banned_word",
    "profanity",
    "isolating",
    "blaming",
    "threatening",
    "dismissive",
    "condescending",
    "shouting",
)
SEVERITIES = ("error", "warning", "info")
TONE_LABELS = ("polite", "neutral", "rude")
# The rude kinds of models/data/LABELLING.md, in the order of the tone model's kind head (multi-label).
RUDE_KINDS = (
    "condescending",
    "dismissive",
    "blaming",
    "sarcastic",
    "passive_aggressive",
    "hostile",
    "isolating",
    "threatening",
)
# Kinds that are also finding categories: the model may report these as findings. Sarcastic, passive-aggressive
# and hostile stay tone-level (no category of the contract names them).
MODEL_CATEGORIES = tuple(k for k in RUDE_KINDS if k in CATEGORIES)
FINDING_SOURCES = ("rule", "model")

Verdict = Literal["block", "review", "ok"]


@dataclass(frozen=True)
class Finding:
    """One flagged span: which rule, why, and what to write instead."""

    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    text: str
    message: str
    suggestions: list[str] = field(default_factory=list)
    source: str = "rule"  # "rule" (a rule pack's pattern) or "model" (the tone model's category head)
    score: float | None = None  # the model's probability for its category; None for rule findings


@dataclass(frozen=True)
class Tone:
    """Calibrated tone probabilities for a sentence or a whole reply.

    ``kinds`` holds the model's per-kind probabilities (RUDE_KINDS, multi-label) for a sentence; it feeds model
    findings and is not part of ``to_dict()`` (findings carry what a caller needs).
    """

    label: str
    scores: dict[str, float]
    kinds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": {k: round(v, 4) for k, v in self.scores.items()}}


@dataclass(frozen=True)
class Sentence:
    """A sentence span of the checked text, with its tone once the classifier has run."""

    start: int
    end: int
    tone: Tone | None = None


@dataclass
class Report:
    """Everything tonecheck says about one text. ``to_dict()`` is the public JSON contract."""

    text_length: int
    findings: list[Finding]
    sentences: list[Sentence]
    tone: Tone | None
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "text_length": self.text_length,
            "findings": [_finding_dict(f) for f in self.findings],
            "sentences": [
                {"start": s.start, "end": s.end, "tone": s.tone.to_dict() if s.tone else None}
                for s in self.sentences
            ],
            "tone": self.tone.to_dict() if self.tone else None,
            "verdict": self.verdict,
        }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    out = asdict(finding)
    if out["score"] is not None:
        out["score"] = round(out["score"], 4)
    return out
