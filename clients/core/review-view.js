// DOM glue for the review model (core/review.js): the draft with flagged spans, and per finding its message and
// one "apply" button per suggestion. Text only (textContent), never HTML from the draft or the service.

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

// Draw `model` into `root`; onApply(id, replacement) runs when an apply button is pressed.
export function renderReview(root, model, onApply) {
  const byId = new Map(model.items.map((i) => [i.id, i]));
  const draft = el("p", { className: "draft" }, ...model.pieces.map((p) => {
    if (p.id === undefined) return p.text;
    const item = byId.get(p.id);
    return el("mark", { className: `finding sev-${item.severity}`, title: item.message, dataset: { id: item.id } }, p.text);
  }));
  const list = el("ol", { className: "findings" }, ...model.items.map((item) => el("li", { dataset: { id: item.id } },
    el("q", {}, item.text), " ", el("span", { className: "message" }, item.message), " ",
    ...item.suggestions.map((s) => {
      const button = el("button", { type: "button", className: "apply", dataset: { replacement: s } }, `apply “${s}”`);
      button.addEventListener("click", () => onApply(item.id, s));
      return button;
    }))));
  const summary = model.items.length ? `${model.items.length} to look at` : "nothing flagged";
  root.replaceChildren(el("p", { className: "verdict" }, `tonecheck: ${model.verdict} (${summary})`), draft, list);
}
