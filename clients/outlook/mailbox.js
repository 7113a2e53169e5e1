// The Office.js calls the task pane needs, as promises, with Office passed in so node --test can give a fake.

const call = (Office, fn) => new Promise((resolve, reject) => fn((r) =>
  (r.status === Office.AsyncResultStatus.Succeeded ? resolve(r.value) : reject(new Error(r.error?.message ?? "Office call failed")))));

// The compose body: read() -> {text, html} in the item's own format; write(body, html) puts it back whole.
export function officeBody(Office, item) {
  return {
    async read() {
      const type = await call(Office, (cb) => item.body.getTypeAsync(cb));
      const html = type === Office.CoercionType.Html;
      const coercionType = html ? Office.CoercionType.Html : Office.CoercionType.Text;
      return { text: await call(Office, (cb) => item.body.getAsync(coercionType, cb)), html };
    },
    write(body, html) {
      const coercionType = html ? Office.CoercionType.Html : Office.CoercionType.Text;
      return call(Office, (cb) => item.body.setAsync(body, { coercionType }, cb));
    },
  };
}

// Roaming settings (per user and add-in, kept by Exchange): serviceUrl, apiKey, policy.
export function roamingStore(roaming) {
  return {
    load: () => ({ serviceUrl: roaming.get("serviceUrl") ?? "", apiKey: roaming.get("apiKey") ?? "", policy: roaming.get("policy") ?? undefined }),
    save(settings) {
      for (const [k, v] of Object.entries(settings)) roaming.set(k, v);
      return new Promise((resolve, reject) => roaming.saveAsync((r) =>
        (r.status === "succeeded" ? resolve() : reject(new Error(`settings not saved: ${r.error?.message ?? r.status}`)))));
    },
  };
}
