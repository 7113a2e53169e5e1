"""tonecheck: catch the words and the tone that turn a fixable complaint into an escalation.

The public surface is what is listed in ``__all__``; everything else may change without notice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    InputError,
    ModelUnavailable,
    RulePackError,
    TextTooLong,
    ToneCheckError,
    UnknownPack,
)
from .report import Finding, Report, Sentence, Tone
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from .api import Checker, check, check_many, decide_verdict
    from .rules import resolve_pack as load_rules

__version__ = "0.1.0"

# Names whose modules import spaCy (~1.7 s on the 2-core box, most of it torch, which thinc imports): loaded on
# first use (PEP 562), so ``import tonecheck``, ``tonecheck --help`` and the settings never pay for it.
_LAZY = {
    "Checker": ("api", "Checker"),
    "check": ("api", "check"),
    "check_many": ("api", "check_many"),
    "decide_verdict": ("api", "decide_verdict"),
    "load_rules": ("rules", "resolve_pack"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value  # the next lookup is an ordinary one
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

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
