import assert from "node:assert/strict";
import { test } from "node:test";
import { officeBody, roamingStore } from "./mailbox.js";
import { applySuggestion, startReview, withReport } from "../core/review.js";

// A fake of the Office.js surface the pane uses (enums, async-result callbacks).
const Office = { AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" }, CoercionType: { Html: "html", Text: "text" } };
const ok = (value) => ({ status: "succeeded", value });

function fakeItem(body, type) {
  const item = { body: {
    getTypeAsync: (cb) => cb(ok(type)),
    getAsync: (coercion, cb) => cb(coercion === type ? ok(item.value) : { status: "failed", error: { message: "coercion" } }),
    setAsync: (value, { coercionType }, cb) => { item.value = value; item.type = coercionType; cb(ok()); },
  }, value: body };
  return item;
}

test("the pane reads an HTML body, applies a suggestion and writes HTML back", async () => {
  const item = fakeItem("<html><head><style>p{}</style></head><body><p>That is asinine.</p></body></html>", "html");
  const body = officeBody(Office, item);
  const { text, html } = await body.read();
  let review = startReview(text, { html });
  assert.equal(review.draft.text, "That is asinine.");
  const start = review.draft.text.indexOf("asinine");
  review = withReport(review, { verdict: "block", findings: [{ start_utf16: start, end_utf16: start + 7, text: "asinine",
    message: "m", severity: "error", category: "banned_word", rule_id: "banned.asinine", suggestions: ["unusual"] }] });
  review = applySuggestion(review, 0, "unusual");
  await body.write(review.body, review.html);
  assert.equal(item.value, "<html><head><style>p{}</style></head><body><p>That is unusual.</p></body></html>");
  assert.equal(item.type, "html");
});

test("roaming settings load with defaults and save through saveAsync", async () => {
  const kept = new Map();
  const roaming = { get: (k) => kept.get(k), set: (k, v) => kept.set(k, v), saveAsync: (cb) => cb({ status: "succeeded" }) };
  const store = roamingStore(roaming);
  assert.deepEqual(store.load(), { serviceUrl: "", apiKey: "", policy: undefined });
  await store.save({ serviceUrl: "https://tone.example.com", apiKey: "k" });
  assert.equal(kept.get("serviceUrl"), "https://tone.example.com");
  roaming.saveAsync = (cb) => cb({ status: "failed", error: { message: "quota" } });
  await assert.rejects(store.save({ apiKey: "k2" }), /not saved: quota/);
});
