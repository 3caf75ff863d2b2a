import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { answerHead } from "../../src/http/head";
import { router } from "../../src/router";
import { createCase, freshIp, ORIGIN, registerAdmin, registerUser, type TestUser } from "../helpers";

interface Raw {
  status: number;
  headers: Headers;
  bytes: number;
}

async function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers: { "cf-connecting-ip": freshIp(), ...headers } }));
  return { status: res.status, headers: res.headers, bytes: (await res.arrayBuffer()).byteLength };
}

/** Every header but Content-Length, which a GET's Headers object does not carry before it is sent. */
const headerList = (headers: Headers) => [...headers].filter(([name]) => name !== "content-length").sort();

// Each GET route of the router, its parameters filled with something it can look up.
const getRoutes = router.routes.flatMap(([method, , , path]) => (method === "GET" && path ? [path] : []));

describe("HEAD", () => {
  let admin: TestUser;
  let params: Record<string, string>;

  beforeAll(async () => {
    admin = await registerAdmin();
    const player = await registerUser();
    const created = await createCase(admin);
    params = { id: created.id, userId: player.id };
  });

  const fill = (path: string) => path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? params.id ?? "x");

  it("finds the router's GET routes", () => {
    expect(getRoutes).toEqual(expect.arrayContaining(["/health", "/api/cases", "/api/cases/:id", "/ws/lobby", "/api/admin/users/:id/ledger"]));
    expect(getRoutes.length).toBeGreaterThanOrEqual(14);
  });

  it.each(getRoutes)("answers HEAD %s like GET, without a body, anonymous and as admin", async (route) => {
    const callers: Record<string, string>[] = [{}, { authorization: `Bearer ${admin.token}` }];
    for (const auth of callers) {
      const path = fill(route);
      const get = await raw("GET", path, auth);
      const head = await raw("HEAD", path, auth);
      expect(head.status, path).toBe(get.status);
      expect(head.status, path).not.toBe(405);
      expect(head.bytes, path).toBe(0);
      expect(headerList(head.headers), path).toEqual(headerList(get.headers));
      // /health reports timings, so two calls differ in length; every other GET here is repeatable.
      if (route !== "/health") expect(head.headers.get("content-length"), path).toBe(String(get.bytes));
    }
  });

  it("answers HEAD for an unknown route with the 404 of a GET, and no JSON body", async () => {
    const get = await raw("GET", "/api/nope");
    const head = await raw("HEAD", "/api/nope");
    expect(get.status).toBe(404);
    expect(head.status).toBe(404);
    expect(head.bytes).toBe(0);
    expect(head.headers.get("content-length")).toBe(String(get.bytes));
  });

  it("never asks a route to open a socket", async () => {
    // workerd itself turns an upgrade request into a GET handshake before the Worker sees it; this
    // guards the calls that do not pass through it (service bindings, tests).
    let seen: string | null = "not called";
    const head = await answerHead(new Request(`${ORIGIN}/ws/lobby`, { method: "HEAD", headers: { upgrade: "websocket" } }), async (request) => {
      seen = request.headers.get("upgrade");
      return new Response("{}", { status: 426 });
    });
    expect(seen).toBeNull();
    expect(head.status).toBe(426);
  });

  it("leaves other methods alone (POST-only routes stay 404 for HEAD, like GET)", async () => {
    expect((await raw("HEAD", "/api/auth/login")).status).toBe((await raw("GET", "/api/auth/login")).status);
    expect((await raw("POST", "/api/auth/login", { "content-type": "application/json" })).status).toBe(400);
  });

  it("keeps a Content-Length the GET response already had, and adds none to an empty one", async () => {
    const fixed = await answerHead(new Request(`${ORIGIN}/x`, { method: "HEAD" }), async () => new Response("abc", { headers: { "content-length": "3" } }));
    expect(fixed.headers.get("content-length")).toBe("3");
    expect(fixed.body).toBeNull();
    const empty = await answerHead(new Request(`${ORIGIN}/x`, { method: "HEAD" }), async () => new Response(null, { status: 204 }));
    expect(empty.status).toBe(204);
    expect(empty.headers.get("content-length")).toBeNull();
  });
});
