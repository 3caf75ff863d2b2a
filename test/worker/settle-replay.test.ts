import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";

// Claim and sell settle "every eligible item" in one batch. Two guards keep that batch honest
// over time: the idempotency guard (a keyed retry after new prizes arrived replays, instead of
// trying to write a second entry with the same key) and `status = 'owned'` on the UPDATE (a later
// settlement never rewrites rows an earlier one already settled).

type Action = "claim" | "sell";

let admin: TestUser;
const cases: Record<Action, { id: string }> = { claim: { id: "" }, sell: { id: "" } };
const VALUE: Record<Action, number> = { claim: 250, sell: 75 };

beforeAll(async () => {
  admin = await registerAdmin();
  cases.claim = await createCase(admin, { price: 100, items: [{ name: "2.50 € cash", rarity: "milspec", value: 250, kind: "money", weight: 1 }] });
  cases.sell = await createCase(admin, { price: 100, items: [{ name: "AK-47 | Redline", rarity: "classified", value: 75, kind: "skin", weight: 1 }] });
});

/** Wins `count` prizes of the kind `action` settles (money for claim, skins for sell); returns their ids. */
async function win(player: TestUser, action: Action, count: number): Promise<string[]> {
  const res = await call("POST", `/api/cases/${cases[action].id}/open`, { token: player.token, body: { count } });
  expect(res.status).toBe(201);
  return res.body.items.map((i: { id: string }) => i.id);
}

async function fundedPlayer(): Promise<TestUser> {
  const player = await registerUser();
  await credit(admin, player.id, 1_000);
  return player;
}

interface SettledRow {
  id: string;
  status: string;
  ledger_id: string;
  settled_ledger_id: string | null;
  settled_at: number | null;
  created_at: number;
}

async function rows(userId: string, ids: string[]): Promise<SettledRow[]> {
  const all = await env.DB.prepare("SELECT id, status, ledger_id, settled_ledger_id, settled_at, created_at FROM openings WHERE user_id = ? ORDER BY id")
    .bind(userId)
    .all<SettledRow>();
  return all.results.filter((r) => ids.includes(r.id));
}

const settleAll = (player: TestUser, action: Action, key?: string) =>
  call("POST", `/api/inventory/${action}`, { token: player.token, body: { all: true }, headers: key ? { "idempotency-key": key } : {} });

describe.each(["claim", "sell"] as const)("%s-all", (action) => {
  const settledStatus = action === "claim" ? "claimed" : "sold";

  it(`a keyed ${action}-all retried after a new prize was won replays the first body and leaves the new prize owned`, async () => {
    const player = await fundedPlayer();
    const earlier = await win(player, action, 2);
    const key = `${action}-later-${crypto.randomUUID()}`;
    const first = await settleAll(player, action, key);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(first.body).toMatchObject({ action, credited: 2 * VALUE[action] });
    expect([...first.body.itemIds].sort()).toEqual([...earlier].sort());

    const [prize] = await win(player, action, 1);
    const balanceBefore = await expectLedgerExplainsBalance(player.id);
    const retry = await settleAll(player, action, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(first.body);

    expect((await rows(player.id, [prize!]))[0]).toMatchObject({ status: "owned", settled_ledger_id: null, settled_at: null });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(balanceBefore);
    const keyed = await env.DB.prepare("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND idempotency_key = ?").bind(player.id, key).first<{ n: number }>();
    expect(keyed?.n).toBe(1);
    // An unkeyed settle still takes the new prize: the replay only refused to settle it under the old key.
    const fresh = await settleAll(player, action);
    expect(fresh.body).toMatchObject({ itemIds: [prize], credited: VALUE[action] });
  });

  it(`a later ${action}-all leaves the earlier one's rows and its keyed replay unchanged`, async () => {
    const player = await fundedPlayer();
    const earlier = await win(player, action, 2);
    const key = `${action}-earlier-${crypto.randomUUID()}`;
    const first = await settleAll(player, action, key);
    expect(first.status).toBe(200);
    const settledBefore = await rows(player.id, earlier);
    expect(settledBefore).toHaveLength(2);
    for (const row of settledBefore) {
      expect(row).toMatchObject({ status: settledStatus, settled_ledger_id: first.body.ledgerEntryId, settled_at: expect.any(Number) });
    }

    const later = await win(player, action, 1);
    const second = await settleAll(player, action, `${action}-second-${crypto.randomUUID()}`);
    expect(second.status).toBe(200);
    expect(await rows(player.id, earlier)).toEqual(settledBefore);
    expect(second.body).toMatchObject({ itemIds: later, credited: VALUE[action] });
    expect(second.body.ledgerEntryId).not.toBe(first.body.ledgerEntryId);
    expect((await rows(player.id, later))[0]).toMatchObject({ status: settledStatus, settled_ledger_id: second.body.ledgerEntryId });
    const replay = await settleAll(player, action, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(1_000 - 300 + 3 * VALUE[action]);
  });
});
