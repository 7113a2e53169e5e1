"""``tonecheck audit --engine dask``: the audit's core on a Dask cluster, resumable through Parquet parts.

1. The driver plans the partitions from the inputs (no message is read here): each mbox, CSV or JSONL file is
   one partition, ``.eml`` files go ``EML_PER_PART`` to a partition in sorted order, and a Parquet input gives one
   partition per run of row groups (about ``PARQUET_ROWS`` rows). Concatenated in plan order the partitions hold
   exactly the items of the embedded run (sources.read_inputs) in the same order.
2. Each partition is read on a worker (the same readers as the embedded run), checked by
   :func:`tonecheck.audit.frames.rows_frame` through ``map_partitions`` (the checker loads once per worker
   process) and written as ``parts/part.NNNNN.parquet`` (under a temporary name, then renamed). A part that is
   already there is not read or checked again, so a killed run resumes at partition granularity.
3. The parts are loaded, in plan order, into the audit's SQLite store (ordinals made global, the first row of
   a key kept, as the embedded run keeps it), and the existing report writer builds report.html, the CSVs and
   summary.json from it: the same outputs as the embedded run.

``parts/manifest.json`` records the plan, the pack and whether the tone model ran; resuming with other inputs or
options is refused (exit 2), as the embedded run refuses another pack or model setting.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..rules import resolve_pack
from ..settings import Settings
from .core import MESSAGE_FIELDS, settings_delta, worker_checker
from .sources import InputSpec, Item, _expand, _export_item, _read_path, check_inputs
from .store import AuditStore

EML_PER_PART = 500
PARQUET_ROWS = 20_000
PARQUET_SUFFIXES = (".parquet", ".pq")
# glibc's allocator for each worker. Dask's own default (MALLOC_TRIM_THRESHOLD_=65536) returns freed memory to the
# OS eagerly, but setting any trim threshold also freezes the mmap threshold at 128 KiB, so every activation
# tensor of the tone model was mmapped, page-faulted and unmapped per layer: the model ran 2.0x slower in a worker
# than in a plain process (bench/scale.py; 2.53 s against 1.27 s for the same 600 replies). A 32 MiB mmap
# threshold keeps tensors on the heap, and a 64 MiB trim threshold still hands back what a large partition freed
# beyond that: as fast as glibc's defaults (docs/scale.md).
MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": str(64 << 20), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}


@dataclass(frozen=True)
class Unit:
    """One partition of the inputs: files read as the embedded run reads them, or Parquet row groups."""

    kind: str  # "files" | "folder" (the error item of a folder without .eml files) | "parquet"
    path: str  # the input path as given (folder, or parquet file)
    files: tuple[tuple[str, str], ...] = ()  # (file, kind) for "files"
    row_groups: tuple[int, ...] = ()  # for "parquet"
    first_row: int = 0  # the first row's number in the parquet file (1-based numbering in sources)


@dataclass
class DaskStats:
    parts: int = 0
    checked: int = 0  # parts checked in this run
    resumed: int = 0  # parts already written by an earlier run
    messages: int = 0  # rows loaded into the store (first row of each key)
    duplicates: int = 0


def plan(spec: InputSpec, eml_per_part: int = EML_PER_PART, parquet_rows: int = PARQUET_ROWS) -> list[Unit]:
    """The partitions of ``spec``'s inputs, in the embedded run's order."""
    units: list[Unit] = []
    for path in spec.paths:
        if is_parquet(path):
            units += _parquet_units(path, spec, parquet_rows)
            continue
        files = [(str(f), kind) for f, kind in _expand(path)]
        if not files:
            units.append(Unit("folder", str(path)))
        eml: list[tuple[str, str]] = []
        for entry in files:
            if entry[1] == "eml":
                eml.append(entry)
                if len(eml) == eml_per_part:
                    units.append(Unit("files", str(path), tuple(eml)))
                    eml = []
                continue
            if eml:
                units.append(Unit("files", str(path), tuple(eml)))
                eml = []
            units.append(Unit("files", str(path), (entry,)))
        if eml:
            units.append(Unit("files", str(path), tuple(eml)))
    return units


def is_parquet(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(PARQUET_SUFFIXES)


def _parquet_units(path: Path, spec: InputSpec, parquet_rows: int) -> list[Unit]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    top = set(pq.read_schema(path).names)
    fields = spec.jsonl_fields
    missing = [f"{n!r} ({k})" for k, n in fields.named().items() if n.split(".")[0] not in top]
    if not missing and fields.body.split(".")[0] not in top and fields.html.split(".")[0] not in top:
        missing = [f"{fields.body!r} (body) or {fields.html!r} (html)"]
    if missing:
        raise InputError(f"{path}: the Parquet file has no column {', '.join(missing)}; "
                         f"its columns are {', '.join(sorted(top))}")
    units, groups, rows, first = [], [], 0, 1
    for g in range(meta.num_row_groups):
        groups.append(g)
        rows += meta.row_group(g).num_rows
        if rows >= parquet_rows:
            units.append(Unit("parquet", str(path), row_groups=tuple(groups), first_row=first))
            first, groups, rows = first + rows, [], 0
    if groups or not units:
        units.append(Unit("parquet", str(path), row_groups=tuple(groups), first_row=first))
    return units


def read_unit(unit: Unit, spec: InputSpec) -> Iterator[Item]:
    """The items of one partition, read as the embedded run reads them."""
    if unit.kind == "folder":
        yield from _read_path(Path(unit.path), spec)  # the folder's one error item
    elif unit.kind == "parquet":
        import pyarrow.parquet as pq

        table = pq.ParquetFile(unit.path).read_row_groups(list(unit.row_groups)) if unit.row_groups else None
        records = table.to_pylist() if table is not None else []
        for number, record in enumerate(records, start=unit.first_row):
            yield _export_item(record, spec.jsonl_fields, f"{unit.path}:row {number}")
    else:
        for file, kind in unit.files:
            yield from _read_file(Path(file), kind, spec)


def _read_file(file: Path, kind: str, spec: InputSpec) -> Iterator[Item]:
    """One file of an input, read by sources' reader for it (a file expands to itself, a Maildir to itself)."""
    yield from _read_path(file, spec)


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class DaskOptions:
    pack: str | None = None
    batch_size: int = 32
    scheduler: str | None = None  # address of a running scheduler; None = a LocalCluster on loopback
    workers: int = 2  # LocalCluster worker processes (one thread each)
    eml_per_part: int = EML_PER_PART
    parquet_rows: int = PARQUET_ROWS


