import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { listInventory } from "../../src/features/inventory/queries";
import { settleItems } from "../../src/features/inventory/settle";
import { upgradeItems } from "../../src/features/upgrader/upgrade";
import { call, createCase, registerAdmin, type TestUser } from "../helpers";
import { meteredD1, rowsWrittenTo } from "../metered-d1";
import { nextRollWill, playerWithSkins, targetCase } from "./upgrader-fixtures";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});

describe("GET /api/upgrader/targets", () => {
  it("lists every skin of every active case once, cheapest first, with the rules; cash, worthless skins and hidden cases are not targets", async () => {
    const tag = `tgt${Date.now().toString(36)}`;
    const skin = (name: string, value: number, kind = "skin") => ({ name: `${tag} ${name}`, rarity: "covert", value, kind, weight: 1 });
    const a = await createCase(admin, { items: [skin("Twin", 700), skin("Big", 5_000), skin("Cash", 300, "money"), skin("Free", 0)] });
    const b = await createCase(admin, { items: [skin("Twin", 700), skin("Twin", 650), skin("Small", 120)] });
    const hidden = await createCase(admin, { items: [skin("Hidden", 900)] });
    await call("PATCH", `/api/admin/cases/${hidden.id}`, { token: admin.token, body: { active: false } });

    const res = await call("GET", `/api/upgrader/targets?query=${tag}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ houseEdge: 500, minChance: 100, maxChance: 8000, nextCursor: null });
    expect(res.body.items.map((t) => [t.name.slice(tag.length + 1), t.value])).toEqual([
      ["Small", 120],
      ["Twin", 650],
      ["Twin", 700],
      ["Big", 5_000],
    ]);
    // The twin offered by both cases is one target; its id, case and version belong together.
    const twin = res.body.items.find((t) => t.value === 700)!;
    const owner = [...a.items, ...b.items].filter((i) => (i as unknown as { name: string }).name === `${tag} Twin` && i.value === 700).map((i) => i.id).sort()[0];
    expect(twin.itemId).toBe(owner);
    expect(twin.caseId).toBe(a.items.some((i) => i.id === owner) ? a.id : b.id);

    const filtered = await call("GET", `/api/upgrader/targets?query=${tag}&min=650&max=700`);
    expect(filtered.body.items.map((t) => t.value)).toEqual([650, 700]);

    // Walking the pages one target at a time returns the same list.
    const walked: (typeof res.body.items)[number][] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: typeof res = await call("GET", `/api/upgrader/targets?query=${tag}&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      walked.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    expect(walked).toEqual(res.body.items);
  });

  it("matches the name literally (LIKE wildcards are escaped) and refuses bad filters with 400", async () => {
    const tag = `pct${Date.now().toString(36)}`;
    await createCase(admin, { items: [{ name: `${tag} 100% Skin`, rarity: "covert", value: 500, kind: "skin", weight: 1 }, { name: `${tag} 1000 Skin`, rarity: "covert", value: 600, kind: "skin", weight: 1 }] });
    const res = await call("GET", `/api/upgrader/targets?query=${encodeURIComponent(`${tag} 100%`)}`);
    expect(res.body.items.map((t) => t.value)).toEqual([500]);
    for (const bad of ["min=5&max=4", "min=-1", "min=1.5", "cursor=garbage", "limit=1000", `query=${"x".repeat(81)}`]) {
      const refused = await call("GET", `/api/upgrader/targets?${bad}`);
      expect([bad, refused.status]).toEqual([bad, 400]);
    }
  });
});

describe("upgraded items in the inventory views", () => {
  it("status=upgraded lists the staked skins, the 'all' view merges them in, and a won item says where it came from", async () => {
    const { player, skins } = await playerWithSkins(admin, [300, 200, 100]);
    const target = await targetCase(admin, [950]);
    await nextRollWill(player.id, "win", 5000);
    const res = await call("POST", "/api/upgrader", { token: player.token, body: { itemIds: [skins[0]!.id, skins[1]!.id], targetItemId: target.ids[0] } });
    expect(res.body.won).toBe(true);
    const upgraded = await call("GET", "/api/inventory?status=upgraded", { token: player.token });
    expect(upgraded.body.items.map((i: { id: string }) => i.id).sort()).toEqual([skins[0]!.id, skins[1]!.id].sort());
    const owned = await call("GET", "/api/inventory", { token: player.token });
    expect(owned.body.items.map((i: { id: string; source: string }) => [i.id, i.source]).sort()).toEqual([[res.body.item!.id, "upgrade"], [skins[2]!.id, "case"]].sort());
    const all = await call("GET", "/api/inventory?status=all", { token: player.token });
    expect(all.body.items).toHaveLength(4);
    expect(all.body.items[0]).toEqual(res.body.item);
  });
});

describe("what an upgrade writes (D1 rows, metered)", () => {
  it("two round trips; a loss of one skin writes 5 rows, a win 6, each more skin 2, a key 1", async () => {
    const { player, skins } = await playerWithSkins(admin, [100, 100, 100, 100, 100, 100, 100, 100]);
    const target = await targetCase(admin, [1_000]);
    const measure = async (itemIds: string[], outcome: "win" | "lose", key: string | null = null) => {
      // 100 × n × 9500 / 1000 basis points.
      await nextRollWill(player.id, outcome, 950 * itemIds.length);
      const { db, meter } = meteredD1(env.DB);
      const { result } = await upgradeItems(createDb(db), { userId: player.id, itemIds, pick: { itemId: target.ids[0]! }, houseEdge: 500, idempotencyKey: key, requestHash: "h" });
      expect(result.won).toBe(outcome === "win");
      expect(meter.roundTrips).toBe(2);
      return {
        total: meter.rowsWritten,
        ledger: rowsWrittenTo(meter, "ledger"),
        users: rowsWrittenTo(meter, "users"),
        openings: rowsWrittenTo(meter, "openings"),
        upgrades: rowsWrittenTo(meter, "upgrades"),
      };
    };
    const ids = skins.map((s) => s.id);
    // The entry, the account row (its version and the nonce), the upgrade row, and 2 per staked skin,
    // as a sale of one costs: its status and settlement change (status is part of the clustered key).
    expect(await measure([ids[0]!], "lose")).toEqual({ total: 5, ledger: 1, users: 1, openings: 2, upgrades: 1 });
    // A win adds its item, one row.
    expect(await measure([ids[1]!], "win")).toEqual({ total: 6, ledger: 1, users: 1, openings: 3, upgrades: 1 });
    expect((await measure(ids.slice(2, 7), "lose")).total).toBe(5 + 4 * 2);
    // An Idempotency-Key adds its entry in the partial unique index.
    expect(await measure([ids[7]!], "lose", `metered-${crypto.randomUUID()}`)).toMatchObject({ total: 6, ledger: 2 });
    const sale = await playerWithSkins(admin, [100]);
    const sell = meteredD1(env.DB);
    await settleItems(createDb(sell.db), { userId: sale.player.id, action: "sell", itemId: sale.skins[0]!.id, idempotencyKey: null, requestHash: "h" });
    expect(rowsWrittenTo(sell.meter, "openings")).toBe(2);
  });

  it("an inventory page of one status still reads only what it returns", async () => {
    const { player, skins } = await playerWithSkins(admin, [100, 100, 100]);
    await targetCase(admin, [1_000]);
    for (const s of skins.slice(0, 2)) await call("POST", "/api/upgrader", { token: player.token, body: { itemIds: [s.id], multiplier: 10 } });
    const { db, meter } = meteredD1(env.DB);
    const page = await listInventory(createDb(db), player.id, { status: "owned", limit: 20 });
    expect(page.items.filter((i) => i.source === "case").map((i) => i.id)).toEqual([skins[2]!.id]);
    expect(meter.rowsRead).toBeLessThanOrEqual(1 + page.items.length + 1);
  });
});
