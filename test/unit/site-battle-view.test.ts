// The battle room's folds and the lobby's book: replays, crossings of REST and socket, reveal timing.
import { describe, expect, it } from "vitest";
import {
  applyCancelled,
  applyFinished,
  applyJoined,
  applyLobbyUpdate,
  applyRound,
  applyStarted,
  landedRounds,
  leadingTeam,
  lobbyList,
  rebaseLobby,
  shownTotals,
  spinMsOf,
  takeSnapshot,
} from "../../src/site/battle-view";
import type { BattleEventMap, BattleRoll, BattleState, BattleSummary } from "../../src/site/types";

const item = (id: string, value: number) => ({ id, name: id, imageUrl: null, rarity: "consumer", value, kind: "skin" as const });
const roll = (seat: number, id: string, value: number): BattleRoll => ({ seat, roll: 0, itemIndex: 0, item: item(id, value) });

function waitingBattle(): BattleState {
  return {
    id: "b1",
    status: "waiting",
    format: "1v1",
    mode: "classic",
    private: false,
    seatCount: 2,
    seatsTaken: 1,
    entry: 500,
    rounds: [1, 2].map((round) => ({ round, caseId: "c", caseVersion: 1, name: "Case", imageUrl: null, price: 250 })),
    creator: { id: "u1", displayName: "Ann" },
    createdAt: 1_000,
    expiresAt: 601_000,
    startedAt: null,
    finishAt: null,
    version: 1,
    roundMs: 4_000,
    seats: [
      { seat: 1, team: 1, occupant: { userId: "u1", displayName: "Ann", bot: false, clientSeed: "a", joinedAt: 1_000 } },
      { seat: 2, team: 2, occupant: null },
    ],
    cases: [{ caseId: "c", caseVersion: 1, totalWeight: 2, items: [{ ...item("x", 10), weight: 1 }, { ...item("y", 90), weight: 1 }] }],
    revealed: [],
    revealAt: [],
    totals: [
      { seat: 1, total: 0 },
      { seat: 2, total: 0 },
    ],
    winner: null,
    awards: [],
    fairness: { serverSeedHash: "h", serverSeed: null, clientSeeds: "a", algorithm: "test" },
    serverTime: 1_000,
  };
}

const joined: BattleEventMap["battle:joined"] = {
  battleId: "b1",
  seat: { seat: 2, team: 2, occupant: { userId: "u2", displayName: "Bob", bot: false, clientSeed: "b", joinedAt: 2_000 } },
  seatsTaken: 2,
  version: 2,
};
const started: BattleEventMap["battle:started"] = { battleId: "b1", startedAt: 2_000, roundMs: 4_000, revealAt: [6_000, 10_000], finishAt: 14_000, clientSeeds: "a,b", version: 3 };
const round1: BattleEventMap["battle:round"] = { battleId: "b1", round: 1, revealedAt: 6_000, results: [roll(1, "x", 10), roll(2, "y", 90)], totals: [{ seat: 1, total: 10 }, { seat: 2, total: 90 }] };
const round2: BattleEventMap["battle:round"] = { battleId: "b1", round: 2, revealedAt: 10_000, results: [roll(1, "y", 90), roll(2, "y", 90)], totals: [{ seat: 1, total: 100 }, { seat: 2, total: 180 }] };

function played(): BattleState {
  return [round1, round2].reduce(applyRound, applyStarted(applyJoined(waitingBattle(), joined), started));
}

