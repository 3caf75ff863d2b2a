import { and, asc, desc, eq, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { battles, battleSeats, caseRevisions, type BattleRow, type BattleSeatRow, type RevisionItem } from "../../db/schema";
import { encodeCursor, olderThan } from "../../lib/pagination";
import type { BattlePage, BattlesQuery } from "./schemas";
import { toSummary } from "./view";

export interface LoadedBattle {
  battle: BattleRow;
  /** Taken seats, in seat order. */
  seats: BattleSeatRow[];
}

/** A revision's items by `${caseId}:${version}`. */
export type Revisions = Map<string, RevisionItem[]>;

export const revisionKey = (caseId: string, version: number) => `${caseId}:${version}`;

export const seatsOf = (db: Db, battleId: string) => db.select().from(battleSeats).where(eq(battleSeats.battleId, battleId)).orderBy(asc(battleSeats.seat));

/** A battle and its taken seats in one round trip, or null. */
export async function loadBattle(db: Db, battleId: string): Promise<LoadedBattle | null> {
  const [rows, seats] = await db.batch([db.select().from(battles).where(eq(battles.id, battleId)), seatsOf(db, battleId)]);
  const battle = rows[0];
  return battle ? { battle, seats } : null;
}

// Revisions never change once written: an isolate keeps the ones it has read.
const revisionCache: Revisions = new Map();

/** The items of every case revision the battle's rounds roll against (one read for those not cached). */
export async function loadRevisions(db: Db, battle: BattleRow): Promise<Revisions> {
  const wanted = new Map(battle.rounds.map((r) => [revisionKey(r.caseId, r.version), r]));
  const missing = [...wanted.values()].filter((r) => !revisionCache.has(revisionKey(r.caseId, r.version)));
  if (missing.length > 0) {
    const rows = await db
      .select({ caseId: caseRevisions.caseId, version: caseRevisions.version, items: caseRevisions.items })
      .from(caseRevisions)
      .where(or(...missing.map((r) => and(eq(caseRevisions.caseId, r.caseId), eq(caseRevisions.version, r.version)))));
    for (const row of rows) revisionCache.set(revisionKey(row.caseId, row.version), row.items);
  }
  const found: Revisions = new Map();
  for (const key of wanted.keys()) {
    const items = revisionCache.get(key);
    if (!items) throw new Error(`battle ${battle.id}: case revision ${key} is missing`);
    found.set(key, items);
  }
  return found;
}

/** Public battles in one status, newest first; the creator's name is seat 1's. */
export async function listBattles(db: Db, query: BattlesQuery): Promise<BattlePage> {
  const rows = await db
    .select({ battle: battles, creatorName: battleSeats.displayName })
    .from(battles)
    .innerJoin(battleSeats, and(eq(battleSeats.battleId, battles.id), eq(battleSeats.seat, 1)))
    .where(and(sql`${battles.private} = 0`, eq(battles.status, query.status), query.cursor ? olderThan(battles.createdAt, battles.id, query.cursor) : undefined))
    .orderBy(desc(battles.createdAt), desc(battles.id))
    .limit(query.limit + 1);
  return {
    battles: rows.slice(0, query.limit).map((r) => toSummary(r.battle, r.creatorName)),
    nextCursor: encodeCursor(rows.map((r) => r.battle), query.limit),
  };
}
