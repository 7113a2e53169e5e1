"""The LanguageTool adapter: LanguageTool's request fields in, ``Report.to_dict()`` out as LanguageTool JSON.

Pure functions, no Flask (the routes: service/v2.py). Two translations matter:

* offsets: LanguageTool counts UTF-16 code units (Java strings), tonecheck counts Python characters, so every
  emoji or other astral character before a match shifts it by one; :class:`Utf16` converts.
* annotated text (``data``): markup parts are not checked but count toward offsets. We check the text parts
  joined with each markup's ``interpretAs`` and map every checked character back to the client's text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tonecheck import __version__

from .errors import ApiError

CONTEXT_CHARS = 40
DETECTOR_SOURCE = "lingua"
# (name, code, longCode, checked) as LanguageTool's /v2/languages lists them. tonecheck checks English only; the
# other languages are the ones the detector tells apart, listed so that a client may send them (as
# ``language``, ``motherTongue`` or ``preferredVariants``) without breaking: their texts get no matches.
LANGUAGES = (
    ("English", "en", "en", True),
    ("English (US)", "en", "en-US", True),
    ("English (GB)", "en", "en-GB", True),
    ("English (Australian)", "en", "en-AU", True),
    ("English (Canadian)", "en", "en-CA", True),
    ("English (New Zealand)", "en", "en-NZ", True),
    ("English (South African)", "en", "en-ZA", True),
    ("German", "de", "de", False),
    ("German (Germany)", "de", "de-DE", False),
    ("German (Austria)", "de", "de-AT", False),
    ("German (Swiss)", "de", "de-CH", False),
    ("French", "fr", "fr", False),
    ("Spanish", "es", "es", False),
    ("Italian", "it", "it", False),
    ("Dutch", "nl", "nl", False),
    ("Portuguese", "pt", "pt", False),
    ("Portuguese (Portugal)", "pt", "pt-PT", False),
    ("Portuguese (Brazil)", "pt", "pt-BR", False),
    ("Polish", "pl", "pl-PL", False),
    ("Swedish", "sv", "sv", False),
    ("Danish", "da", "da-DK", False),
)
_BY_CODE = {long.lower(): (name, long) for name, _, long, _ in LANGUAGES}
_CHECKED = {long for _, _, long, checked in LANGUAGES if checked}
# A detected language -> the variant LanguageTool reports for it (Language.getDefaultLanguageVariant).
_DEFAULT_VARIANT = {"en": "en-US", "de": "de-DE", "pt": "pt-PT", "pl": "pl-PL", "da": "da-DK"}
# Texts shorter than this many words are not told apart (a "Thanks!" is any language); they count as English.
MIN_DETECT_WORDS = 3
MIN_DETECT_CONFIDENCE = 0.5
# /v2 statuses as LanguageTool's LanguageToolHttpHandler sends them: a bad parameter is an
# IllegalArgumentException (400), a missing or wrong key an AuthException (403). Others keep tonecheck's status.
ERROR_STATUS = {422: 400, 401: 403}
_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def languages() -> list[dict[str, Any]]:
    """/v2/languages; ``checked`` (a tonecheck extension) says which languages get findings."""
    return [{"name": n, "code": c, "longCode": lc, "checked": ck} for n, c, lc, ck in LANGUAGES]


def resolve_language(value: str, field: str = "language") -> tuple[str, str]:
    """(name, longCode) for a language code, or a 400 as LanguageTool's Languages.getLanguageForShortCode."""
    key = value.strip().replace("_", "-").lower()
    if key not in _BY_CODE:
        raise ApiError.invalid(
            field, f"'{value[:20]}' is not a language code known to this server; see /v2/languages"
        )
    return _BY_CODE[key]


def is_checked(language: tuple[str, str]) -> bool:
    return language[1] in _CHECKED


# ----------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Options:
    """The /v2/check parameters other than the text, read and validated as LanguageTool's server does."""

    language: str
    mode: str
    level: str
    enabled_only: bool
    enabled_rules: tuple[str, ...]
    disabled_rules: tuple[str, ...]
    enabled_categories: tuple[str, ...]
    disabled_categories: tuple[str, ...]
    preferred_variants: tuple[str, ...]
    mother_tongue: tuple[str, str] | None
    pack: str | None


