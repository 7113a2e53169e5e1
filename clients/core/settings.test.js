import assert from "node:assert/strict";
import { test } from "node:test";
import { hostPermission, serviceUrlProblem, validateSettings } from "./settings.js";

test("https anywhere, plain http only on the loopback, with mixed content explained", () => {
  for (const ok of ["https://tone.example.com", "https://tone.example.com:8443/", "http://127.0.0.1:8080", "http://localhost:5000", "http://[::1]:8080"]) {
    assert.equal(serviceUrlProblem(ok), null, ok);
  }
  assert.match(serviceUrlProblem("http://tone.example.com"), /mixed content/);
  assert.match(serviceUrlProblem("http://10.0.0.5:8080"), /https/);
  assert.match(serviceUrlProblem("ftp://tone.example.com"), /https:\/\//);
  assert.match(serviceUrlProblem("tone.example.com"), /not a URL/);
  assert.match(serviceUrlProblem("https://tone.example.com/v1/check"), /base address/);
  assert.match(serviceUrlProblem("https://user:key@tone.example.com"), /API key/);
});

test("validateSettings trims, keeps the origin and the default policy, names each bad field", () => {
  const { settings, errors } = validateSettings({ serviceUrl: " https://tone.example.com/ ", apiKey: " k1 " });
  assert.deepEqual(errors, {});
  assert.deepEqual(settings, { serviceUrl: "https://tone.example.com", apiKey: "k1", policy: { review: "warn", block: "block" } });
  const bad = validateSettings({ serviceUrl: "", apiKey: "a b", policy: { block: "shrug" } }).errors;
  assert.deepEqual(Object.keys(bad).sort(), ["apiKey", "policy", "serviceUrl"]);
});

test("the host permission a MailExtension asks for", () => {
  assert.equal(hostPermission("https://tone.example.com:8443"), "https://tone.example.com:8443/*");
});
