"""``--engine dask`` on a real LocalCluster (2 worker processes on loopback, the engine's own cluster): the same
rows and byte-identical output files as the embedded run on the same fixtures, Parquet input, resume from parts."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from audit_helpers import ALL_INPUTS, CLI_FIELD_ARGS, FIXTURES, spec_for
from test_scale_core import stored_rows

from tonecheck import load_settings
from tonecheck.audit import AuditStore, InputSpec, read_inputs, write_outputs
from tonecheck.audit.core import audit_rows
from tonecheck.audit.engine_dask import DaskOptions, _client, load_parts, plan, run_dask
from tonecheck.cli import Environment, main
from tonecheck.errors import InputError, UnknownPack

OUTPUT_FILES = ("messages.csv", "findings.csv", "summary.json", "report.html", "feedback.csv")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The LocalCluster the engine starts when no --scheduler is given, shared by this module's runs."""
    with _client(DaskOptions()) as client:
        yield client.scheduler.address


def dask_audit(checker: Any, spec: InputSpec, out: Path, scheduler: str, **options: Any) -> tuple[Any, Any]:
    stats = run_dask(spec, checker.settings, out / "parts", DaskOptions(scheduler=scheduler, batch_size=4, **options))
    with AuditStore(out / "audit.sqlite") as store:
        loaded = load_parts(out / "parts", store)
        write_outputs(store, out)
    return stats, loaded


def test_the_local_cluster_is_two_worker_processes_on_loopback_with_our_malloc_settings(scheduler: str) -> None:
    from distributed import Client

    assert scheduler.startswith("tcp://127.0.0.1:")
    with Client(scheduler) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2 and all(a.startswith("tcp://127.0.0.1:") for a in workers)
        assert set(client.run(os.getpid).values()).isdisjoint({os.getpid()})
        env = client.run(lambda: " ".join(os.environ.get(f"MALLOC_{k}_THRESHOLD_", "-") for k in ("TRIM", "MMAP")))
        assert set(env.values()) == {f"{64 << 20} {32 << 20}"}  # not Dask's 65536 trim: see engine_dask.MALLOC_ENV


def test_dask_outputs_are_identical_to_the_embedded_run(
    rules_checker: Any, full_audit: dict[str, Any], scheduler: str, tmp_path: Path
) -> None:
    spec = spec_for(*ALL_INPUTS)
    units = plan(spec, eml_per_part=1)
    assert [u.kind for u in units] == ["files"] * len(units) and len(units) == 7  # the 2 .eml files: 2 parts
    stats, loaded = dask_audit(rules_checker, spec, tmp_path, scheduler, eml_per_part=1)
    assert (stats.parts, stats.checked, stats.resumed) == (7, 7, 0)
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == [
        "manifest.json", *(f"part.{i:05d}.parquet" for i in range(7))
    ]
    assert stored_rows(tmp_path / "audit.sqlite") == stored_rows(full_audit["out"] / "audit.sqlite")
    assert loaded.messages == full_audit["summary"]["messages"]
    for name in OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (full_audit["out"] / name).read_bytes(), name


def test_a_rerun_checks_only_the_missing_parts_and_writes_the_same_files(
    rules_checker: Any, full_audit: dict[str, Any], scheduler: str, tmp_path: Path
) -> None:
    spec = spec_for(*ALL_INPUTS)
    dask_audit(rules_checker, spec, tmp_path, scheduler)
    parts = tmp_path / "parts"
    kept = {p.name: p.stat().st_mtime_ns for p in parts.glob("part.*.parquet") if p.name != "part.00002.parquet"}
    (parts / "part.00002.parquet").unlink()  # as if the run had been killed before this part was written
    (parts / ".part.00002.parquet.999.tmp").write_bytes(b"half a part")  # and left a temporary file behind
    (tmp_path / "audit.sqlite").unlink()
    stats, _ = dask_audit(rules_checker, spec, tmp_path, scheduler)
    assert (stats.checked, stats.resumed) == (1, stats.parts - 1)
    assert {p.name: p.stat().st_mtime_ns for p in parts.glob("part.*.parquet") if p.name in kept} == kept
    assert not list(parts.glob(".*.tmp"))
    for name in OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (full_audit["out"] / name).read_bytes(), name
    again, loaded = dask_audit(rules_checker, spec, tmp_path, scheduler)  # all parts there: nothing to check
    assert (again.checked, again.resumed, loaded.messages) == (0, again.parts, 0)


def test_resuming_with_other_inputs_is_refused(rules_checker: Any, scheduler: str, tmp_path: Path) -> None:
    dask_audit(rules_checker, spec_for("sent.mbox"), tmp_path, scheduler)
    with pytest.raises(InputError, match="other inputs"):
        run_dask(spec_for("sent.mbox", "export.csv"), rules_checker.settings, tmp_path / "parts",
                 DaskOptions(scheduler=scheduler))


