import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { redeemPromoCode } from "../../src/features/promo/redeem";
import { call, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";
import { meteredD1 } from "../metered-d1";

let admin: TestUser;
let codeCounter = 0;

beforeAll(async () => {
  admin = await registerAdmin();
});

const uniqueCode = (label = "WELCOME") => `${label}-${Date.now().toString(36)}-${codeCounter++}`.toUpperCase();

async function createCode(overrides: Record<string, unknown> = {}) {
  const res = await call("POST", "/api/admin/promo-codes", { token: admin.token, body: { code: uniqueCode(), amount: 500, maxUses: 100, ...overrides } });
  expect(res.status).toBe(201);
  return res.body.promoCode as { id: string; code: string; amount: number; uses: number; status: string };
}

const redeem = (player: TestUser, code: string, headers?: Record<string, string>) => call("POST", "/api/promo/redeem", { token: player.token, body: { code }, headers });
const usesOf = async (id: string) => (await env.DB.prepare("SELECT uses AS n FROM promo_codes WHERE id = ?").bind(id).first<{ n: number }>())?.n;
const redemptionsOf = async (id: string) => (await env.DB.prepare("SELECT COUNT(*) AS n FROM promo_redemptions WHERE code_id = ?").bind(id).first<{ n: number }>())?.n;

describe("promo codes: redeeming", () => {
  it("a brand-new account redeems a code once: the amount lands in the balance with a promo ledger entry", async () => {
    const promo = await createCode({ code: uniqueCode("hello"), amount: 750 });
    const player = await registerUser("newcomer");
    // What the player types is normalised: case and surrounding space do not matter.
    const res = await redeem(player, ` ${promo.code.toLowerCase()} `);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ code: promo.code, amount: 750, balance: 750, version: 1 });
    const ledger = await call("GET", "/api/ledger", { token: player.token });
    expect(ledger.body.entries).toEqual([expect.objectContaining({ reason: "promo", delta: 750, balanceAfter: 750, ref: promo.code, id: res.body.ledgerEntryId })]);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(750);

    const again = await redeem(player, promo.code);
    expect(again.status).toBe(409);
    expect(again.error?.code).toBe("promo_already_redeemed");
    expect(await expectLedgerExplainsBalance(player.id)).toBe(750);
    expect(await usesOf(promo.id)).toBe(1);
  });

  it("one account racing itself redeems once", async () => {
    const promo = await createCode();
    const player = await registerUser();
    const statuses = (await Promise.all(Array.from({ length: 10 }, () => redeem(player, promo.code)))).map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array<number>(9).fill(409)]);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(500);
  });

  it("the cap holds under concurrency: 12 players race for 5 uses, exactly 5 are credited", async () => {
    const promo = await createCode({ maxUses: 5, amount: 100 });
    const players = await Promise.all(Array.from({ length: 12 }, () => registerUser("racer")));
    const results = await Promise.all(players.map((p) => redeem(p, promo.code)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array<number>(5).fill(201), ...Array<number>(7).fill(410)]);
    for (const r of results.filter((x) => x.status === 410)) expect(r.error?.code).toBe("promo_code_used_up");
    expect(await usesOf(promo.id)).toBe(5);
    expect(await redemptionsOf(promo.id)).toBe(5);
    const credited = await Promise.all(players.map((p) => expectLedgerExplainsBalance(p.id)));
    expect(credited.filter((b) => b === 100)).toHaveLength(5);
    expect(credited.filter((b) => b === 0)).toHaveLength(7);
  });

  it("refuses an unknown (404), disabled (410) or expired (410) code, and changes nothing", async () => {
    const player = await registerUser();
    const unknown = await redeem(player, uniqueCode("nope"));
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe("not_found");

    const withdrawn = await createCode();
    const disabled = await call("POST", `/api/admin/promo-codes/${withdrawn.id}/disable`, { token: admin.token });
    expect(disabled.status).toBe(200);
    expect(disabled.body.promoCode).toMatchObject({ status: "disabled", disabledAt: expect.any(Number) });
    const refused = await redeem(player, withdrawn.code);
    expect(refused.status).toBe(410);
    expect(refused.error?.code).toBe("promo_code_disabled");

    const expiring = await createCode({ expiresAt: Date.now() + 60_000 });
    await env.DB.prepare("UPDATE promo_codes SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, expiring.id).run();
    const late = await redeem(player, expiring.code);
    expect(late.status).toBe(410);
    expect(late.error?.code).toBe("promo_code_expired");

    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
    expect(await usesOf(withdrawn.id)).toBe(0);
    expect(await usesOf(expiring.id)).toBe(0);
  });

  it("a retry with the same Idempotency-Key replays the first result; the key for another code is a 422", async () => {
    const promo = await createCode();
    const player = await registerUser();
    const headers = { "idempotency-key": `promo-${crypto.randomUUID()}` };
    const first = await redeem(player, promo.code, headers);
    const retries = await Promise.all([redeem(player, promo.code, headers), redeem(player, promo.code, headers)]);
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retry.body).toEqual(first.body);
    }
    const other = await createCode();
    const reused = await redeem(player, other.code, headers);
    expect(reused.status).toBe(422);
    expect(reused.error?.code).toBe("idempotency_key_reused");
    expect(await expectLedgerExplainsBalance(player.id)).toBe(500);
    expect(await usesOf(promo.id)).toBe(1);
  });

  it("writes 4 rows in one round trip: the redemption, the code's uses, the entry, the account", async () => {
    const promo = await createCode();
    const player = await registerUser();
    const { db, meter } = meteredD1(env.DB);
    await redeemPromoCode(createDb(db), { userId: player.id, code: promo.code, idempotencyKey: null, requestHash: "h", at: Date.now() });
    expect(meter.roundTrips).toBe(1);
    expect(meter.rowsWritten).toBe(4);
  });

  it("validates the code and needs a session", async () => {
    const player = await registerUser();
    const bad = await call("POST", "/api/promo/redeem", { token: player.token, body: { code: "a!" } });
    expect(bad.status).toBe(400);
    expect(bad.error?.issues?.[0]?.path).toBe("code");
    expect((await call("POST", "/api/promo/redeem", { body: { code: "WELCOME" } })).status).toBe(401);
  });
});

