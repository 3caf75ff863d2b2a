import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createCase, credit, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";

let admin: TestUser;
let moneyCase: { id: string };
let skinCase: { id: string };

beforeAll(async () => {
  admin = await registerAdmin();
  moneyCase = await createCase(admin, { price: 100, items: [{ name: "2.50 € cash", rarity: "milspec", value: 250, kind: "money", weight: 1 }] });
  skinCase = await createCase(admin, { price: 100, items: [{ name: "AK-47 | Redline", rarity: "classified", value: 75, kind: "skin", weight: 1 }] });
});

/** A player holding `money` money prizes (2.50 € each) and `skins` skins (0.75 € each), balance 0. */
async function playerWith(money: number, skins: number) {
  const player = await registerUser();
  if (money + skins > 0) await credit(admin, player.id, (money + skins) * 100);
  if (money) expect((await call("POST", `/api/cases/${moneyCase.id}/open`, { token: player.token, body: { count: money } })).status).toBe(201);
  if (skins) expect((await call("POST", `/api/cases/${skinCase.id}/open`, { token: player.token, body: { count: skins } })).status).toBe(201);
  const inv = await call("GET", "/api/inventory", { token: player.token });
  return { player, items: inv.body.items as { id: string; kind: string; value: number }[] };
}

describe("inventory listing", () => {
  it("pages newest first and filters by status", async () => {
    const { player } = await playerWith(3, 2);
    const first = await call("GET", "/api/inventory?limit=2", { token: player.token });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]!.kind).toBe("skin");
    const second = await call("GET", `/api/inventory?limit=2&cursor=${first.body.nextCursor}`, { token: player.token });
    const third = await call("GET", `/api/inventory?limit=2&cursor=${second.body.nextCursor}`, { token: player.token });
    expect(third.body.nextCursor).toBeNull();
    const ids = [...first.body.items, ...second.body.items, ...third.body.items].map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(5);
    expect((await call("GET", "/api/inventory?status=claimed", { token: player.token })).body.items).toEqual([]);
  });

  it("rejects bad paging input and anonymous callers", async () => {
    const { player } = await playerWith(0, 0);
    expect((await call("GET", "/api/inventory?limit=1000", { token: player.token })).status).toBe(400);
    expect((await call("GET", "/api/inventory?cursor=garbage", { token: player.token })).status).toBe(400);
    expect((await call("GET", "/api/inventory?status=stolen", { token: player.token })).status).toBe(400);
    expect((await call("GET", "/api/inventory")).status).toBe(401);
  });
});

describe("claim and sell", () => {
  it("claims one money prize into the balance with a ledger row", async () => {
    const { player, items } = await playerWith(2, 0);
    const res = await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: items[0]!.id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ action: "claim", itemIds: [items[0]!.id], credited: 250, balance: 250 });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(250);
  });

  it("claims all money prizes and leaves skins alone", async () => {
    const { player } = await playerWith(3, 2);
    const res = await call("POST", "/api/inventory/claim", { token: player.token, body: { all: true } });
    expect(res.body).toMatchObject({ credited: 750, balance: 750 });
    expect(res.body.itemIds).toHaveLength(3);
    const owned = await call("GET", "/api/inventory", { token: player.token });
    expect(owned.body.items.map((i: { kind: string }) => i.kind)).toEqual(["skin", "skin"]);
    const nothingLeft = await call("POST", "/api/inventory/claim", { token: player.token, body: { all: true } });
    expect(nothingLeft.body).toMatchObject({ itemIds: [], credited: 0, balance: 750, ledgerEntryId: null });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(750);
  });

  it("sells one skin or all skins for their value", async () => {
    const { player, items } = await playerWith(1, 3);
    const skin = items.find((i) => i.kind === "skin")!;
    expect((await call("POST", "/api/inventory/sell", { token: player.token, body: { itemId: skin.id } })).body).toMatchObject({ credited: 75, balance: 75 });
    expect((await call("POST", "/api/inventory/sell", { token: player.token, body: { all: true } })).body).toMatchObject({ credited: 150, balance: 225 });
    expect(await expectLedgerExplainsBalance(player.id)).toBe(225);
  });

  it("explains why an item cannot be settled", async () => {
    const { player, items } = await playerWith(1, 1);
    const money = items.find((i) => i.kind === "money")!;
    const skin = items.find((i) => i.kind === "skin")!;
    const wrongKind = await call("POST", "/api/inventory/sell", { token: player.token, body: { itemId: money.id } });
    expect(wrongKind.status).toBe(422);
    expect(wrongKind.error?.code).toBe("wrong_item_kind");
    expect((await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: skin.id } })).status).toBe(422);
    await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: money.id } });
    const twice = await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: money.id } });
    expect(twice.status).toBe(409);
    expect(twice.error?.code).toBe("already_settled");
    expect((await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: crypto.randomUUID() } })).status).toBe(404);
    expect((await call("POST", "/api/inventory/claim", { token: player.token, body: {} })).status).toBe(400);
    expect((await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: money.id, all: true } })).status).toBe(400);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(250);
  });

  it("never touches another player's items", async () => {
    const { player: owner, items } = await playerWith(1, 1);
    const thief = await registerUser();
    for (const item of items) {
      const action = item.kind === "money" ? "claim" : "sell";
      expect((await call("POST", `/api/inventory/${action}`, { token: thief.token, body: { itemId: item.id } })).status).toBe(404);
    }
    expect((await call("POST", "/api/inventory/claim", { token: thief.token, body: { all: true } })).body.credited).toBe(0);
    expect(await expectLedgerExplainsBalance(thief.id)).toBe(0);
    expect((await call("GET", "/api/inventory", { token: owner.token })).body.items).toHaveLength(2);
  });

  it("double claim and double sell in parallel credit once", async () => {
    const { player, items } = await playerWith(1, 1);
    const money = items.find((i) => i.kind === "money")!;
    const skin = items.find((i) => i.kind === "skin")!;
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: money.id } })),
      ...Array.from({ length: 6 }, () => call("POST", "/api/inventory/sell", { token: player.token, body: { itemId: skin.id } })),
      ...Array.from({ length: 4 }, () => call("POST", "/api/inventory/claim", { token: player.token, body: { all: true } })),
    ]);
    const credited = results.filter((r) => r.status === 200).reduce((sum, r) => sum + r.body.credited, 0);
    expect(credited).toBe(325);
    expect(results.filter((r) => r.status === 200 && r.body.credited > 0)).toHaveLength(2);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(325);
    const settled = await env.DB.prepare("SELECT COUNT(DISTINCT settled_ledger_id) AS n FROM openings WHERE user_id = ?").bind(player.id).first<{ n: number }>();
    expect(settled?.n).toBe(2);
  });

  it("an idempotent claim retry returns the first result", async () => {
    const { player } = await playerWith(2, 0);
    const headers = { "idempotency-key": `claim-${crypto.randomUUID()}` };
    const first = await call("POST", "/api/inventory/claim", { token: player.token, body: { all: true }, headers });
    const again = await call("POST", "/api/inventory/claim", { token: player.token, body: { all: true }, headers });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(first.body.credited).toBe(500);
    expect(await expectLedgerExplainsBalance(player.id)).toBe(500);
  });
});
