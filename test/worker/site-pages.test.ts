import { describe, expect, it } from "vitest";
import { COMMON_SECURITY_HEADERS, SITE_CSP } from "../../src/http/security-headers";
import { SITE_PAGES } from "../../src/site/paths";
import { callRaw } from "../helpers";

// The asset server sends the files that exist; every other GET outside the API reaches the Worker,
// which answers the site's shell: 200 for the site's pages, 404 for anything else.
const shellOf = (body: unknown) => (typeof body === "string" ? body : "");

describe("site pages without a file of their own", () => {
  it("every page of the site is the shell with 200 and the site's policy", async () => {
    const samples = SITE_PAGES.map((pattern) => pattern.replace(/:[a-z]+/g, "some-id"));
    for (const path of [...samples, "/inventory/", "/case/a%20b"]) {
      const res = await callRaw("GET", path, { headers: { accept: "text/html" } });
      expect([path, res.status]).toEqual([path, 200]);
      expect(res.headers.get("content-type"), path).toMatch(/^text\/html/);
      expect(shellOf(res.body), path).toContain('<div id="app">');
      expect(res.headers.get("content-security-policy"), path).toBe(SITE_CSP);
      for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) expect(res.headers.get(name), `${path}: ${name}`).toBe(value);
    }
  });

  it("a path the site does not have is the same shell with 404 (it shows 'Page not found'); HEAD says the same", async () => {
    for (const path of ["/nope", "/case", "/case/a/b", "/admin/nope", "/login/extra", "/case/%E0%A4%A"]) {
      const res = await callRaw("GET", path, { headers: { accept: "text/html" } });
      expect([path, res.status]).toEqual([path, 404]);
      expect(shellOf(res.body), path).toContain('<div id="app">');
      expect(res.headers.get("content-security-policy"), path).toBe(SITE_CSP);
      expect(res.headers.get("etag"), path).toBeNull();
    }
    const head = await callRaw("HEAD", "/nope");
    expect(head.status).toBe(404);
    expect(head.body).toBeNull();
  });

  it("API paths keep their JSON 404 and a write to a page path is not a page", async () => {
    const api = await callRaw("GET", "/api/nope");
    expect(api.status).toBe(404);
    expect(api.error?.code).toBe("not_found");
    const post = await callRaw("POST", "/nope");
    expect(post.status).toBe(404);
    expect(post.error?.code).toBe("not_found");
  });
});
