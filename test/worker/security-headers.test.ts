import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import siteHeadersFile from "../../public/_headers?raw";
import { API_CSP, COMMON_SECURITY_HEADERS, HSTS, SITE_CSP } from "../../src/http/security-headers";
import { call, registerAdmin, registerUser } from "../helpers";
import { closeAll, connect, isLobbyWelcome } from "./realtime/sockets";

afterEach(closeAll);

function expectSecured(headers: Headers, what: string): void {
  expect(headers.get("content-security-policy"), what).toBe(API_CSP);
  for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) expect(headers.get(name), `${what}: ${name}`).toBe(value);
}

describe("security headers on Worker responses", () => {
  it("are on every route family, successes and errors alike", async () => {
    const player = await registerUser();
    const admin = await registerAdmin();
    const responses: [string, number, Awaited<ReturnType<typeof call>>][] = [
      ["health", 200, await call("GET", "/health")],
      ["register", 201, await call("POST", "/api/auth/register", { body: { email: `sec-${Date.now()}@example.test`, password: "correct horse battery", displayName: "Sec" } })],
      ["login", 200, await call("POST", "/api/auth/login", { body: { email: player.email, password: "correct horse battery" } })],
      ["me", 200, await call("GET", "/api/auth/me", { token: player.token })],
      ["cases", 200, await call("GET", "/api/cases")],
      ["admin", 200, await call("GET", "/api/admin/cases", { token: admin.token })],
      ["admin as player", 403, await call("GET", "/api/admin/cases", { token: player.token })],
      ["unknown route", 404, await call("GET", "/api/nope")],
      ["unknown case", 404, await call("GET", "/api/cases/no-such-case")],
      ["bad body", 400, await call("POST", "/api/auth/login", { body: { email: "not-an-email" } })],
      ["no session", 401, await call("GET", "/api/inventory")],
      ["socket without upgrade", 426, await call("GET", "/ws/lobby")],
      ["preflight", 204, await call("OPTIONS", "/api/cases", { headers: { origin: "https://partner.example", "access-control-request-method": "GET" } })],
      ["logout", 204, await call("POST", "/api/auth/logout", { token: player.token })],
    ];
    for (const [what, status, res] of responses) {
      expect(res.status, what).toBe(status);
      expectSecured(res.headers, what);
      // Local http: no HSTS (it would be ignored by browsers anyway).
      expect(res.headers.get("strict-transport-security"), what).toBeNull();
    }
  });

  it("keep CORS headers for allowed origins next to them", async () => {
    const res = await call("GET", "/api/cases", { headers: { origin: "https://partner.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://partner.example");
    expectSecured(res.headers, "cors");
  });

  it("add Strict-Transport-Security only when the request came over https", async () => {
    for (const path of ["/health", "/api/cases", "/api/nope"]) {
      const res = await exports.default.fetch(new Request(`https://cyberhub.test${path}`, { headers: { "cf-connecting-ip": "10.250.0.1" } }));
      await res.body?.cancel();
      expect(res.headers.get("strict-transport-security"), path).toBe(HSTS);
      expectSecured(res.headers, path);
    }
  });

  it("leave a WebSocket handshake untouched, so the socket still works", async () => {
    const socket = await connect("/ws/lobby");
    await socket.next(isLobbyWelcome);
  });
});

describe("security headers on the site (public/_headers)", () => {
  /** The `/*` rule's headers as the asset server reads them: `Name: value` lines indented under the path. */
  function siteRule(): Map<string, string> {
    const lines = siteHeadersFile.split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
    expect(lines[0]).toBe("/*");
    return new Map(
      lines.slice(1).map((line) => {
        expect(line).toMatch(/^\s+\S/);
        const colon = line.indexOf(":");
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
      }),
    );
  }

  it("sends the same policy the code declares, to every path", () => {
    const rule = siteRule();
    expect(rule.get("content-security-policy")).toBe(SITE_CSP);
    expect(rule.get("strict-transport-security")).toBe(HSTS);
    for (const [name, value] of Object.entries(COMMON_SECURITY_HEADERS)) expect(rule.get(name), name).toBe(value);
    expect(rule.size).toBe(Object.keys(COMMON_SECURITY_HEADERS).length + 2);
  });

  it("allows no inline script or style and no framing", () => {
    const directives = new Map(
      SITE_CSP.split(";").map((directive) => {
        const [name = "", ...sources] = directive.trim().split(/\s+/);
        return [name, sources] as const;
      }),
    );
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("style-src")).toEqual(["'self'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(directives.get("object-src")).toEqual(["'none'"]);
    expect(SITE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
  });
});
