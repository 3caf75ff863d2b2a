import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyOpening, verifyUpgrade } from "../../src/fairness/verify";
import { call, createCase, expectLedgerExplainsBalance, registerAdmin, registerUser, type TestUser } from "../helpers";
import { closeAll, connectUser, isUserEvents } from "./realtime/sockets";
import { accountState, count, nextRollWill, ownedValue, playerWithSkins, targetCase } from "./upgrader-fixtures";

let admin: TestUser;

beforeAll(async () => {
  admin = await registerAdmin();
});
afterEach(closeAll);

const upgrade = (token: string, body: unknown, headers: Record<string, string> = {}) => call("POST", "/api/upgrader", { token, body, headers });

describe("POST /api/upgrader: the outcome", () => {
  it.each(["win", "lose"] as const)("a %s: the stake is gone, the target added only on a win, no money moves, the ledger explains it", async (outcome) => {
    const { player, skins } = await playerWithSkins(admin, [300, 200]);
    const target = await targetCase(admin, [950]);
    // 500 × 9500 / 950 = 5000 basis points.
    await nextRollWill(player.id, outcome, 5000);
    const before = await ownedValue(player.id);
    const socket = await connectUser(player.token);

    const res = await upgrade(player.token, { itemIds: skins.map((s) => s.id), targetItemId: target.ids[0] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ won: outcome === "win", chance: 5000, houseEdge: 500, nonce: 2, balance: 0, staked: { value: 500 } });
    expect(res.body.target).toMatchObject({ itemId: target.ids[0], caseId: target.caseId, caseVersion: 1, value: 950 });
    expect(res.body.staked.items.map((i: { status: string }) => i.status)).toEqual(["upgraded", "upgraded"]);
    expect(res.body.roll < 500_000).toBe(outcome === "win");
    if (outcome === "win") expect(res.body.item).toMatchObject({ itemId: target.ids[0], value: 950, status: "owned", source: "upgrade" });
    else expect(res.body.item).toBeUndefined();

    // Σ values before = after − staked + (won ? target : 0); the balance never moved.
    expect(await ownedValue(player.id)).toBe(before - 500 + (outcome === "win" ? 950 : 0));
    expect(await expectLedgerExplainsBalance(player.id)).toBe(0);
    const ledger = await call("GET", "/api/ledger", { token: player.token });
    expect(ledger.body.entries[0]).toMatchObject({ id: res.body.id, reason: "upgrade", delta: 0, ref: target.ids[0] });
    expect(ledger.body.entries[0]!.note).toBe(`2 skins → ${target.names[0]} at 50.00 %: ${outcome === "win" ? "won" : "lost"}`);

    // The player hears about both sides of it at once.
    const frame = await socket.next(isUserEvents);
    expect(frame.events.map((e) => e.event)).toEqual(["inventory:updated"]);
    expect(frame.events[0]?.data).toEqual({
      version: res.body.version,
      removed: skins.map((s) => s.id).sort(),
      ...(outcome === "win" ? { added: [res.body.item] } : {}),
    });
  });

  it("the roll is the player's seed pair and next nonce: the verifier recomputes it from the proof once the seed is revealed", async () => {
    const { player, skins } = await playerWithSkins(admin, [420]);
    const target = await targetCase(admin, [1337]);
    const res = await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] });
    expect(res.status).toBe(201);
    const hidden = await call("GET", `/api/upgrader/${res.body.id}`, { token: player.token });
    expect(hidden.status).toBe(200);
    expect(hidden.body.seed).toMatchObject({ revealed: false, serverSeed: null, hash: res.body.seed.hash });

    expect((await call("POST", "/api/fairness/rotate", { token: player.token })).status).toBe(200);
    const proof = await call("GET", `/api/upgrader/${res.body.id}`, { token: player.token });
    expect(proof.body.upgrade).toMatchObject({ id: res.body.id, chance: res.body.chance, roll: res.body.roll, nonce: 1, stakedValue: 420, wonItemId: res.body.item?.id ?? null });
    expect(proof.body.staked.map((i: { id: string }) => i.id)).toEqual([skins[0]!.id]);
    expect(proof.body.item?.id ?? null).toBe(res.body.item?.id ?? null);
    const verified = await verifyUpgrade({
      serverSeed: proof.body.seed.serverSeed!,
      serverSeedHash: proof.body.seed.hash,
      clientSeed: proof.body.upgrade.clientSeed,
      nonce: proof.body.upgrade.nonce,
      stakedValue: proof.body.upgrade.stakedValue,
      targetValue: proof.body.upgrade.target.value,
      houseEdgeBasisPoints: proof.body.upgrade.houseEdge,
    });
    // 420 × 9500 / 1337 = 2984.29…
    expect(verified).toEqual({ seedMatchesHash: true, chance: 2984, roll: res.body.roll, won: res.body.won });

    // The staked skin's own opening still verifies as an opening; a won item is not a case opening.
    const opening = await call("GET", `/api/openings/${skins[0]!.id}`, { token: player.token });
    expect(opening.status).toBe(200);
    const again = await verifyOpening({ serverSeed: opening.body.seed.serverSeed!, serverSeedHash: opening.body.seed.hash, clientSeed: opening.body.opening.clientSeed, nonce: opening.body.opening.nonce, weights: opening.body.revision.items.map((i: { weight: number }) => i.weight) });
    expect(again.seedMatchesHash).toBe(true);
    if (res.body.item) expect((await call("GET", `/api/openings/${res.body.item.id}`, { token: player.token })).status).toBe(404);
  });

  it("GET /api/upgrader lists the player's upgrades newest first; another player's upgrade is not found", async () => {
    const { player, skins } = await playerWithSkins(admin, [100, 100, 100]);
    const target = await targetCase(admin, [1000]);
    const ids: string[] = [];
    for (const skin of skins) ids.push((await upgrade(player.token, { itemIds: [skin.id], targetItemId: target.ids[0] })).body.id);
    const first = await call("GET", "/api/upgrader?limit=2", { token: player.token });
    expect(first.status).toBe(200);
    const second = await call("GET", `/api/upgrader?limit=2&cursor=${first.body.nextCursor}`, { token: player.token });
    expect([...first.body.upgrades, ...second.body.upgrades].map((u: { id: string }) => u.id)).toEqual([...ids].reverse());
    expect(second.body.nextCursor).toBeNull();
    const stranger = await registerUser("stranger");
    expect((await call("GET", `/api/upgrader/${ids[0]}`, { token: stranger.token })).status).toBe(404);
    expect((await call("GET", "/api/upgrader/not-an-id", { token: player.token })).status).toBe(400);
    expect((await call("GET", "/api/upgrader")).status).toBe(401);
  });
});

