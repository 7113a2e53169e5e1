"""Benchmark the whole audit: N synthetic replies in an mbox → report files, rules-only and with the model.

    .venv/bin/python bench/audit.py --n 2000            # both modes
    .venv/bin/python bench/audit.py --n 2000 --rules-only

Prints messages/s for the audit proper (read, MIME, quote stripping, check_many, SQLite, report files) and
separately the one-off checker load. Numbers are for docs/audit.md; no test asserts on them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tonecheck import Checker, load_settings  # noqa: E402
from tonecheck.audit import AuditStore, InputSpec, RunOptions, run_audit, write_outputs  # noqa: E402
from tonecheck.audit.synthetic import write_mbox  # noqa: E402


def bench(mbox: Path, n: int, use_model: bool, batch_size: int, threads: int) -> None:
    label = "rules + model" if use_model else "rules only"
    started = time.perf_counter()
    checker = Checker.load(load_settings(env={}, use_model=use_model, threads=threads))
    loaded = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, AuditStore(Path(tmp) / "audit.sqlite") as store:
        stats = run_audit(InputSpec((mbox,)), checker, store, RunOptions(batch_size=batch_size))
        audited = time.perf_counter()
        write_outputs(store, Path(tmp) / "out")
    done = time.perf_counter()
    assert stats.audited + stats.errors == n, stats
    print(
        f"{label:14s} n={n} batch={batch_size}: {n / (done - loaded):7.1f} messages/s whole audit "
        f"({n / (audited - loaded):7.1f}/s checking+storing, report {done - audited:.1f}s), "
        f"checker load {loaded - started:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="synthetic replies (default: 2000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1)")
    parser.add_argument("--rules-only", action="store_true", help="skip the run with the tone model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        mbox = write_mbox(Path(tmp) / "bench.mbox", args.n)
        size = mbox.stat().st_size / 1e6
        print(f"{args.n} synthetic replies, {size:.1f} MB mbox; python {sys.version.split()[0]}")
        bench(mbox, args.n, False, args.batch_size, args.threads)
        if not args.rules_only:
            bench(mbox, args.n, True, args.batch_size, args.threads)


if __name__ == "__main__":
    main()
