import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { BattleState } from "../../../src/features/battles/schemas";
import { verifyBattle } from "../../../src/fairness/verify";
import { battleRoom } from "../../../src/realtime/stubs";
import type { ServerMessage, SequencedBattleEvent } from "../../../src/realtime/protocol";
import { closeAll, connect, isLobbyEvents, isLobbyWelcome, type TestSocket } from "../realtime/sockets";
import { createBattle, expectBooksBalance, getBattle, join, table, waitForBattle } from "./fixtures";

afterEach(() => closeAll());

type BattleFrame = Extract<ServerMessage, { channel: "battle" }>;
const isBattleEvents = (f: ServerMessage): f is Extract<ServerMessage, { type: "events"; channel: "battle" }> => f.type === "events" && f.channel === "battle";
const isBattleWelcome = (f: ServerMessage): f is Extract<ServerMessage, { type: "welcome"; channel: "battle" }> => f.type === "welcome" && f.channel === "battle";

/**
 * Every battle event a socket got, with the local time it arrived (the test shares the runtime's
 * clock). Frames that came before this recorder started are stamped when it starts.
 */
function recordEvents(socket: TestSocket): { event: SequencedBattleEvent; at: number }[] {
  const seen: { event: SequencedBattleEvent; at: number }[] = [];
  let read = 0;
  const refresh = () => {
    const frames = socket.frames.slice(read);
    read += frames.length;
    for (const f of frames) if (isBattleEvents(f)) for (const event of f.events) seen.push({ event, at: Date.now() });
  };
  refresh();
  socket.ws.addEventListener("message", refresh);
  refreshers.push(refresh);
  return seen;
}
const refreshers: (() => void)[] = [];

