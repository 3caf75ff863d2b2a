import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { HOUSE_USER_ID } from "../../../src/features/battles/house";
import { call } from "../../helpers";
import { closeAll } from "../realtime/sockets";
import { balanceOf, createBattle, expectBooksBalance, getBattle, join, table, waitForBattle } from "./fixtures";

afterEach(() => closeAll());

describe("case battles: create, join, play, settle", () => {
  it("a 1v1 of three rounds: both pay the entry, the last join starts it, every item goes to the winner, the books balance", async () => {
    const { caseId, players } = await table(2);
    const [a, b] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const created = await createBattle(a, { cases: [caseId, caseId, caseId], format: "1v1", mode: "classic" });
    expect(created).toMatchObject({ status: "waiting", seatCount: 2, seatsTaken: 1, entry: 750, winner: null, revealed: [] });
    expect(created.fairness.serverSeed).toBeNull();
    expect(created.seats[0]?.occupant?.userId).toBe(a.id);
    expect(await balanceOf(a.id)).toBe(10_000 - 750);

    const joined = await join(b, created.id);
    expect(joined.status).toBe(200);
    expect(joined.body.battle).toMatchObject({ status: "running", seatsTaken: 2 });
    for (const round of joined.body.battle.revealed) expect(round.revealedAt).toBeLessThanOrEqual(joined.body.battle.serverTime);
    expect(await balanceOf(b.id)).toBe(10_000 - 750);

    const done = await waitForBattle(created.id, (x) => x.status === "finished");
    expect(done.revealed).toHaveLength(3);
    expect(done.winner).not.toBeNull();
    expect(done.fairness.serverSeed).not.toBeNull();
    expect(done.awards).toHaveLength(6);
    const winner = done.winner!.seats[0] === 1 ? a : b;
    const { results } = await env.DB.prepare("SELECT id, source FROM openings WHERE user_id = ? AND source = 'battle'").bind(winner.id).all<{ id: string }>();
    expect(results.map((r) => r.id).sort()).toEqual(done.awards.map((x) => x.inventoryId).sort());
    await expectBooksBalance([a.id, b.id]);
    expect(await balanceOf(HOUSE_USER_ID)).toBeGreaterThan(0);
  });

  it("lists public battles newest first by status", async () => {
    const { caseId, players } = await table(1);
    const p = players[0]!;
    const older = await createBattle(p, { cases: [caseId], format: "1v1", mode: "classic" });
    const hidden = await createBattle(p, { cases: [caseId], format: "1v1", mode: "classic", private: true });
    const newer = await createBattle(p, { cases: [caseId], format: "1v1v1", mode: "crazy" });
    const res = await call("GET", "/api/battles?status=waiting&limit=100");
    expect(res.status).toBe(200);
    const ids = (res.body.battles as { id: string }[]).map((x) => x.id);
    expect(ids).not.toContain(hidden.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect((await getBattle(hidden.id)).private).toBe(true);
  });
});
