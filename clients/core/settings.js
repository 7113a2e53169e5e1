// The add-ins' settings (service URL, API key, send policy): defaults and validation, shared by both options pages.

export const DEFAULT_POLICY = Object.freeze({ review: "warn", block: "block" });
const ACTIONS = ["send", "warn", "block"];

const LOOPBACK = (host) => host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);

// Why a service URL cannot be used, or null. https is required except on the loopback: the add-in's pages are
// secure contexts, and a browser blocks their requests to plain http elsewhere as mixed content.
export function serviceUrlProblem(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return "the service URL is not a URL (e.g. https://tonecheck.example.com)";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "the service URL must start with https://";
  if (url.protocol === "http:" && !LOOPBACK(url.hostname)) {
    return "use https:// for a service on another machine: the add-in runs in a secure (https) page, and the " +
      "browser blocks its requests to plain http:// as mixed content (only http://localhost and http://127.0.0.1 " +
      "are allowed)";
  }
  if (url.username || url.password) return "put the API key in its own field, not in the URL";
  if (url.pathname !== "/" || url.search || url.hash) {
    return "give the service's base address only (the add-in calls /v1/check under it)";
  }
  return null;
}

// Settings as entered in a form -> {settings, errors}: settings are only complete when errors is empty.
export function validateSettings({ serviceUrl = "", apiKey = "", policy } = {}) {
  const errors = {};
  const url = serviceUrl.trim();
  const problem = url ? serviceUrlProblem(url) : "the service URL is required";
  if (problem) errors.serviceUrl = problem;
  const key = apiKey.trim();
  if (/\s/.test(key)) errors.apiKey = "the API key has spaces in it; paste it again";
  const merged = { ...DEFAULT_POLICY, ...(policy ?? {}) };
  for (const verdict of ["review", "block"]) {
    if (!ACTIONS.includes(merged[verdict])) errors.policy = `policy.${verdict} must be one of ${ACTIONS.join(", ")}`;
  }
  const origin = problem ? null : new URL(url).origin;
  return { settings: { serviceUrl: origin, apiKey: key, policy: merged }, errors };
}

// The host permission a MailExtension asks for to reach the service without CORS: "<origin>/*".
export function hostPermission(serviceUrl) {
  return `${new URL(serviceUrl).origin}/*`;
}
