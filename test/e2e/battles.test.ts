import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEMO, ensureUser } from "../../scripts/lib/seed-demo.mjs";
import type { BattleRoundResult, BattleState, InventoryItem, RealtimeEvents } from "../../src/client/index";
import { HOUSE_USER_ID } from "../../src/features/battles/house";
import { verifyBattle } from "../../src/fairness/verify";
import type { LedgerPage } from "../../src/features/ledger/schemas";
import type { InventoryPage } from "../../src/features/inventory/schemas";
import { allOpen, api, client, closeClients, eventually, queryLocal, startDevServer, startServer, type DevServer, type RecordingClient } from "./harness";

// Two players and a spectator play a 1v1, 3-round battle through the SDK against a real `wrangler
// dev`, which is stopped and restarted on the same state between the first reveal and the end.
//
// Rounds of 8 s: long enough that the runtime is stopped well before the battle ends (the restart
// takes ~10 s on a loaded machine), short enough for the file to stay under a minute of battle.
// Whichever rounds fall due while the runtime is down are revealed when it is back; the schedule
// itself (revealAt, finishAt) must not move.
const ROUND_MS = 8_000;
const ROUNDS = ["starter", "cash-rush", "starter"];

let ctx: Awaited<ReturnType<typeof startServer>>;
let server: DevServer;
let url: string;
let admin: string;
let alice: { token: string; id: string };
let bob: { token: string; id: string };

interface Account {
  token: string;
  id: string;
}

/** A client that also notes when (wall clock, same machine as the runtime) each battle or private event arrived. */
function timedClient(auth?: Account) {
  const c = client(url, auth ? { kind: "token", token: auth.token } : undefined);
  const at: { [K in "battle:round" | "battle:finished" | "inventory:updated" | "drops:new"]: { at: number; data: RealtimeEvents[K] }[] } = {
    "battle:round": [],
    "battle:finished": [],
    "inventory:updated": [],
    "drops:new": [],
  };
  c.rt.on("battle:round", (data) => at["battle:round"].push({ at: Date.now(), data }));
  c.rt.on("battle:finished", (data) => at["battle:finished"].push({ at: Date.now(), data }));
  c.rt.on("inventory:updated", (data) => at["inventory:updated"].push({ at: Date.now(), data }));
  c.rt.on("drops:new", (data) => at["drops:new"].push({ at: Date.now(), data }));
  return { ...c, at };
}

/**
 * The rounds a client holds for one battle: every `battle:state` snapshot's revealed rounds, then the
 * live `battle:round` events. A round seen twice (a snapshot after a reconnect, a replay) must be the
 * same round each time; a different one would be a client shown two outcomes.
 */
function roundsHeld(c: RecordingClient, battleId: string): BattleRoundResult[] {
  const held = new Map<number, BattleRoundResult>();
  const add = (r: BattleRoundResult) => {
    const before = held.get(r.round);
    if (before) expect(r, `round ${r.round} seen twice, differently`).toEqual(before);
    held.set(r.round, r);
  };
  for (const state of c.seen["battle:state"].filter((s) => s.id === battleId)) state.revealed.forEach(add);
  for (const e of c.seen["battle:round"].filter((r) => r.battleId === battleId)) {
    add({ round: e.round, revealedAt: e.revealedAt, results: e.results, totals: e.totals });
  }
  return [...held.values()].sort((a, b) => a.round - b.round);
}

const hasState = (c: RecordingClient, battleId: string) => () => c.seen["battle:state"].some((s) => s.id === battleId);
const me = async (token: string) => (await api<{ user: { balance: number } }>(url, "GET", "/api/auth/me", { token })).body.user.balance;