# Parameter names of LanguageTool's v1 API that v2 refuses with a hint (V2TextChecker.checkParams).
_RENAMED = {
    "enabled": "You specified 'enabled' but the parameter is now called 'enabledRules' in v2 of the API",
    "disabled": "You specified 'disabled' but the parameter is now called 'disabledRules' in v2 of the API",
    "preferredvariants": "You specified 'preferredvariants' but the parameter is now called 'preferredVariants' "
    "(uppercase 'V') in v2 of the API",
    "autodetect": "You specified 'autodetect' but automatic language detection is now activated with "
    "'language=auto' in v2 of the API",
}


def options(params: dict[str, str]) -> Options:
    """Validate as TextChecker.checkParams/checkText, V2TextChecker and ServerTools.getMode/getLevel do."""
    if params.get("text") is None and params.get("data") is None:
        raise ApiError.invalid("text", "Missing 'text' or 'data' parameter")
    if not params.get("language"):
        raise ApiError.invalid(
            "language", "Missing 'language' parameter, e.g. 'language=en-US' for American English"
        )
    for name, message in _RENAMED.items():
        if params.get(name) is not None:
            raise ApiError.invalid(name, message)
    mode = params.get("mode") or "all"
    if mode not in ("textLevelOnly", "allButTextLevelOnly", "all", "batch"):
        raise ApiError.invalid(
            "mode", f"Mode must be one of 'textLevelOnly', 'allButTextLevelOnly', or 'all' but was: '{mode[:30]}'"
        )
    level = params.get("level") or "default"
    if level not in ("default", "picky"):
        raise ApiError.invalid("level", "If 'level' is set, it must be set to 'default' or 'picky'")
    enabled_only = params.get("enabledOnly") in ("yes", "true")
    enabled, disabled = split_ids(params.get("enabledRules")), split_ids(params.get("disabledRules"))
    en_cats, dis_cats = split_ids(params.get("enabledCategories")), split_ids(params.get("disabledCategories"))
    if enabled_only and (disabled or dis_cats):
        raise ApiError.invalid("enabledOnly", "You cannot specify disabled rules or categories using enabledOnly=true")
    variants = split_ids(params.get("preferredVariants"))
    if variants and params["language"] != "auto":
        raise ApiError.invalid(
            "preferredVariants", "You specified 'preferredVariants' but you didn't specify 'language=auto'"
        )
    for variant in variants:
        if "-" not in variant:
            raise ApiError.invalid(
                "preferredVariants",
                f"Invalid format for 'preferredVariants', expected a dash as in 'en-GB': '{variant[:20]}'",
            )
        resolve_language(variant, "preferredVariants")
    if params["language"] != "auto":
        resolve_language(params["language"])
    tongue = params.get("motherTongue")
    return Options(
        language=params["language"],
        mode="all" if mode == "batch" else mode,
        level=level,
        enabled_only=enabled_only,
        enabled_rules=tuple(enabled),
        disabled_rules=tuple(disabled),
        enabled_categories=tuple(en_cats),
        disabled_categories=tuple(dis_cats),
        preferred_variants=tuple(variants),
        mother_tongue=resolve_language(tongue, "motherTongue") if tongue else None,
        pack=params.get("pack") or None,
    )


# ----------------------------------------------------------------------------- language detection


@dataclass(frozen=True)
class Detected:
    """What the detector found: a short code ("de"), its confidence, and whether it was sure enough to act on."""

    code: str
    confidence: float
    sure: bool

    @property
    def language(self) -> tuple[str, str]:
        return _BY_CODE[_DEFAULT_VARIANT.get(self.code, self.code).lower()]


