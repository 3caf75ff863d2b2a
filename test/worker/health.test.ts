import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHECK_TIMEOUT_MS } from "../../src/features/health/checks";
import { handleHealth } from "../../src/features/health/routes";
import worker from "../../src/index";
import { call } from "../helpers";

describe("GET /health", () => {
  it("reports every part reachable with a timestamp and version", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: "ok",
      checks: { d1: { status: "ok" }, broadcaster: { status: "ok" }, hubs: { status: "ok" } },
      db: "ok",
      websocket: expect.stringMatching(/^(active|idle)$/),
      clients: expect.any(Number),
      players: expect.any(Number),
      version: expect.any(String),
    });
    expect(res.body.realtime).toBeUndefined();
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("answers unknown API routes with the JSON error shape", async () => {
    const res = await call("GET", "/api/nope");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: expect.stringContaining("/api/nope") } });
  });
});

// Faults are injected into the bindings, never hoped for: each test hands the handler an env in
// which one part throws, hangs or answers wrongly, and checks what a monitor would read.
const fault = () => Promise.reject(new Error("injected fault"));
const hang = () => new Promise<never>(() => {});

const deadD1 = {
  prepare() {
    throw new Error("D1_ERROR: injected fault");
  },
} as unknown as D1Database;

/** A namespace whose every object is `stub`; ids still come from the real namespace. */
function namespaceOf<K extends "BROADCASTER" | "USER_HUB">(binding: K, stub: object): Env[K] {
  return { idFromName: (name: string) => env[binding].idFromName(name), get: () => stub } as unknown as Env[K];
}

async function health(faulty: Partial<Env>) {
  const res = await handleHealth(new Request("http://cyberhub.test/health"), { ...env, ...faulty });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { checks: Record<string, { status: string; ms: number }> } };
}

describe("GET /health with a part down", () => {
  it("D1 down: 503, status down, the realtime parts still reported", async () => {
    const res = await health({ DB: deadD1 });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: "down", db: "down", checks: { d1: { status: "down" }, broadcaster: { status: "ok" }, hubs: { status: "ok" } } });
  });

  it("broadcaster failing: 200, degraded, named", async () => {
    const res = await health({ BROADCASTER: namespaceOf("BROADCASTER", { stats: fault }) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "degraded", db: "ok", realtime: "down", clients: 0, websocket: "idle" });
    expect(res.body.checks).toMatchObject({ d1: { status: "ok" }, broadcaster: { status: "down" }, hubs: { status: "ok" } });
  });

  it("broadcaster hanging: degraded once its deadline passes, not a hung health check", async () => {
    const started = Date.now();
    const res = await health({ BROADCASTER: namespaceOf("BROADCASTER", { stats: hang }) });
    expect(res.status).toBe(200);
    expect(res.body.checks.broadcaster).toEqual({ status: "down", ms: expect.any(Number) });
    expect(res.body.checks.broadcaster?.ms).toBeGreaterThanOrEqual(CHECK_TIMEOUT_MS - 50);
    expect(Date.now() - started).toBeLessThan(CHECK_TIMEOUT_MS + 3_000);
  });

  it("hubs unreachable or broken: 200, degraded, named", async () => {
    for (const hub of [{ fetch: fault }, { fetch: async () => new Response("boom", { status: 500 }) }]) {
      const res = await health({ USER_HUB: namespaceOf("USER_HUB", hub) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "degraded", checks: { d1: { status: "ok" }, broadcaster: { status: "ok" }, hubs: { status: "down" } } });
    }
  });

  it("D1 and the broadcaster down: 503, both named", async () => {
    const res = await health({ DB: deadD1, BROADCASTER: namespaceOf("BROADCASTER", { stats: fault }) });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: "down", checks: { d1: { status: "down" }, broadcaster: { status: "down" } } });
  });

  it("a monitor using HEAD sees the same 503 through the Worker", async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request("http://cyberhub.test/health", { method: "HEAD" }), { ...env, DB: deadD1 }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(res.body).toBeNull();
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