describe("POST /api/upgrader: the chance at its edges", () => {
  it.each([
    // [staked values, target value, chance in basis points, accepted]
    [[800], 950, 8000, true],
    [[800], 949, 8008, false],
    [[10], 950, 100, true],
    [[10], 951, 99, false],
    [[5, 5], 951, 99, false],
    [[2, 3, 5], 950, 100, true],
  ])("stake %j for a skin worth %i: %i basis points, accepted %s", async (values, targetValue, chance, accepted) => {
    const { player, skins } = await playerWithSkins(admin, values);
    const target = await targetCase(admin, [targetValue]);
    const before = await accountState(player.id);
    const res = await upgrade(player.token, { itemIds: skins.map((s) => s.id), targetItemId: target.ids[0] });
    if (accepted) {
      expect(res.status).toBe(201);
      expect(res.body.chance).toBe(chance);
      return;
    }
    expect(res.status).toBe(422);
    expect(res.error?.code).toBe("chance_out_of_range");
    expect(res.error?.message).toContain(`${Math.floor(chance / 100)}.${String(chance % 100).padStart(2, "0")} %`);
    expect(await accountState(player.id)).toEqual(before);
  });

  it("a stake worth nothing, or a target worth less than the stake, is refused", async () => {
    const { player, skins } = await playerWithSkins(admin, [0, 1_000]);
    const target = await targetCase(admin, [500, 1_000]);
    for (const [stake, goal] of [[skins[0], target.ids[1]], [skins[1], target.ids[0]], [skins[1], target.ids[1]]] as const) {
      const res = await upgrade(player.token, { itemIds: [stake!.id], targetItemId: goal });
      expect(res.status).toBe(422);
      expect(res.error?.code).toBe("chance_out_of_range");
    }
  });

  it("honours the configured house edge", async () => {
    const { upgraderConfig } = await import("../../src/features/upgrader/config");
    expect(upgraderConfig(env)).toEqual({ houseEdge: 500, dropMinValue: 1_000 });
    expect(upgraderConfig({ UPGRADER_HOUSE_EDGE: "0.0325", UPGRADER_DROP_MIN_VALUE: "25" })).toEqual({ houseEdge: 325, dropMinValue: 25 });
    expect(upgraderConfig({ UPGRADER_HOUSE_EDGE: "0", UPGRADER_DROP_MIN_VALUE: "" })).toEqual({ houseEdge: 0, dropMinValue: 1_000 });
    expect(upgraderConfig({})).toEqual({ houseEdge: 500, dropMinValue: 1_000 });
    for (const bad of ["5%", "1", "0.00001", "-0.05", "0,05"]) expect(() => upgraderConfig({ UPGRADER_HOUSE_EDGE: bad })).toThrow(/UPGRADER_HOUSE_EDGE/);
    expect(() => upgraderConfig({ UPGRADER_DROP_MIN_VALUE: "10.5" })).toThrow(/UPGRADER_DROP_MIN_VALUE/);
  });
});

