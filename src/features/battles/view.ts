import type { BattleRow, BattleSeatRow, RevisionItem } from "../../db/schema";
import { totalWeight } from "../../fairness/verify";
import type { StoredOutcome } from "./outcome";
import { revisionKey, type Revisions } from "./queries";
import { finishTime, revealTimes, teamOf } from "./rules";
import type { BattleAward, BattleRoundResult, BattleSeat, BattleState, BattleSummary, SeatTotal } from "./schemas";

export const BATTLE_ALGORITHM =
  "clientSeeds = seats' client seeds in seat order joined with ','; roll(round r, seat s) = floor(uint64(first 8 bytes of HMAC-SHA256(key = serverSeed, msg = `${clientSeeds}:${r}:${s}`)) × totalWeight / 2^64) " +
  "on round r's case revision, item = first whose cumulative weight exceeds roll; tie between teams: roll on msg `${clientSeeds}:tiebreak:0` over the number of tied teams (in team order); SHA-256(serverSeed) = serverSeedHash";

/** What has been revealed: rounds shown so far, and whether the winner has been. */
export interface Progress {
  revealed: number;
  finished: boolean;
}

/** By the clock, as REST answers: a round from its reveal time, the winner once D1 says it is settled. */
export function progressAt(battle: BattleRow, at: number): Progress {
  if (battle.startedAt === null) return { revealed: 0, finished: false };
  const revealed = revealTimes(battle.startedAt, battle.roundMs, battle.rounds.length).filter((t) => t <= at).length;
  return { revealed, finished: battle.status === "finished" };
}

export function toSummary(battle: BattleRow, creatorName: string): BattleSummary {
  return {
    id: battle.id,
    status: battle.status,
    format: battle.format,
    mode: battle.mode,
    private: battle.private,
    seatCount: battle.seatCount,
    seatsTaken: battle.seatsTaken,
    entry: battle.entry,
    rounds: battle.rounds.map((r, i) => ({ round: i + 1, caseId: r.caseId, caseVersion: r.version, name: r.name, imageUrl: r.imageUrl, price: r.price })),
    creator: { id: battle.creatorId, displayName: creatorName },
    createdAt: battle.createdAt,
    expiresAt: battle.expiresAt,
    startedAt: battle.startedAt,
    finishAt: battle.startedAt === null ? null : finishTime(battle.startedAt, battle.roundMs, battle.rounds.length),
    version: battle.version,
  };
}

export function toSeat(battle: BattleRow, seat: number, row: BattleSeatRow | undefined): BattleSeat {
  return {
    seat,
    team: teamOf(battle.format, seat),
    occupant: row ? { userId: row.userId, displayName: row.displayName, bot: row.bot, clientSeed: row.clientSeed, joinedAt: row.joinedAt } : null,
  };
}

const face = (item: RevisionItem) => ({ id: item.id, name: item.name, imageUrl: item.imageUrl, rarity: item.rarity, value: item.value, kind: item.kind });

/** Round `round` (1-based) as revealed: every seat's roll and item, and the totals after it. */
export function roundResult(battle: BattleRow, revisions: Revisions, outcome: StoredOutcome, round: number): BattleRoundResult {
  const spec = battle.rounds[round - 1];
  const items = spec ? (revisions.get(revisionKey(spec.caseId, spec.version)) ?? []) : [];
  const row = outcome.rolls[round - 1] ?? [];
  const startedAt = battle.startedAt ?? 0;
  return {
    round,
    revealedAt: startedAt + round * battle.roundMs,
    results: row.map((r) => {
      const item = items[r.itemIndex];
      if (!item) throw new Error(`battle ${battle.id}: round ${round} rolled outside its revision`);
      return { seat: r.seat, roll: r.roll, itemIndex: r.itemIndex, item: face(item) };
    }),
    totals: totalsAfter(battle, outcome, round),
  };
}

function totalsAfter(battle: BattleRow, outcome: StoredOutcome | null, rounds: number): SeatTotal[] {
  return Array.from({ length: battle.seatCount }, (_, i) => ({
    seat: i + 1,
    total: (outcome?.rolls ?? []).slice(0, rounds).reduce((sum, row) => sum + (row[i]?.value ?? 0), 0),
  }));
}

/** Every award as shown once the battle is finished. */
export function awardsOf(battle: BattleRow, revisions: Revisions, outcome: StoredOutcome): BattleAward[] {
  return (outcome.awards ?? []).map((a) => {
    const spec = battle.rounds[a.round - 1];
    const roll = outcome.rolls[a.round - 1]?.[a.fromSeat - 1];
    const item = spec && roll ? revisions.get(revisionKey(spec.caseId, spec.version))?.[roll.itemIndex] : undefined;
    if (!item) throw new Error(`battle ${battle.id}: award of round ${a.round} has no item`);
    return { toSeat: a.toSeat, fromSeat: a.fromSeat, round: a.round, item: face(item), inventoryId: a.inventoryId };
  });
}

/**
 * The battle as revealed by `progress`: rounds past it, the winner, the awards and the server seed
 * are left out until their time. The one function REST and the room both answer with.
 */
export function toState(battle: BattleRow, seats: readonly BattleSeatRow[], revisions: Revisions, outcome: StoredOutcome | null, progress: Progress, at: number): BattleState {
  const bySeat = new Map(seats.map((s) => [s.seat, s]));
  const revealed = outcome ? progress.revealed : 0;
  const finished = outcome !== null && progress.finished;
  const ended = battle.status === "cancelled" || battle.status === "expired" || finished;
  const creatorName = bySeat.get(1)?.displayName ?? "";
  const distinct = [...new Map(battle.rounds.map((r) => [revisionKey(r.caseId, r.version), r])).values()];
  return {
    // A battle settled in D1 but not yet shown by its room still reads as running.
    ...toSummary(battle, creatorName),
    ...(battle.status === "finished" && !finished ? { status: "running" as const } : {}),
    roundMs: battle.roundMs,
    seats: Array.from({ length: battle.seatCount }, (_, i) => toSeat(battle, i + 1, bySeat.get(i + 1))),
    cases: distinct.map((r) => {
      const items = revisions.get(revisionKey(r.caseId, r.version)) ?? [];
      return { caseId: r.caseId, caseVersion: r.version, totalWeight: totalWeight(items.map((i) => i.weight)), items: items.map((i) => ({ ...face(i), weight: i.weight })) };
    }),
    revealed: outcome ? Array.from({ length: revealed }, (_, i) => roundResult(battle, revisions, outcome, i + 1)) : [],
    revealAt: battle.startedAt === null ? [] : revealTimes(battle.startedAt, battle.roundMs, battle.rounds.length),
    totals: totalsAfter(battle, outcome, revealed),
    winner: finished && outcome ? outcome.winner : null,
    awards: finished && outcome ? awardsOf(battle, revisions, outcome) : [],
    fairness: {
      serverSeedHash: battle.serverSeedHash,
      serverSeed: ended ? battle.serverSeed : null,
      clientSeeds: seats.map((s) => s.clientSeed).join(","),
      algorithm: BATTLE_ALGORITHM,
    },
    serverTime: at,
  };
}
