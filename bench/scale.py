"""Benchmark the audit's engines: embedded (SQLite, one process) against Dask (a LocalCluster of worker processes
on loopback), on synthetic replies (or, with --mail realistic, bench/mail.py's), at 10,000 and 100,000 replies
by default, rules only unless --model.

    .venv/bin/python bench/scale.py                       # 10k and 100k, rules only
    .venv/bin/python bench/scale.py --sizes 10000 --model
    .venv/bin/python bench/scale.py --million             # adds 1,000,000 (hours; not for CI)

Inputs are mbox files of --per-file replies each (the Dask engine makes one partition per file). Each engine runs
in a fresh child process, so peak memory is per run: the embedded process's peak RSS, and for Dask the driver's
and each worker's. replies/s covers the whole audit after the checker is loaded (reading, checking, storing or
writing parts, loading parts, the report files); the checker load and the cluster start are printed apart.
Numbers are for docs/scale.md; no test asserts on them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tonecheck.audit.synthetic import reply  # noqa: E402


def write_inputs(folder: Path, count: int, per_file: int, mail: str = "synthetic") -> tuple[Path, ...]:
    """``count`` replies in mbox files of ``per_file`` (unique Message-IDs across files): ``synthetic``
    (tonecheck.audit.synthetic) or ``realistic`` (bench/mail.py: real and writer replies in team templates)."""
    rng = random.Random(7)
    if mail == "realistic":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from mail import bodies, compose

        source = bodies(rng)

        def make(number: int) -> Any:
            return compose(rng, number, next(source))[0]
    else:
        def make(number: int) -> Any:
            return reply(rng, number)
    paths = []
    for first in range(0, count, per_file):
        path = folder / f"sent-{first // per_file:04d}.mbox"
        with path.open("wb") as fh:
            for number in range(first, min(count, first + per_file)):
                fh.write(b"From agent@acme.example Sun Mar  1 09:00:00 2026\n")
                data = bytes(make(number)).replace(b"\nFrom ", b"\n>From ")
                fh.write(data.rstrip(b"\n") + b"\n\n")
        paths.append(path)
    return tuple(paths)


def _differing_rows(a: Path, b: Path) -> tuple[int, int]:
    """Message rows that differ between two messages.csv files, and those whose verdict differs. With the int8
    model a sentence's scores depend on the sentences scored in the same pass (and on which worker's sentence
    cache saw it first), so the engines agree up to that noise; rules only they are byte-identical."""
    import csv

    with a.open(encoding="utf-8") as fa, b.open(encoding="utf-8") as fb:
        rows = list(zip(csv.DictReader(fa), csv.DictReader(fb), strict=True))
    return sum(x != y for x, y in rows), sum(x.get("verdict") != y.get("verdict") for x, y in rows)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def embedded(paths: tuple[Path, ...], out: Path, use_model: bool, batch_size: int) -> dict[str, Any]:
    from tonecheck import Checker, load_settings
    from tonecheck.audit import AuditStore, InputSpec, RunOptions, run_audit, write_outputs

    started = time.perf_counter()
    checker = Checker.load(load_settings(env={}, use_model=use_model, threads=1))
    loaded = time.perf_counter()
    with AuditStore(out / "audit.sqlite") as store:
        stats = run_audit(InputSpec(paths), checker, store, RunOptions(batch_size=batch_size))
        write_outputs(store, out)
    done = time.perf_counter()
    return {"messages": stats.audited + stats.errors, "seconds": done - loaded, "load": loaded - started,
            "peak_mb": {"process": _peak_mb()}}


def dask(paths: tuple[Path, ...], out: Path, use_model: bool, batch_size: int, workers: int) -> dict[str, Any]:
    from tonecheck import load_settings
    from tonecheck.audit import AuditStore, InputSpec, write_outputs
    from tonecheck.audit.core import settings_delta
    from tonecheck.audit.engine_dask import DaskOptions, _client, load_parts, preload, run_dask

    started = time.perf_counter()
    options = DaskOptions(batch_size=batch_size, workers=workers)
    with _client(options) as client:
        up = time.perf_counter()
        settings = load_settings(env={}, use_model=use_model, threads=1)
        client.run(preload, settings_delta(settings))  # each worker loads its checker once, before timing
        loaded = time.perf_counter()
        stats = run_dask(InputSpec(paths), settings, out / "parts",
                         DaskOptions(batch_size=batch_size, scheduler=client.scheduler.address))
        with AuditStore(out / "audit.sqlite") as store:
            loaded_stats = load_parts(out / "parts", store)
            write_outputs(store, out)
        done = time.perf_counter()
        usage = client.run(resource.getrusage, resource.RUSAGE_SELF)  # each worker process's own peak
    worker_peaks = sorted(u.ru_maxrss / 1024 for u in usage.values())
    peaks = {"driver": _peak_mb(), **{f"worker {i}": mb for i, mb in enumerate(worker_peaks)}}
    return {"messages": loaded_stats.messages, "seconds": done - loaded, "load": loaded - up,
            "cluster": up - started, "parts": stats.parts, "peak_mb": peaks}


def _child(name: str, queue: Any, *args: Any) -> None:
    queue.put(globals()[name](*args))


def in_child(name: str, *args: Any) -> dict[str, Any]:
    """Run ``name(*args)`` in a fresh process, so each run's peak memory is its own."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, queue, *args))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=5)
            break
        except Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{name} failed (exit {proc.exitcode}); see its traceback above") from None
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="reply counts, comma-separated (default: 10k,100k)")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 replies (hours)")
    parser.add_argument("--model", action="store_true", help="rules + tone model (default: rules only)")
    parser.add_argument("--per-file", type=int, default=2000, help="replies per mbox file (default: 2000)")
    parser.add_argument("--mail", choices=("synthetic", "realistic"), default="synthetic",
                        help="synthetic fragments (default) or bench/mail.py's realistic replies")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Dask LocalCluster workers (default: 2)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.million else [])
    mode = "rules + model" if args.model else "rules only"
    print(f"{mode}; {args.mail} mail; python {sys.version.split()[0]}; {args.per_file} replies per mbox; "
          f"batch {args.batch_size}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            paths = write_inputs(folder, size, args.per_file, args.mail)
            (folder / "emb").mkdir()
            (folder / "dask").mkdir()
            emb = in_child("embedded", paths, folder / "emb", args.model, args.batch_size)
            dsk = in_child("dask", paths, folder / "dask", args.model, args.batch_size, args.workers)
            same = all((folder / "emb" / f).read_bytes() == (folder / "dask" / f).read_bytes()
                       for f in ("messages.csv", "findings.csv", "summary.json", "report.html"))
            differ = _differing_rows(folder / "emb" / "messages.csv", folder / "dask" / "messages.csv")
        assert emb["messages"] == dsk["messages"] == size, (emb, dsk)
        e_rate, d_rate = size / emb["seconds"], size / dsk["seconds"]
        print(f"n={size:>9,}  embedded: {e_rate:7.1f} replies/s ({emb['seconds']:.1f} s, checker load "
              f"{emb['load']:.1f} s), peak {emb['peak_mb']['process']:.0f} MB")
        peaks = ", ".join(f"{k} {v:.0f} MB" for k, v in dsk["peak_mb"].items())
        print(f"{'':12s} dask x{args.workers}: {d_rate:7.1f} replies/s ({dsk['seconds']:.1f} s, {dsk['parts']} parts; "
              f"cluster start {dsk['cluster']:.1f} s, checker load {dsk['load']:.1f} s), peak {peaks}")
        print(f"{'':12s} dask/embedded {d_rate / e_rate:.2f}; outputs identical: {same}"
              + ("" if same else f" ({differ[0]} of {size:,} message rows differ, {differ[1]} in verdict)"))


if __name__ == "__main__":
    main()
