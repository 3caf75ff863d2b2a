import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { saveCase } from "../../src/features/cases/admin-cases";
import { getCaseWithItems, listActiveCases } from "../../src/features/cases/queries";
import { caseInput as caseInputSchema } from "../../src/features/cases/schemas";
import { adjustBalance } from "../../src/features/ledger/adjust";
import { openCase } from "../../src/features/openings/open-case";
import { sessionIdOf } from "../../src/features/auth/session-token";
import { settleItems } from "../../src/features/inventory/settle";
import { listInventory } from "../../src/features/inventory/queries";
import { call, caseInput, createCase, expectLedgerExplainsBalance, freeCaseInput, registerAdmin, registerUser, type TestUser } from "../helpers";
import { meteredD1, rowsWrittenTo } from "../metered-d1";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

async function fundedSession(amount: number) {
  const player = await registerUser();
  await adjustBalance(createDb(env.DB), { userId: player.id, actorId: admin.id, amount, reason: "domain test", idempotencyKey: null, requestHash: "" });
  return { player, sessionId: await sessionIdOf(player.token) };
}

describe("openCase (domain, against local D1)", () => {
  it("opens ×1 in two D1 round trips cold and one warm, writing at most 4 rows", async () => {
    const box = await createCase(admin);
    const { player, sessionId } = await fundedSession(2_000);
    const cold = meteredD1(env.DB);
    const outcome = await openCase(createDb(cold.db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" });
    expect(outcome.result.items).toHaveLength(1);
    expect(cold.meter.roundTrips).toBe(2);
    // Cold: the nonce reservation, then the ledger entry, the balance, the item — one row each. D1
    // counts index entries as written rows too, so an index an opening writes to shows up here first.
    expect(cold.meter.rowsWritten).toBe(4);
    const warm = meteredD1(env.DB);
    const again = await openCase(createDb(warm.db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" });
    expect(warm.meter.roundTrips).toBe(1);
    // Warm: the nonces are claimed by the balance update, on the same row.
    expect(warm.meter.rowsWritten).toBe(3);
    expect(again.result.items[0]!.nonce).toBe(outcome.result.items[0]!.nonce + 1);
    const keyed = meteredD1(env.DB);
    await openCase(createDb(keyed.db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: "domain-key-1", requestHash: "h" });
    // An Idempotency-Key adds its entry in the partial unique index.
    expect(keyed.meter.rowsWritten).toBe(4);
    const five = meteredD1(env.DB);
    await openCase(createDb(five.db), { sessionId, caseRef: box.id, count: 5, idempotencyKey: null, requestHash: "h" });
    expect(five.meter.rowsWritten).toBe(7);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("a free open writes its claim as one row more: 5 cold, 4 warm; a refused one writes nothing", async () => {
    const box = await createCase(admin, freeCaseInput());
    const player = await registerUser();
    const sessionId = await sessionIdOf(player.token);
    const open = async () => {
      const metered = meteredD1(env.DB);
      await openCase(createDb(metered.db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" });
      return metered.meter;
    };
    const cold = await open();
    expect(cold.roundTrips).toBe(2);
    expect(cold.rowsWritten).toBe(5);
    expect(rowsWrittenTo(cold, "free_claims")).toBe(1);
    await env.DB.prepare("UPDATE free_claims SET last_opened_at = last_opened_at - 86400000 WHERE user_id = ?").bind(player.id).run();
    const warm = await open();
    expect(warm.roundTrips).toBe(1);
    expect(warm.rowsWritten).toBe(4);
    // Within the cooldown the warm batch aborts and the cold path says why: nothing written either way.
    const refused = meteredD1(env.DB);
    await expect(openCase(createDb(refused.db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" })).rejects.toMatchObject({ status: 429 });
    expect(refused.meter.rowsWritten).toBe(0);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("the SQL guard alone refuses an overdraw: nothing is written", async () => {
    const box = await createCase(admin, { price: 600 });
    const { player, sessionId } = await fundedSession(1_000);
    const db = createDb(env.DB);
    await expect(openCase(db, { sessionId, caseRef: box.id, count: 2, idempotencyKey: null, requestHash: "h" })).rejects.toMatchObject({ status: 422, code: "insufficient_balance" });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(1_000);
    const items = await env.DB.prepare("SELECT COUNT(*) AS n FROM openings WHERE user_id = ?").bind(player.id).first<{ n: number }>();
    expect(items?.n).toBe(0);
  });

  it("refuses a revoked session inside the same batch that would reserve nonces", async () => {
    const box = await createCase(admin);
    const { player, sessionId } = await fundedSession(1_000);
    await env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE id = ?").bind(Date.now(), sessionId).run();
    await expect(openCase(createDb(env.DB), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" })).rejects.toMatchObject({ status: 401 });
    const nonce = await env.DB.prepare("SELECT next_nonce AS n FROM users WHERE id = ?").bind(player.id).first<{ n: number }>();
    expect(nonce?.n).toBe(0);
  });
});

describe("the warm opening path re-checks everything it remembers", () => {
  const open = (sessionId: string, caseRef: string, extra: { count?: number; idempotencyKey?: string } = {}) =>
    openCase(createDb(env.DB), { sessionId, caseRef, count: extra.count ?? 1, idempotencyKey: extra.idempotencyKey ?? null, requestHash: `h${extra.count ?? 1}` });
  const nonceOf = async (userId: string) =>
    (await env.DB.prepare("SELECT next_nonce AS n FROM users WHERE id = ?").bind(userId).first<{ n: number }>())?.n;

  async function warmedUp(price = 100) {
    const box = await createCase(admin, { price });
    const { player, sessionId } = await fundedSession(1_000);
    await open(sessionId, box.id);
    return { box, player, sessionId };
  }

  it("a revoked session is refused and nothing is written", async () => {
    const { box, player, sessionId } = await warmedUp();
    await env.DB.prepare("UPDATE sessions SET revoked_at = ? WHERE id = ?").bind(Date.now(), sessionId).run();
    await expect(open(sessionId, box.id)).rejects.toMatchObject({ status: 401 });
    expect(await nonceOf(player.id)).toBe(1);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(900);
  });

  it("nonces used elsewhere (another isolate) are never reused", async () => {
    const { box, player, sessionId } = await warmedUp();
    await env.DB.prepare("UPDATE users SET next_nonce = next_nonce + 3 WHERE id = ?").bind(player.id).run();
    const next = await open(sessionId, box.id);
    expect(next.result.items[0]!.nonce).toBe(4);
    const dupes = await env.DB.prepare("SELECT COUNT(*) - COUNT(DISTINCT nonce) AS n FROM openings WHERE user_id = ?").bind(player.id).first<{ n: number }>();
    expect(dupes?.n).toBe(0);
  });

  it("a changed client seed and a rotated server seed take effect on the next roll", async () => {
    const { box, player, sessionId } = await warmedUp();
    await env.DB.prepare("UPDATE server_seeds SET client_seed = 'fresh-seed' WHERE user_id = ? AND revealed_at IS NULL").bind(player.id).run();
    expect((await open(sessionId, box.id)).result.seed.clientSeed).toBe("fresh-seed");
    const rotated = await call("POST", "/api/fairness/rotate", { token: player.token });
    const afterRotation = await open(sessionId, box.id);
    expect(afterRotation.result.seed.hash).toBe(rotated.body.active.serverSeedHash);
    expect(afterRotation.result.items[0]!.nonce).toBe(0);
  });

  it("a rotated seed is never rolled again, even when the nonce counter has come back to the seat's", async () => {
    const { box, player, sessionId } = await warmedUp();
    const rotated = await call("POST", "/api/fairness/rotate", { token: player.token });
    // As if other isolates had opened once on the new seed: the counter matches the stale seat again.
    await env.DB.prepare("UPDATE users SET next_nonce = 1 WHERE id = ?").bind(player.id).run();
    const next = await open(sessionId, box.id);
    expect(next.result.seed.hash).toBe(rotated.body.active.serverSeedHash);
    expect(next.result.items[0]!.nonce).toBe(1);
  });

  it("an edited case charges its new price and records its new version; a deactivated one is gone", async () => {
    const { box, player, sessionId } = await warmedUp(100);
    await call("PUT", `/api/admin/cases/${box.id}`, { token: admin.token, body: caseInput({ slug: box.slug, price: 300 }) });
    const next = await open(sessionId, box.id);
    expect(next.result).toMatchObject({ price: 300, caseVersion: 2, balance: 600 });
    await call("PATCH", `/api/admin/cases/${box.id}`, { token: admin.token, body: { active: false } });
    await expect(open(sessionId, box.id)).rejects.toMatchObject({ status: 404 });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(600);
  });

  it("an overdraw is refused by SQL and keeps the seat warm", async () => {
    const { box, player, sessionId } = await warmedUp(400);
    await expect(open(sessionId, box.id, { count: 2 })).rejects.toMatchObject({ status: 422 });
    expect(await nonceOf(player.id)).toBe(1);
    const { db, meter } = meteredD1(env.DB);
    await openCase(createDb(db), { sessionId, caseRef: box.id, count: 1, idempotencyKey: null, requestHash: "h" });
    expect(meter.roundTrips).toBe(1);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(200);
  });

  it("a retry of the open that spent the last of the balance replays it, warm or cold, instead of a 422", async () => {
    const box = await createCase(admin, { price: 1_000 });
    const { player, sessionId } = await fundedSession(1_000);
    const first = await open(sessionId, box.id, { idempotencyKey: "last-money-key" });
    expect(first.result.balance).toBe(0);
    const warmRetry = await open(sessionId, box.id, { idempotencyKey: "last-money-key" });
    expect(warmRetry.replayed).toBe(true);
    expect(warmRetry.result).toEqual(first.result);
    // And on a cold isolate: a fresh session has no warm session.
    const login = await call("POST", "/api/auth/login", { body: { email: player.email, password: "correct horse battery" } });
    const coldRetry = await open(await sessionIdOf(login.body.token), box.id, { idempotencyKey: "last-money-key" });
    expect(coldRetry.replayed).toBe(true);
    expect(coldRetry.result).toEqual(first.result);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("an idempotent retry on a warm session returns the first result", async () => {
    const { box, player, sessionId } = await warmedUp();
    const first = await open(sessionId, box.id, { idempotencyKey: "warm-retry-key" });
    const again = await open(sessionId, box.id, { idempotencyKey: "warm-retry-key" });
    expect(again.replayed).toBe(true);
    expect(again.result).toEqual(first.result);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(800);
  });
});

describe("settleItems (domain)", () => {
  it("credits the exact sum of the rows it flips, once", async () => {
    const box = await createCase(admin, { price: 100, items: [{ name: "cash", rarity: "milspec", value: 120, kind: "money", weight: 1 }] });
    const { player, sessionId } = await fundedSession(300);
    await openCase(createDb(env.DB), { sessionId, caseRef: box.id, count: 3, idempotencyKey: null, requestHash: "h" });
    const db = createDb(env.DB);
    const [a, b] = await Promise.all([
      settleItems(db, { userId: player.id, action: "claim", itemId: null, idempotencyKey: null, requestHash: "x" }),
      settleItems(db, { userId: player.id, action: "claim", itemId: null, idempotencyKey: null, requestHash: "x" }),
    ]);
    expect(a.credited + b.credited).toBe(360);
    expect([a.itemIds.length, b.itemIds.length].sort()).toEqual([0, 3]);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(360);
  });
});

describe("saveCase (domain)", () => {
  it("creates or replaces a case in one D1 round trip, reading the saved case back in the write batch", async () => {
    const create = meteredD1(env.DB);
    const created = await saveCase(createDb(create.db), caseInputSchema.parse(caseInput()));
    expect(create.meter.roundTrips).toBe(1);
    expect(created.detail).toMatchObject({ version: 1, totalWeight: 100 });
    // The admin route reads the existing case in the batch that checks the admin's session.
    const existing = await getCaseWithItems(createDb(env.DB), created.caseId);
    const update = meteredD1(env.DB);
    const updated = await saveCase(createDb(update.db), caseInputSchema.parse(caseInput({ slug: created.detail!.slug, price: 999 })), existing!);
    expect(update.meter.roundTrips).toBe(1);
    expect(updated.detail).toMatchObject({ version: 2, price: 999 });
    expect(updated.catalogVersion).toBeGreaterThan(created.catalogVersion);
  });
});

describe("listActiveCases (query)", () => {
  it("reads only the case rows it returns (plus their index entries), however many openings exist", async () => {
    const box = await createCase(admin, { price: 1, items: [{ name: "x", rarity: "consumer", value: 1, kind: "skin", weight: 1 }] });
    const { sessionId } = await fundedSession(50);
    const measure = async () => {
      const { db, meter } = meteredD1(env.DB);
      const { cases } = await listActiveCases(createDb(db));
      expect(meter.roundTrips).toBe(1);
      return { rowsRead: meter.rowsRead, returned: cases.length };
    };
    const before = await measure();
    // Each active case costs one index entry and one table row; plus the catalogue-state row.
    expect(before.rowsRead).toBeLessThanOrEqual(1 + 2 * before.returned);
    for (let i = 0; i < 5; i++) await openCase(createDb(env.DB), { sessionId, caseRef: box.id, count: 5, idempotencyKey: null, requestHash: "h" });
    expect(await measure()).toEqual(before);
  });
});

describe("the clustered inventory reads only what it returns", () => {
  it("an inventory page (one status or all) and a claim read what they return, not the player's history", async () => {
    const box = await createCase(admin, { price: 100, items: [{ name: "cash", rarity: "milspec", value: 120, kind: "money", weight: 1 }] });
    const { player, sessionId } = await fundedSession(2_200);
    const open = (count: number) => openCase(createDb(env.DB), { sessionId, caseRef: box.id, count, idempotencyKey: null, requestHash: `h${count}` });
    for (let i = 0; i < 4; i++) await open(5);
    await settleItems(createDb(env.DB), { userId: player.id, action: "claim", itemId: null, idempotencyKey: null, requestHash: "all" });
    const kept = await open(2);

    const page = meteredD1(env.DB);
    const owned = await listInventory(createDb(page.db), player.id, { status: "owned", limit: 20 });
    expect(owned.items.map((i) => i.id).sort()).toEqual(kept.result.items.map((i) => i.id).sort());
    // The users row (the version) and the two owned rows plus the range's end: not the 20 claimed ones.
    expect(page.meter.rowsRead).toBeLessThanOrEqual(4);

    // "All" merges a page from each status range: 3 × (limit + 1) rows at most, not the history.
    const everything = meteredD1(env.DB);
    await listInventory(createDb(everything.db), player.id, { status: "all", limit: 2 });
    expect(everything.meter.rowsRead).toBeLessThanOrEqual(1 + 3 * 3);
    // Walking every page returns the whole history once, newest first, across the three ranges.
    const firstPage = await listInventory(createDb(env.DB), player.id, { status: "all", limit: 5 });
    const walked = [...firstPage.items];
    let cursor = firstPage.nextCursor;
    while (cursor) {
      const [createdAt, id] = cursor.split(".");
      const next = await listInventory(createDb(env.DB), player.id, { status: "all", limit: 5, cursor: { createdAt: Number(createdAt), id: id ?? "" } });
      walked.push(...next.items);
      cursor = next.nextCursor;
    }
    const history = await env.DB.prepare("SELECT id FROM openings WHERE user_id = ? ORDER BY created_at DESC, id DESC").bind(player.id).all<{ id: string }>();
    expect(walked.map((i) => i.id)).toEqual(history.results.map((r) => r.id));
    expect(walked).toHaveLength(22);

    const claim = meteredD1(env.DB);
    const one = await settleItems(createDb(claim.db), { userId: player.id, action: "claim", itemId: kept.result.items[0]!.id, idempotencyKey: null, requestHash: "one" });
    expect(one.credited).toBe(120);
    // A scan of the history would read the 20 claimed rows in each of the two openings statements.
    expect(claim.meter.rowsRead).toBeLessThan(20);
    // The ledger entry, the balance, and two for the item (its row moves to the claimed range of the key).
    expect(claim.meter.rowsWritten).toBe(4);
  });
});
