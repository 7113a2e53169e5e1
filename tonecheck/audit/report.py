"""Turn the audit database into report.html, findings.csv, messages.csv and summary.json.

Everything is derived from the database in input order, so files written after an interrupted and resumed
audit are identical to an uninterrupted one's. report.html is one self-contained file: inline CSS, charts
as inline SVG drawn by matplotlib, one small inline script (sorting and filtering) allowed by its hash in the
page's Content-Security-Policy, and no external link of any kind.

Disputes (``tonecheck audit review``, see feedback.py) are applied here: a disputed finding is left out of every
count, a disputed verdict counts as ok and its tone score is left out; feedback.csv lists the marks.

Two optional views of the same store: ``Period(since, until)`` limits every output to the replies sent in a
date range, and ``baseline`` (another audit's output folder) adds a ``compare`` section: the change per
verdict, category and agent between that audit and this one.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import heapq
import json
import os
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from ..report import CATEGORIES, TONE_LABELS
from ..settings import Settings
from .feedback import Disputes, FindingCounts, feedback_summary, write_feedback_csv
from .report_html import highlight, html_pieces, ranked
from .store import AuditStore

__all__ = ["Period", "Thresholds", "compare", "highlight", "write_outputs"]

WORST_SHOWN = 20
WORST_PER_AGENT = 25  # flagged replies per page under each agent in report.html (every one is reachable by paging)
MESSAGE_COLUMNS = (
    "ordinal", "key", "source", "message_id", "agent", "agent_name", "sent_at", "subject", "status", "error",
    "pack", "verdict", "tone_label", "p_polite", "p_neutral", "p_rude", "findings", "categories", "chars",
    "text", "disputed_findings", "verdict_disputed",
)
FINDING_COLUMNS = (
    "ordinal", "key", "source", "message_id", "agent", "rule_id", "category", "severity", "start", "end",
    "text", "message", "suggestions", "finding_source", "score", "finding", "disputed",
)
VERDICTS = ("ok", "review", "block")
_VERDICT_RANK = {"block": 2, "review": 1, "ok": 0}
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, "CSV injection"): mail text,
# subjects and agent names are the sender's, so such a cell gets a leading "'" unless raw output is asked for.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Thresholds:
    """The P(rude) verdict thresholds the audit ran with; the defaults are Settings' (one source of truth)."""

    review_rude: float = Settings.review_rude
    block_rude: float = Settings.block_rude


@dataclass(frozen=True)
class Period:
    """Replies sent from ``since`` to ``until`` (ISO dates, both inclusive; either may be None).

    A reply's date is the YYYY-MM-DD at the start of its ``sent_at`` (the sender's local date); a reply without
    one is outside every bounded period.
    """

    since: str | None = None
    until: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    raise InputError(f"--{name} {value!r}: expected a date as YYYY-MM-DD") from None
        if self.since and self.until and self.since > self.until:
            raise InputError(f"--since {self.since} is after --until {self.until}")

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    def covers(self, sent_at: str) -> bool:
        if not self.bounded:
            return True
        day = sent_day(sent_at)
        if day is None:
            return False
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


def sent_day(sent_at: str) -> str | None:
    """The YYYY-MM-DD a reply was sent (as written in its date), or None when ``sent_at`` has no ISO date."""
    m = _DATE.match(sent_at or "")
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


@dataclass
class AgentStats:
    """Running totals for one agent."""

    agent: str
    names: Counter[str] = field(default_factory=Counter)
    audited: int = 0
    errors: int = 0
    with_findings: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    labels: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    rude_sum: float = 0.0
    toned: int = 0
    days: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def to_dict(self) -> dict[str, Any]:
        flagged = self.verdicts["review"] + self.verdicts["block"]
        return {
            "agent": self.agent,
            "name": self.names.most_common(1)[0][0] if self.names else "",
            "replies_audited": self.audited,
            "errors": self.errors,
            "with_findings": self.with_findings,
            "pct_with_findings": _pct(self.with_findings, self.audited),
            "findings": sum(self.findings.values()),
            "findings_by_category": dict(sorted(self.findings.items())),
            "mean_p_rude": round(self.rude_sum / self.toned, 4) if self.toned else None,
            "tone_labels": {label: self.labels[label] for label in TONE_LABELS} if self.toned else None,
            "verdicts": {v: self.verdicts[v] for v in VERDICTS},
            "flagged": flagged,
            "pct_flagged": _pct(flagged, self.audited),
        }


