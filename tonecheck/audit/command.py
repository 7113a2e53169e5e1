"""``tonecheck audit``: argument parsing and wiring only; the work is in sources, runner, store and report.

The audit's own dependencies (inscriptis, mail-parser-reply, matplotlib, tqdm; the ``audit`` extra) are
imported when the command runs, not when the parser is built, so ``tonecheck check`` works without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError, ToneCheckError

DEFAULT_DB_NAME = "audit.sqlite"
# Export field names and their defaults (mirrors sources.FieldMap, kept here so --help needs no extra).
_FIELDS = {
    "id": "id", "agent": "agent", "time": "sent_at", "subject": "subject", "body": "body", "html": "html",
    "agent_name": "",
}


def add_parser(subparsers: Any) -> None:
    """Register the ``audit`` subcommand (called by tonecheck.cli)."""
    p = subparsers.add_parser(
        "audit",
        help="audit sent replies (mbox, Maildir, .eml folders, CSV/JSONL exports) and write a per-agent report",
        description=(
            "Audit many sent replies and write report.html, findings.csv, messages.csv and summary.json "
            "into --out. Results are stored in SQLite as they are computed; running the same command again "
            "resumes: stored replies are not audited again, error rows are retried. Exit status: 0 done, "
            "2 usage error (a missing input, a CSV without a mapped column, ...), 3 rule-pack error, "
            "4 model unavailable, 130 interrupted (run it again to resume)."
        ),
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", type=Path,
                   help="mbox file, Maildir (a folder with cur/ new/ tmp/), folder of .eml files and Maildirs "
                        "(recursive), or .csv / .jsonl helpdesk export")
    p.add_argument("--out", required=True, type=Path, help="folder for the report files")
    p.add_argument("--db", type=Path, help=f"SQLite results database (default: OUT/{DEFAULT_DB_NAME})")
    p.add_argument("--pack", help="rule pack (default: the configured default pack)")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="messages per check (default: 32)")
    p.add_argument("--no-model", action="store_true", help="rules only: skip the tone model (faster)")
    p.add_argument("--title", default="tonecheck audit", help="title of report.html")
    p.add_argument("--raw-csv", action="store_true",
                   help="write CSV cells exactly as stored; by default a cell starting with = + - @ (or tab/CR) "
                        "gets a leading ' so a spreadsheet does not run it as a formula")
    p.add_argument("--since", metavar="YYYY-MM-DD",
                   help="report only replies sent on or after this date (all are still audited and stored)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="report only replies sent on or before this date")
    p.add_argument("--coaching", action="store_true",
                   help="also write OUT/coaching/AGENT.html: each agent's flagged replies, suggestions and trend")
    p.add_argument("--engine", choices=("embedded", "dask"), default="embedded",
                   help="embedded: this process, SQLite, resumable (default); dask: a Dask cluster, resumable "
                        "Parquet parts in OUT/parts, the same outputs (the 'scale' extra; docs/scale.md)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: a running Dask scheduler (tcp://host:8786); "
                        "default: a LocalCluster on 127.0.0.1")
    p.add_argument("--workers", type=_positive_int, default=2,
                   help="with --engine dask and no --scheduler: local worker processes (default: 2)")
    p.add_argument("--baseline", type=Path, metavar="DIR",
                   help="an earlier audit's --out folder: the report adds the change since it "
                        "(per verdict, category and agent)")
    for fmt in ("csv", "jsonl"):
        note = " (dotted paths allowed)" if fmt == "jsonl" else ""
        group = p.add_argument_group(f"{fmt.upper()} export fields{note}")
        kind = "column" if fmt == "csv" else "field"
        for name, default in _FIELDS.items():
            label = name.replace("_", " ")
            shown = "%(default)s" if default else f"none: the name in the agent {kind}, as in 'Name <address>'"
            group.add_argument(f"--{fmt}-{name.replace('_', '-')}", default=default, metavar="NAME",
                               help=f"{label} {kind} (default: {shown})")
    p.set_defaults(func=run_command)
    _add_review_parser(p)


class _AuditParser(argparse.ArgumentParser):
    """``tonecheck audit INPUT...``, except ``tonecheck audit review ...``, which its own parser reads (an
    input file named ``review`` is given as ``./review``)."""

    review: argparse.ArgumentParser

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if args and args[0] == "review":
            return self.review.parse_known_args(args[1:], namespace)
        return super().parse_known_args(args, namespace)


def _add_review_parser(p: argparse.ArgumentParser) -> None:
    from .feedback import add_review_arguments

    p.__class__ = _AuditParser
    p.epilog = "tonecheck audit review OUT_DIR --message KEY (--finding N | --verdict) --by NAME --why TEXT: " \
               "dispute a finding or verdict (tonecheck audit review --help)"
    review = argparse.ArgumentParser(
        prog=f"{p.prog} review",
        description="Mark a finding or a review/block verdict of an audit as wrong (who, when, why are stored in "
                    "the audit's store), then rewrite OUT_DIR's outputs without it; or --list / --withdraw marks.",
    )
    add_review_arguments(review)
    review.set_defaults(func=_run_review)
    p.review = review  # type: ignore[attr-defined]


def _run_review(args: argparse.Namespace, env: Any) -> int:
    from .feedback import run_review

    return run_review(args, env)


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _field_map(args: argparse.Namespace, fmt: str) -> Any:
    from .sources import FieldMap

    return FieldMap(**{name: getattr(args, f"{fmt}_{name}") for name in _FIELDS})


def run_command(args: argparse.Namespace, env: Any) -> int:
    """Audit, then write the outputs. Ctrl-C propagates to cli.main (exit 130); stored batches are kept."""
    from ..cli import make_checker

    try:
        from .report import Period, Thresholds, read_summary, write_outputs
        from .runner import RunOptions, run_audit
        from .sources import InputSpec, check_inputs, check_paths
        from .store import AuditStore
    except ImportError as exc:
        raise ToneCheckError(f"tonecheck audit needs the 'audit' extra ({exc.name} is missing): "
                             "pip install 'tonecheck[audit]'") from None

    check_paths(args.inputs)
    period = Period(args.since, args.until)  # a bad date is a usage error before any work
    if args.baseline is not None:
        read_summary(args.baseline)  # so is a baseline that is not an audit's output
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"{args.out}: --out must be a folder")
    spec = InputSpec(tuple(args.inputs), _field_map(args, "csv"), _field_map(args, "jsonl"))
    if args.engine == "dask":
        return _run_dask(args, env, spec, period)
    _embedded_only(args)
    check_inputs(spec)  # a CSV without a mapped column: a usage error before the checker loads
    checker = make_checker(env, no_model=args.no_model)
    stream = env.stderr if _isatty(env.stderr) else None
    db_path = args.db or args.out / DEFAULT_DB_NAME
    with AuditStore(db_path) as store:
        try:
            stats = run_audit(spec, checker, store, RunOptions(args.pack, args.batch_size, stream))
        except KeyboardInterrupt:
            stored = store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            env.stderr.write(f"tonecheck audit: interrupted with {stored} messages stored in {db_path}; "
                             "run the same command again to resume\n")
            raise
        summary = write_outputs(
            store, args.out, title=args.title, raw_csv=args.raw_csv, period=period, baseline=args.baseline,
            thresholds=Thresholds(checker.settings.review_rude, checker.settings.block_rude),
            coaching=args.coaching,
        )
    env.stderr.write(
        f"tonecheck audit: {stats.audited} audited, {stats.errors} errors, {stats.skipped} skipped "
        f"(already stored or duplicate) in this run{_retried(stats.retried)}; {summary['messages']} messages in "
        f"{db_path}; "
        f"report: {args.out / 'report.html'}\n"
    )
    return 0


def _embedded_only(args: argparse.Namespace) -> None:
    """Options that only the Dask engine takes are usage errors without it."""
    parquet = [str(p) for p in args.inputs if p.name.lower().endswith((".parquet", ".pq"))]
    if parquet:
        raise InputError(f"{parquet[0]}: Parquet input needs --engine dask")
    if args.scheduler:
        raise InputError("--scheduler needs --engine dask")


def _run_dask(args: argparse.Namespace, env: Any, spec: Any, period: Any) -> int:
    """``--engine dask``: check the partitions not yet in OUT/parts on the cluster, load the parts into the store,
    write the same outputs as the embedded run (docs/scale.md)."""
    from dataclasses import replace

    from ..settings import load_settings
    from .report import Thresholds, write_outputs
    from .store import AuditStore

    try:
        from .engine_dask import DaskOptions, load_parts, run_dask
    except ImportError as exc:
        raise ToneCheckError(f"--engine dask needs the 'scale' extra ({exc.name} is missing): "
                             "pip install 'tonecheck[audit,scale]'") from None
    settings = env.settings or load_settings()  # what make_checker reads; the workers load the checkers
    if args.no_model:
        settings = replace(settings, use_model=False)
    parts = args.out / "parts"
    stats = run_dask(spec, settings, parts, DaskOptions(args.pack, args.batch_size, args.scheduler, args.workers))
    db_path = args.db or args.out / DEFAULT_DB_NAME
    with AuditStore(db_path) as store:
        loaded = load_parts(parts, store)
        summary = write_outputs(
            store, args.out, title=args.title, raw_csv=args.raw_csv, period=period, baseline=args.baseline,
            thresholds=Thresholds(settings.review_rude, settings.block_rude),
            coaching=args.coaching,
        )
    env.stderr.write(
        f"tonecheck audit: {stats.checked} of {stats.parts} parts checked on dask ({stats.resumed} already "
        f"written) in {parts}; {loaded.messages} messages loaded, {summary['messages']} in {db_path}; "
        f"report: {args.out / 'report.html'}\n"
    )
    return 0


def _retried(count: int) -> str:
    return f", {count} earlier error row{'s' if count != 1 else ''} tried again" if count else ""


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
