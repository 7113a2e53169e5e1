import assert from "node:assert/strict";
import { test } from "node:test";
import { checkDraft, decide, highlight, onSend, ownWords, ToneCheckError } from "./tonecheck.js";

const DRAFT = "Hi 👋🏽 Sam! Honestly, that is an asinine question.";
const start = DRAFT.indexOf("asinine"); // a UTF-16 index, as the service's start_utf16
const REPORT = {
  verdict: "block",
  findings: [{ rule_id: "banned.asinine", start: start - 2, end: start + 5, start_utf16: start, end_utf16: start + 7,
    text: "asinine", message: "Avoid 'asinine'.", severity: "error", category: "banned_word", suggestions: ["unusual"] }],
};

function fakeFetch(status, body, calls = []) {
  const fn = async (url, init) => {
    calls.push({ url, init });
    return { ok: status < 400, status, json: async () => body };
  };
  fn.calls = calls;
  return fn;
}

test("checkDraft posts the text with the key and asks for UTF-16 offsets", async () => {
  const fetch = fakeFetch(200, REPORT);
  const report = await checkDraft(DRAFT, { serviceUrl: "https://tone.example.com", apiKey: "k1", fetch });
  assert.equal(report.verdict, "block");
  const { url, init } = fetch.calls[0];
  assert.equal(url, "https://tone.example.com/v1/check?offsets=utf16");
  assert.equal(init.headers.Authorization, "Bearer k1");
  assert.deepEqual(JSON.parse(init.body), { text: DRAFT });
});

test("a wrong key, a down service and a bad request are told apart", async () => {
  const settings = { serviceUrl: "https://tone.example.com" };
  await assert.rejects(checkDraft("x", { ...settings, fetch: fakeFetch(401, {}) }), (e) => e.kind === "unauthorized");
  const down = async () => { throw new TypeError("Failed to fetch"); };
  await assert.rejects(checkDraft("x", { ...settings, fetch: down }), (e) => e instanceof ToneCheckError && e.kind === "unreachable");
  const bad = fakeFetch(422, { error: { message: "field 'text' is empty" } });
  await assert.rejects(checkDraft("x", { ...settings, fetch: bad }), /field 'text' is empty/);
  await assert.rejects(checkDraft("x", { fetch: bad }), /no tonecheck service URL/);
});

test("decide follows the team's policy", () => {
  assert.equal(decide({ verdict: "ok" }), "send");
  assert.equal(decide({ verdict: "review" }), "warn");
  assert.equal(decide({ verdict: "block" }), "block");
  assert.equal(decide({ verdict: "block" }, { review: "send", block: "warn" }), "warn");
});

test("highlight slices by UTF-16 offsets, right after an emoji", () => {
  const pieces = highlight(DRAFT, REPORT.findings);
  const flagged = pieces.filter((p) => p.finding);
  assert.deepEqual(flagged.map((p) => p.text), ["asinine"]);
  assert.equal(pieces.map((p) => p.text).join(""), DRAFT);
});

test("quoted history is not the rep's words", () => {
  const body = "Thanks, fixed.\n\nOn Mon, 1 Dec 2026, Pat wrote:\n> this is stupid";
  assert.equal(ownWords(body), "Thanks, fixed.");
  assert.equal(ownWords("Sure.\n> you idiots\nBye"), "Sure.\nBye");
});

test("onSend checks only the rep's words and returns the action", async () => {
  const fetch = fakeFetch(200, REPORT);
  const result = await onSend(`${DRAFT}\nOn Tue, Sam wrote:\n> hello`, { serviceUrl: "http://127.0.0.1:8080", fetch });
  assert.equal(result.action, "block");
  assert.match(result.message, /asinine/);
  assert.equal(JSON.parse(fetch.calls[0].init.body).text, DRAFT);
  assert.deepEqual(await onSend("> only quoted", { serviceUrl: "http://x", fetch }), { action: "send", report: null });
});