@dataclass
class Totals:
    """Everything the outputs need, gathered in one pass over the messages."""

    agents: dict[str, AgentStats] = field(default_factory=dict)
    messages: int = 0
    audited: int = 0
    errors: int = 0
    error_reasons: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    tone: ToneTally = field(default_factory=lambda: ToneTally())
    worst: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    flagged: FlaggedSpool = field(default_factory=lambda: FlaggedSpool())
    disputed_verdicts: Counter[str] = field(default_factory=Counter)
    days: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    undated: int = 0
    outside_period: int = 0


@dataclass
class ToneTally:
    """The replies' P(rude) as a count, a sum and the report chart's 20 bins: what the outputs use of them, in
    memory that does not grow with the audit (a list of every score did)."""

    EDGES = tuple(i / 20 for i in range(21))  # the chart's bins; numpy's rule: [a, b) and the last one [a, b]

    scored: int = 0
    total: float = 0.0
    bins: list[int] = field(default_factory=lambda: [0] * 20)

    def add(self, p_rude: float) -> None:
        self.scored += 1
        self.total += p_rude
        self.bins[min(bisect.bisect_right(self.EDGES, p_rude) - 1, 19)] += 1

    @property
    def mean(self) -> float:
        return self.total / self.scored


class FlaggedSpool:
    """Every flagged reply's report entry, by agent, worst first: the "Flagged replies by agent" section and the
    coaching pages list all of them.

    Spooled to a private temporary SQLite database (deleted on :meth:`close`), which SQLite keeps in a small page
    cache and spills to disk: held in a dict they made the report's memory grow ~11 KB a flagged reply.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary on-disk database of this connection's own
        self._db.execute("CREATE TABLE flagged (agent TEXT, r0, r1, r2, r3, r4, entry TEXT)")
        self._counts: Counter[str] = Counter()
        self._indexed = False

    def add(self, agent: str, rank: tuple[Any, ...], entry: dict[str, Any]) -> None:
        self._db.execute("INSERT INTO flagged VALUES (?, ?, ?, ?, ?, ?, ?)", (agent, *rank, json.dumps(entry)))
        self._counts[agent] += 1

    def __bool__(self) -> bool:
        return bool(self._counts)

    def count(self, agent: str) -> int:
        return self._counts[agent]

    def entries(self, agent: str) -> Iterator[dict[str, Any]]:
        """The agent's entries, worst rank first, ties in the order they were added (as ``ranked`` sorts)."""
        if not self._indexed:  # one index once everything is in: cheaper than keeping it sorted while adding
            self._db.execute("CREATE INDEX by_rank ON flagged (agent, r0 DESC, r1 DESC, r2 DESC, r3 DESC, r4 DESC)")
            self._indexed = True
        rows = self._db.execute(
            "SELECT entry FROM flagged WHERE agent = ? ORDER BY r0 DESC, r1 DESC, r2 DESC, r3 DESC, r4 DESC, rowid",
            (agent,),
        )
        return (json.loads(entry) for (entry,) in rows)

    def close(self) -> None:
        self._db.close()


