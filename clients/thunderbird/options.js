// Options page: validate and store the service URL and key in storage.local; ask for the service's host
// permission so the add-in's requests do not depend on the service's CORS list.
import { bindOptions } from "../core/options-view.js";
import { hostPermission } from "../core/settings.js";

bindOptions(document.getElementById("options"), {
  load: () => messenger.storage.local.get(["serviceUrl", "apiKey", "policy"]),
  async save(settings) {
    // permissions.request needs the click's user gesture, so it comes before any other await
    const granted = await messenger.permissions.request({ origins: [hostPermission(settings.serviceUrl)] }).catch(() => false);
    await messenger.storage.local.set(settings);
    if (!granted) throw new Error(`saved, but without access to ${settings.serviceUrl}: list the add-in's origin in the service's cors_origins`);
  },
});
