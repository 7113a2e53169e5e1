// Thunderbird's compose.onBeforeSend decision, free of the messenger API so node --test can run it.
import { htmlText } from "../core/draft.js";
import { onSend, ToneCheckError } from "../core/tonecheck.js";

// compose: messenger.compose (getComposeDetails); tab: the compose tab; settings from storage.local.
// Returns what an onBeforeSend listener returns: {cancel: boolean}, and the message to show (or null).
export async function beforeSend(compose, tab, settings, fetchImpl, confirm) {
  const details = await compose.getComposeDetails(tab.id);
  const body = details.isPlainText ? details.plainTextBody : htmlToText(details.body ?? "");
  let result;
  try {
    result = await onSend(body, { ...settings, fetch: fetchImpl });
  } catch (err) {
    const why = err instanceof ToneCheckError ? err.message : `tonecheck failed: ${err.message}`;
    return { cancel: !(await confirm(`${why}\nSend without a check?`)) };
  }
  if (result.action === "send") return { cancel: false };
  if (result.action === "block") {
    await confirm(`${result.message}\nPlease rephrase before sending.`, { alertOnly: true });
    return { cancel: true };
  }
  return { cancel: !(await confirm(`${result.message}\nSend anyway?`)) };
}

// HTML to text as the review sees it (core/draft.js): blockquotes (quoted history) dropped, tags removed.
export const htmlToText = (html) => htmlText(html).text;
