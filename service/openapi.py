"""The OpenAPI 3.1 document served at /openapi.json. Tests validate real responses against these schemas.

Schemas are JSON Schema 2020-12 (OpenAPI 3.1), so ``jsonschema`` checks them directly.
"""

from __future__ import annotations

import copy
from typing import Any

from tonecheck import Settings, __version__
from tonecheck.report import CATEGORIES, SEVERITIES, TONE_LABELS


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_STR = {"type": "string"}
_INT = {"type": "integer", "minimum": 0}
# What str.isspace() calls whitespace, as an ECMA-262 class (JSON Schema patterns are ECMA-262 regexes).
_WS = "\\t-\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL = "^[^\\u0000]*$"
# /v1 texts: no NUL anywhere and at least one character that is not whitespace.
CHECKABLE = f"^[^\\u0000]*[^{_WS}\\u0000][^\\u0000]*$"
_TEXT_RULES = (
    "not empty or whitespace only, no NUL, no lone surrogate, not mostly control characters "
    "(a binary file); anything else is a 422 naming the field"
)
_PACK = {
    "type": ["string", "null"],
    "description": "rule pack name; absent or null: the configured default pack; unknown: 404",
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "code", "message", "field", "request_id"],
                "additionalProperties": False,
                "properties": {
                    "status": {"type": "integer"},
                    "code": {
                        "type": "string",
                        "description": "stable machine-readable reason, e.g. invalid_field, text_too_long",
                    },
                    "message": _STR,
                    "field": {
                        "type": ["string", "null"],
                        "description": "the request field at fault, if any",
                    },
                    "request_id": {"type": ["string", "null"]},
                },
            }
        },
    },
    "Tone": {
        "type": "object",
        "required": ["label", "scores"],
        "additionalProperties": False,
        "properties": {
            "label": {"enum": list(TONE_LABELS)},
            "scores": {
                "type": "object",
                "required": list(TONE_LABELS),
                "additionalProperties": False,
                "properties": {k: {"type": "number", "minimum": 0, "maximum": 1} for k in TONE_LABELS},
            },
        },
    },
    "Finding": {
        "type": "object",
        "required": ["rule_id", "category", "severity", "start", "end", "text", "message", "suggestions"],
        "additionalProperties": False,
        "properties": {
            "rule_id": _STR,
            "category": {"enum": list(CATEGORIES)},
            "severity": {"enum": list(SEVERITIES)},
            "start": {**_INT, "description": "Unicode code point offset (Python str index) into the text"},
            "end": _INT,
            "start_utf16": {**_INT, "description": "with offsets=utf16 on /v1/check: start in UTF-16 code units"},
            "end_utf16": {**_INT, "description": "with offsets=utf16 on /v1/check: end in UTF-16 code units"},
            "text": _STR,
            "message": _STR,
            "suggestions": {"type": "array", "items": _STR},
            "source": {
                "enum": ["rule", "model"],
                "description": "'rule': a rule pack's pattern or word list; 'model': the tone model's category "
                "head (rule ids 'model.<category>', span = the sentence)",
            },
            "score": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 1,
                "description": "the model's probability for the category; null for rule findings",
            },
        },
    },
    "Report": {
        "type": "object",
        "required": ["text_length", "findings", "sentences", "tone", "verdict"],
        "additionalProperties": False,
        "properties": {
            "text_length": _INT,
            "findings": {"type": "array", "items": _ref("Finding")},
            "sentences": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["start", "end", "tone"],
                    "additionalProperties": False,
                    "properties": {
                        "start": _INT,
                        "end": _INT,
                        "tone": {"anyOf": [_ref("Tone"), {"type": "null"}]},
                    },
                },
            },
            "tone": {"anyOf": [_ref("Tone"), {"type": "null"}], "description": "null when the model is off"},
            "verdict": {"enum": ["block", "review", "ok"]},
        },
    },
    "CheckRequest": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": 20000,
                "pattern": CHECKABLE,
                "description": f"the draft; at most http_max_chars characters; {_TEXT_RULES}",
            },
            "pack": _PACK,
            "offsets": {
                "enum": ["codepoints", "utf16"],
                "default": "codepoints",
                "description": "'utf16' adds start_utf16/end_utf16 to each finding (UTF-16 code units, what a "
                "JavaScript string index counts); start/end stay code points. Also as the query parameter "
                "?offsets=utf16",
            },
        },
    },
    "BatchRequest": {
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 64,
                "description": "at most http_max_batch items",
                "items": {
                    "type": "object",
                    "required": ["id", "text"],
                    "properties": {
                        "id": _STR,
                        "text": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 20000,
                            "pattern": CHECKABLE,
                            "description": _TEXT_RULES,
                        },
                    },
                },
            },
            "pack": _PACK,
        },
    },
    "BatchResponse": {
        "type": "object",
        "required": ["results"],
        "additionalProperties": False,
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "report"],
                    "additionalProperties": False,
                    "properties": {"id": _STR, "report": _ref("Report")},
                },
            }
        },
    },
    "Packs": {
        "type": "object",
        "required": ["packs"],
        "properties": {
            "packs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "description", "extends", "rules"],
                    "properties": {
                        "name": _STR,
                        "description": {"type": ["string", "null"]},
                        "extends": {"type": ["string", "null"]},
                        "rules": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["id", "kind", "category", "severity", "message", "description"],
                                "properties": {
                                    "id": _STR,
                                    "kind": _STR,
                                    "category": {"enum": list(CATEGORIES)},
                                    "severity": {"enum": list(SEVERITIES)},
                                    "message": _STR,
                                    "description": _STR,
                                    "words": {"type": "array", "items": _STR},
                                },
                            },
                        },
                    },
                },
            }
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "additionalProperties": False,
        "properties": {"status": {"const": "ok"}},
    },
    "Ready": {
        "type": "object",
        "required": ["status", "packs", "model"],
        "additionalProperties": False,
        "properties": {
            "status": {"const": "ready"},
            "packs": {"type": "array", "items": _STR},
            "model": {
                "type": "boolean",
                "description": "whether the tone model is loaded (false: rules only)",
            },
        },
    },
    "LtCheckForm": {
        "type": "object",
        "description": "LanguageTool's parameters, read as its server reads them (LanguageToolHttpHandler."
        "getRequestQuery): the query string, and on POST the raw body parsed as form data whatever its "
        "Content-Type; a query parameter wins over a body one. Either text or data is required.",
        "required": ["language"],
        "properties": {
            "text": {
                "type": "string",
                "maxLength": 20000,
                "pattern": NO_NUL,
                "description": "plain text; either text or data is required. A blank text gets 200 and no "
                "matches, as on LanguageTool; a NUL or a binary-looking text is a 400",
            },
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "description": 'annotated text as JSON: {"annotation":[{"text":"..."},{"markup":"<b>",'
                '"interpretAs":""}]}, or plain text as {"text":"..."} (metaData ignored); markup is not '
                "checked but counts toward offsets. An empty string is an empty text (200, no matches); "
                "anything else that is not such JSON is a 400",
            },
            "language": {
                "type": "string",
                "description": "a longCode or code from /v2/languages, or auto (detected). Only English is "
                "checked: a text in another language (given or detected) gets no matches, and the language "
                "block names it. An unknown code is a 400",
            },
            "motherTongue": {"type": "string", "description": "a code from /v2/languages (else 400); no effect"},
            "preferredVariants": {
                "type": "string",
                "description": "comma-separated variants such as en-GB, only with language=auto (else 400)",
            },
            "mode": {
                "enum": ["all", "textLevelOnly", "allButTextLevelOnly", "batch"],
                "description": "tonecheck has no text-level rules: textLevelOnly gets no matches, the others "
                "all of them, so an add-in sending both modes sees each match once. Anything else is a 400",
            },
            "level": {"enum": ["default", "picky"], "description": "validated; both give the same matches"},
            "enabledRules": {"type": "string", "description": "comma-separated rule ids (rule or rule_id)"},
            "disabledRules": {"type": "string", "description": "comma-separated rule ids to drop"},
            "enabledCategories": _STR,
            "disabledCategories": _STR,
            "enabledOnly": {
                "type": "string",
                "description": "'yes' or 'true': only enabledRules/enabledCategories (which must be given, and "
                "disabled ones must not: else 400); any other value: off",
            },
            "username": {
                "type": "string",
                "description": "ignored; LanguageTool clients send it with apiKey",
            },
            "apiKey": {
                "type": "string",
                "description": "API key (alternative to the Authorization header, for LanguageTool clients); "
                "only here: /v1 takes the key from the Authorization header alone",
            },
            "pack": {"type": "string", "description": "tonecheck extension: rule pack name"},
        },
    },
    "LtMatch": {
        "type": "object",
        "required": [
            "message",
            "shortMessage",
            "replacements",
            "offset",
            "length",
            "context",
            "sentence",
            "type",
            "rule",
        ],
        "properties": {
            "message": _STR,
            "shortMessage": _STR,
            "replacements": {
                "type": "array",
                "items": {"type": "object", "required": ["value"], "properties": {"value": _STR}},
            },
            "offset": {**_INT, "description": "UTF-16 code units into the submitted text (markup included)"},
            "length": {**_INT, "description": "UTF-16 code units"},
            "context": {
                "type": "object",
                "required": ["text", "offset", "length"],
                "properties": {"text": _STR, "offset": _INT, "length": _INT},
            },
            "sentence": _STR,
            "type": {"type": "object", "required": ["typeName"], "properties": {"typeName": _STR}},
            "rule": {
                "type": "object",
                "required": ["id", "description", "issueType", "category"],
                "properties": {
                    "id": _STR,
                    "description": _STR,
                    "issueType": _STR,
                    "urls": {
                        "type": "array",
                        "items": {"type": "object", "required": ["value"], "properties": {"value": _STR}},
                        "description": "the rule's page on this server (/v2/rules/{id})",
                    },
                    "category": {
                        "type": "object",
                        "required": ["id", "name"],
                        "properties": {"id": _STR, "name": _STR},
                    },
                    "tags": {
                        "type": "array",
                        "items": _STR,
                        "description": "'tonecheck-model' when the tone model, not a rule pattern, found it",
                    },
                },
            },
            "ignoreForIncompleteSentence": {"type": "boolean"},
            "contextForSureMatch": {"type": "integer"},
        },
    },
    "LtResponse": {
        "type": "object",
        "required": ["software", "language", "matches"],
        "properties": {
            "software": {
                "type": "object",
                "required": ["name", "version", "buildDate", "apiVersion"],
                "properties": {
                    "name": _STR,
                    "version": _STR,
                    "buildDate": {**_STR, "description": "when this copy was installed (UTC)"},
                    "apiVersion": {"type": "integer"},
                },
            },
            "warnings": {"type": "object"},
            "language": {
                "type": "object",
                "required": ["name", "code", "detectedLanguage"],
                "properties": {
                    "name": _STR,
                    "code": _STR,
                    "detectedLanguage": {
                        "type": "object",
                        "required": ["name", "code", "confidence", "source"],
                        "properties": {
                            "name": _STR,
                            "code": _STR,
                            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                            "source": {"const": "lingua", "description": "the detector"},
                        },
                    },
                },
            },
            "matches": {
                "type": "array",
                "items": _ref("LtMatch"),
                "description": "one per span, as LanguageTool: where findings overlap the most severe is kept "
                "(/v1 keeps all)",
            },
            "sentenceRanges": {
                "type": "array",
                "items": {"type": "array", "items": _INT, "minItems": 2, "maxItems": 2},
                "description": "[from, to] of each sentence, UTF-16 code units into the submitted text",
            },
            "tonecheck": {
                "type": "object",
                "description": "extension: the Report's verdict and overall tone",
                "required": ["verdict", "tone"],
                "properties": {
                    "verdict": {"enum": ["block", "review", "ok"]},
                    "tone": {"anyOf": [_ref("Tone"), {"type": "null"}]},
                },
            },
        },
    },
    "LtLanguages": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "code", "longCode", "checked"],
            "additionalProperties": False,
            "properties": {
                "name": _STR,
                "code": _STR,
                "longCode": _STR,
                "checked": {
                    "type": "boolean",
                    "description": "tonecheck extension: false for languages accepted but not checked (no matches)",
                },
            },
        },
    },
}

