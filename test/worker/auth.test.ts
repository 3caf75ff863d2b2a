import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, freshIp, registerUser, uniqueEmail, type CallResult } from "../helpers";

const PASSWORD = "correct horse battery";

describe("registration", () => {
  it("creates a player with zero balance, a session cookie and a bearer token", async () => {
    const email = uniqueEmail();
    const res = await call("POST", "/api/auth/register", { body: { email: email.toUpperCase(), password: PASSWORD, displayName: "Neo" } });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email, displayName: "Neo", role: "player", balance: 0 });
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(`ch_session=${res.body.token}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    // The password is stored only as a salted PBKDF2 hash at the Workers maximum of iterations.
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE email = ?").bind(email).first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
    // A committed server seed exists from the start.
    const seed = await env.DB.prepare("SELECT COUNT(*) AS n FROM server_seeds WHERE user_id = ? AND revealed_at IS NULL").bind(res.body.user.id).first<{ n: number }>();
    expect(seed?.n).toBe(1);
  });

  it("refuses a taken email with 409 and changes nothing", async () => {
    const user = await registerUser();
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>();
    const res = await call("POST", "/api/auth/register", { body: { email: user.email, password: PASSWORD, displayName: "Copy" } });
    expect(res.status).toBe(409);
    expect(res.error?.code).toBe("email_taken");
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it.each([
    [{ email: "not-an-email", password: PASSWORD, displayName: "Neo" }, "email"],
    [{ email: uniqueEmail(), password: "short", displayName: "Neo" }, "password"],
    [{ email: uniqueEmail(), password: PASSWORD, displayName: "<script>" }, "displayName"],
    [{ email: uniqueEmail(), password: PASSWORD }, "displayName"],
  ])("rejects invalid input %# with 400 naming the field", async (body, field) => {
    const res = await call("POST", "/api/auth/register", { body });
    expect(res.status).toBe(400);
    expect(res.error?.code).toBe("bad_request");
    expect(res.error?.issues?.map((i) => i.path)).toContain(field);
  });

  it("says which fields are missing or blank in words a form can show (\"is required\"), one issue per field", async () => {
    const missing = await call("POST", "/api/auth/register", { body: {} });
    expect(missing.error?.issues).toEqual([
      { path: "email", message: "is required" },
      { path: "password", message: "is required" },
      { path: "displayName", message: "is required" },
    ]);
    const blank = await call("POST", "/api/auth/register", { body: { email: " ", password: "", displayName: "  " } });
    expect(blank.error?.issues).toEqual(missing.error?.issues);
    const login = await call("POST", "/api/auth/login", { body: { email: "", password: "" } });
    expect(login.error?.issues).toEqual([
      { path: "email", message: "is required" },
      { path: "password", message: "is required" },
    ]);
  });

  it("answers malformed JSON and oversized bodies with 400 and 413", async () => {
    const bad = await call("POST", "/api/auth/register", { rawBody: "{nope", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/not valid JSON/);
    const big = await call("POST", "/api/auth/register", { rawBody: JSON.stringify({ email: "x".repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect(big.error?.code).toBe("payload_too_large");
  });
});

describe("login, who-am-I and logout", () => {
  it("logs in with the right password only, without revealing which part was wrong", async () => {
    const user = await registerUser();
    const ok = await call("POST", "/api/auth/login", { body: { email: user.email, password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.id);
    const wrong = await call("POST", "/api/auth/login", { body: { email: user.email, password: "wrong password" } });
    const unknown = await call("POST", "/api/auth/login", { body: { email: uniqueEmail(), password: "wrong password" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it("accepts the session from the cookie or from Authorization: Bearer", async () => {
    const user = await registerUser();
    const viaBearer = await call("GET", "/api/auth/me", { token: user.token });
    const viaCookie = await call("GET", "/api/auth/me", { headers: { cookie: `theme=dark; ch_session=${user.token}` } });
    expect(viaBearer.status).toBe(200);
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.user.id).toBe(user.id);
  });

  it("refuses who-am-I without a session or with a forged one", async () => {
    expect((await call("GET", "/api/auth/me")).status).toBe(401);
    const forged = await call("GET", "/api/auth/me", { token: "A".repeat(43) });
    expect(forged.status).toBe(401);
    expect(forged.body).toEqual({ error: { code: "unauthorized", message: "Log in first." } });
  });

  it("logout revokes exactly that session and clears the cookie", async () => {
    const user = await registerUser();
    const other = await call("POST", "/api/auth/login", { body: { email: user.email, password: PASSWORD } });
    const out = await call("POST", "/api/auth/logout", { token: user.token });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await call("GET", "/api/auth/me", { token: user.token })).status).toBe(401);
    expect((await call("GET", "/api/auth/me", { token: other.body.token })).status).toBe(200);
  });

  it("expired sessions stop working", async () => {
    const user = await registerUser();
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, user.id).run();
    expect((await call("GET", "/api/auth/me", { token: user.token })).status).toBe(401);
  });
});

describe("brute-force protection", () => {
  // Per account and address, and why the owner is never locked out: test/worker/login-throttle.test.ts.
  it("throttles one address guessing across many accounts", async () => {
    const ip = freshIp();
    let last = 0;
    for (let i = 0; i < 40 && last !== 429; i++) {
      last = (await call("POST", "/api/auth/login", { body: { email: uniqueEmail(), password: "guess" }, headers: { "cf-connecting-ip": ip } })).status;
    }
    expect(last).toBe(429);
  });
});

describe("registration throttle", () => {
  it("refuses repeated registrations from one address with 429 (Retry-After, error shape) and creates no account for them", async () => {
    // AUTH_IP_LIMITER allows 30 per 60 s. Miniflare simulates it with in-memory buckets that empty
    // when the wall-clock minute changes, so a run that straddles a minute needs up to 30 more.
    // Every email is new and every body valid: only the throttle can refuse.
    const ip = `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
    const statuses: number[] = [];
    let limited: CallResult<unknown> | undefined;
    for (let i = 0; i < 62 && !limited; i++) {
      const res = await call("POST", "/api/auth/register", {
        body: { email: uniqueEmail("throttled"), password: PASSWORD, displayName: "Throttled" },
        headers: { "cf-connecting-ip": ip },
      });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s !== 201 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(30);
    expect(limited?.status).toBe(429);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(limited?.body).toEqual({ error: { code: "rate_limited", message: expect.any(String), retryAfter: 60 } });
    // The refused attempt created no account; another address still registers.
    const refusedEmail = uniqueEmail("refused");
    const again = await call("POST", "/api/auth/register", { body: { email: refusedEmail, password: PASSWORD, displayName: "Refused" }, headers: { "cf-connecting-ip": ip } });
    expect(again.status).toBe(429);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE email = ?").bind(refusedEmail).first<{ n: number }>()).toEqual({ n: 0 });
    expect((await call("POST", "/api/auth/register", { body: { email: refusedEmail, password: PASSWORD, displayName: "Elsewhere" } })).status).toBe(201);
  });
});

describe("cross-site protection", () => {
  it("refuses a cookie-authenticated write from a foreign origin", async () => {
    const user = await registerUser();
    const res = await call("POST", "/api/auth/logout", { headers: { cookie: `ch_session=${user.token}`, origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    expect((await call("GET", "/api/auth/me", { token: user.token })).status).toBe(200);
  });
});
