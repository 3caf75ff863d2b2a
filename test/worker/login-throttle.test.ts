import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { ACCOUNT_LIMIT, ADDRESS_LIMIT, PAIR_LIMIT, WINDOW_MS, purgeLoginFailures, throttleKeys } from "../../src/features/auth/login-throttle";
import { handleLogin } from "../../src/features/auth/routes";
import { addressBucket } from "../../src/http/rate-limit";
import worker from "../../src/index";
import { call, registerAdmin, registerUser, uniqueEmail } from "../helpers";
import { meteredD1 } from "../metered-d1";

const PASSWORD = "correct horse battery";

// Addresses of this file only (helpers' freshIp counts from 10.0.0.0 in every file).
let ipCounter = 0;
const ip = () => `172.20.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

const login = (email: string, password: string, from: string) => call("POST", "/api/auth/login", { body: { email, password }, headers: { "cf-connecting-ip": from } });

async function failTimes(n: number, email: string, from: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await login(email, `guess-${i}`, from)).status);
  return statuses;
}

/** Moves the stored windows of these keys back by a whole window: "the window passed", without waiting. */
async function endWindows(...keys: string[]): Promise<void> {
  for (const key of keys) await env.DB.prepare("UPDATE login_failures SET window_started_at = window_started_at - ? WHERE key = ?").bind(WINDOW_MS, key).run();
}

describe("log-in throttling per account and address", () => {
  it("throttles the attacker's address only; the owner and the admin get in from theirs", async () => {
    const victim = await registerUser();
    const admin = await registerAdmin();
    for (const target of [victim, admin]) {
      const attacker = ip();
      expect(await failTimes(PAIR_LIMIT, target.email, attacker)).toEqual(Array(PAIR_LIMIT).fill(401));
      const refused = await login(target.email, "guess-again", attacker);
      expect(refused.status).toBe(429);
      expect(refused.error?.code).toBe("rate_limited");
      const wait = Number(refused.headers.get("retry-after"));
      expect(wait).toBeGreaterThan(60);
      expect(wait).toBeLessThanOrEqual(WINDOW_MS / 1000);
      // The right password from the throttled address: still 429, so the guess tells the attacker nothing.
      expect((await login(target.email, PASSWORD, attacker)).status).toBe(429);
      // The owner, from an address that has not been failing: in, and a typo there is a plain 401.
      const owner = ip();
      expect((await login(target.email, "typo", owner)).status).toBe(401);
      const ok = await login(target.email, PASSWORD, owner);
      expect(ok.status).toBe(200);
      expect(ok.body.user.id).toBe(target.id);
    }
  });

  it("lets the address in again once its window has passed", async () => {
    const victim = await registerUser();
    const attacker = ip();
    await failTimes(PAIR_LIMIT, victim.email, attacker);
    expect((await login(victim.email, PASSWORD, attacker)).status).toBe(429);
    const keys = await throttleKeys(victim.email, attacker);
    await endWindows(keys.pair, keys.address, keys.account);
    expect((await login(victim.email, PASSWORD, attacker)).status).toBe(200);
  });

  it("holds the limit under a parallel burst: attempts are counted before the password is checked", async () => {
    const victim = await registerUser();
    const attacker = ip();
    const statuses = await Promise.all(Array.from({ length: PAIR_LIMIT + 5 }, (_, i) => login(victim.email, `burst-${i}`, attacker).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(PAIR_LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it("forgives an address its failures at an account once it logs in there", async () => {
    const user = await registerUser();
    const from = ip();
    await failTimes(PAIR_LIMIT - 1, user.email, from);
    expect((await login(user.email, PASSWORD, from)).status).toBe(200);
    expect(await failTimes(PAIR_LIMIT - 1, user.email, from)).toEqual(Array(PAIR_LIMIT - 1).fill(401));
  });

  it("counts an IPv6 subscriber by its /64", async () => {
    const victim = await registerUser();
    const prefix = `2001:db8:${ipCounter++}:1`;
    for (let i = 1; i <= PAIR_LIMIT; i++) expect((await login(victim.email, "guess", `${prefix}::${i.toString(16)}`)).status).toBe(401);
    expect((await login(victim.email, PASSWORD, `${prefix}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    expect((await login(victim.email, PASSWORD, `2001:db8:${ipCounter++}:1::1`)).status).toBe(200);
  });
});

describe("log-in throttling per address, across accounts", () => {
  it("refuses an address spraying guesses over many emails, even for its own account", async () => {
    const own = await registerUser();
    const sprayer = ip();
    const statuses: number[] = [];
    for (let i = 0; i < ADDRESS_LIMIT; i++) statuses.push((await login(uniqueEmail("sprayed"), "guess", sprayer)).status);
    expect(statuses).toEqual(Array(ADDRESS_LIMIT).fill(401));
    // Each pair has failed once only: it is the address count that refuses.
    expect((await login(uniqueEmail("sprayed"), "guess", sprayer)).status).toBe(429);
    expect((await login(own.email, PASSWORD, sprayer)).status).toBe(429);
    expect((await login(own.email, PASSWORD, ip())).status).toBe(200);
  });
});

