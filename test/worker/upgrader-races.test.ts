import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { verifyUpgrade } from "../../src/fairness/verify";
import { settleItems } from "../../src/features/inventory/settle";
import { upgradeItems, type UpgradeRequest } from "../../src/features/upgrader/upgrade";
import { call, expectLedgerExplainsBalance, registerAdmin, type TestUser } from "../helpers";
import { count, nextRollWill, playerWithSkins, targetCase } from "./upgrader-fixtures";

// Every guard of the upgrade's write batch, each met by the race it is there for. The domain tests
// run something else between the upgrade's read and its write, through a D1 binding that calls a
// hook before the write batch of the first attempt.

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

/** A hook that holds every caller until `n` have arrived: the writes start only once all have read. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release = () => {};
  const all = new Promise<void>((resolve) => (release = resolve));
  return async () => {
    if (++arrived === n) release();
    await all;
  };
}

/** A D1 binding that runs `hook` once, just before the second batch (the first attempt's write). */
function beforeFirstWrite(hook: () => Promise<unknown>): D1Database {
  let batches = 0;
  return new Proxy(env.DB, {
    get(target, prop, receiver) {
      if (prop !== "batch") return Reflect.get(target, prop, receiver);
      return async (statements: D1PreparedStatement[]) => {
        if (++batches === 2) await hook();
        return target.batch(statements);
      };
    },
  });
}

const request = (userId: string, itemIds: string[], targetItemId: string, extra: Partial<UpgradeRequest> = {}): UpgradeRequest => ({
  userId,
  itemIds,
  pick: { itemId: targetItemId },
  houseEdge: 500,
  idempotencyKey: null,
  requestHash: "h",
  ...extra,
});

const nonceOf = (userId: string) => count("SELECT next_nonce AS n FROM users WHERE id = ?", userId);

describe("upgrade races", () => {
  it("ten concurrent upgrades staking the same skin: exactly one is accepted, nine get 409, one item is won at most", async () => {
    const { player, skins } = await playerWithSkins(admin, [500]);
    const target = await targetCase(admin, [950]);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => call("POST", "/api/upgrader", { token: player.token, body: { itemIds: [skins[0]!.id], targetItemId: target.ids[0] } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
    for (const r of results.filter((r) => r.status === 409)) expect(r.error?.code).toBe("already_settled");
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND reason = 'upgrade'", player.id)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ? AND source = 'upgrade'", player.id)).toBeLessThanOrEqual(1);
    // One nonce for the opening that made the skin, one for the upgrade.
    expect(await nonceOf(player.id)).toBe(2);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
  });

  it("ten upgrades of the same skin that all read it as owned before any of them writes: exactly one commits", async () => {
    const { player, skins } = await playerWithSkins(admin, [500]);
    const target = await targetCase(admin, [950]);
    // Every upgrade's write waits until all ten have read: the race at its tightest, every time.
    const allRead = barrier(10);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => upgradeItems(createDb(beforeFirstWrite(allRead)), request(player.id, [skins[0]!.id], target.ids[0]!))),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toMatchObject({ status: 409, code: "already_settled" });
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(1);
    expect(await nonceOf(player.id)).toBe(2);
  });

  it("six retries with one Idempotency-Key that all read before any writes: one upgrade, five replays of it", async () => {
    const { player, skins } = await playerWithSkins(admin, [500]);
    const target = await targetCase(admin, [950]);
    const allRead = barrier(6);
    const keyed = request(player.id, [skins[0]!.id], target.ids[0]!, { idempotencyKey: `race-${crypto.randomUUID()}` });
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => upgradeItems(createDb(beforeFirstWrite(allRead)), keyed)));
    expect(outcomes.filter((o) => o.replayed)).toHaveLength(5);
    for (const o of outcomes) expect(o.result).toEqual(outcomes[0]!.result);
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(1);
  });

  it("a skin sold between the upgrade's read and its write is not staked: 409, the sale stands, nothing of the upgrade is written", async () => {
    const { player, skins } = await playerWithSkins(admin, [300, 200]);
    const target = await targetCase(admin, [950]);
    await nextRollWill(player.id, "win", 5000);
    const db = createDb(beforeFirstWrite(() => settleItems(createDb(env.DB), { userId: player.id, action: "sell", itemId: skins[1]!.id, idempotencyKey: null, requestHash: "s" })));
    await expect(upgradeItems(db, request(player.id, skins.map((s) => s.id), target.ids[0]!))).rejects.toMatchObject({ status: 409, code: "already_settled" });
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ? AND status = 'owned'", player.id)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ? AND source = 'upgrade'", player.id)).toBe(0);
    expect(await nonceOf(player.id)).toBe(2);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(200);
  });

  it("a nonce taken between the read and the write (an opening elsewhere) is never reused: the upgrade rolls the next one", async () => {
    const { player, skins } = await playerWithSkins(admin, [500]);
    const target = await targetCase(admin, [950]);
    const { serverSeed } = await nextRollWill(player.id, "win", 5000);
    const db = createDb(beforeFirstWrite(() => env.DB.prepare("UPDATE users SET next_nonce = next_nonce + 1 WHERE id = ?").bind(player.id).run()));
    const { result } = await upgradeItems(db, request(player.id, [skins[0]!.id], target.ids[0]!));
    expect(result.nonce).toBe(2);
    expect(await nonceOf(player.id)).toBe(3);
    const seed = await env.DB.prepare("SELECT seed_hash AS hash, client_seed AS clientSeed FROM server_seeds WHERE user_id = ? AND revealed_at IS NULL").bind(player.id).first<{ hash: string; clientSeed: string }>();
    const verified = await verifyUpgrade({ serverSeed, serverSeedHash: seed!.hash, clientSeed: seed!.clientSeed, nonce: 2, stakedValue: 500, targetValue: 950, houseEdgeBasisPoints: 500 });
    expect(verified).toEqual({ seedMatchesHash: true, chance: 5000, roll: result.roll, won: result.won });
  });

  it("a client seed changed or a server seed rotated between the read and the write applies to the roll", async () => {
    const { player, skins } = await playerWithSkins(admin, [500, 500]);
    const target = await targetCase(admin, [950]);
    const changed = createDb(beforeFirstWrite(() => call("PUT", "/api/fairness/client-seed", { token: player.token, body: { clientSeed: "changed-in-between" } })));
    const first = await upgradeItems(changed, request(player.id, [skins[0]!.id], target.ids[0]!));
    expect(first.result.seed.clientSeed).toBe("changed-in-between");
    let rotatedHash = "";
    const rotated = createDb(beforeFirstWrite(async () => (rotatedHash = (await call("POST", "/api/fairness/rotate", { token: player.token })).body.active.serverSeedHash)));
    const second = await upgradeItems(rotated, request(player.id, [skins[1]!.id], target.ids[0]!));
    expect(second.result.seed.hash).toBe(rotatedHash);
    expect(second.result.nonce).toBe(0);
  });

  it("concurrent upgrades of different skins all go through, each on its own nonce", async () => {
    const { player, skins } = await playerWithSkins(admin, [500, 500, 500, 500, 500]);
    const target = await targetCase(admin, [950]);
    const results = await Promise.all(skins.map((s) => call("POST", "/api/upgrader", { token: player.token, body: { itemIds: [s.id], targetItemId: target.ids[0] } })));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(201));
    expect(results.map((r) => r.body.nonce).sort()).toEqual([5, 6, 7, 8, 9]);
    expect(await count("SELECT COUNT(DISTINCT nonce) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(5);
    expect(await nonceOf(player.id)).toBe(10);
  });
});
