import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient } from "../../scripts/build-client.mjs";
import { buildSite } from "../../scripts/build-site.mjs";
import { API_CSP, COMMON_SECURITY_HEADERS, HSTS, SITE_CSP } from "../../src/http/security-headers";
import { startServer, type DevServer } from "./harness";

// What a real `wrangler dev` sends: the asset server applies public/_headers to the site, the Worker
// adds its own to the API. Both halves are served by different code, so both are checked here.
let ctx: Awaited<ReturnType<typeof startServer>>;
let server: DevServer;

beforeAll(async () => {
  await Promise.all([buildSite(), buildClient()]);
  ctx = await startServer();
  server = ctx.server;
});

afterAll(async () => {
  await server?.stop();
  await ctx?.cleanup();
});

/** One request per connection: wrangler dev drops idle keep-alive sockets after ~5 s. */
async function fetchRaw(method: string, path: string) {
  const res = await fetch(`${server.url}${path}`, { method, headers: { connection: "close" }, redirect: "manual" });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body };
}

function expectCommon(headers: Headers, what: string): void {
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) expect(headers.get(name), `${what}: ${name}`).toBe(value);
}

const PAGES = ["/", "/login", "/register", "/case/starter", "/inventory", "/fairness", "/history", "/admin", "/admin/users"];
/** Paths the site does not have: the same shell and headers, with 404 (src/http/site-pages.ts). */
const NOT_PAGES = ["/ledger", "/no-such-page"];
const ASSETS = ["/build/app.js", "/css/site.css", "/img/favicon.svg", "/img/case-starter.svg", "/sdk/realtime.js"];
const API = [
  ["/health", 200],
  ["/api/cases", 200],
  ["/api/auth/me", 401],
  ["/api/admin/cases", 401],
  ["/api/nope", 404],
  ["/ws/lobby", 426],
] as const;

describe("security headers from a real wrangler dev", () => {
  it("every page (and the 404 for a path the site does not have) carries the site's policy", async () => {
    for (const path of [...PAGES, ...NOT_PAGES]) {
      const res = await fetchRaw("GET", path);
      expect(res.status, path).toBe(NOT_PAGES.includes(path) ? 404 : 200);
      expect(res.headers.get("content-type"), path).toMatch(/^text\/html/);
      expect(res.headers.get("content-security-policy"), path).toBe(SITE_CSP);
      // Sent on http too: a rule cannot match the scheme, and browsers ignore HSTS over http.
      expect(res.headers.get("strict-transport-security"), path).toBe(HSTS);
      expectCommon(res.headers, path);
    }
  });

  it("the page itself has no inline script or style the policy would block", async () => {
    const { body } = await fetchRaw("GET", "/");
    for (const script of body.match(/<script\b[^>]*>/g) ?? []) expect(script).toMatch(/\bsrc="\/[^"]+"/);
    expect(body).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it("scripts, styles and images carry the headers too, and _headers itself is never served", async () => {
    for (const path of ASSETS) {
      const res = await fetchRaw("GET", path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toBe(SITE_CSP);
      expectCommon(res.headers, path);
    }
    const file = await fetchRaw("GET", "/_headers");
    expect(file.body).not.toContain("Content-Security-Policy:");
  });

  it("the API and the socket routes carry the Worker's stricter policy, without HSTS over http", async () => {
    for (const [path, status] of API) {
      const res = await fetchRaw("GET", path);
      expect(res.status, path).toBe(status);
      expect(res.headers.get("content-security-policy"), path).toBe(API_CSP);
      expect(res.headers.get("strict-transport-security"), path).toBeNull();
      expectCommon(res.headers, path);
    }
  });

  it("HEAD answers like GET on pages, assets and the API, without a body", async () => {
    for (const path of ["/", "/login", ...ASSETS, ...API.map(([p]) => p)]) {
      const get = await fetchRaw("GET", path);
      const head = await fetchRaw("HEAD", path);
      expect(head.status, path).toBe(get.status);
      expect(head.body, path).toBe("");
      expect(head.headers.get("content-type"), path).toBe(get.headers.get("content-type"));
      expect(head.headers.get("content-security-policy"), path).toBe(get.headers.get("content-security-policy"));
      const length = get.headers.get("content-length");
      // /health reports timings, so its length may differ between two calls.
      if (length !== null && path !== "/health") expect(head.headers.get("content-length"), path).toBe(length);
    }
  });
});
