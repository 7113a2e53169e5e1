"""Helpers for the audit tests: fixture inputs with their export field names, and a rules-only audit run."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from tonecheck.audit import AuditStore, FieldMap, InputSpec, RunOptions, run_audit, write_outputs

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CSV_FIELDS = FieldMap(
    id="Ticket ID", agent="Agent", time="Sent", subject="Subject", body="Reply", html="Reply HTML"
)
JSONL_FIELDS = FieldMap(id="ticket.id", agent="author.email", time="created_at", body="text", html="html")
ALL_INPUTS = ("sent.mbox", "truncated.mbox", "garbage.mbox", "eml", "export.csv", "export.jsonl")
CLI_FIELD_ARGS = [
    "--csv-id", "Ticket ID", "--csv-agent", "Agent", "--csv-time", "Sent", "--csv-body", "Reply",
    "--csv-html", "Reply HTML", "--jsonl-id", "ticket.id", "--jsonl-agent", "author.email",
    "--jsonl-time", "created_at", "--jsonl-body", "text",
]


def spec_for(*names: str) -> InputSpec:
    return InputSpec(tuple(FIXTURES / n for n in names), CSV_FIELDS, JSONL_FIELDS)


def audit(checker: Any, spec: InputSpec, out: Path, batch_size: int = 4) -> dict[str, Any]:
    """Run the library audit into ``out`` and return the parsed outputs."""
    with AuditStore(out / "audit.sqlite") as store:
        stats = run_audit(spec, checker, store, RunOptions(batch_size=batch_size))
        summary = write_outputs(store, out)
    return {"stats": stats, "summary": summary, **read_outputs(out)}


def read_outputs(out: Path) -> dict[str, Any]:
    with (out / "messages.csv").open(encoding="utf-8", newline="") as fh:
        messages = list(csv.DictReader(fh))
    with (out / "findings.csv").open(encoding="utf-8", newline="") as fh:
        findings = list(csv.DictReader(fh))
    return {
        "messages": messages,
        "by_key": {m["key"]: m for m in messages},
        "findings": findings,
        "summary_file": json.loads((out / "summary.json").read_text("utf-8")),
        "html": (out / "report.html").read_text("utf-8"),
    }
