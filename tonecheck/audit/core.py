"""The audit's core as one pure function: a batch of items in, the rows the store holds out.

:func:`audit_rows` takes ``(ordinal, Item)`` pairs and a :class:`~tonecheck.Checker` and returns the ``messages``
and ``findings`` rows exactly as :class:`~tonecheck.audit.store.AuditStore` stores them (same columns, same
values, scores rounded to report precision). It reads nothing, writes nothing and keeps no state, so every engine
runs the same code: the embedded runner (SQLite, one machine), Dask's ``map_partitions`` (engine_dask.py) and a
Spark ``pandas_udf`` (spark.py).

A distributed worker gets its checker from :func:`worker_checker`, which loads it once per process from the
settings the driver sent (only the ones that differ from the defaults travel, so the packs and the model are
found in the worker's own installed package).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import InputError, TextTooLong
from ..report import Report
from ..settings import Settings
from .sources import Item
from .store import Outcome

# Column order of the store's tables (store.py _SCHEMA); the tuples below follow it.
MESSAGE_FIELDS = (
    "key", "ordinal", "source", "message_id", "agent", "agent_name", "sent_at", "subject", "status", "error",
    "pack", "text", "verdict", "tone_label", "p_polite", "p_neutral", "p_rude", "n_findings", "report_json",
)
FINDING_FIELDS = (
    "key", "idx", "rule_id", "category", "severity", "start", "end", "text", "message", "suggestions",
    "finding_source", "score",
)
ITEM_FIELDS = tuple(f.name for f in fields(Item))


@dataclass(frozen=True)
class AuditRows:
    """Rows for the store: ``messages`` in MESSAGE_FIELDS order, ``findings`` in FINDING_FIELDS order."""

    messages: list[tuple[Any, ...]]
    findings: list[tuple[Any, ...]]


def audit_rows(batch: Sequence[tuple[int, Item]], checker: Any, pack: str | None = None) -> AuditRows:
    """Check a batch of ``(ordinal, item)`` pairs in one ``check_items`` pass and return their rows.

    Items that are already error rows, or longer than ``max_chars``, become error rows without being checked; a
    text the checker rejects becomes an error row and costs only itself. Rows come back in the batch's order.
    Duplicate keys are not removed here: the first row of a key (by ordinal) is the one a store keeps.
    """
    return outcome_rows(check_outcomes(batch, checker, pack), checker.pack(pack).spec.name)


def check_outcomes(batch: Sequence[tuple[int, Item]], checker: Any, pack: str | None = None) -> list[Outcome]:
    """The batch's outcomes (report or error) in the batch's order."""
    max_chars = checker.settings.max_chars
    outcomes: list[Outcome | None] = []
    pending: list[tuple[int, Item, int]] = []  # (position in batch, item, ordinal)
    for ordinal, item in batch:
        error = item.error
        if error is None and len(item.text) > max_chars:
            error = str(TextTooLong(len(item.text), max_chars))
        if error is not None:
            outcomes.append(Outcome(item, ordinal, error=error))
        else:
            pending.append((len(outcomes), item, ordinal))
            outcomes.append(None)
    if pending:
        texts = ((item.text, (where, item, ordinal)) for where, item, ordinal in pending)
        for (where, item, ordinal), result in checker.check_items(texts, pack=pack, batch_size=len(pending)):
            outcomes[where] = _outcome(item, ordinal, result)
    return [o for o in outcomes if o is not None]


def _outcome(item: Item, ordinal: int, result: Report | InputError) -> Outcome:
    if isinstance(result, Report):
        return Outcome(item, ordinal, report=result)
    return Outcome(item, ordinal, error=f"rejected by checker: {result}")


def outcome_rows(outcomes: Iterable[Outcome], pack: str) -> AuditRows:
    """The store's rows for these outcomes (the values AuditStore.write_batch writes)."""
    messages: list[tuple[Any, ...]] = []
    findings: list[tuple[Any, ...]] = []
    for outcome in outcomes:
        item, report = outcome.item, outcome.report
        tone = report.tone if report is not None else None
        scores = tone.scores if tone is not None else {}
        messages.append((
            item.key, outcome.ordinal, item.source, item.message_id, item.agent, item.agent_name, item.sent_at,
            item.subject, "ok" if report is not None else "error", outcome.error if report is None else None,
            pack, item.text, report.verdict if report else None, tone.label if tone else None,
            _round(scores.get("polite")), _round(scores.get("neutral")), _round(scores.get("rude")),
            len(report.findings) if report else 0,
            json.dumps(report.to_dict(), ensure_ascii=False) if report else None,
        ))
        if report is not None:
            findings += [
                (item.key, i, f.rule_id, f.category, f.severity, f.start, f.end, f.text, f.message,
                 json.dumps(f.suggestions, ensure_ascii=False), f.source, _round(f.score))
                for i, f in enumerate(report.findings)
            ]
    return AuditRows(messages, findings)


def _round(value: float | None) -> float | None:
    """Scores at report precision, as the store keeps them."""
    return None if value is None else round(float(value), 4)


# ----------------------------------------------------------------------------- workers


def settings_delta(settings: Settings) -> dict[str, Any]:
    """The settings that differ from the defaults: what a driver sends its workers. Default paths (the packs and
    model inside the installed package) stay out, so each worker finds them in its own installation."""
    defaults = Settings()
    return {f.name: getattr(settings, f.name) for f in fields(Settings)
            if getattr(settings, f.name) != getattr(defaults, f.name)}


_CHECKERS: dict[tuple[tuple[str, Any], ...], Any] = {}  # the loaded model, once per worker process


def worker_checker(delta: dict[str, Any]) -> Any:
    """The checker for these settings, loaded on the first call in this process and then kept."""
    from ..api import Checker

    key = tuple(sorted(delta.items()))
    if key not in _CHECKERS:
        _CHECKERS.clear()  # one checker per process: another configuration replaces it
        _CHECKERS[key] = Checker.load(replace(Settings(), **delta))
    return _CHECKERS[key]
