import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("GET /health", () => {
  it("reports D1 reachable with a timestamp and version", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", db: "ok", version: expect.any(String) });
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
  });

  it("answers unknown API routes with the JSON error shape", async () => {
    const res = await call("GET", "/api/nope");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: expect.stringContaining("/api/nope") } });
  });
});