describe("POST /api/upgrader: what can be staked and won", () => {
  it("refuses another player's item (404), a claimed or sold one (409), a cash prize (422), and changes nothing", async () => {
    const { player, skins, cash } = await playerWithSkins(admin, [300, 300], [300, 300]);
    const other = await playerWithSkins(admin, [300]);
    const target = await targetCase(admin, [1_000]);
    expect((await call("POST", "/api/inventory/sell", { token: player.token, body: { itemId: skins[1]!.id } })).status).toBe(200);
    expect((await call("POST", "/api/inventory/claim", { token: player.token, body: { itemId: cash[1]!.id } })).status).toBe(200);
    const before = await accountState(player.id);
    const cases: [string[], number, string][] = [
      [[other.skins[0]!.id], 404, "not_found"],
      [[skins[0]!.id, other.skins[0]!.id], 404, "not_found"],
      [[crypto.randomUUID()], 404, "not_found"],
      [[skins[1]!.id], 409, "already_settled"],
      [[skins[0]!.id, skins[1]!.id], 409, "already_settled"],
      [[cash[1]!.id], 409, "already_settled"],
      [[cash[0]!.id], 422, "wrong_item_kind"],
    ];
    for (const [itemIds, status, code] of cases) {
      const res = await upgrade(player.token, { itemIds, targetItemId: target.ids[0] });
      expect([itemIds, res.status, res.error?.code]).toEqual([itemIds, status, code]);
    }
    expect(await accountState(player.id)).toEqual(before);
    expect(await accountState(other.player.id)).toMatchObject({ upgrades: [] });
    // A staked skin is gone for good: it cannot be staked again, sold or claimed.
    expect((await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] })).status).toBe(201);
    expect((await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] })).error?.code).toBe("already_settled");
    const sell = await call("POST", "/api/inventory/sell", { token: player.token, body: { itemId: skins[0]!.id } });
    expect([sell.status, sell.error?.message]).toEqual([409, "This item was already upgraded."]);
  });

  it("the target must be a skin of an active case: cash, hidden cases and unknown ids are not found", async () => {
    const { player, skins } = await playerWithSkins(admin, [300]);
    const cashCase = await createCase(admin, { price: 100, items: [{ name: "cash target", rarity: "milspec", value: 1_000, kind: "money", weight: 1 }] });
    const hidden = await targetCase(admin, [1_000], "hidden");
    expect((await call("PATCH", `/api/admin/cases/${hidden.caseId}`, { token: admin.token, body: { active: false } })).status).toBe(200);
    for (const targetItemId of [cashCase.items[0]!.id, hidden.ids[0], crypto.randomUUID()]) {
      const res = await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId });
      expect([res.status, res.error?.message]).toEqual([404, "Target skin not found."]);
    }
  });

  it("multiplier picks the cheapest skin worth at least that many times the stake", async () => {
    const { player, skins } = await playerWithSkins(admin, [250, 250]);
    const res = await upgrade(player.token, { itemIds: skins.map((s) => s.id), multiplier: 2.5 });
    expect(res.status).toBe(201);
    // Nothing active is worth 1250 or more but less than what was picked.
    expect(res.body.target.value).toBeGreaterThanOrEqual(1_250);
    const cheapest = await call("GET", "/api/upgrader/targets?min=1250&limit=1");
    expect(cheapest.body.items[0]).toEqual(res.body.target);
    const none = await playerWithSkins(admin, [1_000_000_000]);
    const tooMuch = await upgrade(none.player.token, { itemIds: [none.skins[0]!.id], multiplier: 1000 });
    expect([tooMuch.status, tooMuch.error?.code]).toEqual([422, "no_target"]);
  });

  it.each([
    [{ itemIds: [] }, "itemIds"],
    [{ itemIds: Array.from({ length: 6 }, () => crypto.randomUUID()), multiplier: 2 }, "itemIds"],
    [{ itemIds: ["x"], multiplier: 2 }, "itemIds.0"],
    [{ itemIds: ["aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"], multiplier: 2 }, "itemIds"],
    [{ itemIds: [crypto.randomUUID()] }, "targetItemId"],
    [{ itemIds: [crypto.randomUUID()], multiplier: 2, targetItemId: crypto.randomUUID() }, "targetItemId"],
    [{ itemIds: [crypto.randomUUID()], multiplier: 1.005 }, "multiplier"],
    [{ itemIds: [crypto.randomUUID()], multiplier: 2.001 }, "multiplier"],
    [{ itemIds: [crypto.randomUUID()], multiplier: "2" }, "multiplier"],
    [{ itemIds: [crypto.randomUUID()], multiplier: 2, extra: 1 }, "(root)"],
  ])("rejects %j with 400 naming %s", async (body, path) => {
    const player = await registerUser();
    const res = await upgrade(player.token, body);
    expect(res.status).toBe(400);
    expect(res.error?.issues?.map((i) => i.path)).toContain(path);
  });

  it("needs a session", async () => {
    expect((await call("POST", "/api/upgrader", { body: { itemIds: [crypto.randomUUID()], multiplier: 2 } })).status).toBe(401);
  });
});

describe("POST /api/upgrader: Idempotency-Key", () => {
  it("a retry returns the first result and stakes once; the same key for another upgrade is refused", async () => {
    const { player, skins } = await playerWithSkins(admin, [400, 300]);
    const target = await targetCase(admin, [1_500]);
    const headers = { "idempotency-key": `upgrade-${crypto.randomUUID()}` };
    const first = await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] }, headers);
    expect(first.status).toBe(201);
    const again = await upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const other = await upgrade(player.token, { itemIds: [skins[1]!.id], targetItemId: target.ids[0] }, headers);
    expect([other.status, other.error?.code]).toEqual([422, "idempotency_key_reused"]);
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM openings WHERE user_id = ? AND status = 'upgraded'", player.id)).toBe(1);
  });

  it("parallel retries with one key upgrade once", async () => {
    const { player, skins } = await playerWithSkins(admin, [400]);
    const target = await targetCase(admin, [1_500]);
    const headers = { "idempotency-key": `burst-${crypto.randomUUID()}` };
    const results = await Promise.all(Array.from({ length: 6 }, () => upgrade(player.token, { itemIds: [skins[0]!.id], targetItemId: target.ids[0] }, headers)));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM upgrades WHERE user_id = ?", player.id)).toBe(1);
  });
});
