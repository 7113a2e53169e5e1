"""The audit's core on pandas batches: a frame of items in, a frame of rows out (one row per item, same order).

This is what Dask's ``map_partitions`` (engine_dask.py) and Spark's ``pandas_udf`` (spark.py) call; it wraps
:func:`tonecheck.audit.core.audit_rows` and needs pandas (the ``scale`` extra).

Items frame: ``ordinal`` plus the :class:`~tonecheck.audit.sources.Item` fields (``error`` null for a reply to
check). Rows frame: the store's ``messages`` columns (core.MESSAGE_FIELDS, ``ordinal`` as given) plus
``findings``, the message's finding rows as JSON (a list of lists in core.FINDING_FIELDS order, key left out).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .core import ITEM_FIELDS, MESSAGE_FIELDS, audit_rows, worker_checker
from .sources import Item

ITEM_COLUMNS = ("ordinal", *ITEM_FIELDS)
ROW_COLUMNS = (*MESSAGE_FIELDS, "findings")
_INTS = {"ordinal", "n_findings"}
_FLOATS = {"p_polite", "p_neutral", "p_rude"}


def items_frame(pairs: list[tuple[int, Item]]) -> pd.DataFrame:
    """``(ordinal, item)`` pairs as an items frame (object columns, so nothing is converted on the way)."""
    data = {"ordinal": pd.Series([o for o, _ in pairs], dtype="int64")}
    for name in ITEM_FIELDS:
        data[name] = pd.Series([getattr(item, name) for _, item in pairs], dtype=object)
    return pd.DataFrame(data, columns=list(ITEM_COLUMNS))


def frame_items(frame: pd.DataFrame) -> list[tuple[int, Item]]:
    """The items of an items frame (a missing ``error`` is None, not NaN)."""
    pairs = []
    for record in frame.to_dict("records"):
        values = {name: _text(record.get(name)) for name in ITEM_FIELDS}
        values["error"] = None if _missing(record.get("error")) else str(record["error"])
        pairs.append((int(record["ordinal"]), Item(**values)))
    return pairs


def rows_frame(items: pd.DataFrame, settings: dict[str, Any], pack: str | None = None,
               batch_size: int = 32) -> pd.DataFrame:
    """Check an items frame with the process's checker for ``settings`` (a core.settings_delta) and return its
    rows frame, ``batch_size`` items per check."""
    checker = worker_checker(settings)
    pairs = frame_items(items)
    messages: list[tuple[Any, ...]] = []
    findings: dict[str, list[list[Any]]] = {}
    for start in range(0, len(pairs), batch_size):
        rows = audit_rows(pairs[start:start + batch_size], checker, pack)
        messages += rows.messages
        for finding in rows.findings:
            findings.setdefault(finding[0], []).append(list(finding[1:]))
    return rows_to_frame(messages, findings)


def rows_to_frame(messages: list[tuple[Any, ...]], findings: dict[str, list[list[Any]]]) -> pd.DataFrame:
    """Message rows plus their findings (by key; a duplicate key gets the findings of its own row only, which the
    store never keeps anyway) as a rows frame."""
    columns: dict[str, Any] = {}
    for i, name in enumerate(MESSAGE_FIELDS):
        values = [m[i] for m in messages]
        dtype = "int64" if name in _INTS else "float64" if name in _FLOATS else object
        columns[name] = pd.Series(values, dtype=dtype)
    seen: set[str] = set()
    encoded = []
    for m in messages:
        own = findings.get(m[0], []) if m[0] not in seen else []
        seen.add(m[0])
        encoded.append(json.dumps(own[: m[MESSAGE_FIELDS.index("n_findings")]], ensure_ascii=False))
    columns["findings"] = pd.Series(encoded, dtype=object)
    return pd.DataFrame(columns, columns=list(ROW_COLUMNS))


def frame_rows(frame: pd.DataFrame) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A rows frame back as store rows (messages, findings), nulls as None."""
    messages: list[tuple[Any, ...]] = []
    findings: list[tuple[Any, ...]] = []
    for record in frame.to_dict("records"):
        row = []
        for name in MESSAGE_FIELDS:
            value = record[name]
            if _missing(value):
                value = None
            elif name in _INTS:
                value = int(value)
            elif name in _FLOATS:
                value = float(value)
            row.append(value)
        messages.append(tuple(row))
        findings += [(record["key"], *f) for f in json.loads(record["findings"])]
    return messages, findings


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def export_items(records: pd.DataFrame, fields: Any, source: str = "table") -> pd.DataFrame:
    """An items frame from a frame of helpdesk-export records (a Spark or Parquet table: one column per export
    field, named as ``fields``, a :class:`~tonecheck.audit.sources.FieldMap`, says; ``ordinal`` an int column that
    orders the records), each record read as the JSONL and Parquet readers read one. ``source`` names the table in
    each item's source (``table:row N``, N the ordinal)."""
    from .sources import _export_item

    pairs = []
    for record in records.to_dict("records"):
        ordinal = int(record.pop("ordinal"))
        values = {k: None if _missing(v) else v for k, v in record.items()}
        pairs.append((ordinal, _export_item(values, fields, f"{source}:row {ordinal}")))
    return items_frame(pairs)
