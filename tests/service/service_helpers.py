"""Helpers shared by the service tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import os
from typing import Any

import jsonschema

from service.openapi import document

ENV_KEY = "test-env-key-0123456789"
IN_CI = os.environ.get("CI", "").lower() == "true"


# ----------------------------------------------------------------------------- OpenAPI conformance


def assert_documented(path: str, method: str, status: int, body: Any, media: str = "application/json") -> None:
    """The response's status is documented for this operation and its body validates against that schema."""
    doc = document()
    operation = doc["paths"][path][method.lower()]
    assert str(status) in operation["responses"], f"{method} {path} answered undocumented status {status}"
    schema = operation["responses"][str(status)]["content"][media]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    validator.validate(body)
