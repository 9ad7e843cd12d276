// Whether an LLM endpoint is on another computer, for the Settings tab's notice of what would
// be sent there. The rule is the engine's (`reasoning::llm::endpoint`): localhost,
// 127.0.0.0/8 and ::1 are this computer; both read the URL by the WHATWG URL standard. The
// engine's check is the one that counts: saving a remote endpoint without consent is refused
// there, with its own message.

/** What this module reads of a parsed URL. */
interface ParsedUrl {
  protocol: string;
  hostname: string;
}

/** The platform's WHATWG URL parser (the browser's, or Node's in the tests, whose build has no
 * DOM types). */
const WhatwgUrl = (globalThis as unknown as { URL: new (text: string) => ParsedUrl }).URL;

/** The host of a remote endpoint, or null when it is this computer or not a URL. */
export function remoteHost(endpoint: string): string | null {
  let url: ParsedUrl;
  try {
    url = new WhatwgUrl(endpoint.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const host = url.hostname.toLowerCase();
  if (host === "" || host === "localhost") return null;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return null;
  const v6 = host.replace(/^\[|\]$/g, "");
  if (v6 === "::1" || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(v6)) return null;
  return v6;
}

/** The one-line notice for a remote endpoint: where, and what goes there. */
export function remoteNotice(host: string, whatIsSent: string): string {
  return `This server is on another computer (${host}): Tandem will send it ${whatIsSent}.`;
}