describe("a battle room's state", () => {
  it("folds the room's events in order, and a replayed event changes nothing", () => {
    const s = played();
    expect(s).toMatchObject({ status: "running", seatsTaken: 2, version: 3, startedAt: 2_000, fairness: { clientSeeds: "a,b" } });
    expect(s.revealed.map((r) => r.round)).toEqual([1, 2]);
    // A resume that replays what the tab already had.
    const again = applyRound(applyRound(applyStarted(applyJoined(s, joined), started), round1), round2);
    expect(again).toEqual(s);
    const finished = applyFinished(s, { battleId: "b1", winner: { team: 2, seats: [2], tiebreak: null }, totals: round2.totals, items: [], serverSeed: "seed", finishedAt: 14_000, version: 4 });
    expect(finished).toMatchObject({ status: "finished", version: 4, fairness: { serverSeed: "seed" } });
    // A cancel cannot undo a battle that ran.
    expect(applyCancelled(finished, { battleId: "b1", reason: "cancelled", serverSeed: "seed", version: 5 }).status).toBe("finished");
  });

  it("keeps the further state when a REST answer crosses a socket snapshot", () => {
    const fresh = played();
    const stale = applyJoined(waitingBattle(), joined);
    expect(takeSnapshot(fresh, stale)).toBe(fresh);
    expect(takeSnapshot(stale, fresh)).toBe(fresh);
    // Same version, more rounds revealed: the later one.
    const oneRound = applyRound(applyStarted(stale, started), round1);
    expect(takeSnapshot(fresh, oneRound)).toBe(fresh);
    expect(takeSnapshot(oneRound, fresh)).toBe(fresh);
  });

  it("shows a round's items and totals only once its reels have stopped", () => {
    const s = played();
    const spin = spinMsOf(s.roundMs);
    expect(spin).toBe(3_000);
    expect(landedRounds(s, 6_000 + spin - 1)).toEqual([]);
    expect(shownTotals(s, 6_000 + spin - 1).get(2)).toBe(0);
    expect(landedRounds(s, 6_000 + spin).map((r) => r.round)).toEqual([1]);
    expect(shownTotals(s, 9_500).get(2)).toBe(90);
    expect(shownTotals(s, 13_000).get(1)).toBe(100);
    expect(leadingTeam(s, 13_000)).toBe(2);
    expect(leadingTeam({ ...s, mode: "crazy" }, 13_000)).toBe(1);
    // Terminal: only the latest round counts, and there both seats got the same value.
    expect(leadingTeam({ ...s, mode: "terminal" }, 13_000)).toBeNull();
  });
});

const summary = (id: string, status: BattleSummary["status"], version: number, createdAt = version): BattleSummary => {
  const { roundMs: _r, seats: _s, cases: _c, revealed: _v, revealAt: _a, totals: _t, winner: _w, awards: _x, fairness: _f, serverTime: _n, ...rest } = waitingBattle();
  return { ...rest, id, status, version, createdAt };
};

describe("the battles lobby", () => {
  it("keeps the newest version of each battle and lists waiting and running ones", () => {
    let book = applyLobbyUpdate(new Map(), summary("a", "waiting", 1), 0);
    book = applyLobbyUpdate(book, summary("b", "waiting", 1, 5), 0);
    book = applyLobbyUpdate(book, summary("a", "running", 3), 0);
    // An older update arriving late is ignored.
    book = applyLobbyUpdate(book, summary("a", "waiting", 2), 0);
    expect(lobbyList(book).waiting.map((b) => b.id)).toEqual(["b"]);
    expect(lobbyList(book).running.map((b) => b.id)).toEqual(["a"]);
    book = applyLobbyUpdate(book, summary("a", "finished", 4), 0);
    expect(lobbyList(book).running).toEqual([]);
  });

  it("takes a fresh read as the truth, except what the socket said after the read started", () => {
    let book = applyLobbyUpdate(new Map(), summary("gone", "waiting", 1), 10);
    book = applyLobbyUpdate(book, summary("new", "waiting", 1), 50);
    book = applyLobbyUpdate(book, summary("moved", "running", 4), 60);
    const read = [summary("moved", "waiting", 2), summary("other", "waiting", 1)];
    const next = rebaseLobby(book, read, 40, 70);
    // "gone" finished while the socket was away; "new" and "moved" changed during the read.
    expect([...next.keys()].sort()).toEqual(["moved", "new", "other"]);
    expect(next.get("moved")?.summary.status).toBe("running");
  });
});
