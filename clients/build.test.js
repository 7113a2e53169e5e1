import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { runInNewContext } from "node:vm";
import { inflateRawSync } from "node:zlib";
import { build, crc32 } from "./build.js";
import { hostPermission } from "./core/settings.js";

const OUTLOOK_URL = "https://addins.contoso.test/tonecheck";
const out = build({ out: join(mkdtempSync(join(tmpdir(), "tonecheck-build-")), "build"), outlookUrl: OUTLOOK_URL });

const files = (root, dir = root) => readdirSync(dir).sort().flatMap((n) =>
  (statSync(join(dir, n)).isDirectory() ? files(root, join(dir, n)) : [relative(root, join(dir, n)).split(sep).join("/")]));

// Every local reference of a page or module: imports, script src, stylesheet href.
function references(path) {
  const source = readFileSync(path, "utf8");
  const found = [];
  if (path.endsWith(".js")) {
    for (const m of source.matchAll(/^\s*import\s+(?:[\s\S]*?\s+from\s+)?["']([^"']+)["']/gm)) found.push(m[1]);
    for (const m of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]);
  } else if (path.endsWith(".html")) {
    for (const m of source.matchAll(/\b(?:src|href)="([^"]+)"/g)) found.push(m[1]);
  }
  return found.filter((ref) => !/^https:\/\//.test(ref));
}

