// DOM glue for an options form (novalidate) with fields serviceUrl and apiKey and an output#status: load, validate,
// save. The messages are core/settings.js's, so both add-ins explain https and mixed content the same way.
import { validateSettings } from "./settings.js";

// load(): Promise<{serviceUrl, apiKey}>; save(settings): Promise<void>, may throw to refuse with a message.
export async function bindOptions(form, { load, save }) {
  const status = form.querySelector("#status");
  const stored = await load();
  form.elements.serviceUrl.value = stored.serviceUrl ?? "";
  form.elements.apiKey.value = stored.apiKey ?? "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { settings, errors } = validateSettings({
      serviceUrl: form.elements.serviceUrl.value, apiKey: form.elements.apiKey.value, policy: stored.policy,
    });
    for (const name of ["serviceUrl", "apiKey"]) form.elements[name].setAttribute("aria-invalid", String(name in errors));
    const problems = Object.values(errors);
    if (problems.length) {
      status.textContent = problems.join("; ");
      status.className = "error";
      return;
    }
    try {
      await save(settings);
      status.textContent = `saved: ${settings.serviceUrl}`;
      status.className = "ok";
    } catch (err) {
      status.textContent = err.message;
      status.className = "error";
    }
  });
}
