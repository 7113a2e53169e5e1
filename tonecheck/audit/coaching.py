"""Coaching pages (``tonecheck audit --coaching``): one short self-contained HTML file per agent in OUT/coaching/.

Each page holds the agent's flagged replies (and replies with findings) worst first, with the flagged spans
highlighted, each finding's message and suggestions, and the agent's trend per period. Disputed findings and
verdicts are left out, as everywhere else. Every value from mail goes through ``html.escape``; the page has no
script at all and a Content-Security-Policy that allows none, and nothing is fetched.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .report_html import _num, highlight

e = html.escape
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
_CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:900px;color:#222;padding:0 1em}
table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}.l{text-align:left}
.reply{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
pre{white-space:pre-wrap;font:inherit;background:#fcfcfc;padding:.5em}mark{padding:0 2px}
mark.error{background:#f6b5b5}mark.warning{background:#fde6a6}mark.info{background:#cfe8f7}.muted{color:#777}"""
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def page_name(agent: str) -> str:
    """The agent's file name: the address with anything but letters, digits and ``._@+-`` replaced by ``_``
    (and ``..`` too), plus a short hash of the address when something was replaced, so two agents never share
    a file."""
    safe = re.sub(r"\.{2,}", "_", _SAFE.sub("_", agent)).strip(".") or "_"
    if safe != agent:
        safe = f"{safe[:80]}-{hashlib.sha256(agent.encode('utf-8')).hexdigest()[:8]}"
    return f"{safe}.html"


def write_coaching(folder: Path, summary: dict[str, Any], totals: Any, findings: Mapping[str, list[dict[str, Any]]],
                   title: str, replacing: Callable[[Path], Any]) -> list[Path]:
    """Write one page per audited agent into ``folder`` (each replaced atomically); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for a in summary["agents"]:
        if not a["replies_audited"]:
            continue
        path = folder / page_name(a["agent"])
        entries = totals.flagged.entries(a["agent"])
        with replacing(path) as fh:
            fh.writelines(agent_pieces(a, totals.flagged.count(a["agent"]), entries, findings,
                                       summary["trend"]["bucket"], title))
        written.append(path)
    return written


def agent_pieces(a: dict[str, Any], count: int, entries: Iterable[dict[str, Any]],
                 findings: Mapping[str, list[dict[str, Any]]], bucket: str | None, title: str) -> Iterator[str]:
    """The agent's page in pieces, one reply at a time: one agent can have most of a large audit's replies."""
    who = a["agent"] + (f" ({a['name']})" if a["name"] else "")
    v = a["verdicts"]
    yield "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{e(title)}: coaching for {e(who)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Coaching: {e(who)}</h1>",
        f'<p id="totals">{a["replies_audited"]} replies audited: {v["block"]} block, {v["review"]} review '
        f'({_num(a["pct_flagged"])} flagged), {a["findings"]} findings.</p>',
        _trend(a, bucket),
        f"<h2>Replies to look at ({count})</h2>",
    ]) + "\n"
    replies = (_reply(m, [f for f in findings.get(m["key"], []) if not f["disputed"]]) for m in entries)
    empty = True
    for reply in replies:
        empty = False
        yield reply
    if empty:
        yield '<p class="muted">Nothing flagged. Well done.</p>'
    yield "\n</body></html>\n"


def _trend(a: dict[str, Any], bucket: str | None) -> str:
    periods = a.get("trend") or []
    if not periods:
        return ""
    rows = "".join(f'<tr><td class="l">{e(p["period"])}</td><td>{p["audited"]}</td><td>{p["flagged"]}</td>'
                   f'<td>{_num(p["pct_flagged"])}</td></tr>' for p in periods)
    return (f'<h2>Trend</h2><table id="trend"><thead><tr><th class="l">{e(bucket or "")} from</th><th>replies</th>'
            f"<th>flagged</th><th>% flagged</th></tr></thead><tbody>{rows}</tbody></table>")


def _reply(m: dict[str, Any], own: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<li><b>{e(f['category'])}</b> “{e(f['text'])}”: {e(f['message'])}"
        + (f"<br>Try: {e(f['suggestions'])}" if f.get("suggestions") else "") + "</li>"
        for f in own
    )
    return (f'<div class="reply"><div><b>{e(m["verdict"])}</b> · {e(m["subject"] or "(no subject)")} · '
            f'{e(m["sent_at"] or "no date")}</div><pre>{highlight(m["text"], own)}</pre>'
            + (f"<ul>{items}</ul>" if items else "") + "</div>")
