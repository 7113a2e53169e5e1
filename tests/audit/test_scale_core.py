"""The audit's core function: a batch of items in, exactly the rows the embedded run's store holds out; and the
pandas-level function that Dask's map_partitions and Spark's pandas_udf wrap."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from audit_helpers import ALL_INPUTS, spec_for

from tonecheck import load_settings
from tonecheck.audit import read_inputs
from tonecheck.audit.core import (
    FINDING_FIELDS,
    MESSAGE_FIELDS,
    audit_rows,
    settings_delta,
    worker_checker,
)
from tonecheck.audit.frames import frame_rows, items_frame, rows_frame


def stored_rows(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The store's rows in core's column order, messages by ordinal, findings by ordinal and index."""
    messages = ", ".join(f'm."{c}"' for c in MESSAGE_FIELDS)
    findings = ", ".join(f'f."{c}"' for c in FINDING_FIELDS)
    with sqlite3.connect(db) as conn:
        return (
            conn.execute(f"SELECT {messages} FROM messages m ORDER BY m.ordinal").fetchall(),
            conn.execute(f"SELECT {findings} FROM findings f JOIN messages m USING (key) ORDER BY m.ordinal, f.idx")
            .fetchall(),
        )


def first_of_each_key(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    seen: set[str] = set()
    return [r for r in rows if not (r[0] in seen or seen.add(r[0]))]


def test_core_rows_are_the_rows_the_embedded_store_holds(rules_checker: Any, full_audit: dict[str, Any]) -> None:
    pairs = list(enumerate(read_inputs(spec_for(*ALL_INPUTS))))
    rows = audit_rows(pairs, rules_checker)  # one batch; the embedded run checked batches of 4
    messages, findings = stored_rows(full_audit["out"] / "audit.sqlite")
    assert first_of_each_key(rows.messages) == messages
    kept = {m[0] for m in messages}
    assert [f for f in rows.findings if f[0] in kept] == findings
    assert findings and any(m[8] == "error" for m in messages)  # the fixtures have both kinds of row


def test_core_is_pure_and_batching_does_not_change_rows(rules_checker: Any) -> None:
    pairs = list(enumerate(read_inputs(spec_for("sent.mbox", "export.csv"))))
    whole = audit_rows(pairs, rules_checker)
    assert audit_rows(pairs, rules_checker) == whole
    ones = [audit_rows([p], rules_checker) for p in pairs]
    assert [m for r in ones for m in r.messages] == whole.messages
    assert [f for r in ones for f in r.findings] == whole.findings


def test_too_long_and_rejected_texts_become_error_rows_alone(rules_checker: Any) -> None:
    pairs = list(enumerate(read_inputs(spec_for("sent.mbox"))))
    ok = next(p for p in pairs if p[1].error is None)
    too_long = (90, replace(ok[1], key="k:long", text="a" * (rules_checker.settings.max_chars + 1)))
    blank = (91, replace(ok[1], key="k:blank", text="   "))
    rows = audit_rows([too_long, ok, blank], rules_checker)
    by_key = {m[0]: m for m in rows.messages}
    assert [m[0] for m in rows.messages] == ["k:long", ok[1].key, "k:blank"]
    limit = rules_checker.settings.max_chars
    assert by_key["k:long"][8:10] == ("error", f"text is {limit + 1:,} characters long; the limit is {limit:,}")
    assert by_key["k:blank"][9].startswith("rejected by checker: ")
    assert by_key[ok[1].key][8] == "ok" and by_key[ok[1].key][1] == ok[0]


def test_the_pandas_function_gives_the_same_rows(rules_checker: Any) -> None:
    pairs = list(enumerate(read_inputs(spec_for(*ALL_INPUTS))))
    settings = settings_delta(rules_checker.settings)
    assert settings == {"use_model": False}  # default paths stay out: each worker finds its own install
    frame = rows_frame(items_frame(pairs), settings, batch_size=5)
    assert len(frame) == len(pairs)
    messages, findings = frame_rows(frame)
    rows = audit_rows(pairs, rules_checker)
    assert messages == rows.messages
    kept = {m[0] for m in first_of_each_key(messages)}
    assert findings == [f for f in rows.findings if f[0] in kept]


def test_worker_checker_loads_once_per_process_and_settings() -> None:
    delta = settings_delta(load_settings(env={}, use_model=False))
    first = worker_checker(delta)
    assert worker_checker(dict(delta)) is first
    assert first.classifier is None and first.settings == load_settings(env={}, use_model=False)