def write_outputs(
    store: AuditStore,
    out_dir: Path,
    *,
    title: str = "tonecheck audit",
    raw_csv: bool = False,
    period: Period | None = None,
    baseline: Path | None = None,
    thresholds: Thresholds | None = None,
    coaching: bool = False,
) -> dict[str, Any]:
    """Write the five files (and with ``coaching`` one page per agent in ``out_dir/coaching``) into ``out_dir``
    and return the summary (also written as summary.json).

    Each file is written under a temporary name in ``out_dir`` and renamed over the old one when complete, so a
    crash or ``kill -9`` mid-write leaves the previous file (or none), never a truncated one. CSV cells that a
    spreadsheet would run as a formula are neutralised unless ``raw_csv`` (see FORMULA_START). ``period``
    limits every output to the replies sent in it; ``baseline`` is another audit's output folder (or its
    summary.json) to compare with.
    """
    period = period or Period()
    thresholds = thresholds or Thresholds()
    before = read_summary(baseline) if baseline is not None else None  # a bad baseline fails before any write
    out_dir.mkdir(parents=True, exist_ok=True)
    disputes = Disputes.load(store)
    findings_by_key, counts = _write_findings_csv(store, out_dir / "findings.csv", raw_csv, period, disputes)
    totals = _write_messages_csv(store, out_dir / "messages.csv", findings_by_key, raw_csv, period, thresholds,
                                 disputes)
    try:
        with _replacing(out_dir / "feedback.csv") as fh:
            marks = write_feedback_csv(store, fh, findings_by_key, period.covers, None if raw_csv else neutralise)
        summary = {**store.settings(), **_summary(totals, counts.undisputed_by_category(), period, thresholds)}
        summary["feedback"] = feedback_summary(counts, totals.disputed_verdicts, marks,
                                               list(summary["findings_by_category"]))
        default_db = (out_dir / "audit.sqlite").resolve() == store.path.resolve()
        summary["report_options"] = {"title": title, "raw_csv": raw_csv, "coaching": coaching,
                                     "db": None if default_db else str(store.path.resolve())}
        if before is not None:
            summary["compare"] = compare(before, summary, str(baseline))
        with _replacing(out_dir / "summary.json") as fh:
            fh.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        with _replacing(out_dir / "report.html") as fh:
            fh.writelines(html_pieces(summary, totals, findings_by_key, title))
        if coaching:
            from .coaching import write_coaching

            write_coaching(out_dir / "coaching", summary, totals, findings_by_key, title, _replacing)
    finally:
        totals.flagged.close()
    return summary


@contextmanager
def _replacing(path: Path) -> Iterator[IO[str]]:
    """A text file that replaces ``path`` atomically once the block completes (written, flushed, fsynced, then
    renamed); on an error the temporary file is removed and ``path`` is untouched."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a platform without directory handles skips it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- CSV


def neutralise(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` whose text cells a spreadsheet would run as a formula start with "'" instead."""
    return {k: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v for k, v in row.items()}


