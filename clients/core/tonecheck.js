// The add-ins' shared core: call tonecheck's /v1/check, decide what a send should do, draw findings.
// No dependencies and no network access of its own: the caller passes `fetch` (the browser's, or a fake in tests).

export class ToneCheckError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // "unreachable" | "unauthorized" | "rejected" | "server"
  }
}

// Ask /v1/check about one draft. offsets=utf16 makes start_utf16/end_utf16 match JavaScript string indices.
export async function checkDraft(text, { serviceUrl, apiKey, fetch: fetchImpl = globalThis.fetch, pack } = {}) {
  if (!serviceUrl) throw new ToneCheckError("rejected", "no tonecheck service URL is set in the add-in's settings");
  const url = new URL("/v1/check?offsets=utf16", serviceUrl);
  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  let response;
  try {
    response = await fetchImpl(url.href, { method: "POST", headers, body: JSON.stringify(pack ? { text, pack } : { text }) });
  } catch (err) {
    throw new ToneCheckError("unreachable", `tonecheck is not reachable at ${url.origin} (${err.message})`);
  }
  if (response.status === 401) throw new ToneCheckError("unauthorized", "tonecheck refused the API key; check the add-in's settings");
  if (!response.ok) {
    let message = `tonecheck answered ${response.status}`;
    try {
      message = (await response.json()).error?.message ?? message;
    } catch { /* not JSON */ }
    throw new ToneCheckError(response.status >= 500 ? "server" : "rejected", message);
  }
  return response.json();
}

// What a send should do: "send", "warn" (ask the rep) or "block". policy: {review: "warn"|"block"|"send", block: ...}
export function decide(report, policy = { review: "warn", block: "block" }) {
  if (report.verdict === "ok") return "send";
  return policy[report.verdict] ?? "warn";
}

// A one-paragraph summary for a send dialog: the verdict and the first findings' messages.
export function summary(report, max = 3) {
  const lines = report.findings.slice(0, max).map((f) => `• "${f.text}": ${f.message}`);
  const more = report.findings.length > max ? [`…and ${report.findings.length - max} more`] : [];
  return [`tonecheck: ${report.verdict}`, ...lines, ...more].join("\n");
}

// Split the draft into plain and flagged pieces by UTF-16 offsets (what String.slice counts), for highlighting.
export function highlight(text, findings) {
  const spans = findings
    .map((f) => ({ start: f.start_utf16 ?? f.start, end: f.end_utf16 ?? f.end, finding: f }))
    .sort((a, b) => a.start - b.start);
  const pieces = [];
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue; // overlapping: the earlier one is drawn
    if (span.start > at) pieces.push({ text: text.slice(at, span.start) });
    pieces.push({ text: text.slice(span.start, span.end), finding: span.finding });
    at = span.end;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}

// The rep's own words: a reply's quoted history ("On ... wrote:" and "> " lines) is not theirs to be judged.
export function ownWords(body) {
  const lines = body.split(/\r?\n/);
  const cut = lines.findIndex((line) => /^On .+wrote:\s*$/.test(line) || /^-----\s*Original Message\s*-----/i.test(line));
  const kept = (cut === -1 ? lines : lines.slice(0, cut)).filter((line) => !line.startsWith(">"));
  return kept.join("\n").trimEnd();
}

// The whole on-send step both add-ins run: check the rep's words and say what to do. Never stores the text.
export async function onSend(body, settings) {
  const text = ownWords(body);
  if (!text.trim()) return { action: "send", report: null };
  const report = await checkDraft(text, settings);
  return { action: decide(report, settings.policy), report, message: summary(report) };
}
