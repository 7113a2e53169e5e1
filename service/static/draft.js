// The draft page: send the draft to /v1/check and show the Report. Offsets in the Report count Unicode code
// points (Python str indices); JavaScript strings count UTF-16 units, so text is sliced via Array.from().
"use strict";

(function () {
  const KEY_STORE = "tonecheck.apiKey";
  const $ = (id) => document.getElementById(id);
  const keyInput = $("api-key");
  let lastText = "";

  if (keyInput) {
    keyInput.value = sessionStorage.getItem(KEY_STORE) || "";
    keyInput.addEventListener("change", () => sessionStorage.setItem(KEY_STORE, keyInput.value.trim()));
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(message, isError) {
    const status = $("status");
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  async function runCheck() {
    const text = $("draft").value;
    if (!text.trim()) { setStatus("Type a draft first.", true); return; }
    const headers = { "Content-Type": "application/json" };
    if (keyInput) {
      const key = keyInput.value.trim();
      sessionStorage.setItem(KEY_STORE, key);
      if (key) headers.Authorization = "Bearer " + key;
    }
    setStatus("Checking…", false);
    $("check").disabled = true;
    try {
      const response = await fetch("/v1/check", { method: "POST", headers, body: JSON.stringify({ text }) });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const message = body && body.error ? body.error.message : "HTTP " + response.status;
        setStatus((response.status === 401 ? "Enter a valid API key. " : "") + message, true);
        return;
      }
      lastText = text;
      render(text, body);
      setStatus("", false);
    } catch (err) {
      setStatus("Could not reach the server.", true);
    } finally {
      $("check").disabled = false;
    }
  }

  function render(text, report) {
    const chars = Array.from(text);
    const slice = (a, b) => chars.slice(a, b).join("");
    $("result").hidden = false;
    const verdict = $("verdict");
    verdict.textContent = report.verdict;
    verdict.className = "verdict " + report.verdict;
    $("tone").textContent = report.tone
      ? "tone: " + report.tone.label + " (P(rude) " + report.tone.scores.rude.toFixed(2) + ")"
      : "tone: not scored";

    const box = $("highlighted");
    box.replaceChildren();
    const detail = $("detail");
    detail.hidden = true;
    let pos = 0;
    report.findings.forEach((f, i) => {
      if (f.start < pos) return; // overlapping finding: listed below, not marked twice
      box.append(document.createTextNode(slice(pos, f.start)));
      const mark = el("mark", {
        class: "finding sev-" + f.severity,
        "data-rule": f.rule_id,
        "data-index": String(i),
        title: f.message + (f.suggestions.length ? " Try: " + f.suggestions.join(", ") : ""),
        tabindex: "0",
      }, slice(f.start, f.end));
      mark.addEventListener("click", () => showDetail(f, mark));
      mark.addEventListener("keydown", (e) => { if (e.key === "Enter") showDetail(f, mark); });
      box.append(mark);
      pos = f.end;
    });
    box.append(document.createTextNode(slice(pos, chars.length)));

    const list = $("findings");
    list.replaceChildren();
    if (!report.findings.length) list.append(el("li", {}, "No flagged words or phrases."));
    report.findings.forEach((f) => {
      const item = el("li", { class: "sev-" + f.severity });
      item.append(el("strong", {}, f.category.replace(/_/g, " ") + ":"), document.createTextNode(" " + f.message));
      if (f.suggestions.length) item.append(document.createTextNode(" Try: " + f.suggestions.join(", ")));
      list.append(item);
    });

    const rows = $("sentences").querySelector("tbody");
    rows.replaceChildren();
    report.sentences.forEach((s) => {
      const label = s.tone ? s.tone.label : "n/a";
      const row = el("tr", { class: "tone-" + label });
      row.append(el("td", {}, slice(s.start, s.end)), el("td", {}, label),
        el("td", {}, s.tone ? s.tone.scores.rude.toFixed(2) : "–"));
      rows.append(row);
    });
  }

  function showDetail(finding, mark) {
    document.querySelectorAll("mark.finding.active").forEach((m) => m.classList.remove("active"));
    mark.classList.add("active");
    const detail = $("detail");
    detail.replaceChildren(el("p", {}, finding.message));
    if (finding.suggestions.length) {
      const p = el("p", {}, "Replace with: ");
      finding.suggestions.forEach((s) => {
        const button = el("button", { type: "button", class: "suggestion" }, s);
        button.addEventListener("click", () => applySuggestion(finding, s));
        p.append(button);
      });
      detail.append(p);
    }
    detail.hidden = false;
  }

  function applySuggestion(finding, replacement) {
    const chars = Array.from(lastText);
    const fixed = chars.slice(0, finding.start).join("") + replacement + chars.slice(finding.end).join("");
    $("draft").value = fixed;
    runCheck();
  }

  $("check").addEventListener("click", runCheck);
})();
