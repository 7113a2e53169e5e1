import assert from "node:assert/strict";
import { test } from "node:test";
import { applySuggestion, applyToModel, reviewModel, startReview, withReport } from "./review.js";

const finding = (text, draft, extra = {}) => {
  const start = draft.indexOf(text);
  return { rule_id: `r.${text}`, start: -1, end: -1, start_utf16: start, end_utf16: start + text.length, text,
    message: `Avoid '${text}'.`, severity: "error", category: "banned_word", suggestions: ["odd"], ...extra };
};

const DRAFT = "Hi 👋🏽 Sam! That is asinine, frankly stupid.";
const REPORT = { verdict: "block", findings: [finding("asinine", DRAFT), finding("stupid", DRAFT, { suggestions: ["unclear", "odd"] })] };

test("the model lists each finding with its UTF-16 span and highlights it", () => {
  const model = reviewModel(DRAFT, REPORT);
  assert.deepEqual(model.items.map((i) => DRAFT.slice(i.start, i.end)), ["asinine", "stupid"]);
  assert.deepEqual(model.pieces.filter((p) => p.id !== undefined).map((p) => [p.id, p.text]), [[0, "asinine"], [1, "stupid"]]);
  assert.equal(model.pieces.map((p) => p.text).join(""), DRAFT);
  assert.deepEqual(model.items[1].suggestions, ["unclear", "odd"]);
});

test("applying moves the later findings and drops the overlapping ones", () => {
  const model = reviewModel(DRAFT, REPORT);
  const after = applyToModel(model, 0, "an odd one");
  assert.equal(after.text, "Hi 👋🏽 Sam! That is an odd one, frankly stupid.");
  assert.deepEqual(after.items.map((i) => after.text.slice(i.start, i.end)), ["stupid"]);
  const overlap = reviewModel("very stupid", { verdict: "review", findings: [
    finding("very stupid", "very stupid"), finding("stupid", "very stupid")] });
  assert.deepEqual(applyToModel(overlap, 0, "unclear").items, []);
});

test("apply in a compose body: the body, the checked text and the review stay in step", () => {
  const body = `<p>${DRAFT.replace("Sam!", "Sam&nbsp;!")}</p><blockquote>stupid</blockquote>`;
  let review = startReview(body, { html: true });
  const text = review.draft.text;
  review = withReport(review, { verdict: "block", findings: [finding("asinine", text), finding("stupid", text)] });
  review = applySuggestion(review, 1, "unclear");
  review = applySuggestion(review, 0, "odd");
  assert.equal(review.body, "<p>Hi 👋🏽 Sam&nbsp;! That is odd, frankly unclear.</p><blockquote>stupid</blockquote>");
  assert.equal(review.model.items.length, 0);
  assert.throws(() => applySuggestion(review, 0, "odd"), /no finding 0/);
});
