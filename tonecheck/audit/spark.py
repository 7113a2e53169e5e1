"""The audit's core as a Spark ``pandas_udf``, for teams whose replies already sit in a Spark table.

    from tonecheck.audit.spark import audit_udf
    rows = replies.select(audit_udf(fields=FieldMap(id="ticket_id", agent="agent_email", body="body"))(
        F.struct("ordinal", "ticket_id", "agent_email", "sent_at", "subject", "body")).alias("row")).select("row.*")

Each Arrow batch Spark hands the UDF is one pandas frame of export records; the UDF reads them as the JSONL and
Parquet readers read a record (quotes and signature cut, HTML converted, the language checked), checks them
with the process's checker (loaded once per Python worker from the driver's settings, see core.worker_checker)
and returns the store's message row per record, with its finding rows as JSON (frames.ROW_COLUMNS). pyspark is
imported only when the UDF is built, so this module imports without it; :func:`audit_batch` is the whole UDF
body, a plain pandas function.
"""

from __future__ import annotations

from typing import Any

from ..settings import Settings, load_settings
from .core import settings_delta
from .sources import FieldMap

# The UDF's return type: the store's messages columns plus the findings JSON (frames.ROW_COLUMNS, in order).
ROW_DDL = (
    "key string, ordinal bigint, source string, message_id string, agent string, agent_name string, "
    "sent_at string, subject string, status string, error string, pack string, text string, verdict string, "
    "tone_label string, p_polite double, p_neutral double, p_rude double, n_findings bigint, report_json string, "
    "findings string"
)


def audit_batch(records: Any, fields: FieldMap, settings: dict[str, Any], pack: str | None = None,
                batch_size: int = 32, source: str = "table") -> Any:
    """The UDF's body: a pandas frame of export records (``ordinal`` plus the export columns) → a rows frame, one
    row per record in the same order."""
    from .frames import export_items, rows_frame

    return rows_frame(export_items(records, fields, source), settings, pack, batch_size)


def audit_udf(fields: FieldMap | None = None, settings: Settings | None = None, pack: str | None = None,
              batch_size: int = 32, source: str = "table") -> Any:
    """A ``pandas_udf`` over a struct column of export records (``ordinal`` plus the columns ``fields`` names)
    returning a struct of the store's message row and its findings (``ROW_DDL``). ``settings`` default to
    ``load_settings()`` on the driver; only those that differ from the defaults travel to the executors."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    fields = fields or FieldMap()
    delta = settings_delta(settings or load_settings())

    def tonecheck_audit(records: pd.DataFrame) -> pd.DataFrame:
        return audit_batch(records, fields, delta, pack, batch_size, source)

    # Spark reads the hints to choose the UDF's kind (frame in, frame out); this module's annotations are strings
    tonecheck_audit.__annotations__ = {"records": pd.DataFrame, "return": pd.DataFrame}
    return pandas_udf(ROW_DDL)(tonecheck_audit)
