// Thunderbird MailExtension background: check each draft when Send is pressed (compose.onBeforeSend).
import { beforeSend } from "./onbeforesend.js";

async function settings() {
  const stored = await messenger.storage.local.get(["serviceUrl", "apiKey", "policy"]);
  return { policy: { review: "warn", block: "block" }, ...stored };
}

// A plain confirm in a small popup window; returns true when the rep chooses to send.
async function confirmInWindow(message, { alertOnly = false } = {}) {
  const url = `confirm.html?${new URLSearchParams({ message, alertOnly: String(alertOnly) })}`;
  const win = await messenger.windows.create({ url, type: "popup", width: 480, height: 320 });
  return new Promise((resolve) => {
    const onMessage = (msg) => {
      if (msg?.windowId === win.id) {
        messenger.runtime.onMessage.removeListener(onMessage);
        resolve(Boolean(msg.send));
      }
    };
    messenger.runtime.onMessage.addListener(onMessage);
  });
}

messenger.compose.onBeforeSend.addListener(async (tab) =>
  beforeSend(messenger.compose, tab, await settings(), globalThis.fetch, confirmInWindow));
