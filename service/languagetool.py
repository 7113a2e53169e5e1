"""The LanguageTool adapter: LanguageTool's request fields in, ``Report.to_dict()`` out as LanguageTool JSON.

Pure functions, no Flask. Two translations matter:

* offsets: LanguageTool counts UTF-16 code units (Java strings), tonecheck counts Python characters, so every
  emoji or other astral character before a match shifts it by one; :class:`Utf16` converts.
* annotated text (``data``): markup parts are not checked but count toward offsets. We check the text parts
  joined with each markup's ``interpretAs`` and map every checked character back to the client's text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tonecheck import __version__

from .errors import ApiError

CONTEXT_CHARS = 40
# (name, code, longCode) as LanguageTool's /v2/languages lists them; tonecheck checks English only.
LANGUAGES = (
    ("English", "en", "en"),
    ("English (US)", "en", "en-US"),
    ("English (GB)", "en", "en-GB"),
    ("English (Australian)", "en", "en-AU"),
    ("English (Canadian)", "en", "en-CA"),
    ("English (New Zealand)", "en", "en-NZ"),
    ("English (South African)", "en", "en-ZA"),
)
_BY_CODE = {long.lower(): (name, long) for name, _, long in LANGUAGES}


def languages() -> list[dict[str, str]]:
    return [{"name": name, "code": code, "longCode": long} for name, code, long in LANGUAGES]


def resolve_language(value: str) -> tuple[str, str]:
    """(name, longCode) for a ``language`` field; ``auto`` means English (US)."""
    key = value.strip().replace("_", "-").lower()
    if key == "auto":
        key = "en-us"
    if key not in _BY_CODE:
        message = f"unsupported language {value[:20]!r}: tonecheck checks English only"
        raise ApiError.invalid("language", message)
    return _BY_CODE[key]


# ----------------------------------------------------------------------------- input


@dataclass(frozen=True)
class LtText:
    """The client's text (what its offsets count), what tonecheck checks, and the map between the two."""

    original: str
    checked: str
    starts: tuple[int, ...] | None = None  # checked index -> original index of that character's start
    ends: tuple[int, ...] | None = None  # checked index -> original index just past that character

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def plain(text: str) -> LtText:
    return LtText(text, text)


