import { describe, expect, it } from "vitest";
import { call, registerUser } from "../helpers";

describe("CORS", () => {
  it("answers a preflight from a configured origin with credentials allowed", async () => {
    const res = await call("OPTIONS", "/api/cases/x/open", {
      headers: { origin: "https://partner.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, idempotency-key" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://partner.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-headers")).toContain("Idempotency-Key");
  });

  it("gives no CORS headers to other origins, and never a wildcard", async () => {
    for (const origin of ["https://evil.example", "https://partner.example.evil.example", "null"]) {
      const pre = await call("OPTIONS", "/api/cases", { headers: { origin, "access-control-request-method": "GET" } });
      const get = await call("GET", "/api/cases", { headers: { origin } });
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      expect(get.headers.get("access-control-allow-origin")).toBeNull();
      expect(get.status).toBe(200);
    }
  });

  it("adds headers to real responses, errors included, for allowed origins (trailing slash in config tolerated)", async () => {
    const ok = await call("GET", "/api/cases", { headers: { origin: "https://admin.partner.example" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://admin.partner.example");
    expect(ok.headers.get("vary")).toContain("Origin");
    const denied = await call("GET", "/api/auth/me", { headers: { origin: "https://partner.example" } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("https://partner.example");
  });

  it("lets a configured origin write with the session cookie", async () => {
    const user = await registerUser();
    const res = await call("POST", "/api/fairness/rotate", { headers: { cookie: `ch_session=${user.token}`, origin: "https://partner.example" } });
    expect(res.status).toBe(200);
  });
});
