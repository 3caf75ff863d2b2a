import { isSitePage } from "../site/paths";
import { COMMON_SECURITY_HEADERS, HSTS, SITE_CSP } from "./security-headers";

/** Paths the Worker always answers itself (wrangler.toml's run_worker_first), never as a page. */
const WORKER_PATHS = /^\/(?:api|ws)(?:\/|$)|^\/health$/;

/**
 * Whether the asset server passed on a request for a page: a GET or HEAD outside the API. Files
 * that exist (index.html, scripts, styles, images) never reach the Worker; the rest are pages of
 * the single-page site or nothing at all.
 */
export function isPageRequest(request: Request): boolean {
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  return !WORKER_PATHS.test(new URL(request.url).pathname);
}

/**
 * The site's shell for a page path: 200 for a page the site has, 404 for any other path (the shell
 * then shows "Page not found"), so a person and a crawler get the same answer. Replaces the asset
 * server's single-page fallback, which answered 200 for every path.
 */
export async function sitePage(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const shell = await env.ASSETS.fetch(new Request(new URL("/", url), { headers: { accept: "text/html" } }));
  const headers = new Headers(shell.headers);
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) headers.set(name, value);
  headers.set("content-security-policy", SITE_CSP);
  // As public/_headers sends it for "/" (browsers ignore it over http): one page, one set of headers.
  headers.set("strict-transport-security", HSTS);
  // The shell is the same for every path; an ETag from "/" would let a cache answer 304 for a 404.
  headers.delete("etag");
  headers.set("cache-control", "no-cache");
  return new Response(shell.body, { status: isSitePage(url.pathname) ? 200 : 404, headers });
}
