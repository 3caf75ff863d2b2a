import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionIdOf } from "../../src/features/auth/session-token";
import { warmSessions } from "../../src/features/openings/warm-state";
import { call, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";

// An opening looks its session up itself, inside its own batch (cold: an inline WHERE in
// openCold; warm: the liveSessionUserId guard), not through requireUser. These tests hold both
// lookups to the same rule as every other route: an expired session spends nothing.

let admin: TestUser;
let box: { id: string; price: number };

beforeAll(async () => {
  admin = await registerAdmin();
  box = await createCase(admin, { price: 100 });
});

interface Money {
  balance: number;
  version: number;
  nextNonce: number;
  ledger: number;
  openings: number;
}

async function money(userId: string): Promise<Money> {
  const row = await env.DB.prepare(
    `SELECT balance, version, next_nonce AS nextNonce,
       (SELECT COUNT(*) FROM ledger WHERE user_id = u.id) AS ledger,
       (SELECT COUNT(*) FROM openings WHERE user_id = u.id) AS openings
     FROM users u WHERE id = ?`,
  )
    .bind(userId)
    .first<Money>();
  if (!row) throw new Error(`no user ${userId}`);
  return row;
}

const expireSessions = (userId: string) =>
  env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE user_id = ?").bind(Date.now() - 1, userId).run();

async function fundedPlayer(): Promise<TestUser> {
  const player = await registerUser();
  await credit(admin, player.id, 1_000);
  return player;
}

describe("opening with an expired session", () => {
  it("cold (first open of the session): 401, and balance, ledger and openings unchanged", async () => {
    const player = await fundedPlayer();
    await expireSessions(player.id);
    const before = await money(player.id);
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } });
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe("unauthorized");
    expect(await money(player.id)).toEqual(before);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(1_000);
  });

  it("warm (the session opened before in this isolate): 401, and balance, ledger and openings unchanged", async () => {
    const player = await fundedPlayer();
    const first = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } });
    expect(first.status).toBe(201);
    // The next open would take the warm path: this isolate holds a seat for the session.
    expect(warmSessions.get(await sessionIdOf(player.token))?.userId).toBe(player.id);

    await expireSessions(player.id);
    const before = await money(player.id);
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, body: { count: 1 } });
    expect(res.status).toBe(401);
    expect(res.error?.code).toBe("unauthorized");
    expect(await money(player.id)).toEqual(before);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(1_000 - box.price);
  });

  it("warm with an Idempotency-Key: 401 too, and the key stays unused", async () => {
    const player = await fundedPlayer();
    expect((await call("POST", `/api/cases/${box.id}/open`, { token: player.token })).status).toBe(201);
    expect(warmSessions.get(await sessionIdOf(player.token))?.userId).toBe(player.id);
    await expireSessions(player.id);
    const before = await money(player.id);
    const key = `expired-${crypto.randomUUID()}`;
    const res = await call("POST", `/api/cases/${box.id}/open`, { token: player.token, headers: { "idempotency-key": key } });
    expect(res.status).toBe(401);
    expect(await money(player.id)).toEqual(before);
    const keyed = await env.DB.prepare("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND idempotency_key = ?").bind(player.id, key).first<{ n: number }>();
    expect(keyed?.n).toBe(0);
  });

  it("a live session of the same player still opens after another one expired", async () => {
    const player = await fundedPlayer();
    const login = await call("POST", "/api/auth/login", { body: { email: player.email, password: "correct horse battery" } });
    expect(login.status).toBe(200);
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, await sessionIdOf(player.token)).run();
    expect((await call("POST", `/api/cases/${box.id}/open`, { token: player.token })).status).toBe(401);
    const live = await call("POST", `/api/cases/${box.id}/open`, { token: login.body.token });
    expect(live.status).toBe(201);
    expect(live.body.balance).toBe(1_000 - box.price);
  });
});