def build_detector() -> Any:
    """A lingua detector for the languages of :data:`LANGUAGES` (models load on first use, then stay loaded)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    codes = sorted({code for _, code, _, _ in LANGUAGES})
    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in codes]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect(detector: Any, text: str, sample: int = 2000) -> Detected:
    """The text's language; texts too short to tell, or unclear, count as English (LanguageTool's fallback)."""
    values = detector.compute_language_confidence_values(text[:sample]) if text.strip() else []
    confidence = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}
    if not confidence:
        return Detected("en", 0.0, False)
    code = max(confidence, key=lambda c: confidence[c])
    sure = len(text.split()) >= MIN_DETECT_WORDS and confidence[code] >= MIN_DETECT_CONFIDENCE
    if code != "en" and not sure:
        return Detected("en", round(confidence.get("en", 0.0), 3), False)
    return Detected(code, round(confidence[code], 3), sure)


def used_language(param: str, detected: Detected, preferred: Sequence[str]) -> tuple[str, str]:
    """The language a check runs as: the given one, or for ``auto`` the detected one with its preferred variant
    (TextChecker.detectLanguageOfString)."""
    if param != "auto":
        return resolve_language(param)
    name, code = detected.language
    for variant in preferred:
        if variant.split("-")[0].lower() == detected.code:
            return resolve_language(variant, "preferredVariants")
    return name, code


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
    """Parse ``data``: ``{"annotation": [{"text": ..} | {"markup": .., "interpretAs": ..}]}``, or ``{"text": ..}``
    (plain text, as ApiV2.getAnnotatedTextFromString takes it; ``metaData`` is ignored)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError.malformed(f"field 'data' is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise ApiError.malformed("field 'data' is nested too deeply") from None
    if isinstance(data, dict) and "text" in data:
        if not isinstance(data["text"], str):
            raise ApiError.invalid("data.text", "data.text must be a string")
        return plain(data["text"])
    parts = data.get("annotation") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        raise ApiError.invalid("data", "'data' needs to be a JSON object with either 'text' or an 'annotation' array")
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
        raise ApiError.invalid(
            "enabledRules", "You must specify enabled rules or categories when using enabledOnly=true"
        )

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
    source: LtText, report: dict[str, Any], language: tuple[str, str], detected: Detected,
    rules: dict[str, dict[str, Any]], keep: Any = None, rule_url: str | None = None,
) -> dict[str, Any]:
    """LanguageTool's /v2/check answer (RuleMatchesAsJsonSerializer); ``report`` is ``Report.to_dict()`` of
    ``source.checked``. Overlapping findings are cut to one per span, as LanguageTool does (/v1 keeps all)."""
    name, code = language
    findings = without_overlaps([f for f in report["findings"] if keep is None or keep(f)])
    u16 = Utf16(source.original)
    det_name, det_code = detected.language
    return {
        "software": {
            "name": "tonecheck",
            "version": __version__,
            "buildDate": build_date(),
            "apiVersion": 1,
            "premium": False,
            "status": "",
        },
        "warnings": {"incompleteResults": False},
        "language": {
            "name": name,
            "code": code,
            "detectedLanguage": {
                "name": det_name,
                "code": det_code,
                "confidence": detected.confidence,
                "source": DETECTOR_SOURCE,
            },
        },
        "matches": [_match(source, f, report["sentences"], u16, rules, rule_url) for f in findings],
        "sentenceRanges": [_range(source, s["start"], s["end"], u16) for s in report["sentences"]],
        "tonecheck": {"verdict": report["verdict"], "tone": report["tone"]},
    }


def without_overlaps(findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding per span, as LanguageTool's CleanOverlappingFilter leaves them: where spans overlap the most
    severe wins (then the earlier, then the longer); the survivors come back in text order."""
    ranked = sorted(findings, key=lambda f: (_SEVERITY_RANK.get(f["severity"], 3), f["start"], f["start"] - f["end"]))
    kept: list[dict[str, Any]] = []
    for f in ranked:
        if all(f["end"] <= k["start"] or k["end"] <= f["start"] for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: (f["start"], f["end"]))


def build_date() -> str:
    """LanguageTool's ``software.buildDate`` is a string ("2024-03-28 16:04"); ours: when this copy was installed."""
    stamp = Path(__file__).stat().st_mtime
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M")


def _range(source: LtText, start: int, end: int, u16: Utf16) -> list[int]:
    lo, hi = source.to_original(start, end)
    return [u16(lo), u16(hi)]


def rule_page(rule: dict[str, Any]) -> str:
    """The text behind ``rule.urls``: what the rule looks for and what it says."""
    lines = [
        f"tonecheck rule {rule['id']}",
        "",
        f"Category: {_category_name(rule['category'])} ({rule['category'].upper()})",
        f"Severity: {rule['severity']}",
        f"Message: {rule['message']}",
        f"Description: {rule['description']}",
    ]
    if rule.get("words"):
        lines.append("Words: " + ", ".join(rule["words"]))
    return "\n".join(lines) + "\n"


def _match(
    source: LtText, f: dict[str, Any], sentences: Sequence[dict[str, Any]], u16: Utf16,
    rules: dict[str, dict[str, Any]], rule_url: str | None,
) -> dict[str, Any]:
    start, end = source.to_original(f["start"], f["end"])
    rule = rules.get(f["rule_id"]) or rules.get(f["rule_id"].split(".", 1)[0]) or {}
    category = f["category"]
    rule_id = rule.get("id") or f["rule_id"]
    urls = [{"value": rule_url.format(quote(rule_id, safe=""))}] if rule_url else []
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
            "urls": urls,
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
