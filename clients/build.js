// npm run build: self-contained add-ins under build/, with no dependencies.
//   build/thunderbird/            the MailExtension, core/ copied in, imports rewritten to ./core/
//   build/tonecheck-thunderbird.xpi  that folder zipped (Add-ons Manager -> Install Add-on From File)
//   build/outlook/                the folder to host over HTTPS: manifest.xml pointing at OUTLOOK_URL, pages,
//                                 core/, icons, launchevent.classic.js (one script for classic Outlook's JS runtime)
// OUTLOOK_URL (default https://addin.example.com) is where build/outlook/ will be served.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync, deflateSync } from "node:zlib";

const HERE = dirname(fileURLToPath(import.meta.url));
const PLACEHOLDER = "https://addin.example.com";
const SHIPPED = /\.(js|html|css|json|xml)$/;
const isShipped = (name) => SHIPPED.test(name) && !name.endsWith(".test.js");

// Sources under core/ and an add-in folder reach core/ as ../core/; in the built folder it is ./core/.
export const rewriteCoreImports = (source) => source.replace(/(["'])\.\.\/core\//g, "$1./core/");

function copyTree(from, to, { transform = (s) => s } = {}) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).sort()) {
    if (!isShipped(name) || statSync(join(from, name)).isDirectory()) continue;
    writeFileSync(join(to, name), transform(readFileSync(join(from, name), "utf8"), name));
  }
}

// ---------------------------------------------------------------- zip (store + deflate, fixed timestamps)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
export function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// files: [[name, Buffer]] -> a zip archive (deflated, DOS time 1980-01-01 00:00 so builds are byte-identical).
export function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBuf = Buffer.from(name, "utf8");
    const packed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8); local.writeUInt16LE(0, 10); local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26); local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8); central.writeUInt16LE(8, 10); central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14); central.writeUInt32LE(crc, 16); central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

function listFiles(root, dir = root) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(root, path) : [relative(root, path).split("\\").join("/")];
  });
}

// ---------------------------------------------------------------- PNG icons (a plain square, the add-in's colour)

function png(size, [r, g, b]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0); body.copy(out, 4); out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0); header.writeUInt32BE(size, 4); header[8] = 8; header[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: size }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header),
    chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

// ---------------------------------------------------------------- one classic script from ES modules

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*["'](\.{1,2}\/[^"']+)["'];?\s*$/gm;

// Concatenate an entry module and what it imports (relative, named imports only) into one script in an IIFE:
// classic Outlook on Windows runs the event handler in a JavaScript-only runtime without ES modules.
export function bundleClassic(entry) {
  const order = [];
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    const aliases = [];
    for (const m of source.matchAll(IMPORT)) {
      visit(resolve(dirname(file), m[2]));
      for (const spec of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
        const [name, alias] = spec.split(/\s+as\s+/);
        if (alias && alias !== name) aliases.push(`const ${alias} = ${name};`);
      }
    }
    if (/^\s*(import|export)\s+(\*|default|\{)/m.test(source.replace(IMPORT, ""))) {
      throw new Error(`${file}: only named relative imports and exported declarations can be bundled`);
    }
    const body = source.replace(IMPORT, "").replace(/^export\s+(?=(async\s+)?function|class|const|let)/gm, "");
    order.push(`// ---- ${relative(HERE, file)}\n${aliases.join("\n")}\n${body}`);
  };
  visit(entry);
  return `// Built by clients/build.js from ES modules; do not edit.\n(function () {\n"use strict";\n${order.join("\n")}\n})();\n`;
}

// ---------------------------------------------------------------- the build

export function build({ out = join(HERE, "build"), outlookUrl = PLACEHOLDER } = {}) {
  const base = outlookUrl.replace(/\/+$/, "");
  if (!/^https:\/\//.test(base)) throw new Error(`OUTLOOK_URL must be https:// (Office requires it): ${outlookUrl}`);
  rmSync(out, { recursive: true, force: true });
  for (const addin of ["thunderbird", "outlook"]) {
    const dest = join(out, addin);
    copyTree(join(HERE, addin), dest, {
      transform: (s, name) => (name === "manifest.xml" ? s.replaceAll(PLACEHOLDER, base) : rewriteCoreImports(s)),
    });
    copyTree(join(HERE, "core"), join(dest, "core"));
  }
  const assets = join(out, "outlook", "assets");
  mkdirSync(assets);
  for (const size of [16, 32, 64, 80, 128]) writeFileSync(join(assets, `icon-${size}.png`), png(size, [0x1f, 0x6f, 0x8b]));
  writeFileSync(join(out, "outlook", "launchevent.classic.js"), bundleClassic(join(HERE, "outlook", "launchevent.js")));
  const tb = join(out, "thunderbird");
  const xpi = join(out, "tonecheck-thunderbird.xpi");
  writeFileSync(xpi, zip(listFiles(tb).map((name) => [name, readFileSync(join(tb, name))])));
  return { thunderbird: tb, xpi, outlook: join(out, "outlook") };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const done = build({ outlookUrl: process.env.OUTLOOK_URL ?? PLACEHOLDER });
  for (const [what, path] of Object.entries(done)) console.log(`${what}: ${relative(process.cwd(), path)}`);
}
