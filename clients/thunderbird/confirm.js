const params = new URLSearchParams(location.search);
document.getElementById("message").textContent = params.get("message");
if (params.get("alertOnly") === "true") document.getElementById("send").hidden = true;
const win = await messenger.windows.getCurrent();
for (const [id, send] of [["send", true], ["back", false]]) {
  document.getElementById(id).addEventListener("click", async () => {
    await messenger.runtime.sendMessage({ windowId: win.id, send });
    window.close();
  });
}
