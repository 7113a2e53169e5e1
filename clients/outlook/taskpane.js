// Outlook task pane: check the draft on demand, review and apply suggestions, edit the roaming settings.
// `Office` is office.js, loaded by taskpane.html's <head>. The Office-free parts are in mailbox.js.
import { bindOptions } from "../core/options-view.js";
import { applySuggestion, startReview, withReport } from "../core/review.js";
import { renderReview } from "../core/review-view.js";
import { checkDraft } from "../core/tonecheck.js";
import { officeBody, roamingStore } from "./mailbox.js";

const status = document.getElementById("pane-status");
const root = document.getElementById("review");
const say = (text, className = "") => { status.textContent = text; status.className = className; };

await Office.onReady();
const store = roamingStore(Office.context.roamingSettings);
const body = officeBody(Office, Office.context.mailbox.item);
bindOptions(document.getElementById("options"), { load: store.load, save: store.save });

async function check() {
  say("checking…");
  root.replaceChildren();
  const { text, html } = await body.read();
  let review = startReview(text, { html });
  if (!review.draft.text.trim()) return say("nothing of yours to check yet");
  try {
    review = withReport(review, await checkDraft(review.draft.text, { ...store.load(), fetch: globalThis.fetch }));
  } catch (err) {
    return say(err.message, "error");
  }
  say("");
  const draw = () => renderReview(root, review.model, async (id, replacement) => {
    try {
      review = applySuggestion(review, id, replacement);
      await body.write(review.body, review.html);
      say(`applied “${replacement}”`, "ok");
    } catch (err) {
      say(err.message, "error");
    }
    draw();
  });
  draw();
}

document.getElementById("check").addEventListener("click", check);