describe("promo codes: guessing is throttled", () => {
  // Miniflare's rate limiter counts in buckets that empty when the wall-clock minute changes, so a
  // run that straddles a minute may need up to a budget more before the 429.
  it("an account that keeps guessing gets 429 (Retry-After, error shape), and then even the right code is refused unlooked-at", async () => {
    const promo = await createCode({ amount: 300 });
    const guesser = await registerUser();
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof redeem>> | undefined;
    for (let i = 0; i < 22 && !limited; i++) {
      const res = await redeem(guesser, uniqueCode("guess"));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s !== 404 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 404).length).toBeGreaterThanOrEqual(10);
    expect(limited?.headers.get("retry-after")).toBe("60");
    expect(limited?.body).toEqual({ error: { code: "rate_limited", message: expect.any(String), retryAfter: 60 } });

    const right = await redeem(guesser, promo.code);
    expect(right.status).toBe(429);
    expect(await expectLedgerExplainsBalance(guesser.id)).toBe(0);
    expect(await usesOf(promo.id)).toBe(0);
    // Another account is not held back by this one's guesses.
    const other = await registerUser();
    expect((await redeem(other, promo.code)).status).toBe(201);
  });

  it("many accounts guessing from one address share its budget; the same accounts elsewhere are not limited", async () => {
    const address = `2001:db8:${crypto.randomUUID().slice(0, 4)}::1`;
    const players = await Promise.all(Array.from({ length: 7 }, () => registerUser()));
    let limitedAt: number | undefined;
    // Nine guesses each: no account reaches its own budget of ten, only the address does.
    outer: for (const player of players) {
      for (let i = 0; i < 9; i++) {
        const res = await redeem(player, uniqueCode("guess"), { "cf-connecting-ip": address });
        if (res.status === 429) {
          expect(res.error?.code).toBe("rate_limited");
          limitedAt = players.indexOf(player);
          break outer;
        }
        expect(res.status).toBe(404);
      }
    }
    expect(limitedAt).toBeDefined();
    const limited = players[limitedAt!]!;
    expect((await redeem(limited, uniqueCode("guess"), { "cf-connecting-ip": address })).status).toBe(429);
    expect((await redeem(limited, uniqueCode("guess"))).status).toBe(404);
  });
});

describe("promo codes: the admin side", () => {
  it("creates, lists with uses and status, and refuses a duplicate or a past expiry", async () => {
    const promo = await createCode({ code: uniqueCode("spring"), amount: 250, maxUses: 2 });
    const player = await registerUser();
    await redeem(player, promo.code);
    const list = await call("GET", "/api/admin/promo-codes", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.promoCodes.find((p: { id: string }) => p.id === promo.id)).toMatchObject({ code: promo.code, amount: 250, maxUses: 2, uses: 1, status: "active", expiresAt: null });

    const duplicate = await call("POST", "/api/admin/promo-codes", { token: admin.token, body: { code: promo.code.toLowerCase(), amount: 1, maxUses: 1 } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.error?.code).toBe("promo_code_taken");
    const past = await call("POST", "/api/admin/promo-codes", { token: admin.token, body: { code: uniqueCode(), amount: 1, maxUses: 1, expiresAt: Date.now() - 1000 } });
    expect(past.status).toBe(400);
    expect(past.error?.issues?.[0]?.path).toBe("expiresAt");
  });

  it("disabling twice keeps the first time; an unknown id is a 404", async () => {
    const promo = await createCode();
    const first = await call("POST", `/api/admin/promo-codes/${promo.id}/disable`, { token: admin.token });
    const second = await call("POST", `/api/admin/promo-codes/${promo.id}/disable`, { token: admin.token });
    expect(second.body.promoCode.disabledAt).toBe(first.body.promoCode.disabledAt);
    expect((await call("POST", `/api/admin/promo-codes/${crypto.randomUUID()}/disable`, { token: admin.token })).status).toBe(404);
  });
});