def annotated(raw: str) -> LtText:
    """Parse ``data``: ``{"annotation": [{"text": ..} | {"markup": .., "interpretAs": ..}]}``."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError.malformed(f"field 'data' is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ApiError.malformed("field 'data' is nested too deeply") from None
    parts = data.get("annotation") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        raise ApiError.invalid("data", "field 'data' must be a JSON object with an 'annotation' array")
    original: list[str] = []
    checked: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for i, part in enumerate(parts):
        text, markup, interpret = _part(part, i)
        if text is not None:
            original.append(text)
            checked.append(text)
            starts.extend(range(pos, pos + len(text)))
            ends.extend(range(pos + 1, pos + len(text) + 1))
            pos += len(text)
        else:
            assert markup is not None
            original.append(markup)
            checked.append(interpret)
            starts.extend([pos] * len(interpret))
            ends.extend([pos + len(markup)] * len(interpret))
            pos += len(markup)
    return LtText("".join(original), "".join(checked), tuple(starts), tuple(ends))


def _part(part: Any, i: int) -> tuple[str | None, str | None, str]:
    field = f"data.annotation[{i}]"
    if not isinstance(part, dict) or ("text" in part) == ("markup" in part):
        raise ApiError.invalid(field, f"{field} must be an object with either 'text' or 'markup'")
    if "text" in part:
        if not isinstance(part["text"], str):
            raise ApiError.invalid(f"{field}.text", f"{field}.text must be a string")
        return part["text"], None, ""
    markup, interpret = part["markup"], part.get("interpretAs", "")
    if not isinstance(markup, str) or not isinstance(interpret, str):
        raise ApiError.invalid(field, f"{field}.markup and .interpretAs must be strings")
    return None, markup, interpret


def rule_filter(
    enabled: Iterable[str], disabled: Iterable[str], enabled_only: bool,
    enabled_categories: Iterable[str] = (), disabled_categories: Iterable[str] = (),
) -> Any:
    """A predicate on findings for LanguageTool's enabledRules/disabledRules/enabledOnly/…Categories.

    A rule id names a finding's ``rule_id`` or its rule (the part before the dot: ``banned`` covers
    ``banned.asinine``); category ids are LanguageTool-style upper case (``BANNED_WORD``).
    """
    enabled, disabled = set(enabled), set(disabled)
    en_cats = {c.upper() for c in enabled_categories}
    dis_cats = {c.upper() for c in disabled_categories}
    if enabled_only and not (enabled or en_cats):
        raise ApiError.invalid("enabledRules", "enabledOnly=true needs enabledRules or enabledCategories")

    def keep(finding: dict[str, Any]) -> bool:
        ids = {finding["rule_id"], finding["rule_id"].split(".", 1)[0]}
        category = finding["category"].upper()
        if ids & disabled or category in dis_cats:
            return False
        return not enabled_only or bool(ids & enabled) or category in en_cats

    return keep


def split_ids(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").split(",") if x.strip()]


# ----------------------------------------------------------------------------- output


class Utf16:
    """Python index -> UTF-16 code-unit index for one string (identity when it has no astral characters)."""

    def __init__(self, text: str) -> None:
        self._prefix: list[int] | None = None
        if any(ord(c) > 0xFFFF for c in text):
            prefix, units = [0], 0
            for c in text:
                units += 2 if ord(c) > 0xFFFF else 1
                prefix.append(units)
            self._prefix = prefix

    def __call__(self, index: int) -> int:
        return index if self._prefix is None else self._prefix[index]


# The report of a blank text, which the library refuses to check (InputError) but LanguageTool answers.
EMPTY_REPORT: dict[str, Any] = {"findings": [], "sentences": [], "tone": None, "verdict": "ok"}


def response(
    source: LtText, report: dict[str, Any], language: tuple[str, str], rules: dict[str, dict[str, Any]],
    keep: Any = None,
) -> dict[str, Any]:
    """LanguageTool's /v2/check answer; ``report`` is ``Report.to_dict()`` of ``source.checked``."""
    name, code = language
    findings = [f for f in report["findings"] if keep is None or keep(f)]
    u16 = Utf16(source.original)
    return {
        "software": {
            "name": "tonecheck",
            "version": __version__,
            "buildDate": None,
            "apiVersion": 1,
            "premium": False,
            "status": "",
        },
        "warnings": {"incompleteResults": False},
        "language": {
            "name": name,
            "code": code,
            "detectedLanguage": {"name": name, "code": code, "confidence": 1.0},
        },
        "matches": [_match(source, f, report["sentences"], u16, rules) for f in findings],
        "tonecheck": {"verdict": report["verdict"], "tone": report["tone"]},
    }


def _match(
    source: LtText, f: dict[str, Any], sentences: Sequence[dict[str, Any]], u16: Utf16,
    rules: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    start, end = source.to_original(f["start"], f["end"])
    rule = rules.get(f["rule_id"]) or rules.get(f["rule_id"].split(".", 1)[0]) or {}
    category = f["category"]
    return {
        "message": f["message"],
        "shortMessage": _category_name(category),
        "replacements": [{"value": s} for s in f["suggestions"]],
        "offset": u16(start),
        "length": u16(end) - u16(start),
        "context": _context(source.original, start, end),
        "sentence": _sentence(source.checked, f["start"], sentences),
        "type": {"typeName": "Hint" if f["severity"] == "info" else "Other"},
        "rule": {
            "id": f["rule_id"],
            "description": rule.get("description") or f["message"],
            "issueType": "style",
            "category": {"id": category.upper(), "name": _category_name(category)},
            # LanguageTool marks rules that may be off ("picky"); we mark what the tone model found
            "tags": ["tonecheck-model"] if f.get("source") == "model" else [],
        },
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
    }


def _category_name(category: str) -> str:
    return category.replace("_", " ").capitalize()


def _context(text: str, start: int, end: int) -> dict[str, Any]:
    """LanguageTool's context window: up to 40 characters either side, '...' where cut, newlines as spaces."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    head = "..." if lo > 0 else ""
    window = head + text[lo:hi].replace("\n", " ").replace("\r", " ") + ("..." if hi < len(text) else "")
    u16 = Utf16(window)
    offset = len(head) + (start - lo)
    return {"text": window, "offset": u16(offset), "length": u16(offset + end - start) - u16(offset)}


def _sentence(checked: str, start: int, sentences: Sequence[dict[str, Any]]) -> str:
    for s in sentences:
        if s["start"] <= start < s["end"]:
            return checked[s["start"] : s["end"]]
    return ""
