// The Outlook on-send decision, free of Office.js so node --test can run it with a fake mailbox.
import { onSend, ToneCheckError } from "../core/tonecheck.js";

// settings: {serviceUrl, apiKey, policy} from the add-in's roaming settings (never in the code).
// item: Office.context.mailbox.item's body access, wrapped as {getBodyText(): Promise<string>}.
// Returns what event.completed() takes: {allowEvent, errorMessage?}.
export async function decideSend(item, settings, fetchImpl) {
  let result;
  try {
    result = await onSend(await item.getBodyText(), { ...settings, fetch: fetchImpl });
  } catch (err) {
    const why = err instanceof ToneCheckError ? err.message : `tonecheck failed: ${err.message}`;
    return { allowEvent: false, errorMessage: `${why}. Send anyway to skip the check.` };
  }
  if (result.action === "send") return { allowEvent: true };
  const tail = result.action === "block" ? "Please rephrase before sending." : "Send anyway if you meant it.";
  return { allowEvent: false, errorMessage: `${result.message}\n${tail}` };
}
