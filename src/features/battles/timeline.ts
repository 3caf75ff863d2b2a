import type { BattleRow, BattleSeatRow, RevisionItem } from "../../db/schema";
import type { BattleEvent } from "../../realtime/events";
import type { StoredOutcome } from "./outcome";
import type { Revisions } from "./queries";
import { finishTime, revealTimes } from "./rules";
import { awardsOf, roundResult, toSeat, toState, type Progress } from "./view";
import type { BattleState } from "./schemas";

/** What a room knows of its battle: D1's rows as last read, the revisions and the fixed outcome. */
export interface RoomData {
  battle: BattleRow;
  seats: BattleSeatRow[];
  revisions: [string, RevisionItem[]][];
  outcome: StoredOutcome | null;
}

/** What a room has told its sockets so far: nothing is sent twice, nothing before its time. */
export interface RoomProgress extends Progress {
  seats: number[];
  started: boolean;
  ended: boolean;
  /** The battle version last announced to the lobby. */
  lobbyVersion: number;
}

export const NOTHING_SENT: RoomProgress = { seats: [], started: false, revealed: 0, finished: false, ended: false, lobbyVersion: 0 };

const revisionsOf = (data: RoomData): Revisions => new Map(data.revisions);

/**
 * The events that are due at `at` and not yet sent, in the order they happened, and the progress
 * after them: seats taken, the start, every round whose reveal time has come, then the end. A room
 * woken late (a restart) sends everything it owes at once, in that order.
 */
export function dueEvents(data: RoomData, sent: RoomProgress, at: number): { events: BattleEvent[]; progress: RoomProgress } {
  const { battle, seats, outcome } = data;
  const revisions = revisionsOf(data);
  const battleId = battle.id;
  const events: BattleEvent[] = [];
  const progress: RoomProgress = { ...sent, seats: [...sent.seats] };
  for (const row of seats) {
    if (progress.seats.includes(row.seat)) continue;
    progress.seats.push(row.seat);
    events.push({ event: "battle:joined", data: { battleId, seat: toSeat(battle, row.seat, row), seatsTaken: progress.seats.length, version: battle.version } });
  }
  const started = battle.startedAt !== null && outcome !== null;
  if (started && battle.startedAt !== null && !progress.started) {
    progress.started = true;
    const rounds = battle.rounds.length;
    events.push({
      event: "battle:started",
      data: {
        battleId,
        startedAt: battle.startedAt,
        roundMs: battle.roundMs,
        revealAt: revealTimes(battle.startedAt, battle.roundMs, rounds),
        finishAt: finishTime(battle.startedAt, battle.roundMs, rounds),
        clientSeeds: seats.map((s) => s.clientSeed).join(","),
        version: battle.version,
      },
    });
  }
  if (started && outcome && battle.startedAt !== null) {
    const due = revealTimes(battle.startedAt, battle.roundMs, battle.rounds.length).filter((t) => t <= at).length;
    for (let round = progress.revealed + 1; round <= due; round++) {
      const result = roundResult(battle, revisions, outcome, round);
      events.push({ event: "battle:round", data: { battleId, round, revealedAt: result.revealedAt, results: result.results, totals: result.totals } });
    }
    progress.revealed = Math.max(progress.revealed, due);
    const settled = battle.status === "finished" && outcome.awards !== undefined;
    if (settled && !progress.finished && at >= finishTime(battle.startedAt, battle.roundMs, battle.rounds.length)) {
      progress.finished = true;
      const last = roundResult(battle, revisions, outcome, battle.rounds.length);
      events.push({
        event: "battle:finished",
        data: { battleId, winner: outcome.winner, totals: last.totals, items: awardsOf(battle, revisions, outcome), serverSeed: battle.serverSeed, finishedAt: battle.endedAt ?? at, version: battle.version },
      });
    }
  }
  if ((battle.status === "cancelled" || battle.status === "expired") && !progress.ended) {
    progress.ended = true;
    events.push({ event: "battle:cancelled", data: { battleId, reason: battle.status, serverSeed: battle.serverSeed, version: battle.version } });
  }
  return { events, progress };
}

/** When the room must wake next: the expiry of a waiting battle, the next reveal, the finish; null when over. */
export function nextWake(data: RoomData, sent: RoomProgress, at: number): number | null {
  const { battle } = data;
  if (battle.status === "waiting") return battle.expiresAt;
  if (battle.status !== "running" && battle.status !== "finished") return null;
  if (battle.startedAt === null || sent.finished) return null;
  const next = revealTimes(battle.startedAt, battle.roundMs, battle.rounds.length).find((t) => t > at);
  return next ?? Math.max(finishTime(battle.startedAt, battle.roundMs, battle.rounds.length), at);
}

/** The room's `battle:state`: what it has sent so far, no more. */
export const roomState = (data: RoomData, sent: RoomProgress, at: number): BattleState =>
  toState(data.battle, data.seats, revisionsOf(data), data.outcome, sent, at);
