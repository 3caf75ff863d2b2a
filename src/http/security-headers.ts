/**
 * The site's policy, served by the asset server from public/_headers (a test keeps the two equal).
 * Only the site's own files and sockets: no inline script or style, no plugins, no framing (the
 * money buttons must not be click-jackable). `connect-src 'self'` covers same-origin ws:/wss: in
 * CSP Level 3 browsers (Chrome 71+, Firefox, Safari 16+). `img-src` also allows https: because an
 * admin may give an item an https:// image (src/features/cases/schemas.ts); images cannot run code.
 */
export const SITE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join("; ");

/** The Worker answers only JSON, 204s and sockets: a response of ours rendered as a page may load nothing. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** One year, this host only: `includeSubDomains` and preload are the domain owner's call, not the app's. */
export const HSTS = "max-age=31536000";

/** Sent with every response, site and API alike (the site's copy is in public/_headers). */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // frame-ancestors is the rule; X-Frame-Options is for browsers that predate it.
  "x-frame-options": "DENY",
};

/**
 * The router's last `finally` step: every Worker response gets the headers, errors and 404s included.
 * HSTS only over https: browsers ignore it on http, and local `wrangler dev` is plain http.
 */
export function secureHeaders(response: Response, request: Request): Response {
  // A handshake is no document: it leaves exactly as the Durable Object made it, socket attached.
  if (response.status === 101) return response;
  // Responses relayed from a Durable Object's fetch have immutable headers: copy before setting.
  const secured = new Response(response.body, response);
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) secured.headers.set(name, value);
  secured.headers.set("content-security-policy", API_CSP);
  if (new URL(request.url).protocol === "https:") secured.headers.set("strict-transport-security", HSTS);
  return secured;
}
