import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyOpening } from "../../src/fairness/verify";
import { call, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

async function fundedPlayer(amount: number): Promise<TestUser> {
  const player = await registerUser();
  if (amount > 0) await credit(admin, player.id, amount);
  return player;
}

const count = async (sql: string, ...args: unknown[]) => (await env.DB.prepare(sql).bind(...args).first<{ n: number }>())?.n;

describe("opening a case", () => {
  it("charges price × count and lands every item in the inventory, atomically", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(2_000);
    const res = await call("POST", `/api/cases/${box.slug}/open`, { token: player.token, body: { count: 5 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ caseId: box.id, caseVersion: 1, count: 5, price: 250, total: 1_250, balance: 750 });
    expect(res.body.items).toHaveLength(5);
    expect(res.body.items.map((i: { nonce: number }) => i.nonce)).toEqual([0, 1, 2, 3, 4]);
    for (const item of res.body.items) expect(box.items.map((i) => i.id)).toContain(item.itemId);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ? AND status = 'owned'", player.id)).toBe(5);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(750);
  });

  it("opens one copy when the body is empty (curl -X POST …/open)", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(1_000);
    const res = await call("POST", `/api/cases/${box.slug}/open`, { token: player.token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ count: 1, total: 250, balance: 750 });
  });

  it("refuses with 422 when the balance is short, and changes nothing", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(400);
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 2 } });
    expect(res.status).toBe(422);
    expect(res.error?.code).toBe("insufficient_balance");
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ?", player.id)).toBe(0);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(400);
  });

  it.each([[{ count: 0 }], [{ count: 6 }], [{ count: 1.5 }], [{ count: "2" }]])("rejects count %j with 400", async (body) => {
    const box = await createCase(admin);
    const player = await fundedPlayer(5_000);
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body });
    expect(res.status).toBe(400);
    expect(res.error?.issues?.[0]?.path).toBe("count");
    expect(await expectLedgerExplainsBalance(player.id)).toBe(5_000);
  });

  it("needs a session (401) and an active, existing case (404)", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(5_000);
    expect((await call("POST", `/api/cases/${box.id}/open`, { body: { count: 1 } })).status).toBe(401);
    expect((await call("POST", `/api/cases/${box.id}/open`, { token: "x".repeat(43), body: { count: 1 } })).status).toBe(401);
    expect((await call("POST", `/api/cases/${crypto.randomUUID()}/open`, { token: player.token, body: { count: 1 } })).status).toBe(404);
    await call("PATCH", `/api/admin/cases/${box.id}`, { token: admin.token, body: { active: false } });
    expect((await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } })).status).toBe(404);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(5_000);
  });

  it("with 50 simultaneous opens and money for exactly 10: 10 succeed, 40 get 422, nothing is lost", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(box.price * 10);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(40);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ?", player.id)).toBe(10);
    expect(await count("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND reason = 'open'", player.id)).toBe(10);
    // No two openings ever shared a nonce.
    expect(await count("SELECT COUNT(DISTINCT nonce) AS n FROM openings WHERE user_id = ?", player.id)).toBe(10);
  });

  it("an idempotent retry returns the first result and charges once; a reused key with other parameters is refused", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(5_000);
    const headers = { "idempotency-key": `open-${crypto.randomUUID()}` };
    const first = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 2 }, headers });
    const again = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 2 }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 3 }, headers });
    expect(other.status).toBe(422);
    expect(other.error?.code).toBe("idempotency_key_reused");
    expect(await expectLedgerExplainsBalance(player.id)).toBe(4_500);
  });

  it("parallel retries with one key charge once", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(5_000);
    const headers = { "idempotency-key": `burst-${crypto.randomUUID()}` };
    const results = await Promise.all(Array.from({ length: 8 }, () => call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 }, headers })));
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.ledgerEntryId)).size).toBe(1);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(4_750);
  });

  it("rejects a malformed Idempotency-Key with 400", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(1_000);
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 }, headers: { "idempotency-key": "bad key!" } });
    expect(res.status).toBe(400);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(1_000);
  });
});

