"""report.html: one self-contained page a QA lead can triage in, and its matplotlib charts.

Every value that came from mail (text, subjects, agents, names, sources, rule messages) goes through
``html.escape``; numbers are formatted here. The page's only script is ``_JS`` below (sorting, filtering,
paging and the dispute form, no library); the Content-Security-Policy in the page allows exactly the script
it carries, by the SHA-256 hash of that text (``_csp(script)``), and nothing else: no network, no other
script, no inline handler, so even a missed escape could not run code or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..highlight import highlight as mark_spans
from ..report import TONE_LABELS
from .feedback import dispute_args

e = html.escape


def ranked(heap: Iterable[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[dict[str, Any]]:
    """A worst-replies heap as its entries, worst first."""
    return [entry for _, entry in sorted(heap, key=lambda x: x[0], reverse=True)]


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _num(value: float | None, fmt: str = "{:.1f}%") -> str:
    return "—" if value is None else fmt.format(value)


# ----------------------------------------------------------------------------- charts


def _svg(fig: Any) -> str:
    """A matplotlib figure as inline SVG: text kept as text, fixed ids and no date, so output is stable."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "tonecheck"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]


def tone_chart(totals: Any, summary: dict[str, Any]) -> str:
    """Histogram of the replies' P(rude) on a log count scale, with the review and block thresholds drawn;
    verdicts instead when the audit ran without the tone model."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig = Figure(figsize=(5.6, 3.2))
    ax = fig.add_subplot()
    tone = totals.tone
    if tone.scored:  # the tally's bins, drawn as the histogram of the scores they count
        ax.hist(tone.EDGES[:-1], bins=tone.EDGES, weights=tone.bins, color="#4c72b0", edgecolor="white", log=True)
        th = summary["thresholds"]
        ax.axvline(th["review_rude"], color="#dd8452", linestyle="--", linewidth=1.5, gid="threshold-review",
                   label=f"review ≥ {th['review_rude']:.2f}")
        ax.axvline(th["block_rude"], color="#c44e52", linestyle="--", linewidth=1.5, gid="threshold-block",
                   label=f"block ≥ {th['block_rude']:.2f}")
        ax.legend(loc="upper center", fontsize=8, frameon=False)
        ax.set_xlim(0, 1)
        ax.set_xlabel("P(rude) of the reply")
        ax.set_ylabel("replies (log scale)")
        ax.yaxis.set_major_formatter(ScalarFormatter())  # 1, 10, 100 rather than 10⁰, 10¹, 10²
        ax.yaxis.set_minor_formatter(NullFormatter())
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


def trend_chart(summary: dict[str, Any]) -> str:
    """Replies audited per period (bars) and the share flagged review or block (line, one point per period
    that has replies)."""
    from matplotlib.figure import Figure

    periods = summary["trend"]["periods"]
    labels = [p["period"] for p in periods]
    fig = Figure(figsize=(max(5.6, 0.45 * len(periods) + 2), 3.2))
    ax = fig.add_subplot()
    xs = list(range(len(periods)))
    ax.bar(xs, [p["audited"] for p in periods], color="#d9dde3", label="replies audited")
    ax.set_ylabel("replies audited")
    ax2 = ax.twinx()
    rates = [float("nan") if p["pct_flagged"] is None else p["pct_flagged"] for p in periods]
    ax2.plot(xs, rates, color="#c44e52", marker="o", gid="trend-flagged", label="% flagged")
    ax2.set_ylim(0, max(10.0, *(r for r in rates if r == r)) * 1.15 if any(r == r for r in rates) else 10.0)
    ax2.set_ylabel("% flagged (review + block)")
    step = max(1, len(xs) // 12)
    ax.set_xticks(xs[::step], labels[::step], rotation=30, ha="right", fontsize=8)
    ax.set_title(f"Flagged replies per {summary['trend']['bucket']}")
    fig.set_layout_engine("tight")
    return _svg(fig)


# ----------------------------------------------------------------------------- page

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;
  color:#222;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:separate;border-spacing:0;width:100%;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:right;background:#fff}
th{background:#f4f4f4}td.l,th.l{text-align:left}tr:nth-child(even) td{background:#fafafa}
table.sortable th{cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
#agents th.sticky,#agents td.sticky{position:sticky;left:0;z-index:1;border-right:2px solid #bbb}
#agents th.sticky{z-index:2}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em}
.card b{display:block;font-size:1.5em}.card small{display:block;color:#777}
.card.review b{color:#a60}.card.block b{color:#b00}.card.flagged{border-color:#c44e52}
.charts{display:flex;gap:1em;flex-wrap:wrap}.chart svg{max-width:100%;height:auto}
.filters{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin:.6em 0}
.reply{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.reply pre{white-space:pre-wrap;font:inherit;background:#fcfcfc;padding:.5em;margin:.5em 0}
mark{padding:0 2px;border-radius:2px}mark.error{background:#f6b5b5}mark.warning{background:#fde6a6}
mark.info{background:#cfe8f7}mark.model{background:#e6d7f5}
.verdict-block{color:#b00;font-weight:bold}.verdict-review{color:#a60;font-weight:bold}
.why{background:#f6f0fc;border-left:3px solid #8e6bbf;padding:.3em .6em;margin:.4em 0}
details.agent-replies{margin:.4em 0}details.agent-replies>summary{cursor:pointer;font-weight:bold}
ul.f{margin:.3em 0;padding-left:1.2em}.muted{color:#777}.scroll{overflow-x:auto}
.up{color:#b00}.down{color:#287a3e}
li.disputed{color:#777;text-decoration:line-through}.disputed-note{color:#777;font-style:italic}
button.dispute{font-size:11px;margin-left:.5em}.pager{display:flex;gap:.6em;align-items:center;margin:.4em 0}
#dispute-panel{position:fixed;right:1em;bottom:1em;max-width:40em;background:#fff;border:2px solid #8e6bbf;
  border-radius:6px;padding:.6em 1em;box-shadow:0 2px 10px rgba(0,0,0,.2);z-index:10}
#dispute-panel code{display:block;white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.4em;
  margin:.4em 0}#dispute-panel label{display:block;margin:.2em 0}#dispute-panel input{width:100%}
table.agent-trend{width:auto;margin:.4em 0}
"""

