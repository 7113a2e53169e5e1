import assert from "node:assert/strict";
import { test } from "node:test";
import { draftText, htmlText, replaceInBody, StaleDraft } from "./draft.js";
import { ownWords } from "./tonecheck.js";

const sameAsMap = (body, m) => {
  // every character of the checked text reads the same in the body where the map points (entities aside)
  for (let i = 0; i < m.text.length; i += 1) {
    const src = body.slice(m.from[i], m.to[i]);
    assert.ok(src === m.text[i] || src.startsWith("&") || /^(\r?\n|<)/.test(src), `${i}: ${JSON.stringify(src)}`);
  }
};

test("plain text: the checked words are ownWords', mapped back to the body", () => {
  const body = "Hi 👋🏽 Sam,\r\nthat is asinine.\n> you idiots\nBye\n\nOn Mon, 1 Dec 2026, Pat wrote:\n> stupid\n";
  const d = draftText(body);
  assert.equal(d.text, ownWords(body));
  sameAsMap(body, d);
  const at = d.text.indexOf("asinine");
  assert.equal(body.slice(d.from[at], d.to[at + 6]), "asinine");
});

test("HTML: text as the send check sees it, each character traced to its tag or entity", () => {
  const html = "<p>Q&amp;A: that&nbsp;is <b>asinine</b>.</p><div>Bye</div><blockquote>you idiots</blockquote>";
  const m = htmlText(html);
  assert.equal(m.text, "Q&A: that is asinine.\nBye\n");
  assert.equal(html.slice(m.from[1], m.to[1]), "&amp;");
  const d = draftText(html, { html: true });
  assert.equal(d.text, "Q&A: that is asinine.\nBye");
  const page = '<html><head><style>p { color: red }</style></head><body><p>Fine.</p><script>x()</script></body></html>';
  assert.equal(htmlText(page).text, "Fine.\n");
});

test("a suggestion replaces its span in the body, after an emoji and inside HTML", () => {
  const plain = "Hi 👋🏽 that is asinine.\n> asinine";
  const d = draftText(plain);
  const start = d.text.indexOf("asinine");
  const span = { start, end: start + 7, expected: "asinine" };
  assert.equal(replaceInBody(plain, d, span, "unusual"), "Hi 👋🏽 that is unusual.\n> asinine");

  const html = "<p>Hi 👋🏽 that&nbsp;is <i>so</i> asinine &amp; odd.</p><blockquote>asinine</blockquote>";
  const h = draftText(html, { html: true });
  const s = h.text.indexOf("asinine");
  const out = replaceInBody(html, h, { start: s, end: s + 7, expected: "asinine" }, "<odd> & new", { html: true });
  assert.equal(out, "<p>Hi 👋🏽 that&nbsp;is <i>so</i> &lt;odd&gt; &amp; new &amp; odd.</p><blockquote>asinine</blockquote>");
});

test("a changed draft or a span across formatting is refused, not garbled", () => {
  const d = draftText("that is asinine");
  assert.throws(() => replaceInBody("that is asinine", d, { start: 0, end: 4, expected: "asin" }, "x"), StaleDraft);
  const html = "<p>as<b>inine</b></p>";
  const h = draftText(html, { html: true });
  assert.throws(() => replaceInBody(html, h, { start: 0, end: 7, expected: "asinine" }, "odd", { html: true }),
    /crosses formatting/);
});