// Walk from the entry points; every reference must be relative, resolve inside root, and exist.
function walk(root, entries) {
  const seen = new Set();
  const todo = entries.map((e) => resolve(root, e));
  while (todo.length) {
    const path = todo.pop();
    if (seen.has(path)) continue;
    seen.add(path);
    assert.ok(path.startsWith(root + sep), `${relative(root, path)} is outside the add-in folder`);
    assert.ok(existsSync(path), `${relative(root, path)} is missing`);
    for (const ref of references(path)) {
      // a module specifier must start with ./ or ../; a page's src/href is relative unless it has a scheme or a /
      const relativeRef = path.endsWith(".js") ? /^\.{1,2}\// : /^(?![a-z][a-z0-9+.-]*:|\/)/i;
      assert.match(ref, relativeRef, `${relative(root, path)}: "${ref}" is not a relative path`);
      todo.push(resolve(dirname(path), ref.split(/[?#]/)[0]));
    }
  }
  return [...seen].map((p) => relative(root, p).split(sep).join("/")).sort();
}

// A WebExtension match pattern ("https://*/*") matched against a URL pattern we ask for ("https://host:port/*").
function covers(pattern, wanted) {
  const [, scheme, host] = /^([a-z*]+):\/\/([^/]*)\//.exec(pattern);
  const url = new URL(wanted.replace(/\*$/, ""));
  const hostOk = host === "*" || host === url.hostname || (host.startsWith("*.") && url.hostname.endsWith(host.slice(1)));
  return (scheme === "*" ? /^https?:$/.test(url.protocol) : `${scheme}:` === url.protocol) && hostOk;
}

test("the built Thunderbird folder is self-contained: every page and import resolves inside it", () => {
  const root = out.thunderbird;
  const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  const entries = [...manifest.background.scripts, manifest.compose_action.default_popup, manifest.options_ui.page];
  const reached = walk(root, entries);
  for (const needed of ["background.js", "popup.html", "popup.js", "options.html", "core/tonecheck.js", "core/review.js", "core/draft.js"]) {
    assert.ok(reached.includes(needed), `${needed} is not reached from the manifest`);
  }
  // confirm.html is opened by background.js with windows.create, not imported
  assert.match(readFileSync(join(root, "background.js"), "utf8"), /confirm\.html/);
  walk(root, ["confirm.html"]);
  assert.ok(!files(root).some((f) => f.endsWith(".test.js")), "tests are not shipped");
});

test("manifest.json is a valid MailExtension manifest with the permissions its code uses", () => {
  const root = out.thunderbird;
  const m = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  assert.equal(m.manifest_version, 2);
  assert.ok(m.name && m.description);
  assert.match(m.version, /^\d+(\.\d+){0,3}$/);
  assert.match(m.browser_specific_settings.gecko.id, /^[^@\s]+@[^@\s]+$/);
  assert.ok(Number.parseFloat(m.browser_specific_settings.gecko.strict_min_version) >= 115);
  assert.equal(m.background.type, "module");
  // each messenger.* namespace the code calls, and the permission it needs (null: none)
  const needs = { compose: "compose", storage: "storage", tabs: null, windows: null, runtime: null, permissions: null };
  const used = new Set(files(root).filter((f) => f.endsWith(".js"))
    .flatMap((f) => [...readFileSync(join(root, f), "utf8").matchAll(/\bmessenger\.(\w+)/g)].map((x) => x[1])));
  for (const api of used) {
    assert.ok(api in needs, `messenger.${api} is used but not known to this test`);
    if (needs[api]) assert.ok(m.permissions.includes(needs[api]), `messenger.${api} needs the "${needs[api]}" permission`);
  }
  assert.ok(used.has("compose") && used.has("storage"));
  // the options page asks for the service's origin: every URL it accepts is covered by an optional host permission
  for (const url of ["https://tone.example.com", "https://tone.example.com:8443", "http://127.0.0.1:8080", "http://localhost:5000"]) {
    const want = hostPermission(url);
    assert.ok(m.optional_permissions.some((p) => covers(p, want)), `${want} is not in optional_permissions`);
  }
  assert.ok(!m.optional_permissions.some((p) => covers(p, "http://tone.example.com/*")), "plain http to any host is not asked for");
});

function unzip(buf) {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const entries = new Map();
  for (let i = 0; i < count; i += 1) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    const [method, crc, size, raw] = [buf.readUInt16LE(at + 10), buf.readUInt32LE(at + 16), buf.readUInt32LE(at + 20), buf.readUInt32LE(at + 24)];
    const nameLen = buf.readUInt16LE(at + 28);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const local = buf.readUInt32LE(at + 42);
    assert.equal(buf.readUInt32LE(local), 0x04034b50);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const packed = buf.subarray(start, start + size);
    const data = method === 8 ? inflateRawSync(packed) : packed;
    assert.equal(data.length, raw);
    assert.equal(crc32(data), crc, name);
    entries.set(name, data);
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return entries;
}

test("the .xpi holds exactly the built folder, manifest.json at its root, byte for byte and reproducibly", () => {
  const xpi = readFileSync(out.xpi);
  const entries = unzip(xpi);
  assert.deepEqual([...entries.keys()].sort(), files(out.thunderbird));
  for (const [name, data] of entries) assert.ok(data.equals(readFileSync(join(out.thunderbird, name))), name);
  const again = build({ out: join(mkdtempSync(join(tmpdir(), "tonecheck-build-")), "build"), outlookUrl: OUTLOOK_URL });
  assert.ok(readFileSync(again.xpi).equals(xpi), "two builds give the same bytes");
});

test("the Outlook folder: manifest URLs point at files in it, pages load only office.js from outside", () => {
  const root = out.outlook;
  const xml = readFileSync(join(root, "manifest.xml"), "utf8");
  assert.ok(!xml.includes("addin.example.com"));
  const urls = [...xml.matchAll(/"(https:\/\/[^"]+)"/g)].map((m) => m[1]).filter((u) => !u.includes("schemas.microsoft.com"));
  assert.ok(urls.length >= 8);
  for (const url of urls) {
    if (url === OUTLOOK_URL) continue; // AppDomain
    assert.ok(url.startsWith(`${OUTLOOK_URL}/`), url);
    assert.ok(existsSync(join(root, url.slice(OUTLOOK_URL.length + 1))), `${url} has no file in build/outlook`);
  }
  for (const page of ["taskpane.html", "commands.html"]) {
    walk(root, [page]);
    const external = [...readFileSync(join(root, page), "utf8").matchAll(/\b(?:src|href)="(https:[^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(external, ["https://appsforoffice.microsoft.com/lib/1/hosted/office.js"], page);
  }
});

test("launchevent.classic.js is one script that registers the handler and holds a rude draft", async () => {
  const source = readFileSync(join(out.outlook, "launchevent.classic.js"), "utf8");
  assert.doesNotMatch(source, /^\s*(import|export)\b/m);
  const handlers = {};
  const settings = { serviceUrl: "https://tone.example.com", apiKey: "k" };
  const Office = {
    CoercionType: { Text: "text" }, AsyncResultStatus: { Succeeded: "succeeded" },
    actions: { associate: (name, fn) => { handlers[name] = fn; } },
    context: {
      roamingSettings: { get: (k) => settings[k] },
      mailbox: { item: { body: { getAsync: (_, cb) => cb({ status: "succeeded", value: "That is asinine." }) } } },
    },
  };
  const report = { verdict: "block", findings: [{ text: "asinine", message: "Avoid 'asinine'." }] };
  const fetch = async () => ({ ok: true, status: 200, json: async () => report });
  runInNewContext(source, { Office, fetch, URL, globalThis: { fetch } });
  assert.equal(typeof handlers.onMessageSendHandler, "function");
  const done = await new Promise((res) => handlers.onMessageSendHandler({ completed: res }));
  assert.equal(done.allowEvent, false);
  assert.match(done.errorMessage, /asinine/);
});