_JS = r"""
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function value(cell) {
    var v = cell.getAttribute("data-v");
    if (v === null) { return cell.textContent.trim().toLowerCase(); }
    return v === "" ? null : parseFloat(v);
  }
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, i) {
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
        each(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a.cells[i]), y = value(b.cells[i]);
          if (x === y) { return 0; }
          if (x === null) { return 1; }
          if (y === null) { return -1; }
          var c = x < y ? -1 : 1;
          return dir === "ascending" ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sort(); }
      });
    });
  });
  function byId(id) { return document.getElementById(id); }
  function filterAgents() {
    var q = byId("agent-filter").value.trim().toLowerCase();
    var only = byId("agent-flagged").checked, shown = 0;
    each(document.querySelectorAll("#agents tbody tr"), function (row) {
      var ok = (!q || row.getAttribute("data-search").indexOf(q) >= 0) &&
        (!only || row.getAttribute("data-flagged") !== "0");
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    byId("agent-count").textContent = String(shown);
  }
  function filterReplies() {
    var verdict = byId("reply-verdict").value, category = byId("reply-category").value;
    var q = byId("reply-agent").value.trim().toLowerCase(), modelOnly = byId("reply-model").checked;
    var active = verdict || category || q || modelOnly, shown = 0;
    each(document.querySelectorAll("#by-agent details.agent-replies"), function (group) {
      var agentOk = !q || group.getAttribute("data-search").indexOf(q) >= 0, visible = 0;
      each(group.querySelectorAll(".reply"), function (card) {
        var ok = agentOk && (!verdict || card.getAttribute("data-verdict") === verdict) &&
          (!category || card.getAttribute("data-categories").indexOf(" " + category + " ") >= 0) &&
          (!modelOnly || card.getAttribute("data-model-only") === "1");
        card.setAttribute("data-match", ok ? "1" : "0");
        if (ok) { visible += 1; }
      });
      group.hidden = visible === 0;
      if (active) { group.open = visible > 0; }
      group.setAttribute("data-page", "0");
      paginate(group);
      shown += visible;
    });
    byId("reply-count").textContent = String(shown);
  }
  if (byId("agent-filter")) {
    byId("agent-filter").addEventListener("input", filterAgents);
    byId("agent-flagged").addEventListener("change", filterAgents);
  }
  if (byId("reply-verdict")) {
    ["reply-verdict", "reply-category", "reply-model"].forEach(function (id) {
      byId(id).addEventListener("change", filterReplies);
    });
    byId("reply-agent").addEventListener("input", filterReplies);
  }
  // Paging: each agent's replies, PAGE at a time, among those the filters leave (data-match).
  var PAGE = byId("by-agent") ? parseInt(byId("by-agent").getAttribute("data-page-size"), 10) : 25;
  function paginate(group) {
    var cards = Array.prototype.filter.call(group.querySelectorAll(".reply"), function (c) {
      return c.getAttribute("data-match") !== "0";
    });
    var pages = Math.max(1, Math.ceil(cards.length / PAGE));
    var page = Math.min(parseInt(group.getAttribute("data-page") || "0", 10), pages - 1);
    group.setAttribute("data-page", String(page));
    each(group.querySelectorAll(".reply"), function (c) { c.hidden = true; });
    cards.forEach(function (c, i) { c.hidden = i < page * PAGE || i >= (page + 1) * PAGE; });
    var pager = group.querySelector(".pager");
    if (pager) {
      pager.hidden = pages < 2;
      pager.querySelector(".page-info").textContent = "page " + (page + 1) + " of " + pages + " (" +
        cards.length + " replies)";
      pager.querySelector(".prev").disabled = page === 0;
      pager.querySelector(".next").disabled = page >= pages - 1;
    }
  }
  each(document.querySelectorAll("#by-agent details.agent-replies"), function (group) {
    var pager = group.querySelector(".pager");
    if (pager) {
      pager.querySelector(".prev").addEventListener("click", function () {
        group.setAttribute("data-page", String(parseInt(group.getAttribute("data-page"), 10) - 1));
        paginate(group);
      });
      pager.querySelector(".next").addEventListener("click", function () {
        group.setAttribute("data-page", String(parseInt(group.getAttribute("data-page"), 10) + 1));
        paginate(group);
      });
    }
    paginate(group);
  });
  // Disputes: the page is an offline file, so it builds the `tonecheck audit review` command to run.
  function quote(s) {
    return /^[A-Za-z0-9_@%+=:,.\/-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\"'\"'") + "'";
  }
  function folder() {
    if (location.protocol !== "file:") { return "OUT_DIR"; }
    var path = decodeURIComponent(location.pathname).replace(/\/[^\/]*$/, "");
    if (/^\/[A-Za-z]:/.test(path)) { path = path.slice(1); }
    return path || "/";
  }
  var current = null;
  function command() {
    var db = document.body.getAttribute("data-db");
    var by = byId("dispute-by").value.trim(), why = byId("dispute-why").value.trim();
    return "tonecheck audit review " + quote(folder()) + (db ? " --db " + quote(db) : "") + " " +
      current.getAttribute("data-args") + " --by " + quote(by || "YOUR NAME") +
      " --why " + quote(why || "WHY IT IS WRONG");
  }
  function showCommand() {
    if (current) { byId("dispute-command").textContent = command(); byId("dispute-copied").textContent = ""; }
  }
  each(document.querySelectorAll("button.dispute"), function (button) {
    button.addEventListener("click", function () {
      current = button;
      byId("dispute-what").textContent = button.getAttribute("data-what");
      byId("dispute-panel").hidden = false;
      showCommand();
    });
  });
  if (byId("dispute-panel")) {
    byId("dispute-by").addEventListener("input", showCommand);
    byId("dispute-why").addEventListener("input", showCommand);
    byId("dispute-close").addEventListener("click", function () { byId("dispute-panel").hidden = true; });
    byId("dispute-copy").addEventListener("click", function () {
      var text = byId("dispute-command").textContent, done = function () {
        byId("dispute-copied").textContent = "copied";
      };
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(byId("dispute-command"));
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        byId("dispute-copied").textContent = document.execCommand("copy") ? "copied" : "select and copy it";
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else { fallback(); }
    });
  }
  each(document.querySelectorAll("a.agent-link"), function (link) {
    link.addEventListener("click", function () {
      var target = byId(link.getAttribute("href").slice(1));
      if (target) { target.hidden = false; target.open = true; }
    });
  });
})();
"""


