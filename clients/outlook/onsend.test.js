import assert from "node:assert/strict";
import { test } from "node:test";
import { decideSend } from "./onsend.js";

const item = (text) => ({ getBodyText: async () => text });
const reply = (status, body) => async () => ({ ok: status < 400, status, json: async () => body });
const SETTINGS = { serviceUrl: "https://tone.example.com", apiKey: "k", policy: { review: "warn", block: "block" } };

test("a clean draft is sent", async () => {
  assert.deepEqual(await decideSend(item("Thanks!"), SETTINGS, reply(200, { verdict: "ok", findings: [] })), { allowEvent: true });
});

test("a rude draft is held with the findings", async () => {
  const report = { verdict: "block", findings: [{ text: "asinine", message: "Avoid 'asinine'." }] };
  const out = await decideSend(item("That is asinine."), SETTINGS, reply(200, report));
  assert.equal(out.allowEvent, false);
  assert.match(out.errorMessage, /asinine/);
  assert.match(out.errorMessage, /rephrase/);
});

test("a wrong key or a down service says so", async () => {
  assert.match((await decideSend(item("Hi"), SETTINGS, reply(401, {}))).errorMessage, /API key/);
  const down = async () => { throw new TypeError("Failed to fetch"); };
  assert.match((await decideSend(item("Hi"), SETTINGS, down)).errorMessage, /not reachable/);
});