_AUTH_ERRORS = {"401": _error("missing or invalid API key (auth on)")}
_CHECK_ERRORS = {
    "400": _error("the body is not valid JSON (or data is not valid JSON on /v2)"),
    **_AUTH_ERRORS,
    "404": _error("unknown rule pack (field: pack)"),
    "405": _error("wrong method; the Allow header lists the right one"),
    "413": _error("text longer than http_max_chars, too many items, or body too large"),
    "422": _error(
        "a field is missing, of the wrong type, or not checkable (empty/binary text); field names it"
    ),
    "429": {
        **_error("rate limit exceeded (per client address or per API key); wait Retry-After seconds"),
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    },
    "503": {
        **_error(
            "the tone model is unavailable (model_unavailable), or the check ran past the time budget "
            "http_check_budget_s (check_over_budget), or no check slot came free within it (check_busy; "
            "wait Retry-After seconds)"
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    },
}
_BEARER = [{"bearerAuth": []}]


def _lt_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"text/plain": {"schema": {"type": "string", "pattern": "^Error: "}}},
    }


# /v2 errors as LanguageTool's server sends them (LanguageToolHttpHandler): text/plain "Error: <message>".
_LT_ERRORS = {
    "400": _lt_error("a parameter is missing or wrong, data is not valid JSON, or the text is not checkable"),
    "403": _lt_error("missing or invalid API key (auth on)"),
    "404": _lt_error("unknown rule pack, or no such rule"),
    "405": _lt_error("wrong method"),
    "413": _lt_error("text longer than http_max_chars, or body too large"),
    "429": {
        **_lt_error("rate limit exceeded (per client address or per API key); wait Retry-After seconds"),
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    },
    "500": _lt_error("internal error"),
    "503": _lt_error("the tone model is unavailable, or the server is busy"),
}
_LT_QUERY = [
    {"name": name, "in": "query", "required": False, "schema": _STR}
    for name in (
        "text", "data", "language", "motherTongue", "preferredVariants", "mode", "level", "enabledRules",
        "disabledRules", "enabledCategories", "disabledCategories", "enabledOnly", "username", "apiKey", "pack",
    )
]

