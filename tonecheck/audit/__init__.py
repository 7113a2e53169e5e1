"""Bulk audit of sent replies: mail archives and helpdesk exports in, a per-agent report out.

Stages, one module each: sources (readers) → mime and quotes (the agent's own words) → runner (batched
``check_many``) → store (SQLite, resumable) → report (HTML, CSV, JSON). command.py is the CLI wiring.
"""

from .report import write_outputs
from .runner import RunOptions, RunStats, run_audit
from .sources import FieldMap, InputSpec, Item, read_inputs
from .store import AuditStore

__all__ = [
    "AuditStore",
    "FieldMap",
    "InputSpec",
    "Item",
    "RunOptions",
    "RunStats",
    "read_inputs",
    "run_audit",
    "write_outputs",
]