def _write_findings_csv(
    store: AuditStore, path: Path, raw: bool = False, period: Period | None = None, disputes: Disputes | None = None
) -> tuple[StoredFindings, FindingCounts]:
    """findings.csv, one row per finding, disputed ones included (``disputed`` 1); returns the findings by message
    key for the rest, read from the store when asked, and their counts per rule and category."""
    findings = StoredFindings(store, period or Period(), disputes or Disputes())
    counts = FindingCounts()
    with _replacing(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for rows in findings.values():
            for row in rows:
                counts.add(row)
                writer.writerow(row if raw else neutralise(row))
    return findings, counts


class StoredFindings(Mapping[str, list[dict[str, Any]]]):
    """The audit's findings by message key, in the period, each row as findings.csv has it before neutralising.

    Read from the store on demand rather than held: a dict of every finding made the report's memory grow with
    the audit (~13 KB a message on synthetic mail; 1.7 GB at 100,000 replies). A key's rows come from one
    primary-key lookup; :meth:`values` streams every key's rows in input order, the order the dict had.
    """

    def __init__(self, store: AuditStore, period: Period, disputes: Disputes) -> None:
        self.store, self.period, self.disputes = store, period, disputes

    def __getitem__(self, key: str) -> list[dict[str, Any]]:
        rows = self._shaped(self.store.findings_of(key))
        if not rows:
            raise KeyError(key)
        return rows

    def __iter__(self) -> Iterator[str]:
        return (rows[0]["key"] for rows in self.values())

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def values(self) -> Iterator[list[dict[str, Any]]]:  # type: ignore[override]
        """Every message's findings in input order (one pass over the store, one message's rows at a time)."""
        for _, group in groupby(self.store.findings(), key=lambda row: row["key"]):
            rows = self._shaped(group)
            if rows:
                yield rows

    def _shaped(self, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            if not self.period.covers(row["sent_at"]):
                continue
            row["suggestions"] = " | ".join(json.loads(row["suggestions"]))
            row["finding"] = row["idx"] + 1
            row["disputed"] = int((row["key"], row["idx"]) in self.disputes.findings)
            out.append(row)
        return out


def _write_messages_csv(
    store: AuditStore,
    path: Path,
    findings: Mapping[str, list[dict[str, Any]]],
    raw: bool = False,
    period: Period | None = None,
    thresholds: Thresholds | None = None,
    disputes: Disputes | None = None,
) -> Totals:
    """messages.csv, one row per message (error rows included), accumulating the totals on the way.

    ``findings`` and ``categories`` count only undisputed findings; ``disputed_findings`` the others;
    ``verdict`` stays the checker's and ``verdict_disputed`` says whether it was marked wrong."""
    period = period or Period()
    thresholds = thresholds or Thresholds()
    disputes = disputes or Disputes()
    totals = Totals()
    with _replacing(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=MESSAGE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in store.messages():
            if not period.covers(row["sent_at"]):
                totals.outside_period += 1
                continue
            every = findings.get(row["key"], [])
            own = [f for f in every if not f["disputed"]]
            row["findings"] = row["n_findings"] - (len(every) - len(own))
            row["categories"] = ";".join(sorted({f["category"] for f in own}))
            row["chars"] = len(row["text"])
            row["disputed_findings"] = len(every) - len(own)
            row["verdict_disputed"] = int(row["key"] in disputes.verdicts)
            writer.writerow(row if raw else neutralise(row))
            _accumulate(totals, row, own, thresholds)
    return totals


def _accumulate(totals: Totals, row: dict[str, Any], own: list[dict[str, Any]], thresholds: Thresholds) -> None:
    totals.messages += 1
    totals.statuses[row["status"]] += 1
    stats = totals.agents.setdefault(row["agent"] or "(unknown)", AgentStats(row["agent"] or "(unknown)"))
    if row["agent_name"]:
        stats.names[row["agent_name"]] += 1
    if row["status"] == "error" or row["verdict"] is None:
        totals.errors += 1
        stats.errors += 1
        totals.error_reasons[row["error"] or "unknown"] += 1
        return
    totals.audited += 1
    stats.audited += 1
    disputed = bool(row["verdict_disputed"])
    verdict = "ok" if disputed else row["verdict"]  # a disputed review/block verdict counts as ok
    if disputed:
        totals.disputed_verdicts[row["verdict"]] += 1
    stats.verdicts[verdict] += 1
    day = sent_day(row["sent_at"])
    if day is None:
        totals.undated += 1
    else:
        for days in (totals.days, stats.days):
            days[day]["audited"] += 1
            days[day][verdict] += 1
    stats.findings.update(f["category"] for f in own)
    if own:
        stats.with_findings += 1
    if row["p_rude"] is not None and not disputed:  # the tone score of a disputed verdict is left out
        stats.toned += 1
        stats.rude_sum += row["p_rude"]
        stats.labels[row["tone_label"]] += 1
        totals.tone.add(row["p_rude"])
    if own or verdict != "ok":
        severe = sum(1 for f in own if f["severity"] == "error")
        rank = (_VERDICT_RANK[verdict], severe, len(own), row["p_rude"] or 0.0, -row["ordinal"])
        entry = {k: row[k] for k in ("key", "ordinal", "source", "agent", "agent_name", "subject", "sent_at",
                                     "tone_label", "p_rude", "text")}
        entry["verdict"] = verdict
        entry["stored_verdict"] = row["verdict"]
        entry["verdict_disputed"] = disputed
        entry["why"] = explain(row, own, thresholds)
        _keep(totals.worst, (rank, entry), WORST_SHOWN)
        totals.flagged.add(stats.agent, rank, entry)  # all of them: the page pages


def _keep(heap: list[tuple[tuple[Any, ...], dict[str, Any]]], item: tuple[Any, Any], size: int) -> None:
    if len(heap) < size:
        heapq.heappush(heap, item)
    else:
        heapq.heappushpop(heap, item)


def explain(row: dict[str, Any], own: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any] | None:
    """Why the tone model took part in a verdict, or None when it did not.

    ``model_only`` is true when no rule pattern matched, so the verdict is the model's alone; ``sentence`` is the
    sentence with the highest P(rude) (offsets into the stored text) and ``sentence_p_rude`` its score.
    """
    p_rude = row["p_rude"]
    model_findings = [f for f in own if f.get("finding_source") == "model"]
    if not model_findings and (p_rude is None or p_rude < thresholds.review_rude):
        return None
    top = _top_sentence(row.get("report_json"))
    return {
        "model_only": not any(f.get("finding_source", "rule") == "rule" for f in own),
        "p_rude": p_rude,
        "threshold": thresholds.block_rude if (p_rude or 0.0) >= thresholds.block_rude else thresholds.review_rude,
        "level": "block" if (p_rude or 0.0) >= thresholds.block_rude else
                 "review" if (p_rude or 0.0) >= thresholds.review_rude else None,
        "sentence": top,
        "categories": sorted({f["category"] for f in model_findings}),
    }


def _top_sentence(report_json: str | None) -> dict[str, Any] | None:
    if not report_json:
        return None
    best = None
    for s in json.loads(report_json).get("sentences", []):
        tone = s.get("tone")
        if not tone:
            continue
        p = tone["scores"].get("rude", 0.0)
        if best is None or p > best["p_rude"]:
            best = {"start": s["start"], "end": s["end"], "p_rude": p}
    return best


# ----------------------------------------------------------------------------- summary


def _summary(totals: Totals, by_category: Counter[str], period: Period, thresholds: Thresholds) -> dict[str, Any]:
    labels: Counter[str] = Counter()
    verdicts: Counter[str] = Counter()
    for stats in totals.agents.values():
        labels.update(stats.labels)
        verdicts.update(stats.verdicts)
    with_findings = sum(s.with_findings for s in totals.agents.values())
    flagged = verdicts["review"] + verdicts["block"]
    overall = trend(totals.days, totals.undated)
    agents = []
    for stats in sorted(totals.agents.values(), key=lambda s: s.agent):
        agent = stats.to_dict()
        agent["trend"] = trend(stats.days, 0, overall)["periods"]  # the overall periods, so agents compare
        agents.append(agent)
    return {
        "messages": totals.messages,
        "audited": totals.audited,
        "errors": totals.errors,
        "error_reasons": dict(sorted(totals.error_reasons.items())),
        "with_findings": with_findings,
        "pct_with_findings": _pct(with_findings, totals.audited),
        "findings": sum(by_category.values()),
        "findings_by_category": {c: by_category[c] for c in _categories(by_category)},
        "verdicts": {v: verdicts[v] for v in VERDICTS},
        "pct_verdicts": {v: _pct(verdicts[v], totals.audited) for v in VERDICTS},
        "flagged": flagged,
        "pct_flagged": _pct(flagged, totals.audited),
        "statuses": dict(sorted(totals.statuses.items())),
        "tone": {
            "scored": totals.tone.scored,
            "mean_p_rude": round(totals.tone.mean, 4),
            "labels": {label: labels[label] for label in TONE_LABELS},
        } if totals.tone.scored else None,
        "thresholds": {"review_rude": thresholds.review_rude, "block_rude": thresholds.block_rude},
        "agents": agents,
        "worst": [entry["key"] for entry in ranked(totals.worst)],
        "period": {"since": period.since, "until": period.until, "outside": totals.outside_period},
        "trend": overall,
    }


def trend(days: dict[str, Counter[str]], undated: int, like: dict[str, Any] | None = None) -> dict[str, Any]:
    """Audited replies per period of their send date, with the flagged (review + block) rate of each.

    Day buckets when the dates span at most 31 days, ISO weeks (labelled by their Monday) up to 26 weeks,
    months beyond. Every period between the first and the last is listed, empty ones with zeros. ``like`` (the
    whole audit's trend) gives the bucket and the periods to use instead, so an agent's trend lines up with it.
    """
    if like is not None:
        if not like["periods"]:
            return {"bucket": None, "periods": [], "undated": undated}
        bucket = like["bucket"]
        first = dt.date.fromisoformat(like["periods"][0]["period"])
        last = _next(dt.date.fromisoformat(like["periods"][-1]["period"]), bucket) - dt.timedelta(days=1)
    elif not days:
        return {"bucket": None, "periods": [], "undated": undated}
    else:
        first, last = dt.date.fromisoformat(min(days)), dt.date.fromisoformat(max(days))
        span = (last - first).days
        bucket = "day" if span <= 31 else "week" if span <= 26 * 7 else "month"
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for day, c in days.items():
        counts[_bucket(dt.date.fromisoformat(day), bucket)].update(c)
    periods = []
    current = dt.date.fromisoformat(_bucket(first, bucket))
    while current <= last:
        label = current.isoformat()
        c = counts.get(label, Counter())
        flagged = c["review"] + c["block"]
        periods.append({
            "period": label, "audited": c["audited"], **{v: c[v] for v in VERDICTS},
            "flagged": flagged, "pct_flagged": _pct(flagged, c["audited"]),
        })
        current = _next(current, bucket)
    return {"bucket": bucket, "periods": periods, "undated": undated}


def _bucket(day: dt.date, bucket: str) -> str:
    if bucket == "week":
        day -= dt.timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    return day.isoformat()


def _next(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day + dt.timedelta(days=1)
    if bucket == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _categories(seen: Iterable[str]) -> list[str]:
    """The contract's categories in their fixed order, then any a custom pack added."""
    return list(CATEGORIES) + sorted(set(seen) - set(CATEGORIES))


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------------- comparing two audits


def read_summary(path: Path) -> dict[str, Any]:
    """Another audit's summary.json, given its output folder or the file itself."""
    file = path / "summary.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{file}: no such file (--baseline takes an earlier audit's --out folder or its summary.json)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: not a readable summary.json ({exc})") from None
    if not isinstance(data, dict) or "audited" not in data or "agents" not in data:
        raise InputError(f"{file}: not an audit summary.json")
    return data


def _flag_rate(summary: dict[str, Any]) -> float | None:
    """pct_flagged, also for a summary written before that key existed."""
    if "pct_flagged" in summary:
        return summary["pct_flagged"]
    v = summary.get("verdicts", {})
    return _pct(v.get("review", 0) + v.get("block", 0), summary.get("audited") or summary.get("replies_audited", 0))


def _change(before: Any, after: Any) -> dict[str, Any]:
    delta = round(after - before, 4) if isinstance(before, int | float) and isinstance(after, int | float) else None
    return {"before": before, "after": after, "change": delta}


def compare(before: dict[str, Any], after: dict[str, Any], baseline: str) -> dict[str, Any]:
    """The change from ``before`` (the baseline audit's summary) to ``after`` (this one's): totals, verdict
    counts, findings per category and, per agent, audited replies and the flagged rate."""
    metrics = {
        "audited": (before.get("audited"), after["audited"]),
        "flagged": (before.get("flagged", sum(before.get("verdicts", {}).get(v, 0) for v in ("review", "block"))),
                    after["flagged"]),
        "pct_flagged": (_flag_rate(before), after["pct_flagged"]),
        "pct_with_findings": (before.get("pct_with_findings"), after["pct_with_findings"]),
        "findings": (before.get("findings"), after["findings"]),
        "mean_p_rude": ((before.get("tone") or {}).get("mean_p_rude"), (after["tone"] or {}).get("mean_p_rude")),
    }
    cats = before.get("findings_by_category", {})
    old_agents = {a["agent"]: a for a in before.get("agents", [])}
    new_agents = {a["agent"]: a for a in after["agents"]}
    agents = []
    for agent in sorted(set(old_agents) | set(new_agents)):
        old, new = old_agents.get(agent, {}), new_agents.get(agent, {})
        agents.append({
            "agent": agent,
            "name": new.get("name") or old.get("name", ""),
            "replies_audited": _change(old.get("replies_audited", 0), new.get("replies_audited", 0)),
            "pct_flagged": _change(_flag_rate(old) if old else None, new.get("pct_flagged")),
        })
    return {
        "baseline": baseline,
        "baseline_period": before.get("period"),
        "totals": {k: _change(b, a) for k, (b, a) in metrics.items()},
        "verdicts": {v: _change(before.get("verdicts", {}).get(v, 0), after["verdicts"][v]) for v in VERDICTS},
        "findings_by_category": {
            c: _change(cats.get(c, 0), after["findings_by_category"].get(c, 0))
            for c in _categories(set(cats) | set(after["findings_by_category"]))
        },
        "agents": agents,
    }