async function ledgerOf(token: string) {
  const entries: LedgerPage["entries"] = [];
  let cursor: string | null = null;
  let balance = 0;
  do {
    const page: { status: number; body: LedgerPage } = await api<LedgerPage>(url, "GET", `/api/ledger?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(page.status).toBe(200);
    entries.push(...page.body.entries);
    balance = page.body.balance;
    cursor = page.body.nextCursor;
  } while (cursor);
  return { entries, balance };
}

async function inventoryOf(token: string) {
  const items: InventoryItem[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: InventoryPage } = await api<InventoryPage>(url, "GET", `/api/inventory?status=all&limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

const getBattle = async (id: string) => {
  const res = await api<{ battle: BattleState }>(url, "GET", `/api/battles/${id}`);
  expect(res.status).toBe(200);
  return res.body.battle;
};

beforeAll(async () => {
  ctx = await startServer({ vars: { BATTLE_ROUND_MS: String(ROUND_MS) } });
  server = ctx.server;
  url = server.url;
  admin = ctx.demo.admin.token;
  alice = { token: ctx.demo.player.token, id: ctx.demo.player.user.id };
  const second = await ensureUser(url, { email: "bob@cyberhub.local", password: "bob-demo-password", displayName: "Bob" });
  bob = { token: second.token, id: second.user.id };
  const funded = await api(url, "POST", `/api/admin/users/${bob.id}/balance`, {
    token: admin,
    body: { amount: DEMO.playerStartingBalance, reason: "e2e battle funds" },
    headers: { "idempotency-key": `e2e-battle-fund-${bob.id}` },
  });
  expect(funded.status).toBe(201);
});

afterEach(closeClients);

afterAll(async () => {
  closeClients();
  await server?.stop();
  await ctx?.cleanup();
});

describe("case battle end to end (wrangler dev + SDK in Node)", () => {
  it("two players and a spectator play a 1v1 of 3 rounds through a runtime restart and end with the same rounds, a verified outcome and the right money", async () => {
    const before = { alice: await me(alice.token), bob: await me(bob.token) };
    const a = timedClient(alice);
    const b = timedClient(bob);
    const watcher = timedClient();
    await eventually("the three clients open", allOpen(a, b, watcher));

    // Alice creates (seat 1, pays), everyone opens the room, Bob takes the last seat: the battle starts.
    const created = await api<{ battle: BattleState }>(url, "POST", "/api/battles", {
      token: alice.token,
      body: { cases: ROUNDS, format: "1v1", mode: "classic", clientSeed: "alice-e2e-seed" },
      headers: { "idempotency-key": `e2e-battle-create-${Date.now()}` },
    });
    expect(created.status).toBe(201);
    const id = created.body.battle.id;
    const entry = created.body.battle.entry;
    expect(created.body.battle).toMatchObject({ status: "waiting", seatCount: 2, seatsTaken: 1, roundMs: ROUND_MS, revealed: [], winner: null, awards: [] });
    expect(created.body.battle.fairness.serverSeed).toBeNull();
    expect(entry).toBe(created.body.battle.rounds.reduce((sum, r) => sum + r.price, 0));

    for (const c of [a, b, watcher]) c.rt.joinBattle(id);
    for (const c of [a, b, watcher]) await eventually("battle:state on opening the room", hasState(c, id));
    await eventually("the three room sockets open", allOpen(a, b, watcher));

    const joined = await api<{ battle: BattleState }>(url, "POST", `/api/battles/${id}/join`, {
      token: bob.token,
      body: { clientSeed: "bob-e2e-seed" },
      headers: { "idempotency-key": `e2e-battle-join-${Date.now()}` },
    });
    expect(joined.status).toBe(200);
    const startedState = joined.body.battle;
    expect(startedState).toMatchObject({ status: "running", seatsTaken: 2, revealed: [], winner: null });
    expect(startedState.revealAt).toHaveLength(ROUNDS.length);
    expect(startedState.fairness.serverSeed).toBeNull();

    for (const c of [a, b, watcher]) {
      await eventually("battle:started in the room", () => c.seen["battle:started"].some((e) => e.battleId === id));
      expect(c.seen["battle:started"].find((e) => e.battleId === id)).toMatchObject({ revealAt: startedState.revealAt, finishAt: startedState.finishAt, roundMs: ROUND_MS });
    }
    // The lobby, open all along until now, heard the public battle start.
    await eventually("battles:updated running on the watcher's lobby", () => watcher.seen["battles:updated"].some((x) => x.id === id && x.status === "running" && x.seatsTaken === 2));
    // The entries were charged at once, on each player's own socket.
    await eventually("alice's entry on her socket", () => a.seen["balance:updated"].some((e) => e.reason === "battle_entry" && e.delta === -entry));
    await eventually("bob's entry on his socket", () => b.seen["balance:updated"].some((e) => e.reason === "battle_entry" && e.delta === -entry));

    // Round 1 reaches everyone; then the runtime goes down before round 2 is due and comes back.
    for (const c of [a, b, watcher]) await eventually("round 1 in the room", () => roundsHeld(c, id).length >= 1, ROUND_MS * 3);
    const midway = await getBattle(id);
    expect(midway.revealed.length).toBeLessThan(ROUNDS.length);
    expect(midway.winner).toBeNull();
    expect(midway.awards).toEqual([]);
    expect(midway.fairness.serverSeed).toBeNull();
    for (const r of midway.revealed) expect(r.revealedAt).toBeLessThanOrEqual(midway.serverTime);

    await server.stop();
    expect(Date.now()).toBeLessThan(startedState.finishAt ?? 0);
    await eventually("the SDK noticing the outage", () => a.rt.state !== "open" && b.rt.state !== "open" && watcher.rt.state !== "open");
    server = await startDevServer({ stateDir: ctx.stateDir, port: server.port, vars: ctx.vars });

    // Someone who opens the room only now sees the rounds so far, then the rest live.
    const latecomer = timedClient();
    latecomer.rt.joinBattle(id);

    const everyone = [a, b, watcher, latecomer];
    const names = ["alice", "bob", "watcher", "latecomer"];
    for (const [i, c] of everyone.entries()) {
      await eventually(`battle:finished at ${names[i]}`, () => c.seen["battle:finished"].some((e) => e.battleId === id), ROUND_MS * (ROUNDS.length + 2) + 30_000).catch(async (err: unknown) => {
        // What each client held, what the server says, and the runtime's log: a stalled room is otherwise a bare timeout.
        const held = everyone.map((x, j) => `${names[j]}: ${x.rt.state} ${JSON.stringify(x.rt.sockets.battles)}, rounds ${roundsHeld(x, id).map((r) => r.round).join(",")}, states ${x.seen["battle:state"].length}`);
        const now = await api(url, "GET", `/api/battles/${id}`).catch((e: unknown) => ({ status: 0, body: String(e) }));
        throw new Error(`${String(err)}\n${held.join("\n")}\nGET: ${JSON.stringify(now.body).slice(0, 600)}\nat ${Date.now()}\nserver log:\n${server.logs().slice(-4000)}`);
      });
    }
    await eventually("every client back open by itself", allOpen(...everyone), 30_000);

    const final = await getBattle(id);
    expect(final.status).toBe("finished");
    expect(final.revealed.map((r) => r.round)).toEqual([1, 2, 3]);
    // The schedule survived the restart: due rounds were revealed late, none early, none moved.
    expect(final.revealAt).toEqual(startedState.revealAt);
    expect(final.finishAt).toEqual(startedState.finishAt);
    for (const r of final.revealed) expect(r.revealedAt).toBeGreaterThanOrEqual(final.revealAt[r.round - 1] ?? Infinity);

    // Every client holds the same three rounds (every seat's item in every round), the server's.
    for (const c of everyone) {
      expect(roundsHeld(c, id)).toEqual(final.revealed);
      const finished = c.seen["battle:finished"].filter((e) => e.battleId === id);
      expect(finished).toHaveLength(1);
      expect(finished[0]).toMatchObject({ winner: final.winner, totals: final.totals, items: final.awards, serverSeed: final.fairness.serverSeed });
    }
    // No round and no result reached a socket before its time.
    for (const c of [a, b, watcher]) {
      for (const { at, data } of c.at["battle:round"].filter((e) => e.data.battleId === id)) {
        expect(at).toBeGreaterThanOrEqual(final.revealAt[data.round - 1] ?? Infinity);
      }
      for (const { at } of c.at["battle:finished"]) expect(at).toBeGreaterThanOrEqual(final.finishAt ?? Infinity);
    }
    expect(latecomer.seen["battle:state"].find((s) => s.id === id)?.revealed.length).toBeGreaterThanOrEqual(1);

    // The revealed seed recomputes every roll, the totals and the winner.
    const serverSeed = final.fairness.serverSeed;
    if (serverSeed === null) throw new Error("the server seed was not revealed");
    const clientSeeds = final.seats.map((s) => s.occupant?.clientSeed ?? "");
    expect(clientSeeds).toEqual(["alice-e2e-seed", "bob-e2e-seed"]);
    expect(final.fairness.clientSeeds).toBe(clientSeeds.join(","));
    const revisionOf = (round: number) => {
      const rc = final.rounds.find((r) => r.round === round);
      const revision = final.cases.find((c) => c.caseId === rc?.caseId && c.caseVersion === rc?.caseVersion);
      if (!revision) throw new Error(`no case revision for round ${round}`);
      return revision;
    };
    const verified = await verifyBattle({
      serverSeed,
      serverSeedHash: created.body.battle.fairness.serverSeedHash,
      clientSeeds,
      format: final.format,
      mode: final.mode,
      rounds: final.rounds.map((r) => revisionOf(r.round).items),
    });
    expect(verified.seedMatchesHash).toBe(true);
    for (const round of final.revealed) {
      const items = revisionOf(round.round).items;
      for (const result of round.results) {
        const roll = verified.rolls[round.round - 1]?.[result.seat - 1];
        expect(roll, `round ${round.round} seat ${result.seat}`).toMatchObject({ roll: result.roll, itemIndex: result.itemIndex });
        expect(items[result.itemIndex]?.id).toBe(result.item.id);
      }
    }
    expect(final.totals).toEqual(verified.totals.map((total, i) => ({ seat: i + 1, total })));
    expect(final.winner).toEqual(verified.winner);

    // Money: each player paid the entry once and nothing else moved; the items, not money, are the prize.
    const winnerSeat = final.winner?.seats[0];
    const [winner, loser] = winnerSeat === 1 ? [alice, bob] : [bob, alice];
    expect(await me(alice.token)).toBe(before.alice - entry);
    expect(await me(bob.token)).toBe(before.bob - entry);
    for (const player of [alice, bob]) {
      const { entries, balance } = await ledgerOf(player.token);
      expect(entries.reduce((sum, e) => sum + e.delta, 0)).toBe(balance);
      expect(entries.filter((e) => e.ref === id && e.reason === "battle_entry").map((e) => e.delta)).toEqual([-entry]);
      expect(entries.filter((e) => e.ref === id && e.reason === "battle_refund")).toEqual([]);
    }
    const mismatched = await queryLocal<{ id: string; balance: number; ledger: number }>(
      ctx.stateDir,
      "SELECT u.id, u.balance, (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id) AS ledger FROM users u WHERE u.balance != (SELECT COALESCE(SUM(l.delta), 0) FROM ledger l WHERE l.user_id = u.id)",
    );
    expect(mismatched).toEqual([]);
    // The house took no part (no bots), and its own books still balance.
    const house = await api<LedgerPage>(url, "GET", `/api/admin/users/${HOUSE_USER_ID}/ledger?limit=100`, { token: admin });
    expect(house.status).toBe(200);
    expect(house.body.nextCursor).toBeNull();
    expect(house.body.entries.reduce((sum, e) => sum + e.delta, 0)).toBe(house.body.balance);
    expect(house.body.entries.filter((e) => e.ref === id)).toEqual([]);

    // Every item of both seats, in every round, went to the winner's inventory; none to the loser's.
    expect(final.awards).toHaveLength(2 * ROUNDS.length);
    for (const award of final.awards) expect(award.toSeat).toBe(winnerSeat);
    const won = (await inventoryOf(winner.token)).filter((i) => i.source === "battle");
    expect(won.map((i) => i.id).sort()).toEqual(final.awards.map((w) => w.inventoryId).sort());
    for (const award of final.awards) {
      expect(won.find((i) => i.id === award.inventoryId)).toMatchObject({ itemId: award.item.id, value: award.item.value, status: "owned" });
    }
    const expectedItems = final.revealed.flatMap((r) => r.results.map((res) => res.item.id)).sort();
    expect(won.map((i) => i.itemId).sort()).toEqual(expectedItems);
    expect((await inventoryOf(loser.token)).filter((i) => i.source === "battle")).toEqual([]);

    // The winner's own client got them live, and not before the last round's reels stopped.
    const winnerClient = winner === alice ? a : b;
    await eventually("the winner's inventory:updated", () => winnerClient.at["inventory:updated"].some((e) => e.data.added?.some((i) => i.source === "battle")));
    const added = winnerClient.at["inventory:updated"].filter((e) => e.data.added?.some((i) => i.source === "battle"));
    expect(added.flatMap((e) => e.data.added ?? []).map((i) => i.id).sort()).toEqual(won.map((i) => i.id).sort());
    for (const { at } of added) expect(at).toBeGreaterThanOrEqual(final.finishAt ?? Infinity);
    const awardIds = new Set(final.awards.map((w) => w.inventoryId));
    for (const c of everyone) for (const { at, data } of c.at["drops:new"]) if (awardIds.has(data.id)) expect(at).toBeGreaterThanOrEqual(final.finishAt ?? Infinity);

    // A lobby that reconnects refetches the list (battles:updated is not replayed): it lists the battle as finished.
    const list = await api<{ battles: { id: string; status: string }[] }>(url, "GET", "/api/battles?status=finished");
    expect(list.body.battles.find((x) => x.id === id)).toMatchObject({ status: "finished" });
  });
});
