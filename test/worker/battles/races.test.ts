import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { HOUSE_USER_ID } from "../../../src/features/battles/house";
import { battleRoom } from "../../../src/realtime/stubs";
import { call, credit, registerUser } from "../../helpers";
import { closeAll } from "../realtime/sockets";
import { balanceOf, createBattle, expectBooksBalance, getBattle, join, table } from "./fixtures";

afterEach(() => closeAll());

/** Entries that moved money (a battle_win, when a short test battle finished meanwhile, moves none). */
const ledgerCount = async (userId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM ledger WHERE user_id = ? AND reason != 'battle_win'").bind(userId).first<{ n: number }>())?.n ?? -1;

describe("case battles: seats, money and races", () => {
  it("20 concurrent joins for the last seat: exactly one is seated and charged, the rest are refused and unchanged", async () => {
    const { caseId, players } = await table(21);
    const [creator, ...rivals] = players;
    const battle = await createBattle(creator!, { cases: [caseId, caseId], format: "1v1", mode: "classic" });
    const results = await Promise.all(rivals.map((p) => join(p, battle.id)));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(["battle_not_waiting", "seat_taken"]).toContain(r.error?.code);
    }
    const seated = (await getBattle(battle.id)).seats.map((s) => s.occupant?.userId);
    const winner = rivals.find((p) => seated.includes(p.id));
    expect(winner).toBeDefined();
    for (const p of rivals) {
      expect(await balanceOf(p.id)).toBe(p === winner ? 10_000 - 500 : 10_000);
      // Funding entry only for the refused ones: nothing was written for them.
      expect(await ledgerCount(p.id)).toBe(p === winner ? 2 : 1);
    }
    await expectBooksBalance(players.map((p) => p.id));
  });

  it("the same player joining twice, one after the other and at once, is seated once and charged once", async () => {
    const { caseId, players } = await table(2);
    const [creator, p] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(creator, { cases: [caseId], format: "1v1v1v1", mode: "classic" });
    const again = await join(creator, battle.id);
    expect(again.status).toBe(409);
    expect(again.error?.code).toBe("already_seated");
    const both = await Promise.all([join(p, battle.id, { seat: 2 }), join(p, battle.id, { seat: 3 }), join(p, battle.id)]);
    expect(both.filter((r) => r.status === 200)).toHaveLength(1);
    expect(both.filter((r) => r.status === 409)).toHaveLength(2);
    expect(await balanceOf(p.id)).toBe(10_000 - 250);
    expect((await getBattle(battle.id)).seatsTaken).toBe(2);
    await expectBooksBalance([creator.id, p.id]);
  });

  it("a join racing the creator's cancel: one of them wins, and the books say which", async () => {
    for (let i = 0; i < 3; i++) {
      const { caseId, players } = await table(2);
      const [creator, p] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
      const battle = await createBattle(creator, { cases: [caseId], format: "1v1", mode: "classic" });
      const [joined, cancelled] = await Promise.all([join(p, battle.id), call("POST", `/api/battles/${battle.id}/cancel`, { token: creator.token })]);
      expect([joined.status, cancelled.status].sort()).toEqual([200, 409]);
      const after = await getBattle(battle.id);
      if (joined.status === 200) {
        expect(after.status).not.toBe("cancelled");
        expect(await balanceOf(p.id)).toBe(10_000 - 250);
      } else {
        expect(after.status).toBe("cancelled");
        expect(await balanceOf(p.id)).toBe(10_000);
        expect(await balanceOf(creator.id)).toBe(10_000);
      }
      await expectBooksBalance([creator.id, p.id]);
    }
  });

  it("a join racing the expiry alarm: either the battle starts or everyone is refunded, never both", async () => {
    const { caseId, players } = await table(2);
    const [creator, p] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(creator, { cases: [caseId], format: "1v1", mode: "classic" });
    // Its time is up (as far as D1 says) a moment from now; the alarm and a join go together.
    await env.DB.prepare("UPDATE battles SET expires_at = ? WHERE id = ?").bind(Date.now() + 30, battle.id).run();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const [joined] = await Promise.all([join(p, battle.id), runDurableObjectAlarm(battleRoom(env, battle.id))]);
    const after = await getBattle(battle.id);
    if (joined.status === 200) {
      expect(after.status).not.toBe("expired");
      expect(await balanceOf(p.id)).toBe(10_000 - 250);
    } else {
      expect(joined.status).toBe(409);
      expect(after.status).toBe("expired");
      expect(await balanceOf(creator.id)).toBe(10_000);
      expect(await balanceOf(p.id)).toBe(10_000);
    }
    await expectBooksBalance([creator.id, p.id]);
  });

  it("expiry by the room's alarm refunds every seat, once, and tells the room", async () => {
    const { caseId, players } = await table(3);
    const [creator, p] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(creator, { cases: [caseId, caseId], format: "1v1v1", mode: "terminal" });
    expect((await join(p, battle.id)).status).toBe(200);
    await env.DB.prepare("UPDATE battles SET expires_at = ? WHERE id = ?").bind(Date.now() - 1, battle.id).run();
    expect(await runDurableObjectAlarm(battleRoom(env, battle.id))).toBe(true);
    await runDurableObjectAlarm(battleRoom(env, battle.id));
    const after = await getBattle(battle.id);
    expect(after.status).toBe("expired");
    expect(after.fairness.serverSeed).not.toBeNull();
    expect(await balanceOf(creator.id)).toBe(10_000);
    expect(await balanceOf(p.id)).toBe(10_000);
    expect(await ledgerCount(p.id)).toBe(3);
    const late = await join(players[2]!, battle.id);
    expect(late.status).toBe(409);
    await expectBooksBalance(players.map((x) => x.id));
  });

  it("not enough balance: 422, no seat, nothing charged; the creator too", async () => {
    const { caseId, players } = await table(1);
    const poor = await registerUser("poor");
    const battle = await createBattle(players[0]!, { cases: [caseId, caseId], format: "1v1", mode: "classic" });
    const refused = await join(poor, battle.id);
    expect(refused.status).toBe(422);
    expect(refused.error?.code).toBe("insufficient_balance");
    const create = await call("POST", "/api/battles", { token: poor.token, body: { cases: [caseId], format: "1v1", mode: "classic" } });
    expect(create.status).toBe(422);
    expect((await getBattle(battle.id)).seatsTaken).toBe(1);
    expect(await ledgerCount(poor.id)).toBe(0);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM battles WHERE creator_id = ?").bind(poor.id).first("n")).toBe(0);
  });

  it("bots: only the creator, every empty seat, the house pays; a cancel after is refused", async () => {
    const { caseId, players } = await table(2);
    const [creator, other] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(creator, { cases: [caseId, caseId], format: "2v2", mode: "classic" });
    const house = await balanceOf(HOUSE_USER_ID);
    const notYours = await call("POST", `/api/battles/${battle.id}/bots`, { token: other.token });
    expect(notYours.status).toBe(403);
    const res = await call("POST", `/api/battles/${battle.id}/bots`, { token: creator.token });
    expect(res.status).toBe(200);
    expect(res.body.battle.status).toBe("running");
    expect(res.body.battle.seats.slice(1).map((s) => s.occupant?.bot)).toEqual([true, true, true]);
    expect(await balanceOf(HOUSE_USER_ID)).toBe(house - 3 * 500);
    const cancel = await call("POST", `/api/battles/${battle.id}/cancel`, { token: creator.token });
    expect(cancel.status).toBe(409);
    expect((await call("POST", `/api/battles/${battle.id}/bots`, { token: creator.token })).status).toBe(409);
    await expectBooksBalance([creator.id]);
  });

  it("cancel: the creator only, while waiting, every seat refunded (bots none: they start it)", async () => {
    const { caseId, players } = await table(3);
    const [creator, p, q] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(creator, { cases: [caseId], format: "1v1v1v1", mode: "crazy" });
    expect((await join(p, battle.id, { seat: 3 })).status).toBe(200);
    expect((await call("POST", `/api/battles/${battle.id}/cancel`, { token: p.token })).status).toBe(403);
    const cancelled = await call("POST", `/api/battles/${battle.id}/cancel`, { token: creator.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.battle.status).toBe("cancelled");
    expect(await balanceOf(creator.id)).toBe(10_000);
    expect(await balanceOf(p.id)).toBe(10_000);
    expect((await join(q, battle.id)).status).toBe(409);
    expect((await call("POST", `/api/battles/${battle.id}/cancel`, { token: creator.token })).status).toBe(409);
    await expectBooksBalance(players.map((x) => x.id));
  });

  it("an Idempotency-Key replays create and join: charged once, the same battle", async () => {
    const { caseId, players } = await table(2);
    const [creator, p] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const body = { cases: [caseId], format: "1v1v1", mode: "classic" };
    const headers = { "idempotency-key": `create-${crypto.randomUUID()}` };
    const [first, second] = await Promise.all([
      call("POST", "/api/battles", { token: creator.token, body, headers }),
      call("POST", "/api/battles", { token: creator.token, body, headers }),
    ]);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.body.battle.id).toBe(second.body.battle.id);
    expect(await balanceOf(creator.id)).toBe(10_000 - 250);
    const other = await call("POST", "/api/battles", { token: creator.token, body: { ...body, mode: "crazy" }, headers });
    expect(other.status).toBe(422);
    const key = { "idempotency-key": `join-${crypto.randomUUID()}` };
    const j1 = await call("POST", `/api/battles/${first.body.battle.id}/join`, { token: p.token, body: {}, headers: key });
    const j2 = await call("POST", `/api/battles/${first.body.battle.id}/join`, { token: p.token, body: {}, headers: key });
    expect([j1.status, j2.status]).toEqual([200, 200]);
    expect(j2.headers.get("idempotent-replayed")).toBe("true");
    expect(await balanceOf(p.id)).toBe(10_000 - 250);
    await expectBooksBalance([creator.id, p.id]);
  });

  it("bad input: 4xx in the error shape, nothing changed", async () => {
    const { caseId, players, admin } = await table(1);
    const p = players[0]!;
    const battle = await createBattle(p, { cases: [caseId], format: "1v1", mode: "classic" });
    const before = await balanceOf(p.id);
    const bad: [string, string, unknown, number][] = [
      ["POST", "/api/battles", { cases: [], format: "1v1", mode: "classic" }, 400],
      ["POST", "/api/battles", { cases: Array(26).fill(caseId), format: "1v1", mode: "classic" }, 400],
      ["POST", "/api/battles", { cases: [caseId], format: "3v3", mode: "classic" }, 400],
      ["POST", "/api/battles", { cases: [caseId], format: "1v1", mode: "classic", extra: 1 }, 400],
      ["POST", "/api/battles", { cases: [caseId], format: "1v1", mode: "classic", clientSeed: "bad seed!" }, 400],
      ["POST", "/api/battles", { cases: ["no-such-case"], format: "1v1", mode: "classic" }, 404],
      ["POST", `/api/battles/${battle.id}/join`, { seat: 0 }, 400],
      ["POST", `/api/battles/${battle.id}/join`, { seat: "2" }, 400],
      ["POST", "/api/battles/not-an-id/join", {}, 400],
      ["POST", `/api/battles/${crypto.randomUUID()}/join`, {}, 404],
      ["GET", `/api/battles/${crypto.randomUUID()}`, undefined, 404],
      ["GET", "/api/battles?status=lost", undefined, 400],
    ];
    const other = await registerUser("other");
    await credit(admin, other.id, 1_000);
    for (const [method, path, body, status] of bad) {
      const res = await call(method, path, { token: other.token, body });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.error?.code).toBeTypeOf("string");
    }
    const seat9 = await join(other, battle.id, { seat: 4 });
    expect(seat9.status).toBe(400);
    expect(await balanceOf(p.id)).toBe(before);
    expect(await balanceOf(other.id)).toBe(1_000);
    // Without a session every battle write is 401, and the waiting battle is as it was.
    const seatsBefore = (await getBattle(battle.id)).seatsTaken;
    for (const [path, body] of [
      ["/api/battles", { cases: [caseId], format: "1v1", mode: "classic" }],
      [`/api/battles/${battle.id}/join`, {}],
      [`/api/battles/${battle.id}/bots`, undefined],
      [`/api/battles/${battle.id}/cancel`, undefined],
    ] as const) {
      const unauth = await call("POST", path, { body });
      expect([path, unauth.status, unauth.error?.code]).toEqual([path, 401, "unauthorized"]);
    }
    const after = await getBattle(battle.id);
    expect([after.status, after.seatsTaken]).toEqual(["waiting", seatsBefore]);
  });
});