def run_dask(spec: InputSpec, settings: Settings, parts_dir: Path, options: DaskOptions) -> DaskStats:
    """Check every partition not yet written to ``parts_dir``; returns the counters (the rows are in the parts).

    The driver loads no checker: it validates the pack (a bad one fails here, before the cluster starts) and
    sends ``settings`` to the workers, which load theirs (a missing model fails there, with the same error)."""
    import dask
    import dask.dataframe as dd
    import pandas as pd

    from .frames import ROW_COLUMNS, items_frame, rows_frame

    check_inputs(replace(spec, paths=tuple(p for p in spec.paths if not is_parquet(p))))  # Parquet: in plan()
    pack_name = resolve_pack(settings.rules_dir, options.pack or settings.default_pack).name
    units = plan(spec, options.eml_per_part, options.parquet_rows)
    _bind(parts_dir, units, {"pack": pack_name, "tone_model": "on" if settings.use_model else "off"})
    stats = DaskStats(parts=len(units))
    for stale in parts_dir.glob(".part.*.tmp"):  # a part a killed run was writing: computed again below
        stale.unlink(missing_ok=True)
    todo = [(i, u) for i, u in enumerate(units) if not _part_path(parts_dir, i).exists()]
    stats.resumed = len(units) - len(todo)
    if not todo:
        return stats
    delta = settings_delta(settings)
    item_meta = items_frame([]).iloc[:0]
    row_meta = pd.DataFrame({c: pd.Series([], dtype="int64" if c in ("ordinal", "n_findings") else
                             "float64" if c.startswith("p_") else object) for c in ROW_COLUMNS})
    with dask.config.set({"dataframe.convert-string": False}), _client(options) as client:
        items = dd.from_map(_items_of, [u for _, u in todo], spec=spec, meta=item_meta, enforce_metadata=False)
        rows = items.map_partitions(rows_frame, delta, options.pack, options.batch_size, meta=row_meta,
                                    enforce_metadata=False)
        parts = [str(_part_path(parts_dir, i)) for i, _ in todo]
        written = rows.map_partitions(_write_part, parts, meta=pd.DataFrame({"rows": pd.Series([], dtype="int64")}),
                                      enforce_metadata=False)
        client.compute(written.to_delayed(), sync=True)
    stats.checked = len(todo)
    return stats


