"""Disputes: a QA lead or an agent marks a finding or a verdict of the audit as wrong (``tonecheck audit review``).

A mark is stored in the audit store's ``feedback`` table (message key, the finding's index or the verdict, its
rule and category, who, when, why; no mail text). The outputs leave disputed items out of every count and score
(see ``Disputes`` and docs/audit.md, "Disputes and feedback"), list every mark in feedback.csv and summarise them
per rule and per category in summary.json's ``feedback``, so a pack owner sees which rules misfire.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shlex
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from .store import AuditStore, Mark

FEEDBACK_COLUMNS = (
    "id", "marked_at", "marked_by", "why", "target", "key", "ordinal", "source", "message_id", "agent",
    "sent_at", "finding", "rule_id", "category", "severity", "finding_source", "text", "verdict", "p_rude",
)
DEFAULT_DB_NAME = "audit.sqlite"


@dataclass(frozen=True)
class Disputes:
    """What the marks take out of the counts: ``findings`` as (key, idx) pairs, ``verdicts`` as message keys."""

    findings: frozenset[tuple[str, int]] = frozenset()
    verdicts: frozenset[str] = frozenset()

    @classmethod
    def load(cls, store: AuditStore) -> Disputes:
        rows = list(store.conn.execute("SELECT target, key, idx FROM feedback"))
        return cls(
            frozenset((key, idx) for target, key, idx in rows if target == "finding"),
            frozenset(key for target, key, _ in rows if target == "verdict"),
        )


@dataclass
class FeedbackTally:
    """Per rule or category: findings in the outputs, and how many of them are disputed."""

    findings: Counter[str] = field(default_factory=Counter)
    disputed: Counter[str] = field(default_factory=Counter)

    def to_dict(self, names: list[str]) -> dict[str, dict[str, Any]]:
        return {
            n: {"findings": self.findings[n], "disputed": self.disputed[n],
                "pct_disputed": round(100.0 * self.disputed[n] / self.findings[n], 1) if self.findings[n] else None}
            for n in names
        }


@dataclass
class FindingCounts:
    """The report's findings, disputed ones included, counted per rule and per category as findings.csv is
    written: summary.json's categories and feedback come from these rather than from more passes over the store."""

    rules: FeedbackTally = field(default_factory=FeedbackTally)
    categories: FeedbackTally = field(default_factory=FeedbackTally)

    def add(self, finding: dict[str, Any]) -> None:
        self.rules.findings[finding["rule_id"]] += 1
        self.categories.findings[finding["category"]] += 1
        if finding["disputed"]:
            self.rules.disputed[finding["rule_id"]] += 1
            self.categories.disputed[finding["category"]] += 1

    def undisputed_by_category(self) -> Counter[str]:
        """Undisputed findings per category (categories with none are left out)."""
        return self.categories.findings - self.categories.disputed


def feedback_summary(counts: FindingCounts, disputed_verdicts: Counter[str], marks: int, categories: list[str]
                     ) -> dict[str, Any]:
    """summary.json's ``feedback``: marks in the period, disputed findings and verdicts, and per rule (every rule
    with a finding) and per category the findings, the disputed ones and their share."""
    rules, cats = counts.rules, counts.categories
    # Rules most disputed first (then by share, then by name), so the misfiring ones lead.
    order = sorted(rules.findings, key=lambda r: (-rules.disputed[r], -rules.disputed[r] / rules.findings[r], r))
    return {
        "marks": marks,
        "findings_disputed": sum(rules.disputed.values()),
        "verdicts_disputed": {v: disputed_verdicts[v] for v in ("review", "block")},
        "by_rule": rules.to_dict(order),
        "by_category": cats.to_dict(categories),
    }


def write_feedback_csv(
    store: AuditStore, fh: IO[str], findings: Mapping[str, list[dict[str, Any]]], covers: Any, neutralise: Any
) -> int:
    """feedback.csv, one row per mark whose message is in the report's period; returns the number written.

    ``findings`` are the period's findings by key (for the disputed finding's severity, span and source);
    ``neutralise`` is applied to each row (the CSV formula guard) unless it is None."""
    writer = csv.DictWriter(fh, fieldnames=FEEDBACK_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    written = 0
    for mark in store.marks():
        if not covers(mark["sent_at"]):
            continue
        # one primary-key lookup per mark: a dict of every message's verdict grew with the audit
        stored = store.conn.execute("SELECT verdict, p_rude FROM messages WHERE key = ?", (mark["key"],)).fetchone()
        verdict, p_rude = stored or (None, None)
        row = {**mark, "verdict": mark["verdict"] or verdict, "p_rude": p_rude, "finding": ""}
        if mark["target"] == "finding":
            row["finding"] = mark["idx"] + 1
            f = next((f for f in findings.get(mark["key"], []) if f["idx"] == mark["idx"]), None)
            if f is not None:
                row.update({k: f[k] for k in ("severity", "finding_source", "text")})
        writer.writerow(row if neutralise is None else neutralise(row))
        written += 1
    return written


def dispute_args(key: str, finding: int | None) -> str:
    """The shell-quoted ``--message KEY --finding N`` (or ``--verdict``) part of a ``tonecheck audit review``
    command; report.html adds the folder, ``--by`` and ``--why`` in the page when the reviewer fills them in."""
    words = ["--message", key, *(["--verdict"] if finding is None else ["--finding", str(finding)])]
    return " ".join(shlex.quote(w) for w in words)


# ----------------------------------------------------------------------------- tonecheck audit review


def add_review_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="the audit's --out folder")
    p.add_argument("--db", type=Path, help=f"the audit's SQLite store (default: OUT_DIR/{DEFAULT_DB_NAME})")
    p.add_argument("--message", metavar="KEY", help="the reply's key (messages.csv's key column)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--finding", type=int, metavar="N",
                      help="dispute the reply's finding number N (findings.csv's finding column, from 1)")
    what.add_argument("--verdict", action="store_true", help="dispute the reply's review/block verdict")
    p.add_argument("--by", metavar="NAME", help="who disputes it")
    p.add_argument("--why", metavar="TEXT", help="why it is wrong")
    p.add_argument("--list", action="store_true", help="print every mark (tab-separated) and exit")
    p.add_argument("--withdraw", type=int, metavar="ID", help="delete the mark with this id (see --list)")
    p.add_argument("--no-update", action="store_true",
                   help="only store the mark; do not rewrite the report files in OUT_DIR")


