"""Turn the audit database into report.html, findings.csv, messages.csv and summary.json.

Everything is derived from the database in input order, so files written after an interrupted and resumed
audit are identical to an uninterrupted one's. report.html is one self-contained file: inline CSS, charts
as inline SVG drawn by matplotlib, no script and no external link of any kind.
"""

from __future__ import annotations

import csv
import heapq
import html
import io
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..report import CATEGORIES, TONE_LABELS
from .store import AuditStore

WORST_SHOWN = 20
MESSAGE_COLUMNS = (
    "ordinal", "key", "source", "message_id", "agent", "agent_name", "sent_at", "subject", "status", "error",
    "pack", "verdict", "tone_label", "p_polite", "p_neutral", "p_rude", "findings", "categories", "chars",
)
FINDING_COLUMNS = (
    "ordinal", "key", "source", "message_id", "agent", "rule_id", "category", "severity", "start", "end",
    "text", "message", "suggestions", "finding_source", "score",
)
_VERDICT_RANK = {"block": 2, "review": 1, "ok": 0}
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, "CSV injection"): mail text,
# subjects and agent names are the sender's, so such a cell gets a leading "'" unless raw output is asked for.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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

    def to_dict(self) -> dict[str, Any]:
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
            "verdicts": {v: self.verdicts[v] for v in ("ok", "review", "block")},
        }


@dataclass
class Totals:
    """Everything the outputs need, gathered in one pass over the messages."""

    agents: dict[str, AgentStats] = field(default_factory=dict)
    messages: int = 0
    audited: int = 0
    errors: int = 0
    error_reasons: Counter[str] = field(default_factory=Counter)
    p_rude: list[float] = field(default_factory=list)
    worst: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)


def write_outputs(
    store: AuditStore, out_dir: Path, *, title: str = "tonecheck audit", raw_csv: bool = False
) -> dict[str, Any]:
    """Write all four files into ``out_dir`` and return the summary (also written as summary.json).

    Each file is written under a temporary name in ``out_dir`` and renamed over the old one when complete, so a
    crash or ``kill -9`` mid-write leaves the previous file (or none), never a truncated one. CSV cells that a
    spreadsheet would run as a formula are neutralised unless ``raw_csv`` (see FORMULA_START).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    findings_by_key = _write_findings_csv(store, out_dir / "findings.csv", raw_csv)
    totals = _write_messages_csv(store, out_dir / "messages.csv", findings_by_key, raw_csv)
    summary = {**store.settings(), **_summary(totals, findings_by_key)}
    with _replacing(out_dir / "summary.json") as fh:
        fh.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    with _replacing(out_dir / "report.html") as fh:
        fh.write(render_html(summary, totals, findings_by_key, title))
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


def _write_findings_csv(store: AuditStore, path: Path, raw: bool = False) -> dict[str, list[dict[str, Any]]]:
    """findings.csv, one row per finding; returns the findings grouped by message key for the rest."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with _replacing(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=FINDING_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in store.findings():
            row["suggestions"] = " | ".join(json.loads(row["suggestions"]))
            writer.writerow(row if raw else neutralise(row))
            grouped[row["key"]].append(row)
    return grouped