def test_parquet_input_gives_the_rows_of_the_same_records_as_jsonl(
    rules_checker: Any, scheduler: str, tmp_path: Path
) -> None:
    spec = spec_for("export.jsonl")
    objects = [(o, i) for o, i in enumerate(read_inputs(spec)) if not (i.error or "").startswith("bad JSON")]
    lines = (FIXTURES / "export.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(lines[int(i.source.rsplit(" ", 1)[1]) - 1]) for _, i in objects]
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(pa.array(records))])  # every record's fields
    pq.write_table(table, tmp_path / "export.parquet", row_group_size=1)
    parquet_spec = InputSpec((tmp_path / "export.parquet",), spec.csv_fields, spec.jsonl_fields)
    assert len(plan(parquet_spec, parquet_rows=1)) == len(records) >= 2  # a partition per row group here
    stats, _ = dask_audit(rules_checker, parquet_spec, tmp_path / "out", scheduler, parquet_rows=1)
    assert stats.checked == len(records)
    messages, findings = stored_rows(tmp_path / "out" / "audit.sqlite")
    expected = audit_rows([(n, i) for n, (_, i) in enumerate(objects)], rules_checker)
    assert [m[2] for m in messages] == [f"{tmp_path / 'export.parquet'}:row {n}" for n in range(1, len(records) + 1)]
    assert [(*m[:2], *m[3:]) for m in messages] == [(*m[:2], *m[3:]) for m in expected.messages]  # all but source
    assert findings == expected.findings


def test_a_missing_part_at_load_is_an_input_error(rules_checker: Any, scheduler: str, tmp_path: Path) -> None:
    dask_audit(rules_checker, spec_for("sent.mbox", "export.csv"), tmp_path, scheduler)
    (tmp_path / "parts" / "part.00001.parquet").unlink()
    shutil.rmtree(tmp_path / "audit.sqlite", ignore_errors=True)
    with AuditStore(tmp_path / "fresh.sqlite") as store, pytest.raises(InputError, match="part missing"):
        load_parts(tmp_path / "parts", store)


def cli(argv: list[str], use_model: bool = False) -> tuple[int, str]:
    err = io.StringIO()
    env = Environment(stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err, stdout_isatty=False,
                      settings=load_settings(env={}, use_model=use_model))
    return main(argv, env), err.getvalue()


def test_the_command_with_engine_dask_writes_the_embedded_files(
    full_audit: dict[str, Any], scheduler: str, tmp_path: Path
) -> None:
    inputs = [str(FIXTURES / name) for name in ALL_INPUTS]
    code, err = cli(["audit", *inputs, "--out", str(tmp_path), "--no-model", "--engine", "dask",
                     "--scheduler", scheduler, *CLI_FIELD_ARGS, "--csv-subject", "Subject"])
    assert code == 0, err
    assert err.startswith("tonecheck audit: 6 of 6 parts checked on dask (0 already written)"), err
    for name in OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (full_audit["out"] / name).read_bytes(), name


def test_parquet_input_without_engine_dask_and_scheduler_without_it_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    code, err = cli(["audit", str(tmp_path / "x.parquet"), "--out", str(tmp_path / "o")])
    assert code == 2 and "Parquet input needs --engine dask" in err
    code, err = cli(["audit", str(FIXTURES / "sent.mbox"), "--out", str(tmp_path / "o"), "--scheduler", "tcp://x:1"])
    assert code == 2 and "--scheduler needs --engine dask" in err
    assert not (tmp_path / "o").exists()


def test_with_the_tone_model_dask_and_embedded_agree(scheduler: str, tmp_path: Path) -> None:
    mbox = str(FIXTURES / "sent.mbox")
    assert cli(["audit", mbox, "--out", str(tmp_path / "emb")], use_model=True)[0] == 0
    code, err = cli(["audit", mbox, "--out", str(tmp_path / "dask"), "--engine", "dask", "--scheduler", scheduler],
                    use_model=True)
    assert code == 0, err
    summary = json.loads((tmp_path / "dask" / "summary.json").read_text("utf-8"))
    assert summary["tone_model"] == "on" and summary["tone"]["scored"] > 0
    for name in OUTPUT_FILES:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "emb" / name).read_bytes(), name


def test_an_unknown_pack_fails_on_the_driver_before_any_cluster(rules_checker: Any, tmp_path: Path) -> None:
    with pytest.raises(UnknownPack, match="no-such-pack"):
        run_dask(spec_for("sent.mbox"), rules_checker.settings, tmp_path / "parts",
                 DaskOptions(pack="no-such-pack", scheduler="tcp://127.0.0.1:9"))  # nothing listens there
    assert not (tmp_path / "parts").exists()