def run_review(args: argparse.Namespace, env: Any, now: Any = None) -> int:
    """Store, list or withdraw a mark; then rewrite OUT_DIR's outputs so the counts leave the disputed item out."""
    db = args.db or args.out / DEFAULT_DB_NAME
    if not db.is_file():
        raise InputError(f"{db}: no audit store here (give the audit's --out folder, or --db)")
    with AuditStore(db) as store:
        if args.list:
            _print_marks(store, env.stdout)
            return 0
        if args.withdraw is not None:
            if not store.withdraw_mark(args.withdraw):
                raise InputError(f"no mark with id {args.withdraw} in {db} (see --list)")
            env.stderr.write(f"tonecheck audit review: mark {args.withdraw} withdrawn\n")
        else:
            mark = _mark(store, args, now or dt.datetime.now(dt.UTC))
            mark_id = store.add_mark(mark)
            what = f"finding {args.finding}" if mark.target == "finding" else f"the {mark.verdict} verdict"
            env.stderr.write(f"tonecheck audit review: mark {mark_id} stored: {what} of {mark.key} disputed "
                             f"by {mark.marked_by}\n")
        if not args.no_update:
            _rewrite(store, args.out, env)
    return 0


def _mark(store: AuditStore, args: argparse.Namespace, now: dt.datetime) -> Mark:
    missing = [name for name in ("message", "by", "why") if not (getattr(args, name) or "").strip()]
    if missing:
        raise InputError("a mark needs " + ", ".join(f"--{m}" for m in missing) + " (or use --list / --withdraw)")
    if args.finding is None and not args.verdict:
        raise InputError("say what is wrong: --finding N or --verdict")
    row = store.conn.execute("SELECT status, verdict FROM messages WHERE key = ?", (args.message,)).fetchone()
    if row is None:
        raise InputError(f"no message with key {args.message!r} in {store.path} (see messages.csv's key column)")
    status, verdict = row
    if status != "ok":
        raise InputError(f"{args.message}: this message was not audited (status {status}); nothing to dispute")
    stamp = now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    base = {"key": args.message, "marked_by": args.by.strip(), "marked_at": stamp, "why": args.why.strip()}
    if args.verdict:
        if verdict not in ("review", "block"):
            raise InputError(f"{args.message}: its verdict is {verdict!r}; only a review or block verdict can be "
                             "disputed")
        return Mark(target="verdict", verdict=verdict, **base)
    found = store.conn.execute("SELECT rule_id, category FROM findings WHERE key = ? AND idx = ?",
                               (args.message, args.finding - 1)).fetchone()
    if found is None:
        count = store.conn.execute("SELECT COUNT(*) FROM findings WHERE key = ?", (args.message,)).fetchone()[0]
        raise InputError(f"{args.message}: no finding {args.finding} (the reply has {count})")
    return Mark(target="finding", idx=args.finding - 1, rule_id=found[0], category=found[1], verdict=verdict,
                **base)


def _print_marks(store: AuditStore, out: IO[str]) -> None:
    columns = ("id", "marked_at", "marked_by", "target", "key", "finding", "rule_id", "category", "verdict", "why")
    out.write("\t".join(columns) + "\n")
    for m in store.marks():
        m["finding"] = "" if m["idx"] is None else m["idx"] + 1
        out.write("\t".join(_cell(m[c]) for c in columns) + "\n")


def _cell(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())  # one line per mark, tabs and newlines as spaces


def _rewrite(store: AuditStore, out_dir: Path, env: Any) -> None:
    """Write the outputs again with the options the audit wrote them with (summary.json's report_options,
    period and thresholds), so report.html, the CSVs and summary.json leave the disputed item out."""
    from .report import Period, Thresholds, write_outputs

    summary_file = out_dir / "summary.json"
    if not summary_file.is_file():
        env.stderr.write(f"tonecheck audit review: {summary_file} not found; outputs not rewritten\n")
        return
    old = json.loads(summary_file.read_text("utf-8"))
    options = old.get("report_options") or {}
    period = old.get("period") or {}
    thresholds = old.get("thresholds") or {}
    baseline = (old.get("compare") or {}).get("baseline")
    write_outputs(
        store, out_dir, title=options.get("title", "tonecheck audit"), raw_csv=bool(options.get("raw_csv")),
        period=Period(period.get("since"), period.get("until")),
        baseline=Path(baseline) if baseline else None,
        thresholds=Thresholds(**thresholds) if thresholds else None,
        coaching=bool(options.get("coaching")),
    )
    env.stderr.write(f"tonecheck audit review: {out_dir / 'report.html'} and the other outputs rewritten\n")
