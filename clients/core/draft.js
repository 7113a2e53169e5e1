// The words a check judges, mapped back to the compose body, so a suggestion can be applied in the body itself.
// A mapped text is {text, from, to}: text[i] came from body.slice(from[i], to[i]). All offsets are UTF-16 units
// (JavaScript string indices), as /v1/check?offsets=utf16 returns them.

const TOKEN = /<(head|style|script)\b[\s\S]*?<\/\1\s*>|<blockquote[\s\S]*?<\/blockquote>|<br\s*\/?>|<\/p>|<\/div>|<[^>]+>|&nbsp;|&lt;|&gt;|&amp;/gi;
const ENTITY = { "&nbsp;": " ", "&lt;": "<", "&gt;": ">", "&amp;": "&" };

function identity(body) {
  const from = []; // by UTF-16 unit (Array.from over a string would walk code points)
  for (let i = 0; i < body.length; i += 1) from.push(i);
  return { text: body, from, to: from.map((i) => i + 1) };
}

// HTML to text (<head>, <style>, <script> and blockquotes, the quoted history, dropped; <br>, </p>, </div> as newlines; tags removed; the four
// common entities), remembering where each character came from.
export function htmlText(html) {
  let text = "";
  const from = [];
  const to = [];
  const emit = (s, a, b) => { text += s; for (let k = 0; k < s.length; k += 1) { from.push(a); to.push(b); } };
  let at = 0;
  for (const m of html.matchAll(TOKEN)) {
    for (let i = at; i < m.index; i += 1) emit(html[i], i, i + 1);
    const token = m[0].toLowerCase();
    const end = m.index + m[0].length;
    if (token in ENTITY) emit(ENTITY[token], m.index, end);
    else if (/^<(br|\/p|\/div)\b/.test(token)) emit("\n", m.index, end);
    at = end;
  }
  for (let i = at; i < html.length; i += 1) emit(html[i], i, i + 1);
  return { text, from, to };
}

const QUOTE_HEADER = (line) => /^On .+wrote:\s*$/.test(line) || /^-----\s*Original Message\s*-----/i.test(line);

// The rep's own words of a mapped text: everything above a reply header, without "> " lines, trailing space cut.
export function ownWordsMapped(m) {
  const lines = [];
  const br = /\r?\n/g;
  let at = 0;
  for (const match of m.text.matchAll(br)) {
    lines.push({ start: at, end: match.index, next: match.index + match[0].length });
    at = match.index + match[0].length;
  }
  lines.push({ start: at, end: m.text.length, next: m.text.length });
  const cut = lines.findIndex((l) => QUOTE_HEADER(m.text.slice(l.start, l.end)));
  const kept = (cut === -1 ? lines : lines.slice(0, cut)).filter((l) => m.text[l.start] !== ">" || l.start === l.end);
  const out = { text: "", from: [], to: [] };
  const source = (a, b) => (a < b ? [m.from[a], m.to[b - 1]] : [m.from[a] ?? m.to.at(-1) ?? 0, m.from[a] ?? m.to.at(-1) ?? 0]);
  kept.forEach((l, j) => {
    for (let i = l.start; i < l.end; i += 1) { out.text += m.text[i]; out.from.push(m.from[i]); out.to.push(m.to[i]); }
    if (j < kept.length - 1) {
      const [a, b] = source(l.end, l.next);
      out.text += "\n"; out.from.push(a); out.to.push(b);
    }
  });
  const trimmed = out.text.trimEnd();
  return { text: trimmed, from: out.from.slice(0, trimmed.length), to: out.to.slice(0, trimmed.length) };
}

// The text a check judges for a compose body (plain text, or HTML when html is true), mapped to the body.
export function draftText(body, { html = false } = {}) {
  return ownWordsMapped(html ? htmlText(body) : identity(body));
}

const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export class StaleDraft extends Error {}

// Replace the checked text's span [start, end) (which must still read `expected`) by `replacement` in the body.
export function replaceInBody(body, draft, { start, end, expected }, replacement, { html = false } = {}) {
  if (start >= end || draft.text.slice(start, end) !== expected) {
    throw new StaleDraft(`"${expected}" is no longer at that place in the draft; check again`);
  }
  const a = draft.from[start];
  const b = draft.to[end - 1];
  if (html && /[<>]/.test(body.slice(a, b))) {
    throw new StaleDraft(`"${expected}" crosses formatting in the draft; edit it by hand`);
  }
  return body.slice(0, a) + (html ? escapeHtml(replacement) : replacement) + body.slice(b);
}
