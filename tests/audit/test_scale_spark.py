"""The Spark entry point without Spark: the module imports without pyspark, and the UDF's body (a pandas frame of
export records in, the store's rows out) gives the embedded run's rows. A run on local Spark is a manual check
(docs/scale.md)."""

from __future__ import annotations

import csv
import importlib
import sys
from typing import Any

import pandas as pd
from audit_helpers import CSV_FIELDS, FIXTURES, spec_for

from tonecheck.audit import read_inputs
from tonecheck.audit.core import audit_rows, settings_delta
from tonecheck.audit.frames import ROW_COLUMNS, frame_rows


def test_the_module_imports_without_pyspark_and_declares_the_rows_columns() -> None:
    spark = importlib.import_module("tonecheck.audit.spark")
    assert "pyspark" not in sys.modules
    assert tuple(part.split()[0] for part in spark.ROW_DDL.split(", ")) == ROW_COLUMNS


def test_the_udf_body_gives_the_embedded_rows_of_an_export(rules_checker: Any) -> None:
    from tonecheck.audit.spark import audit_batch

    with (FIXTURES / "export.csv").open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        records = pd.DataFrame(list(csv.DictReader(fh)), dtype=object)
    records.insert(0, "ordinal", range(len(records)))
    frame = audit_batch(records, CSV_FIELDS, settings_delta(rules_checker.settings), batch_size=3)
    assert list(frame.columns) == list(ROW_COLUMNS) and len(frame) == len(records)
    messages, findings = frame_rows(frame)
    expected = audit_rows(list(enumerate(read_inputs(spec_for("export.csv")))), rules_checker)
    assert [m[2] for m in messages] == [f"table:row {n}" for n in range(len(records))]
    assert [(*m[:2], *m[3:]) for m in messages] == [(*m[:2], *m[3:]) for m in expected.messages]  # all but source
    assert findings == expected.findings and findings