/** Waits (polling) until `done` holds; the sockets' own `until` runs before recordEvents sees a frame. */
async function waitUntil(what: string, done: () => boolean, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  while ((refreshers.forEach((r) => r()), !done())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What a verifier does with a finished battle: recompute every roll from the revealed seed. */
async function verify(battle: BattleState) {
  const byRevision = new Map(battle.cases.map((c) => [`${c.caseId}:${c.caseVersion}`, c.items]));
  return verifyBattle({
    serverSeed: battle.fairness.serverSeed ?? "",
    serverSeedHash: battle.fairness.serverSeedHash,
    clientSeeds: battle.seats.map((s) => s.occupant?.clientSeed ?? ""),
    format: battle.format,
    mode: battle.mode,
    rounds: battle.rounds.map((r) => byRevision.get(`${r.caseId}:${r.caseVersion}`) ?? []),
  });
}

function expectVerified(battle: BattleState, proof: Awaited<ReturnType<typeof verify>>) {
  expect(proof.seedMatchesHash).toBe(true);
  for (const round of battle.revealed) {
    for (const r of round.results) {
      const mine = proof.rolls[round.round - 1]?.[r.seat - 1];
      expect({ roll: r.roll, itemIndex: r.itemIndex }).toEqual({ roll: mine?.roll, itemIndex: mine?.itemIndex });
    }
  }
  expect(battle.totals.map((t) => t.total)).toEqual(proof.totals);
  expect(battle.winner).toEqual(proof.winner);
}

describe("case battles: decided at the start, revealed round by round", () => {
  it("no round, winner, seed or item is visible through REST before its time; the outcome verifies from the revealed seed", async () => {
    const { caseId, players } = await table(2);
    const [a, b] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(a, { cases: [caseId, caseId, caseId, caseId], format: "1v1", mode: "classic", clientSeed: "alice-seed" });
    const started = (await join(b, battle.id, { clientSeed: "bob-seed" })).body.battle as BattleState;
    // Rounds are 200 ms here: on a loaded machine the answer can come after the first reveal.
    for (const round of started.revealed) expect(round.revealedAt).toBeLessThanOrEqual(started.serverTime);
    expect(started.revealAt).toHaveLength(4);
    let final: BattleState | null = null;
    while (!final) {
      const seen = await getBattle(battle.id);
      const due = seen.revealAt.filter((t) => t <= seen.serverTime).length;
      expect(seen.revealed.length).toBe(due);
      for (const round of seen.revealed) expect(round.revealedAt).toBeLessThanOrEqual(seen.serverTime);
      if (seen.status !== "finished") {
        expect(seen.winner).toBeNull();
        expect(seen.awards).toEqual([]);
        expect(seen.fairness.serverSeed).toBeNull();
        const items = await env.DB.prepare("SELECT COUNT(*) AS n FROM openings WHERE source = 'battle' AND user_id IN (?, ?)").bind(a.id, b.id).first<{ n: number }>();
        // Settled in D1 only at finishAt, and GET shows a finished battle from then on.
        if (seen.serverTime < (seen.finishAt ?? 0)) expect(items?.n).toBe(0);
      } else {
        expect(seen.serverTime).toBeGreaterThanOrEqual(seen.finishAt ?? Infinity);
        final = seen;
      }
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(final.fairness.clientSeeds).toBe("alice-seed,bob-seed");
    expectVerified(final, await verify(final));
    await expectBooksBalance([a.id, b.id]);
  });

  it("the room's socket: battle:state with only what is revealed, then every event at its time, in order, numbered", async () => {
    const { caseId, players } = await table(3);
    const [a, b] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(a, { cases: [caseId, caseId, caseId], format: "1v1v1", mode: "crazy" });
    const watcher = await connect(`/ws/battle/${battle.id}`);
    const seen = recordEvents(watcher);
    await watcher.next(isBattleWelcome);
    const first = watcher.frames.find(isBattleEvents)?.events[0];
    expect(first?.event).toBe("battle:state");
    expect((await join(b, battle.id)).status).toBe(200);
    await waitForBattle(battle.id, (x) => x.seatsTaken === 2);
    expect((await join(players[2]!, battle.id)).status).toBe(200);
    await waitUntil("battle:finished", () => seen.some((s) => s.event.event === "battle:finished"));
    // The snapshot first (it may arrive before or after this recorder started), then the live events.
    const live = seen.filter((s) => s.event.event !== "battle:state");
    expect(live.map((s) => s.event.event)).toEqual(["battle:joined", "battle:joined", "battle:started", "battle:round", "battle:round", "battle:round", "battle:finished"]);
    const seqs = live.map((s) => s.event.seq);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    const final = await getBattle(battle.id);
    for (const { event, at } of live) {
      if (event.event === "battle:round") {
        expect(at).toBeGreaterThanOrEqual(event.data.revealedAt);
        expect(event.data.results).toEqual(final.revealed[event.data.round - 1]?.results);
      }
      if (event.event === "battle:finished") {
        expect(at).toBeGreaterThanOrEqual(final.finishAt ?? Infinity);
        expect(event.data.winner).toEqual(final.winner);
      }
    }
    expectVerified(final, await verify(final));

    // A late spectator gets the whole battle in its battle:state.
    const late = await connect(`/ws/battle/${battle.id}`);
    await late.next(isBattleWelcome);
    const state = late.frames.find(isBattleEvents)?.events[0];
    expect(state?.event === "battle:state" && state.data.revealed.length).toBe(3);
    expect(state?.event === "battle:state" && state.data.winner).toEqual(final.winner);
  });

  it("a Battle object restarted mid-battle keeps its outcome and its schedule; a watcher resumes without gaps", async () => {
    const { caseId, players } = await table(2);
    const [a, b] = players as [NonNullable<(typeof players)[0]>, NonNullable<(typeof players)[0]>];
    const battle = await createBattle(a, { cases: Array(6).fill(caseId), format: "1v1", mode: "terminal" });
    const watcher = await connect(`/ws/battle/${battle.id}`);
    await watcher.next(isBattleWelcome);
    const before = recordEvents(watcher);
    await join(b, battle.id);
    await waitUntil("two rounds", () => before.filter((s) => s.event.event === "battle:round").length >= 2);
    const seenRounds = before.filter((s) => s.event.event === "battle:round").map((s) => s.event);
    const last = before.at(-1)?.event;
    const welcome = watcher.frames.filter(isBattleWelcome)[0] as BattleFrame & { epoch: string };

    // This battle's object is reset as a restart resets it: its instance and sockets are gone, its
    // storage and alarm stay. (ctx.abort, not abortAllDurableObjects: that would reset every test
    // file's objects in the same runtime.) It is reset between two alarms, as a deploy finds it; an
    // alarm cut short in the middle is the platform's to retry (README, "Case battles").
    for (let aborted = false; !aborted; ) {
      aborted = await runInDurableObject(battleRoom(env, battle.id), async (_room: unknown, state: DurableObjectState) => {
        const alarm = await state.storage.getAlarm();
        if (alarm === null || alarm - Date.now() < 80) return false;
        state.abort("restart");
        return true;
      }).catch(() => true);
      if (!aborted) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const resumed = await connect(`/ws/battle/${battle.id}`, { query: { since: last?.seq ?? 0, epoch: welcome.epoch } });
    const after = recordEvents(resumed);
    try {
      await waitUntil("battle:finished after the restart", () => after.some((s) => s.event.event === "battle:finished"));
    } catch (err) {
      const diag = await runInDurableObject(battleRoom(env, battle.id), async (_o: unknown, state: DurableObjectState) => ({
        alarm: await state.storage.getAlarm(),
        now: Date.now(),
        progress: state.storage.sql.exec("SELECT progress FROM room").toArray(),
        sockets: state.getWebSockets().length,
      }));
      const row = await env.DB.prepare("SELECT status, started_at, ended_at FROM battles WHERE id = ?").bind(battle.id).first();
      throw new Error(`${String(err)} ${JSON.stringify({ diag, row, after: after.map((x) => x.event.event), frames: resumed.texts.length, before: before.map((x) => x.event.seq) })}`);
    }
    // Resumed: the missed events, none twice, no battle:state, then live ones in order.
    const seqs = after.map((s) => s.event.seq);
    expect(seqs[0]).toBe((last?.seq ?? 0) + 1);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    expect(after.some((s) => s.event.event === "battle:state")).toBe(false);
    const final = await getBattle(battle.id);
    expect(final.status).toBe("finished");
    // The rounds shown before the restart are the ones the battle finished with, on the same clock.
    for (const r of seenRounds) if (r.event === "battle:round") expect(r.data.results).toEqual(final.revealed[r.data.round - 1]?.results);
    final.revealed.forEach((round, i) => expect(round.revealedAt).toBe((final.startedAt ?? 0) + (i + 1) * final.roundMs));
    for (const { event, at } of after) if (event.event === "battle:round") expect(at).toBeGreaterThanOrEqual(event.data.revealedAt);
    expectVerified(final, await verify(final));
    await expectBooksBalance([a.id, b.id]);
  });

  it("the lobby hears battles:updated for public battles only", async () => {
    const { caseId, players } = await table(1);
    const lobby = await connect("/ws/lobby");
    await lobby.next(isLobbyWelcome);
    const hidden = await createBattle(players[0]!, { cases: [caseId], format: "1v1", mode: "classic", private: true });
    const shown = await createBattle(players[0]!, { cases: [caseId], format: "1v1", mode: "classic" });
    const update = await lobby.until(
      () => lobby.frames.filter(isLobbyEvents).flatMap((f) => f.events).find((e) => e.event === "battles:updated" && e.data.id === shown.id),
      "battles:updated",
    );
    expect(update.event === "battles:updated" && update.data).toMatchObject({ id: shown.id, status: "waiting", seatsTaken: 1, seatCount: 2 });
    expect(lobby.frames.filter(isLobbyEvents).flatMap((f) => f.events).some((e) => e.event === "battles:updated" && e.data.id === hidden.id)).toBe(false);
  });

  it("a room for a battle that does not exist refuses the socket", async () => {
    const { upgrade } = await import("../realtime/sockets");
    const res = await upgrade(`/ws/battle/${crypto.randomUUID()}`);
    expect(res.status).toBe(404);
    expect((await upgrade("/ws/battle/nope")).status).toBe(400);
  });
});