def _csp(script: str) -> str:
    """The page's policy: ``script`` (the exact text of its one inline script) allowed by hash, nothing else."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
            "img-src data:; form-action 'none'; base-uri 'none'")


def html_pieces(
    summary: dict[str, Any], totals: Any, findings: Mapping[str, list[dict[str, Any]]], title: str
) -> Iterator[str]:
    """The report in pieces, to be written as they come: the flagged replies of a large audit are more than
    memory should hold. Every piece of mail-derived text goes through html.escape."""
    agent_ids = {a["agent"]: f"agent-{i}" for i, a in enumerate(summary["agents"])}
    script = _JS
    db = (summary.get("report_options") or {}).get("db")
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e(_csp(script))}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head>",
        f'<body data-db="{e(db)}">' if db else "<body>",
        f"<h1>{e(title)}</h1>",
        _period_line(summary),
        _cards(summary),
        "<h2>Charts</h2>",
        '<div class="charts">',
        f'<figure class="chart" id="chart-tone">{tone_chart(totals, summary)}</figure>',
        f'<figure class="chart" id="chart-categories">{category_chart(summary)}</figure>',
        "</div>",
        _trend(summary),
        _compare(summary),
        "<h2>Agents</h2>",
        _agent_table(summary, agent_ids),
        "<h2>Worst replies</h2>",
        _worst(summary, totals, findings),
    ]
    yield from (p + "\n" for p in head if p)
    if totals.flagged:
        yield from _by_agent(summary, totals, findings, agent_ids)
        yield "\n"
    tail = [_feedback(summary), _errors(summary), _DISPUTE_PANEL, f"<script>{script}</script>", "</body></html>"]
    yield from (p + "\n" for p in tail if p)


def _period_line(summary: dict[str, Any]) -> str:
    period = summary["period"]
    if period["since"] is None and period["until"] is None:
        return ""
    return (f'<p id="period">Replies sent from <b>{e(period["since"] or "the first")}</b> to '
            f'<b>{e(period["until"] or "the last")}</b> ({period["outside"]} other messages in the store '
            "are not counted).</p>")


def _cards(summary: dict[str, Any]) -> str:
    tone = summary["tone"]
    v, pv = summary["verdicts"], summary["pct_verdicts"]
    cards = [
        ("messages", "messages", summary["messages"], ""),
        ("audited", "replies audited", summary["audited"], ""),
        ("errors", "errors (not audited)", summary["errors"], ""),
        ("flagged", "flagged (review + block)", f"{summary['flagged']} · {_num(summary['pct_flagged'])}",
         "what needs a look"),
        ("review", "review", f"{v['review']} · {_num(pv['review'])}", ""),
        ("block", "block", f"{v['block']} · {_num(pv['block'])}", ""),
        ("ok", "ok", f"{v['ok']} · {_num(pv['ok'])}", ""),
        ("with-findings", "with a finding", _num(summary["pct_with_findings"]),
         "rule or model span; tone-only verdicts are not counted here"),
        ("findings", "findings", summary["findings"], ""),
        ("mean-p-rude", "mean P(rude)", f"{tone['mean_p_rude']:.2f}" if tone else "—", ""),
    ]
    body = "".join(
        f'<div class="card {k}" id="tile-{k}"><b>{e(str(val))}</b>{e(label)}'
        + (f"<small>{e(note)}</small>" if note else "") + "</div>"
        for k, label, val, note in cards
    )
    return f'<div class="cards" id="totals">{body}</div>'


def _trend(summary: dict[str, Any]) -> str:
    t = summary["trend"]
    undated = f" {t['undated']} audited replies have no send date and are not in it." if t["undated"] else ""
    if not t["periods"]:
        return f'<h2>Over time</h2><p class="muted" id="trend-none">No reply has a send date.{e(undated)}</p>'
    rows = "".join(
        f'<tr><td class="l">{e(p["period"])}</td><td>{p["audited"]}</td><td>{p["review"]}</td>'
        f'<td>{p["block"]}</td><td data-v="{"" if p["pct_flagged"] is None else p["pct_flagged"]}">'
        f'{_num(p["pct_flagged"])}</td></tr>'
        for p in t["periods"]
    )
    return (
        f"<h2>Over time</h2><p>By send date, one {e(t['bucket'])} per row.{e(undated)}</p>"
        f'<figure class="chart" id="chart-trend">{trend_chart(summary)}</figure>'
        f'<details><summary>Table</summary><table id="trend" class="sortable"><thead><tr>'
        f'<th class="l">{e(t["bucket"])} from</th><th>audited</th><th>review</th><th>block</th><th>% flagged</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )


def _delta(change: dict[str, Any], fmt: str = "{:+g}", worse_up: bool = True) -> str:
    d = change["change"]
    if d is None:
        return "<td>—</td>"
    cls = "" if d == 0 else ("up" if (d > 0) == worse_up else "down")
    return f'<td class="{cls}" data-v="{d}">{fmt.format(d)}</td>'


def _compare(summary: dict[str, Any]) -> str:
    c = summary.get("compare")
    if not c:
        return ""

    def row(name: str, ch: dict[str, Any]) -> str:
        fmt = lambda x: "—" if x is None else f"{x:g}"  # noqa: E731
        return (f'<tr><td class="l">{e(name)}</td><td>{fmt(ch["before"])}</td><td>{fmt(ch["after"])}</td>'
                + _delta(ch) + "</tr>")

    head = '<thead><tr><th class="l">{}</th><th>baseline</th><th>this audit</th><th>change</th></tr></thead>'
    totals = "".join(row(k.replace("_", " ").replace("pct", "%"), ch) for k, ch in c["totals"].items())
    verdicts = "".join(row(k, ch) for k, ch in c["verdicts"].items())
    cats = "".join(row(k.replace("_", " "), ch) for k, ch in c["findings_by_category"].items())
    agents = "".join(
        f'<tr><td class="l">{e(a["agent"])}</td><td class="l">{e(a["name"])}</td>'
        f'<td data-v="{a["replies_audited"]["before"]}">{a["replies_audited"]["before"]}</td>'
        f'<td data-v="{a["replies_audited"]["after"]}">{a["replies_audited"]["after"]}</td>'
        f'<td data-v="{_v(a["pct_flagged"]["before"])}">{_num(a["pct_flagged"]["before"])}</td>'
        f'<td data-v="{_v(a["pct_flagged"]["after"])}">{_num(a["pct_flagged"]["after"])}</td>'
        + _delta(a["pct_flagged"], "{:+.1f}") + "</tr>"
        for a in c["agents"]
    )
    return (
        f'<section id="compare"><h2>Change since the baseline</h2><p>Baseline: <code>{e(c["baseline"])}</code>. '
        "A positive change in flagged replies or findings is shown in red.</p>"
        f'<table id="compare-totals">{head.format("")}<tbody>{totals}{verdicts}</tbody></table>'
        f'<h3>Findings per category</h3><table id="compare-categories">{head.format("category")}'
        f"<tbody>{cats}</tbody></table>"
        '<h3>Agents</h3><div class="scroll"><table id="compare-agents" class="sortable"><thead><tr>'
        '<th class="l">agent</th><th class="l">name</th><th>replies before</th><th>replies now</th>'
        "<th>% flagged before</th><th>% flagged now</th><th>change (points)</th></tr></thead>"
        f"<tbody>{agents}</tbody></table></div></section>"
    )


def _v(x: float | None) -> str:
    return "" if x is None else str(x)


def _agent_table(summary: dict[str, Any], agent_ids: dict[str, str]) -> str:
    categories = list(summary["findings_by_category"])
    head = "".join(f"<th>{e(c.replace('_', ' '))}</th>" for c in categories)
    rows = []
    # Worst first: most blocks, then most reviews; the table re-sorts on any column.
    order = sorted(summary["agents"], key=lambda a: (-a["verdicts"]["block"], -a["verdicts"]["review"], a["agent"]))
    for a in order:
        mix = a["tone_labels"]
        total = sum(mix.values()) if mix else 0
        shares = [_pct(mix[k], total) if mix else None for k in TONE_LABELS]
        cells = [
            (a["replies_audited"], str(a["replies_audited"])),
            (a["errors"], str(a["errors"])),
            (a["verdicts"]["review"], str(a["verdicts"]["review"])),
            (a["verdicts"]["block"], str(a["verdicts"]["block"])),
            (a["pct_flagged"], _num(a["pct_flagged"])),
            (a["pct_with_findings"], _num(a["pct_with_findings"])),
            (a["findings"], str(a["findings"])),
            *((a["findings_by_category"].get(c, 0), str(a["findings_by_category"].get(c, 0))) for c in categories),
            (a["mean_p_rude"], _num(a["mean_p_rude"], "{:.2f}")),
            *((s, _num(s, "{:.0f}%")) for s in shares),
        ]
        name = e(a["agent"])
        if a["flagged"] or a["findings"]:
            name = f'<a class="agent-link" href="#{agent_ids[a["agent"]]}">{name}</a>'
        search = e(f"{a['agent']} {a['name']}".lower())
        rows.append(
            f'<tr data-search="{search}" data-flagged="{a["flagged"]}"><td class="l sticky">{name}</td>'
            f'<td class="l">{e(a["name"])}</td>'
            + "".join(f'<td data-v="{_v(v)}">{text}</td>' for v, text in cells)
            + "</tr>"
        )
    labels = "".join(f"<th>% {label}</th>" for label in TONE_LABELS)
    return (
        '<div class="filters"><label>Agent <input id="agent-filter" type="search" placeholder="address or name">'
        '</label><label><input id="agent-flagged" type="checkbox"> only agents with flagged replies</label>'
        f'<span class="muted"><span id="agent-count">{len(rows)}</span> agents shown; click a heading to sort'
        "</span></div>"
        '<div class="scroll"><table id="agents" class="sortable"><thead><tr><th class="l sticky">agent</th>'
        '<th class="l">name</th><th>replies audited</th><th>errors</th><th>review</th><th>block</th>'
        f"<th>% flagged</th><th>% with findings</th><th>findings</th>{head}"
        f"<th>mean P(rude)</th>{labels}</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def highlight(text: str, spans: list[dict[str, Any]]) -> str:
    """Escape ``text`` and wrap each finding's span in <mark> (tonecheck.highlight decides which spans are
    marked: reading order, an overlapping later span is not)."""

    def mark(part: str, f: dict[str, Any]) -> str:
        tip = f"{f['rule_id']}: {f['message']}"
        return f'<mark class="{e(f["severity"])}" title="{e(tip)}">{e(part)}</mark>'

    return mark_spans(text, ((f["start"], f["end"], f) for f in spans), mark, e)


def _model_note(finding: dict[str, Any]) -> str:
    """' (tone model, P=0.93)' for a finding of the tone model, so a QA lead knows no pattern matched."""
    if finding.get("finding_source") != "model" or finding.get("score") is None:
        return ""
    return f" (tone model, P={finding['score']:.2f})"


def _why(m: dict[str, Any]) -> str:
    """The tone model's part in the verdict, in words: its P(rude) against the threshold it crossed, and the
    sentence that scored highest."""
    why = m["why"]
    if why is None:
        return ""
    p = why["p_rude"]
    bits = ["<b>Tone model alone</b>: no rule pattern matched." if why["model_only"] else "<b>Tone model</b>:"]
    if p is not None and why["level"]:
        bits.append(f"P(rude) {p:.2f} ≥ {e(why['level'])} threshold {why['threshold']:.2f}.")
    elif p is not None:
        bits.append(f"P(rude) {p:.2f}, below the review threshold; its category head flagged a span.")
    s = why["sentence"]
    if s is not None and s["end"] <= len(m["text"]):
        sentence = m["text"][s["start"] : s["end"]].strip()
        bits.append(f"Highest-scoring sentence (P(rude) {s['p_rude']:.2f}): “{e(sentence)}”")
    if why["categories"]:
        bits.append("Model categories: " + e(", ".join(why["categories"])) + ".")
    return f'<div class="why">{" ".join(bits)}</div>'


def _dispute_button(key: str, finding: int | None, what: str) -> str:
    return (f'<button type="button" class="dispute" data-args="{e(dispute_args(key, finding))}" '
            f'data-what="{e(what)}">dispute</button>')


def _finding_item(m: dict[str, Any], f: dict[str, Any]) -> str:
    text = (f"<b>{e(f['category'])}</b> {e(f['severity'])}{_model_note(f)} “{e(f['text'])}”: {e(f['message'])}")
    number = f["idx"] + 1
    if f.get("disputed"):
        return f'<li class="disputed" data-finding="{number}">{text} <span class="disputed-note">(disputed)</span></li>'
    what = f"finding {number} ({f['rule_id']}) of {m['key']}"
    return f'<li data-finding="{number}">{text}{_dispute_button(m["key"], number, what)}</li>'


def _reply(m: dict[str, Any], every: list[dict[str, Any]]) -> str:
    """One reply card: its verdict, highlighted text and findings, each undisputed finding and a review/block
    verdict with a "dispute" button (the page then shows the ``tonecheck audit review`` command to copy)."""
    own = [f for f in every if not f.get("disputed")]
    tone = f"{m['tone_label']} (P(rude) {m['p_rude']:.2f})" if m["p_rude"] is not None else "not scored"
    items = "".join(_finding_item(m, f) for f in every)
    spans = list(own)
    why = m["why"]
    if why and why["model_only"] and why["sentence"] and not own:
        s = why["sentence"]
        spans.append({"start": s["start"], "end": s["end"], "severity": "model", "rule_id": "tone model",
                      "message": f"highest P(rude) sentence, {s['p_rude']:.2f}"})
    cats = " ".join(sorted({f["category"] for f in own}))
    model_only = "1" if why and why["model_only"] else "0"
    stored = m.get("stored_verdict", m["verdict"])
    if m.get("verdict_disputed"):
        verdict = f'<span class="disputed-note">{e(stored)} verdict disputed, counted as ok</span>'
    else:
        verdict = f'<span class="verdict-{e(m["verdict"])}">{e(m["verdict"])}</span>'
        if m["verdict"] in ("review", "block"):
            verdict += _dispute_button(m["key"], None, f"the {m['verdict']} verdict of {m['key']}")
    return (
        f'<div class="reply" data-key="{e(m["key"])}" data-verdict="{e(m["verdict"])}" '
        f'data-categories=" {e(cats)} " data-model-only="{model_only}">'
        f"<div>{verdict} · "
        f"{e(m['agent'])} · {e(m['subject'] or '(no subject)')} · {e(m['sent_at'] or 'no date')} · tone {e(tone)} · "
        f'<span class="muted">{e(m["source"])}</span> · <span class="muted">key {e(m["key"])}</span></div>'
        f"{_why(m)}<pre>{highlight(m['text'], spans)}</pre>"
        + (f'<ul class="f">{items}</ul>' if items else "")
        + "</div>"
    )


_DISPUTE_PANEL = (
    '<div id="dispute-panel" hidden><b>Dispute <span id="dispute-what"></span></b>'
    '<p class="muted">This report is a file, so it cannot store the mark itself: fill in your name and why, '
    "copy the command and run it where the audit's store is. It stores the mark and rewrites this report "
    "without the disputed item.</p>"
    '<label>Your name <input id="dispute-by" type="text" autocomplete="name"></label>'
    '<label>Why it is wrong <input id="dispute-why" type="text"></label>'
    '<code id="dispute-command"></code>'
    '<button type="button" id="dispute-copy">copy command</button> <span id="dispute-copied" class="muted"></span> '
    '<button type="button" id="dispute-close">close</button></div>'
)


def _worst(summary: dict[str, Any], totals: Any, findings: Mapping[str, list[dict[str, Any]]]) -> str:
    if not summary["worst"]:
        return '<p class="muted">No reply needed review.</p>'
    blocks = [_reply(m, findings.get(m["key"], [])) for m in ranked(totals.worst)]
    return ('<p class="muted">The worst replies of the whole audit; every agent\'s own are under '
            '“Flagged replies by agent”.</p><div id="worst">' + "".join(blocks) + "</div>")


def _agent_trend(a: dict[str, Any], bucket: str | None) -> str:
    """The agent's replies and flagged share per period (the whole audit's periods), as a small table."""
    periods = a.get("trend") or []
    if not periods:
        return ""
    head = "".join(f"<th>{e(p['period'])}</th>" for p in periods)
    audited = "".join(f"<td>{p['audited']}</td>" for p in periods)
    flagged = "".join(f"<td>{p['flagged']}</td>" for p in periods)
    pct = "".join(f'<td data-v="{_v(p["pct_flagged"])}">{_num(p["pct_flagged"])}</td>' for p in periods)
    return (f'<div class="scroll"><table class="agent-trend"><thead><tr><th class="l">{e(bucket or "")} from</th>'
            f'{head}</tr></thead><tbody><tr><td class="l">audited</td>{audited}</tr>'
            f'<tr><td class="l">flagged</td>{flagged}</tr><tr><td class="l">% flagged</td>{pct}</tr>'
            "</tbody></table></div>")


def _by_agent(summary: dict[str, Any], totals: Any, findings: Mapping[str, list[dict[str, Any]]],
              agent_ids: dict[str, str]) -> Iterator[str]:
    """Every agent's flagged replies, one reply at a time from the totals' spool."""
    from .report import WORST_PER_AGENT

    flagged = totals.flagged
    shown = sum(flagged.count(a["agent"]) for a in summary["agents"])
    categories = "".join(f'<option value="{e(c)}">{e(c.replace("_", " "))}</option>'
                         for c in summary["findings_by_category"])
    yield (
        "<h2>Flagged replies by agent</h2>"
        f"<p>Every flagged reply or reply with a finding of each agent, worst first, {WORST_PER_AGENT} per page, "
        "with the agent's trend. “dispute” gives the command that marks a finding or verdict as wrong.</p>"
        '<div class="filters"><label>Verdict <select id="reply-verdict"><option value="">any</option>'
        '<option value="block">block</option><option value="review">review</option><option value="ok">ok</option>'
        '</select></label><label>Category <select id="reply-category"><option value="">any</option>'
        f'{categories}</select></label><label>Agent <input id="reply-agent" type="search"></label>'
        '<label><input id="reply-model" type="checkbox"> tone model alone</label>'
        f'<span class="muted"><span id="reply-count">{shown}</span> replies shown</span></div>'
        f'<div id="by-agent" data-page-size="{WORST_PER_AGENT}">'
    )
    pager = ('<div class="pager" hidden><button type="button" class="prev">previous</button>'
             '<span class="page-info"></span><button type="button" class="next">next</button></div>')
    for a in summary["agents"]:
        count = flagged.count(a["agent"])
        if not count:
            continue
        search = e(f"{a['agent']} {a['name']}".lower())
        yield (
            f'<details class="agent-replies" id="{agent_ids[a["agent"]]}" data-search="{search}" data-page="0">'
            f'<summary>{e(a["agent"])}{" · " + e(a["name"]) if a["name"] else ""} — '
            f'{a["verdicts"]["block"]} block, {a["verdicts"]["review"]} review, {count} replies</summary>'
            + _agent_trend(a, summary["trend"]["bucket"])
        )
        yield from (_reply(m, findings.get(m["key"], [])) for m in flagged.entries(a["agent"]))
        yield pager + "</details>"
    yield "</div>"


def _feedback(summary: dict[str, Any]) -> str:
    """Disputes per rule and per category (summary.json's feedback), the most disputed rules first."""
    fb = summary.get("feedback")
    if not fb or not fb["marks"]:
        return ('<h2>Disputes</h2><p class="muted" id="feedback-none">No finding or verdict has been disputed. '
                "Use a reply's “dispute” button, or <code>tonecheck audit review</code>.</p>")

    def rows(table: dict[str, dict[str, Any]]) -> str:
        return "".join(
            f'<tr><td class="l">{e(name)}</td><td>{t["findings"]}</td><td>{t["disputed"]}</td>'
            f'<td data-v="{_v(t["pct_disputed"])}">{_num(t["pct_disputed"])}</td></tr>'
            for name, t in table.items() if t["findings"]
        )

    head = '<thead><tr><th class="l">{}</th><th>findings</th><th>disputed</th><th>% disputed</th></tr></thead>'
    v = fb["verdicts_disputed"]
    return (
        f'<section id="feedback"><h2>Disputes</h2><p>{fb["marks"]} marks: {fb["findings_disputed"]} findings and '
        f'{v["review"]} review and {v["block"]} block verdicts disputed. Disputed findings are left out of every '
        "count above; a disputed verdict counts as ok and its tone score is left out. Every mark is in "
        "feedback.csv.</p>"
        f'<h3>Per rule</h3><table id="feedback-rules" class="sortable">{head.format("rule")}'
        f'<tbody>{rows(fb["by_rule"])}</tbody></table>'
        f'<h3>Per category</h3><table id="feedback-categories" class="sortable">{head.format("category")}'
        f'<tbody>{rows(fb["by_category"])}</tbody></table></section>'
    )


def _errors(summary: dict[str, Any]) -> str:
    if not summary["error_reasons"]:
        return ""
    rows = "".join(
        f'<tr><td class="l">{e(reason)}</td><td>{n}</td></tr>' for reason, n in summary["error_reasons"].items()
    )
    return (
        "<h2>Messages not audited</h2><p>Each is an error row in messages.csv.</p>"
        f'<table id="errors"><thead><tr><th class="l">reason</th><th>messages</th></tr></thead><tbody>{rows}'
        "</tbody></table>"
    )
