"""tonecheck: catch the words and the tone that turn a fixable complaint into an escalation.

The public surface is what is listed in ``__all__``; everything else may change without notice.
"""

from .api import Checker, check, check_many, decide_verdict
from .errors import (
    InputError,
    ModelUnavailable,
    RulePackError,
    TextTooLong,
    ToneCheckError,
    UnknownPack,
)
from .report import Finding, Report, Sentence, Tone
from .rules import resolve_pack as load_rules
from .settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "Checker",
    "Finding",
    "InputError",
    "ModelUnavailable",
    "Report",
    "RulePackError",
    "Sentence",
    "Settings",
    "TextTooLong",
    "Tone",
    "ToneCheckError",
    "UnknownPack",
    "__version__",
    "check",
    "check_many",
    "decide_verdict",
    "load_rules",
    "load_settings",
]
