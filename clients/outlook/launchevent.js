// Outlook's OnMessageSend handler (Smart Alerts). `Office` is the global Office.js that Outlook provides.
import { decideSend } from "./onsend.js";

function bodyText(item) {
  return new Promise((resolve, reject) =>
    item.body.getAsync(Office.CoercionType.Text, (r) =>
      r.status === Office.AsyncResultStatus.Succeeded ? resolve(r.value) : reject(new Error(r.error.message))));
}

async function onMessageSendHandler(event) {
  const roaming = Office.context.roamingSettings;
  const settings = {
    serviceUrl: roaming.get("serviceUrl"),
    apiKey: roaming.get("apiKey"),
    policy: roaming.get("policy") ?? { review: "warn", block: "block" },
  };
  const item = { getBodyText: () => bodyText(Office.context.mailbox.item) };
  event.completed(await decideSend(item, settings, globalThis.fetch));
}

Office.actions.associate("onMessageSendHandler", onMessageSendHandler);
