import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { battles, type BattleRow, type BattleSeatRow } from "../../db/schema";
import { computeBattle, type BattleOutcome } from "../../fairness/verify";
import { revisionKey, type LoadedBattle, type Revisions } from "./queries";
import { recipientOf } from "./rules";

/** An item won in the battle, where it goes, and (for a player) the inventory id it gets. */
export interface PlannedAward {
  toSeat: number;
  fromSeat: number;
  round: number;
  /** null when the recipient is a bot: the house keeps the item, no inventory row is written. */
  userId: string | null;
  inventoryId: string | null;
}

/** The outcome as D1 keeps it: the rolls fixed at the start, and from settlement the awards it wrote. */
export interface StoredOutcome extends BattleOutcome {
  awards?: PlannedAward[];
}

/** Client seeds in seat order, joined as the rolls use them. */
export const joinedClientSeeds = (seats: readonly BattleSeatRow[]) => seats.map((s) => s.clientSeed).join(",");

/** Every roll, the totals and the winner, from the seeds in D1 and the rounds' revisions. Started battles only. */
export function decideOutcome(battle: BattleRow, seats: readonly BattleSeatRow[], revisions: Revisions): Promise<BattleOutcome> {
  if (seats.length !== battle.seatCount) throw new Error(`battle ${battle.id} is not full: no outcome yet`);
  const rounds = battle.rounds.map((r) => revisions.get(revisionKey(r.caseId, r.version)) ?? []);
  return computeBattle(battle.serverSeed, seats.map((s) => s.clientSeed), battle.format, battle.mode, rounds);
}

/**
 * The started battle's outcome: the stored one, or computed now and stored (by whoever reads it
 * first: the room, or a GET). It is a pure function of rows that no longer change, so every writer
 * writes the same value and the first one wins.
 */
export async function outcomeOf(db: Db, loaded: LoadedBattle, revisions: Revisions): Promise<StoredOutcome> {
  const { battle, seats } = loaded;
  if (battle.outcome !== null) return JSON.parse(battle.outcome) as StoredOutcome;
  const outcome = await decideOutcome(battle, seats, revisions);
  await db
    .update(battles)
    .set({ outcome: JSON.stringify(outcome) })
    .where(and(eq(battles.id, battle.id), sql`${battles.outcome} IS NULL`, sql`${battles.status} IN ('running', 'finished')`));
  return outcome;
}

/** Who gets every item: the winning team takes all (2v2: each winner the losing seat opposite); bots' shares stay with the house. */
export function planAwards(battle: BattleRow, seats: readonly BattleSeatRow[], outcome: BattleOutcome): PlannedAward[] {
  const bySeat = new Map(seats.map((s) => [s.seat, s]));
  return outcome.rolls.flatMap((row) =>
    row.map((roll) => {
      const toSeat = recipientOf(battle.format, roll.seat, outcome.winner.seats);
      const userId = bySeat.get(toSeat)?.userId ?? null;
      return { toSeat, fromSeat: roll.seat, round: roll.round, userId, inventoryId: userId === null ? null : crypto.randomUUID() };
    }),
  );
}
