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


@dataclass(frozen=True)
class Tone:
    """Calibrated tone probabilities for a sentence or a whole reply."""

    label: str
    scores: dict[str, float]

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
            "findings": [asdict(f) for f in self.findings],
            "sentences": [
                {"start": s.start, "end": s.end, "tone": s.tone.to_dict() if s.tone else None}
                for s in self.sentences
            ],
            "tone": self.tone.to_dict() if self.tone else None,
            "verdict": self.verdict,
        }