PATHS: dict[str, Any] = {
    "/v1/check": {
        "post": {
            "summary": "Check one draft",
            "security": _BEARER,
            "parameters": [
                {
                    "name": "offsets",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["codepoints", "utf16"]},
                    "description": "as the body field offsets (the body field wins)",
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("CheckRequest")}},
            },
            "responses": {"200": _json(_ref("Report"), "the Report"), **_CHECK_ERRORS},
        }
    },
    "/v1/check/batch": {
        "post": {
            "summary": "Check many drafts in one model pass; reports come back in request order",
            "security": _BEARER,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("BatchRequest")}},
            },
            "responses": {
                "200": _json(_ref("BatchResponse"), "one report per item, in order"),
                **_CHECK_ERRORS,
            },
        }
    },
    "/v1/packs": {
        "get": {
            "summary": "Rule packs and their rules",
            "security": _BEARER,
            "responses": {
                "200": _json(_ref("Packs"), "every pack"),
                **_AUTH_ERRORS,
                "405": _CHECK_ERRORS["405"],
                "429": _CHECK_ERRORS["429"],
                "503": _error("the tone model is unavailable"),
            },
        }
    },
    "/v2/check": {
        "get": {
            "summary": "LanguageTool-compatible check, parameters in the query string",
            "security": [{"bearerAuth": []}, {}],
            "description": "Parameters as LtCheckForm. With auth on, send the key as a Bearer token or apiKey.",
            "parameters": _LT_QUERY,
            "responses": {"200": _json(_ref("LtResponse"), "LanguageTool's response shape"), **_LT_ERRORS},
        },
        "post": {
            "summary": "LanguageTool-compatible check (the body is read as form data whatever its Content-Type)",
            "security": [{"bearerAuth": []}, {}],
            "description": "With auth on, send the key as a Bearer token or as the parameter apiKey. Parameters "
            "may also come in the query string, which wins over the body.",
            "parameters": _LT_QUERY,
            "requestBody": {
                "required": False,
                "content": {
                    media: {"schema": _ref("LtCheckForm")}
                    for media in (
                        "application/x-www-form-urlencoded",
                        "multipart/form-data",
                        "application/json",
                        "text/plain",
                        "*/*",
                    )
                },
            },
            "responses": {"200": _json(_ref("LtResponse"), "LanguageTool's response shape"), **_LT_ERRORS},
        },
    },
    "/v2/rules/{rule_id}": {
        "get": {
            "summary": "A rule's page, the target of a match's rule.urls (plain text, public)",
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": _STR}],
            "responses": {
                "200": {"description": "the rule", "content": {"text/plain": {"schema": _STR}}},
                "404": _LT_ERRORS["404"],
                "405": _LT_ERRORS["405"],
            },
        }
    },
    "/v2/languages": {
        "get": {
            "summary": "Languages, in LanguageTool's shape (public)",
            "responses": {
                "200": _json(_ref("LtLanguages"), "languages a client may send; checked: which get matches"),
                "405": _LT_ERRORS["405"],
                "429": _LT_ERRORS["429"],
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "Process is up (public)",
            "responses": {"200": _json(_ref("Health"), "up"), "405": _CHECK_ERRORS["405"]},
        }
    },
    "/readyz": {
        "get": {
            "summary": "Model and rule packs loaded (public)",
            "responses": {
                "200": _json(_ref("Ready"), "ready to check"),
                "405": _CHECK_ERRORS["405"],
                "503": _error("not ready: the model is unavailable"),
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document (public)",
            "responses": {
                "200": _json({"type": "object"}, "OpenAPI 3.1 document"),
                "405": _CHECK_ERRORS["405"],
            },
        }
    },
    "/": {
        "get": {
            "summary": "The draft page for reps (HTML, public; calls /v1/check)",
            "responses": {"200": {"description": "HTML page", "content": {"text/html": {"schema": _STR}}}},
        }
    },
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "tonecheck",
        "version": __version__,
        "description": "Tone checks for customer-support replies. Every error under /v1 is an "
        "Error object; under /v2 errors are LanguageTool's text/plain 'Error: <message>'. "
        "Unknown paths (a '//' included) answer 404 with an Error object. OPTIONS answers "
        '{"allow": [methods]}. Requests gunicorn cannot parse (a request line over 4094 bytes: 414, too many or '
        "too large header fields: 431, malformed HTTP: 400) are answered by gunicorn in text/plain before they "
        "reach the service.",
    },
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "tonecheck API key"}
        },
    },
}


def document(settings: Settings | None = None) -> dict[str, Any]:
    """A fresh copy, so no caller can change what the next request sees, with this server's limits filled in."""
    settings = settings or Settings()
    doc = copy.deepcopy(_DOCUMENT)
    schemas = doc["components"]["schemas"]
    schemas["CheckRequest"]["properties"]["text"]["maxLength"] = settings.http_max_chars
    items = schemas["BatchRequest"]["properties"]["items"]
    items["maxItems"] = settings.http_max_batch
    items["items"]["properties"]["text"]["maxLength"] = settings.http_max_chars
    schemas["LtCheckForm"]["properties"]["text"]["maxLength"] = settings.http_max_chars
    if not settings.auth:  # open mode asks for no key, so the document must not say one is required
        for item in doc["paths"].values():
            for operation in item.values():
                operation.pop("security", None)
    return doc
