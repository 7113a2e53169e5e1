// Compose-action popup: check the draft of this compose tab, show each finding, apply a suggestion into the body.
import { applySuggestion, startReview, withReport } from "../core/review.js";
import { renderReview } from "../core/review-view.js";
import { checkDraft } from "../core/tonecheck.js";

const status = document.getElementById("status");
const root = document.getElementById("review");
const say = (text, className = "") => { status.textContent = text; status.className = className; };

async function composeTab() {
  const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
  return tab;
}

async function check() {
  say("checking…");
  root.replaceChildren();
  const tab = await composeTab();
  const details = await messenger.compose.getComposeDetails(tab.id);
  const html = !details.isPlainText;
  let review = startReview(html ? details.body ?? "" : details.plainTextBody ?? "", { html });
  if (!review.draft.text.trim()) return say("nothing of yours to check yet");
  const settings = await messenger.storage.local.get(["serviceUrl", "apiKey"]);
  try {
    review = withReport(review, await checkDraft(review.draft.text, { ...settings, fetch: globalThis.fetch }));
  } catch (err) {
    return say(err.message, "error");
  }
  say("");
  const draw = () => renderReview(root, review.model, async (id, replacement) => {
    try {
      review = applySuggestion(review, id, replacement);
      await messenger.compose.setComposeDetails(tab.id, html ? { body: review.body } : { plainTextBody: review.body });
      say(`applied “${replacement}”`, "ok");
    } catch (err) {
      say(err.message, "error");
    }
    draw();
  });
  draw();
}

document.getElementById("check").addEventListener("click", check);
check();