def _write_messages_csv(
    store: AuditStore, path: Path, findings: dict[str, list[dict[str, Any]]], raw: bool = False
) -> Totals:
    """messages.csv, one row per message (error rows included), accumulating the totals on the way."""
    totals = Totals()
    with _replacing(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=MESSAGE_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in store.messages():
            own = findings.get(row["key"], [])
            row["findings"] = row["n_findings"]
            row["categories"] = ";".join(sorted({f["category"] for f in own}))
            row["chars"] = len(row["text"])
            writer.writerow(row if raw else neutralise(row))
            _accumulate(totals, row, own)
    return totals


def _accumulate(totals: Totals, row: dict[str, Any], own: list[dict[str, Any]]) -> None:
    totals.messages += 1
    stats = totals.agents.setdefault(row["agent"] or "(unknown)", AgentStats(row["agent"] or "(unknown)"))
    if row["agent_name"]:
        stats.names[row["agent_name"]] += 1
    if row["status"] == "error":
        totals.errors += 1
        stats.errors += 1
        totals.error_reasons[row["error"] or "unknown"] += 1
        return
    totals.audited += 1
    stats.audited += 1
    stats.verdicts[row["verdict"]] += 1
    stats.findings.update(f["category"] for f in own)
    if own:
        stats.with_findings += 1
    if row["p_rude"] is not None:
        stats.toned += 1
        stats.rude_sum += row["p_rude"]
        stats.labels[row["tone_label"]] += 1
        totals.p_rude.append(row["p_rude"])
    if own or row["verdict"] != "ok":
        severe = sum(1 for f in own if f["severity"] == "error")
        rank = (_VERDICT_RANK[row["verdict"]], severe, len(own), row["p_rude"] or 0.0, -row["ordinal"])
        entry = (rank, {k: row[k] for k in ("key", "ordinal", "source", "agent", "agent_name", "subject",
                                             "verdict", "tone_label", "p_rude", "text")})
        if len(totals.worst) < WORST_SHOWN:
            heapq.heappush(totals.worst, entry)
        else:
            heapq.heappushpop(totals.worst, entry)


def _summary(totals: Totals, findings: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    by_category = Counter(f["category"] for rows in findings.values() for f in rows)
    labels = Counter()
    verdicts = Counter()
    for stats in totals.agents.values():
        labels.update(stats.labels)
        verdicts.update(stats.verdicts)
    with_findings = sum(s.with_findings for s in totals.agents.values())
    return {
        "messages": totals.messages,
        "audited": totals.audited,
        "errors": totals.errors,
        "error_reasons": dict(sorted(totals.error_reasons.items())),
        "with_findings": with_findings,
        "pct_with_findings": _pct(with_findings, totals.audited),
        "findings": sum(by_category.values()),
        "findings_by_category": {c: by_category[c] for c in _categories(by_category)},
        "verdicts": {v: verdicts[v] for v in ("ok", "review", "block")},
        "tone": {
            "scored": len(totals.p_rude),
            "mean_p_rude": round(sum(totals.p_rude) / len(totals.p_rude), 4),
            "labels": {label: labels[label] for label in TONE_LABELS},
        } if totals.p_rude else None,
        "agents": [s.to_dict() for s in sorted(totals.agents.values(), key=lambda s: s.agent)],
        "worst": [entry["key"] for _, entry in sorted(totals.worst, key=lambda e: e[0], reverse=True)],
    }


def _categories(seen: Iterable[str]) -> list[str]:
    """The contract's categories in their fixed order, then any a custom pack added."""
    return list(CATEGORIES) + sorted(set(seen) - set(CATEGORIES))


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# ----------------------------------------------------------------------------- charts


def _svg(fig: Any) -> str:
    """A matplotlib figure as inline SVG: text kept as text, fixed ids and no date, so output is stable."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tonecheck"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def tone_chart(totals: Totals, summary: dict[str, Any]) -> str:
    """Histogram of the replies' P(rude); verdicts instead when the audit ran without the tone model."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.6, 3.2))
    ax = fig.add_subplot()
    if totals.p_rude:
        ax.hist(totals.p_rude, bins=[i / 20 for i in range(21)], color="#4c72b0", edgecolor="white")
        ax.set_xlim(0, 1)
        ax.set_xlabel("P(rude) of the reply")
        ax.set_ylabel("replies")
        ax.set_title("Tone distribution")
    else:
        verdicts = summary["verdicts"]
        ax.bar(list(verdicts), list(verdicts.values()), color=["#55a868", "#dd8452", "#c44e52"])
        ax.set_ylabel("replies")
        ax.set_title("Verdicts (tone model was off: no tone scores)")
    fig.set_layout_engine("tight")
    return _svg(fig)


def category_chart(summary: dict[str, Any]) -> str:
    """Horizontal bars: findings per category, every category shown even at zero."""
    from matplotlib.figure import Figure

    counts = summary["findings_by_category"]
    fig = Figure(figsize=(5.6, 0.35 * len(counts) + 1.0))
    ax = fig.add_subplot()
    names = list(counts)[::-1]
    ax.barh(names, [counts[n] for n in names], color="#c44e52")
    ax.set_xlabel("findings")
    ax.set_title("Findings per category")
    fig.set_layout_engine("tight")
    return _svg(fig)


# ----------------------------------------------------------------------------- HTML

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;
  color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}tr:nth-child(even) td{background:#fafafa}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}
.card b{display:block;font-size:1.5em}.charts{display:flex;gap:1em;flex-wrap:wrap}
.chart svg{max-width:100%;height:auto}
.reply{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.reply pre{white-space:pre-wrap;font:inherit;background:#fcfcfc;padding:.5em;margin:.5em 0}
mark{padding:0 2px;border-radius:2px}mark.error{background:#f6b5b5}mark.warning{background:#fde6a6}
mark.info{background:#cfe8f7}.verdict-block{color:#b00;font-weight:bold}.verdict-review{color:#a60;font-weight:bold}
ul.f{margin:.3em 0;padding-left:1.2em}.muted{color:#777}.scroll{overflow-x:auto}
"""


def render_html(
    summary: dict[str, Any], totals: Totals, findings: dict[str, list[dict[str, Any]]], title: str
) -> str:
    """The whole report as one string; every piece of mail-derived text goes through html.escape."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        _cards(summary),
        "<h2>Charts</h2>",
        '<div class="charts">',
        f'<figure class="chart" id="chart-tone">{tone_chart(totals, summary)}</figure>',
        f'<figure class="chart" id="chart-categories">{category_chart(summary)}</figure>',
        "</div>",
        "<h2>Agents</h2>",
        _agent_table(summary),
        "<h2>Worst replies</h2>",
        _worst(summary, totals, findings),
        _errors(summary),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _cards(summary: dict[str, Any]) -> str:
    tone = summary["tone"]
    cards = [
        ("messages", summary["messages"]),
        ("replies audited", summary["audited"]),
        ("errors", summary["errors"]),
        ("with findings", f"{summary['pct_with_findings'] or 0}%"),
        ("findings", summary["findings"]),
        ("mean P(rude)", f"{tone['mean_p_rude']:.2f}" if tone else "—"),
    ]
    body = "".join(f'<div class="card"><b>{html.escape(str(v))}</b>{html.escape(k)}</div>' for k, v in cards)
    return f'<div class="cards" id="totals">{body}</div>'


def _agent_table(summary: dict[str, Any]) -> str:
    e = html.escape
    categories = list(summary["findings_by_category"])
    head = "".join(f"<th>{e(c.replace('_', ' '))}</th>" for c in categories)
    rows = []
    for a in summary["agents"]:
        mix = a["tone_labels"]
        shares = [f"{_pct(mix[k], sum(mix.values())) or 0:.0f}%" if mix else "—" for k in TONE_LABELS]
        cats = "".join(f"<td>{a['findings_by_category'].get(c, 0)}</td>" for c in categories)
        rude = f"{a['mean_p_rude']:.2f}" if a["mean_p_rude"] is not None else "—"
        pct = f"{a['pct_with_findings']:.1f}%" if a["pct_with_findings"] is not None else "—"
        cells = [a["replies_audited"], a["errors"], pct, a["findings"]]
        rows.append(
            f'<tr><td class="l">{e(a["agent"])}</td><td class="l">{e(a["name"])}</td>'
            + "".join(f"<td>{c}</td>" for c in cells)
            + cats
            + f"<td>{rude}</td>"
            + "".join(f"<td>{s}</td>" for s in shares)
            + "</tr>"
        )
    labels = "".join(f"<th>% {label}</th>" for label in TONE_LABELS)
    return (
        '<div class="scroll"><table id="agents"><thead><tr><th class="l">agent</th><th class="l">name</th>'
        f"<th>replies audited</th><th>errors</th><th>% with findings</th><th>findings</th>{head}"
        f"<th>mean P(rude)</th>{labels}</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def highlight(text: str, spans: list[dict[str, Any]]) -> str:
    """Escape ``text`` and wrap each finding's span in <mark>; an overlapping later span is not marked."""
    out = []
    pos = 0
    for f in sorted(spans, key=lambda f: (f["start"], -f["end"])):
        if f["start"] < pos or f["end"] > len(text):
            continue
        out.append(html.escape(text[pos : f["start"]]))
        tip = f"{f['rule_id']}: {f['message']}"
        out.append(
            f'<mark class="{html.escape(f["severity"])}" title="{html.escape(tip)}">'
            f"{html.escape(text[f['start'] : f['end']])}</mark>"
        )
        pos = f["end"]
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _model_note(finding: dict[str, Any]) -> str:
    """' (model, p=0.93)' for a finding of the tone model, so a QA lead knows no pattern matched."""
    if finding.get("finding_source") != "model" or finding.get("score") is None:
        return ""
    return f" (model, p={finding['score']:.2f})"


def _worst(summary: dict[str, Any], totals: Totals, findings: dict[str, list[dict[str, Any]]]) -> str:
    e = html.escape
    entries = {entry["key"]: entry for _, entry in totals.worst}
    if not summary["worst"]:
        return '<p class="muted">No reply needed review.</p>'
    blocks = []
    for key in summary["worst"]:
        m = entries[key]
        own = findings.get(key, [])
        tone = f"{m['tone_label']} (P(rude) {m['p_rude']:.2f})" if m["p_rude"] is not None else "not scored"
        items = "".join(
            f"<li><b>{e(f['category'])}</b> {e(f['severity'])}{_model_note(f)} “{e(f['text'])}”: "
            f"{e(f['message'])}</li>"
            for f in own
        )
        blocks.append(
            f'<div class="reply"><div><span class="verdict-{e(m["verdict"])}">{e(m["verdict"])}</span> · '
            f"{e(m['agent'])} · {e(m['subject'] or '(no subject)')} · tone {e(tone)} · "
            f'<span class="muted">{e(m["source"])}</span></div>'
            f"<pre>{highlight(m['text'], own)}</pre>"
            + (f'<ul class="f">{items}</ul>' if items else "")
            + "</div>"
        )
    return '<div id="worst">' + "".join(blocks) + "</div>"


def _errors(summary: dict[str, Any]) -> str:
    if not summary["error_reasons"]:
        return ""
    rows = "".join(
        f'<tr><td class="l">{html.escape(reason)}</td><td>{n}</td></tr>'
        for reason, n in summary["error_reasons"].items()
    )
    return (
        "<h2>Messages not audited</h2><p>Each is an error row in messages.csv.</p>"
        f'<table id="errors"><thead><tr><th class="l">reason</th><th>messages</th></tr></thead><tbody>{rows}'
        "</tbody></table>"
    )
