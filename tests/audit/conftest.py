"""Audit fixtures: one rules-only audit of every fixture input, shared by the tests that read its outputs."""

from __future__ import annotations

from typing import Any

import pytest
from audit_helpers import ALL_INPUTS, audit, spec_for


@pytest.fixture(scope="module")
def full_audit(rules_checker: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One rules-only audit of every fixture input, shared by the assertions that read its outputs."""
    out = tmp_path_factory.mktemp("audit")
    result = audit(rules_checker, spec_for(*ALL_INPUTS), out)
    result["out"] = out
    return result