describe("provable fairness", () => {
  it("a past opening recomputes from the revealed seed with the exported verifier", async () => {
    const box = await createCase(admin);
    const player = await fundedPlayer(5_000);
    const before = await call("GET", "/api/fairness", { token: player.token });
    expect(before.body.active.serverSeedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(before.body)).not.toContain("serverSeed\":\"");

    await call("PUT", "/api/fairness/client-seed", { token: player.token, body: { clientSeed: "my-lucky-seed" } });
    const opened = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 3 } });
    const target = opened.body.items[2]!;
    expect(opened.body.seed).toMatchObject({ hash: before.body.active.serverSeedHash, clientSeed: "my-lucky-seed" });

    const hidden = await call("GET", `/api/openings/${target.id}`, { token: player.token });
    expect(hidden.status).toBe(200);
    expect(hidden.body.seed).toMatchObject({ revealed: false, serverSeed: null });

    // Changing the case afterwards must not change what the opening is verified against.
    await call("PUT", `/api/admin/cases/${box.id}`, {
      token: admin.token,
      body: { name: "Changed", slug: box.slug, imageUrl: null, price: 999, active: true, items: [{ name: "Only", rarity: "covert", value: 1, kind: "skin", weight: 5 }] },
    });

    expect((await call("GET", "/api/fairness", { token: player.token })).body.active.nextNonce).toBe(3);
    const rotated = await call("POST", "/api/fairness/rotate", { token: player.token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.revealed.serverSeedHash).toBe(before.body.active.serverSeedHash);
    expect(rotated.body.revealed.noncesUsed).toBe(3);
    expect(rotated.body.active.serverSeedHash).not.toBe(before.body.active.serverSeedHash);
    expect(rotated.body.active.nextNonce).toBe(0);

    const proof = await call("GET", `/api/openings/${target.id}`, { token: player.token });
    expect(proof.body.seed.revealed).toBe(true);
    expect(proof.body.revision.price).toBe(250);
    const weights = proof.body.revision.items.map((i: { weight: number }) => i.weight);
    const check = await verifyOpening({
      serverSeed: proof.body.seed.serverSeed!,
      serverSeedHash: proof.body.seed.hash,
      clientSeed: proof.body.opening.clientSeed,
      nonce: proof.body.opening.nonce,
      weights,
    });
    expect(check.seedMatchesHash).toBe(true);
    expect(check.roll).toBe(target.roll);
    expect(proof.body.revision.items[check.itemIndex]!.id).toBe(target.itemId);

    // The new seed starts its nonces again from zero.
    const next = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } });
    expect(next.body.items[0]!.nonce).toBe(0);
    expect(next.body.seed.hash).toBe(rotated.body.active.serverSeedHash);
    const seeds = await call("GET", "/api/fairness", { token: player.token });
    expect(seeds.body.active.nextNonce).toBe(1);
    expect(seeds.body.revealed[0]).toMatchObject({ serverSeedHash: before.body.active.serverSeedHash, noncesUsed: 3 });
    const changed = await call("PUT", "/api/fairness/client-seed", { token: player.token, body: { clientSeed: "another-seed" } });
    expect(changed.body.active).toMatchObject({ clientSeed: "another-seed", nextNonce: 1, serverSeedHash: rotated.body.active.serverSeedHash });
  });

  it("never shows one player's opening to another", async () => {
    const box = await createCase(admin);
    const owner = await fundedPlayer(1_000);
    const stranger = await registerUser();
    const opened = await call("POST", `/api/cases/${box.id}/open`, { token: owner.token, body: { count: 1 } });
    const res = await call("GET", `/api/openings/${opened.body.items[0]!.id}`, { token: stranger.token });
    expect(res.status).toBe(404);
    expect((await call("GET", `/api/openings/${opened.body.items[0]!.id}`)).status).toBe(401);
    expect((await call("GET", "/api/openings/not-a-uuid", { token: owner.token })).status).toBe(400);
  });

  it("validates the client seed", async () => {
    const player = await registerUser();
    const res = await call("PUT", "/api/fairness/client-seed", { token: player.token, body: { clientSeed: "has spaces" } });
    expect(res.status).toBe(400);
    expect(res.error?.issues?.[0]?.path).toBe("clientSeed");
  });
});

describe("seed rotation", () => {
  it("parallel rotations reveal each seed once and leave exactly one active seed", async () => {
    const player = await registerUser();
    const results = await Promise.all([1, 2, 3, 4].map(() => call("POST", "/api/fairness/rotate", { token: player.token })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses).toContain(200);
    expect(await count("SELECT COUNT(*) AS n FROM server_seeds WHERE user_id = ? AND revealed_at IS NULL", player.id)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM server_seeds WHERE user_id = ?", player.id)).toBe(1 + statuses.filter((s) => s === 200).length);
  });
});
