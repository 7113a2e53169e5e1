// The review UI's model: a checked draft's findings as items with UTF-16 spans, highlighted pieces, and "apply"
// (a suggestion replaces its span in the compose body; the other findings move with the text). No DOM here.
import { draftText, replaceInBody } from "./draft.js";
import { highlight } from "./tonecheck.js";

// The findings of one /v1/check?offsets=utf16 report over `text`, as the review lists them.
export function reviewModel(text, report) {
  const items = report.findings.map((f, id) => ({
    id,
    start: f.start_utf16 ?? f.start,
    end: f.end_utf16 ?? f.end,
    text: f.text,
    message: f.message,
    severity: f.severity,
    category: f.category,
    ruleId: f.rule_id,
    suggestions: f.suggestions ?? [],
  }));
  return withPieces({ verdict: report.verdict, text, items });
}

function withPieces(model) {
  const spans = model.items.map((item) => ({ start_utf16: item.start, end_utf16: item.end, id: item.id }));
  const pieces = highlight(model.text, spans).map((p) => (p.finding ? { text: p.text, id: p.finding.id } : { text: p.text }));
  return { ...model, pieces };
}

// The model after `replacement` took item `id`'s place: it is gone, findings overlapping it are dropped (their
// words changed), later ones shift by the change in length.
export function applyToModel(model, id, replacement) {
  const item = model.items.find((i) => i.id === id);
  if (!item) throw new Error(`no finding ${id} in this review`);
  const delta = replacement.length - (item.end - item.start);
  const text = model.text.slice(0, item.start) + replacement + model.text.slice(item.end);
  const items = model.items
    .filter((i) => i.id !== id && (i.end <= item.start || i.start >= item.end))
    .map((i) => (i.start >= item.end ? { ...i, start: i.start + delta, end: i.end + delta } : i));
  return withPieces({ ...model, text, items });
}

// One review of a compose body: what was checked (draft, mapped to the body) and what the service said.
export function startReview(body, { html = false } = {}) {
  return { body, html, draft: draftText(body, { html }), model: null };
}

export function withReport(review, report) {
  return { ...review, model: reviewModel(review.draft.text, report) };
}

// Apply a suggestion: the new compose body and the review over it. Throws StaleDraft if the body no longer
// holds the finding's words where the check saw them.
export function applySuggestion(review, id, replacement) {
  const item = review.model.items.find((i) => i.id === id);
  if (!item) throw new Error(`no finding ${id} in this review`);
  const span = { start: item.start, end: item.end, expected: item.text };
  const body = replaceInBody(review.body, review.draft, span, replacement, { html: review.html });
  const draft = draftText(body, { html: review.html });
  const model = applyToModel(review.model, id, replacement);
  if (draft.text !== model.text) throw new Error("the draft and the review disagree after the edit; check again");
  return { ...review, body, draft, model };
}