describe("log-in throttling of an account under a spread-out attack", () => {
  it("past the account's limit, an address that failed for it is refused, a clean one still gets in", async () => {
    const victim = await registerUser();
    const failedOnce = ip();
    expect((await login(victim.email, "guess", failedOnce)).status).toBe(401);
    // As if ACCOUNT_LIMIT addresses had each failed once this window (set in storage, not replayed).
    const { account } = await throttleKeys(victim.email, failedOnce);
    await env.DB.prepare("UPDATE login_failures SET failures = ? WHERE key = ?").bind(ACCOUNT_LIMIT, account).run();

    expect((await login(victim.email, PASSWORD, failedOnce)).status).toBe(429);
    const fresh = ip();
    expect((await login(victim.email, "guess", fresh)).status).toBe(401);
    expect((await login(victim.email, PASSWORD, fresh)).status).toBe(429);
    expect((await login(victim.email, PASSWORD, ip())).status).toBe(200);
  });
});

describe("log-in throttle storage", () => {
  function loginRequest(email: string, password: string, from: string) {
    const request = new Request("http://cyberhub.test/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": from },
      body: JSON.stringify({ email, password }),
    });
    return Object.assign(request, { params: {}, query: {}, proxy: undefined, route: "/api/auth/login" });
  }

  it("a log-in costs the same two D1 round trips as before, and few rows", async () => {
    const user = await registerUser();
    const from = ip();
    const failed = meteredD1(env.DB);
    await expect(handleLogin(loginRequest(user.email, "wrong password", from), { ...env, DB: failed.db })).rejects.toMatchObject({ status: 401 });
    expect(failed.meter.roundTrips).toBe(1);
    // Three counters (pair, address, account), one clustered row each: new or rewritten in place.
    expect(failed.meter.rowsWritten).toBe(3);
    const ok = meteredD1(env.DB);
    expect((await handleLogin(loginRequest(user.email, PASSWORD, from), { ...env, DB: ok.db })).status).toBe(200);
    expect(ok.meter.roundTrips).toBe(2);
    // Three counts; the session (3: its row, primary key and user index, as before); the pair row
    // deleted, address and account taken back. Throttling adds 6 rows to a log-in and 3 to a failure.
    expect(ok.meter.rowsWritten).toBe(9);
    const left = await env.DB.prepare("SELECT key, failures FROM login_failures WHERE key IN (?, ?, ?)")
      .bind(...Object.values(await throttleKeys(user.email, from)))
      .all<{ key: string; failures: number }>();
    // One failure, then the right password: what is left is the account's and the address's one failure.
    expect(left.results.map((r) => r.failures)).toEqual([1, 1]);
    const cleanAddress = ip();
    const clean = meteredD1(env.DB);
    expect((await handleLogin(loginRequest(user.email, PASSWORD, cleanAddress), { ...env, DB: clean.db })).status).toBe(200);
    // A clean address: three new counters, the session, three deletes; no row of it remains.
    expect(clean.meter.rowsWritten).toBe(9);
    const { pair, address } = await throttleKeys(user.email, cleanAddress);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM login_failures WHERE key IN (?, ?)").bind(pair, address).first<{ n: number }>())?.n).toBe(0);
  });

  it("the hourly purge deletes counters whose window ended and keeps the live ones", async () => {
    const at = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO login_failures (key, failures, window_started_at) VALUES ('purge-old', 3, ?)").bind(at - WINDOW_MS - 1),
      env.DB.prepare("INSERT INTO login_failures (key, failures, window_started_at) VALUES ('purge-live', 3, ?)").bind(at - 1_000),
    ]);
    expect(await purgeLoginFailures(createDb(env.DB), at)).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare("SELECT key FROM login_failures WHERE key LIKE 'purge-%'").all<{ key: string }>();
    expect(left.results.map((r) => r.key)).toEqual(["purge-live"]);

    // Wired to the cron trigger: the scheduled handler runs the same purge.
    await env.DB.prepare("UPDATE login_failures SET window_started_at = ? WHERE key = 'purge-live'").bind(at - WINDOW_MS - 1).run();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM login_failures WHERE key = 'purge-live'").first<{ n: number }>())?.n).toBe(0);
  });

  it.each([
    ["192.0.2.7", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["2001:db8:a:b:c:d:e:f", "2001:db8:a:b::/64"],
    ["2001:0db8:000a:000b::1", "2001:db8:a:b::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["unknown", "unknown"],
  ])("counts %s as %s", (address, bucket) => {
    expect(addressBucket(address)).toBe(bucket);
  });
});