def preload(settings: dict[str, Any]) -> str:
    """Load this worker's checker now (``client.run(preload, settings_delta(settings))``), so the first partition
    does not pay for it; returns the default pack's name."""
    return str(worker_checker(settings).pack().spec.name)


def _items_of(unit: Unit, spec: InputSpec) -> Any:
    from .frames import items_frame

    return items_frame(list(enumerate(read_unit(unit, spec))))


def _write_part(rows: Any, parts: list[str], partition_info: dict[str, Any] | None = None) -> Any:
    """Write one partition's rows as its part (atomically: a temporary name, then a rename)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert partition_info is not None
    path = Path(parts[partition_info["number"]])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False, schema=_part_schema()), tmp)
    os.replace(tmp, path)
    return pd.DataFrame({"rows": [len(rows)]})


def _part_schema() -> Any:
    import pyarrow as pa

    from .frames import ROW_COLUMNS

    types = {"ordinal": pa.int64(), "n_findings": pa.int64(), "p_polite": pa.float64(), "p_neutral": pa.float64(),
             "p_rude": pa.float64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in ROW_COLUMNS])


def _part_path(parts_dir: Path, index: int) -> Path:
    return parts_dir / f"part.{index:05d}.parquet"


def _bind(parts_dir: Path, units: list[Unit], settings: dict[str, str]) -> None:
    """Record the plan and options at the first run; refuse to resume with other inputs or options."""
    parts_dir.mkdir(parents=True, exist_ok=True)
    manifest = {**settings, "units": [asdict(u) for u in units]}
    path = parts_dir / "manifest.json"
    if path.exists():
        stored = json.loads(path.read_text("utf-8"))
        for name in ("pack", "tone_model"):
            if stored.get(name) != manifest[name]:
                raise InputError(f"{parts_dir}: these parts hold an audit with {name}={stored.get(name)!r}, not "
                                 f"{manifest[name]!r}; use the same options to resume, or another --out")
        if stored.get("units") != json.loads(json.dumps(manifest["units"])):
            raise InputError(f"{parts_dir}: these parts hold an audit of other inputs; use the same inputs to "
                             "resume, or another --out")
        return
    tmp = path.with_name(".manifest.json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


class _client:
    """A distributed Client: to ``scheduler`` when given, else to a LocalCluster on loopback (worker processes,
    one thread each, :data:`MALLOC_ENV` set), closed on exit."""

    def __init__(self, options: DaskOptions) -> None:
        self.options = options
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        if self.options.scheduler:
            self.client = Client(self.options.scheduler)
            return self.client
        import dask

        # glibc reads MALLOC_* once, at process start: they must be in the environment the nanny spawns the
        # worker with ("pre-spawn"), not in `env=`, which is applied inside the already running worker
        spawn_env = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), **MALLOC_ENV}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": spawn_env}):
            self.cluster = LocalCluster(
                n_workers=self.options.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None,
            )
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


# ----------------------------------------------------------------------------- parts → store


def load_parts(parts_dir: Path, store: AuditStore) -> DaskStats:
    """Load every part, in plan order, into ``store``: ordinals made global (each part's count before it added),
    the first row of a key kept (later ones are duplicates, as in the embedded run). One transaction."""
    import pyarrow.parquet as pq

    from .frames import frame_rows

    manifest = json.loads((parts_dir / "manifest.json").read_text("utf-8"))
    store.bind({"pack": manifest["pack"], "tone_model": manifest["tone_model"]})
    stats = DaskStats(parts=len(manifest["units"]))
    known = store.known_keys()
    offset = 0
    columns = ", ".join(f'"{c}"' for c in MESSAGE_FIELDS)
    with store.conn:
        for index in range(len(manifest["units"])):
            path = _part_path(parts_dir, index)
            if not path.exists():
                raise InputError(f"{path}: part missing; run the audit again to finish it")
            messages, findings = frame_rows(pq.read_table(path).to_pandas())
            by_key: dict[str, list[tuple[Any, ...]]] = {}
            for finding in findings:
                by_key.setdefault(finding[0], []).append(finding)
            for row in messages:
                key = row[0]
                if key in known:
                    stats.duplicates += 1
                    continue
                known.add(key)
                row = (key, row[1] + offset, *row[2:])
                store.conn.execute(f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * len(row))})", row)
                store.conn.executemany(
                    'INSERT INTO findings (key, idx, rule_id, category, severity, start, "end", text, message,'
                    " suggestions, finding_source, score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    by_key.get(key, []),
                )
                stats.messages += 1
            offset += len(messages)
    return stats
