import assert from "node:assert/strict";
import { test } from "node:test";
import { beforeSend, htmlToText } from "./onbeforesend.js";

const compose = (details) => ({ getComposeDetails: async () => details });
const reply = (body) => async () => ({ ok: true, status: 200, json: async () => body });
const SETTINGS = { serviceUrl: "https://tone.example.com", apiKey: "k", policy: { review: "warn", block: "block" } };
const BLOCK = { verdict: "block", findings: [{ text: "asinine", message: "Avoid 'asinine'." }] };

test("a blocked draft is cancelled after telling the rep", async () => {
  const shown = [];
  const out = await beforeSend(compose({ isPlainText: true, plainTextBody: "That is asinine." }), { id: 1 }, SETTINGS,
    reply(BLOCK), async (m) => { shown.push(m); return true; });
  assert.deepEqual(out, { cancel: true });
  assert.match(shown[0], /asinine/);
});

test("a review draft goes if the rep says so", async () => {
  const review = { ...BLOCK, verdict: "review" };
  const details = compose({ isPlainText: false, body: "<p>Hmm.</p><blockquote>you idiots</blockquote>" });
  assert.deepEqual(await beforeSend(details, { id: 1 }, SETTINGS, reply(review), async () => true), { cancel: false });
  assert.deepEqual(await beforeSend(details, { id: 1 }, SETTINGS, reply(review), async () => false), { cancel: true });
});

test("quoted history in HTML is not sent for checking", () => {
  assert.equal(htmlToText("<p>Fixed &amp; done.</p><blockquote>stupid</blockquote>").trim(), "Fixed & done.");
});
